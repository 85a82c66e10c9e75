from __future__ import annotations

from allauth.socialaccount.providers.weixin.provider import WeixinProvider

from yezhu.accounts.wechat.views import WechatOAuth2Adapter


class WechatProvider(WeixinProvider):
    """allauth's WeChat provider for 公众号网页授权 (see the package's docstring)."""

    oauth2_adapter_class = WechatOAuth2Adapter

    def get_default_scope(self):
        return ["snsapi_userinfo"]


provider_classes = [WechatProvider]
