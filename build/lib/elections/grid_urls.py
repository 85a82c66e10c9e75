"""Grid leaders' pages under /grid/ (namespace "grid"): canvassing and visits."""

from elections.views import grid as grid_views

app_name = "grid"

urlpatterns = [*grid_views.urlpatterns]
