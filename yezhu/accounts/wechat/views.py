from __future__ import annotations

from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView, OAuth2LoginView
from allauth.socialaccount.providers.weixin.views import WeixinOAuth2Adapter
from django.conf import settings
from django.urls import reverse

from yezhu.accounts.wechat.client import WechatOAuth2Client
from yezhu.site import public_url


class WechatOAuth2Adapter(WeixinOAuth2Adapter):
    client_class = WechatOAuth2Client
    access_token_method = "GET"  # sns/oauth2/access_token is documented as GET with a query string

    def get_callback_url(self, request, app):
        # WeChat sends the owner back only to the domain registered as 网页授权域名: the public
        # address (SITE_URL), not whatever Host the request came in with.
        return public_url(reverse(self.provider_id + "_callback"))

    @property
    def authorize_url(self):
        return settings.WECHAT_OPEN_BASE.rstrip("/") + "/connect/oauth2/authorize"

    @property
    def access_token_url(self):
        return settings.WECHAT_API_BASE.rstrip("/") + "/sns/oauth2/access_token"

    @property
    def profile_url(self):
        return settings.WECHAT_API_BASE.rstrip("/") + "/sns/userinfo"


oauth2_login = OAuth2LoginView.adapter_view(WechatOAuth2Adapter)
oauth2_callback = OAuth2CallbackView.adapter_view(WechatOAuth2Adapter)
