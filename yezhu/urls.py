from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from yezhu import views
from yezhu.accounts import views as account_views
from yezhu.jobs import views as job_views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", RedirectView.as_view(url="/static/favicon.svg", permanent=True)),
    # Nobody signs up (owners come from the roll, staff are given accounts) and nobody resets a
    # password by e-mail (owners have none; an administrator resets a staff password): allauth's
    # pages for both lead to the sign-in instead of a dead end.
    path("accounts/signup/", RedirectView.as_view(pattern_name="account_request_login_code")),
    path("accounts/password/reset/", RedirectView.as_view(pattern_name="account_login")),
    # The code pages answer every number alike and count guesses atomically (yezhu/accounts/views.py):
    # they stand in front of allauth's own views under the same paths and names.
    path("accounts/login/code/", account_views.request_code, name="account_request_login_code"),
    path("accounts/login/code/confirm/", account_views.confirm_code, name="account_confirm_login_code"),
    path("accounts/", include("allauth.urls")),
    path("dev/sms/", account_views.sms_outbox, name="sms_outbox"),
    path("sms/reports/tencent/<str:token>/", account_views.tencent_sms_report, name="sms_report_tencent"),
    path("jobs/<int:pk>/", job_views.job_status, name="job_status"),
    path("e/", include("elections.urls")),
    path("manage/compounds/", include("grids.urls")),
    path("manage/", include("elections.manage_urls")),
    path("grid/", include("elections.grid_urls")),
    path("party/", include("grids.party_urls")),
    path("street/", include("elections.street_urls")),
    path("api/", include("yezhu.api.urls")),
    path("audit/", include("yezhu.audit.urls")),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("lang/<str:code>/", views.switch_language, name="switch_language"),
]
