"""The street office's board under /street/ (namespace "street")."""

from elections.views import composition, gates, interim, street

app_name = "street"

urlpatterns = [*street.urlpatterns, *composition.urlpatterns, *gates.urlpatterns, *interim.urlpatterns]
