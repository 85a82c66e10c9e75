from allauth.socialaccount.providers.oauth2.urls import default_urlpatterns

from yezhu.accounts.wechat.provider import WechatProvider

urlpatterns = default_urlpatterns(WechatProvider)
