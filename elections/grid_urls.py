"""Grid leaders' pages under /grid/ (namespace "grid"): canvassing and visits."""

from elections.views import grid as grid_views
from elections.views import outreach

app_name = "grid"

urlpatterns = [*grid_views.urlpatterns, *outreach.grid_urlpatterns]
