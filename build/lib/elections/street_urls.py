"""The street office's board under /street/ (namespace "street")."""

from elections.views import street

app_name = "street"

urlpatterns = [*street.urlpatterns]
