"""The street office's board under /street/ (namespace "street")."""

from elections.views import composition, gates, street

app_name = "street"

urlpatterns = [*street.urlpatterns, *composition.urlpatterns, *gates.urlpatterns]
