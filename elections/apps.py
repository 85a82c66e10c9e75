from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ElectionsConfig(AppConfig):
    name = "elections"
    verbose_name = _("Elections and assembly votes")

    def ready(self):
        # Services queue tasks by name (yezhu.queue.enqueue): register them in every process.
        from elections import tasks, tasks_paper, tasks_platform  # noqa: F401
        from elections.selectors import VoteLocks, frozen_unit_codes
        from grids.roll import ROLL_REMOVAL_GUARDS
        from yezhu.hooks import register_vote_locks

        register_vote_locks(VoteLocks())

        if frozen_unit_codes not in ROLL_REMOVAL_GUARDS:
            ROLL_REMOVAL_GUARDS.append(frozen_unit_codes)

        from elections.sms_deliveries import on_sms_status, on_sms_statuses
        from yezhu.hooks import register_sms_listener

        register_sms_listener(on_sms_status, many=on_sms_statuses)
