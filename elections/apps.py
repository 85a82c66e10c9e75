from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ElectionsConfig(AppConfig):
    name = "elections"
    verbose_name = _("Elections and assembly votes")

    def ready(self):
        from elections.sms_deliveries import on_sms_status
        from yezhu.hooks import register_sms_listener

        register_sms_listener(on_sms_status)
