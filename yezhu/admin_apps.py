"""The admin app with Yezhu's own site (yezhu.admin_site.AdminSite) as `admin.site`.

Listed in INSTALLED_APPS instead of "django.contrib.admin", so every `@admin.register` of every
app (ours and allauth's, DRF's) registers on the site that asks for both sign-in factors and
audits every change.
"""

from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig


class AdminConfig(DjangoAdminConfig):
    default_site = "yezhu.admin_site.AdminSite"
