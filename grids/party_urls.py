"""The party organisation's pages under /party/ (namespace "party")."""

from grids import party_views

app_name = "party"

urlpatterns = [*party_views.urlpatterns]
