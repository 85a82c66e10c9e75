from __future__ import annotations

from allauth.socialaccount.providers.weixin.client import WeixinOAuth2Client


class WechatOAuth2Client(WeixinOAuth2Client):
    def get_redirect_url(self, authorization_url, scope, extra_params):
        # WeChat's in-app browser only honours the authorisation page with this fragment.
        return super().get_redirect_url(authorization_url, scope, extra_params) + "#wechat_redirect"
