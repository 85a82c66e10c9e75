"""The audit log for auditors under /audit/ (namespace "audit")."""

from django.urls import path

from yezhu.audit import views

app_name = "audit"

urlpatterns = [
    path("", views.index, name="index"),
    path("export.xlsx", views.export, name="export"),
]
