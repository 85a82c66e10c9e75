"""Roll, claims and compound pages (namespace "grids"): staff under /manage/compounds/, owners' claims."""

from grids import views

app_name = "grids"

urlpatterns = [*views.urlpatterns]
