"""Grid leaders' pages under /grid/ (namespace "grid"): canvassing and visits."""

from grids import grid_views

app_name = "grid"

urlpatterns = [*grid_views.urlpatterns]
