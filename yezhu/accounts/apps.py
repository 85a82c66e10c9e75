from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "yezhu.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from yezhu import checks  # noqa: F401 - registers the go-live checks
        from yezhu.accounts import signals  # noqa: F401
