from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WechatConfig(AppConfig):
    name = "yezhu.accounts.wechat"
    label = "yezhu_wechat"
    verbose_name = _("WeChat sign-in")
