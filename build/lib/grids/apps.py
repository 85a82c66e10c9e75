from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GridsConfig(AppConfig):
    name = "grids"
    verbose_name = _("Compounds, roll and grids")

    def ready(self):
        from grids import audit_signals, signals  # noqa: F401
        from grids.places import GridPlaces
        from yezhu.hooks import register_places

        register_places(GridPlaces())
