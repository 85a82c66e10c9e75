"""Settings for Yezhu, read from the environment with safe development defaults.

Development (nothing set): DEBUG on, SQLite in the checkout, Celery eager, local-memory cache,
SMS to the console and the outbox page. Production (DEBUG=0): SECRET_KEY is required and
`manage.py check --deploy` is clean.
"""

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from yezhu.api.schema_settings import SCHEMA_SETTINGS
from yezhu.env import env_bool, env_decimal, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", default=True)
TESTING = env_bool("YEZHU_TESTING", default=False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off (生产环境必须设置 SECRET_KEY)")
    SECRET_KEY = "django-insecure-development-only-key-yezhu-never-use-in-production"  # noqa: S105

# The keys used before the last rotation (comma separated): sessions and signed links made with
# them stay valid while they are listed, so rotating a leaked key does not sign every owner out
# on the last evening of a vote (docs/operations.md §4).
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS", [])

# The site's one public address: every link and QR code in pages, SMS, email and print is built
# from it (yezhu/site.py), never from the request. In production it also gives the default host
# and CSRF origin, so a contractor sets one value.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
_site = urlsplit(SITE_URL)
ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"] if DEBUG else [_site.hostname or ""]
)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [] if DEBUG else [f"{_site.scheme}://{_site.netloc}"])

INSTALLED_APPS = [
    "yezhu.admin_apps.AdminConfig",  # django.contrib.admin on our site (yezhu/admin_site.py)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "yezhu.accounts",
    "yezhu.accounts.wechat",
    "yezhu.audit",
    "yezhu.jobs",
    "grids",
    "elections",
]

# "Lean…": Django's middleware, passed by for API requests with a token (the ballot rush's path,
# yezhu/middleware.py); every other request goes through it unchanged.
MIDDLEWARE = [
    "yezhu.middleware.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "yezhu.middleware.LeanSessionMiddleware",
    "yezhu.middleware.ChineseFirstLocaleMiddleware",
    "yezhu.middleware.ApiBodyLimitMiddleware",  # an oversized API body: JSON 413, not HTML 400
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "yezhu.middleware.LeanAuthenticationMiddleware",
    "yezhu.middleware.DatabaseUnavailableMiddleware",
    "yezhu.audit.context.AuditContextMiddleware",
    "yezhu.middleware.LeanMessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "yezhu.middleware.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "yezhu.urls"
WSGI_APPLICATION = "yezhu.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "yezhu.context_processors.site",
                "elections.context_processors.inbox",
            ],
            # |percent |area |day |moment: the one format of each figure (yezhu/formats.py).
            "builtins": ["yezhu.formats"],
        },
    },
]

# Database: DATABASE_URL (postgres://… or sqlite:///…); default an SQLite file in the checkout.
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        # Seconds a web process keeps its connection (production: 60, docker-compose.yml). A new
        # PostgreSQL connection per request costs more than the whole ballot cast.
        conn_max_age=env_int("DB_CONN_MAX_AGE", 0),
        conn_health_checks=True,  # a connection PostgreSQL dropped (restart, failover) is replaced
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Concurrent writers (a Celery worker beside the dev server) wait instead of failing at once.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis: absent → Celery eager and local-memory cache; present → broker, results and cache.
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL and re.fullmatch(r"gw\d+", os.environ.get("PYTEST_XDIST_WORKER", "")):
    # A parallel test run (pytest-xdist sets the variable) gives each worker its own Redis database:
    # the tests flush the cache, and workers sharing one would wipe each other's throttle counts,
    # cached ballot papers and Celery queues mid-test. Databases 10–12; never in production.
    REDIS_URL = re.sub(
        r"(/\d+)?$", f"/{10 + int(os.environ['PYTEST_XDIST_WORKER'][2:]) % 3}", REDIS_URL, count=1
    )
if REDIS_URL:
    # Fails open while Redis is down (yezhu/cache.py): the site keeps working, rate limits are off.
    CACHES = {
        "default": {
            "BACKEND": "yezhu.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "yezhu")
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Results are not kept unless a task asks: queueing a task whose result is kept waits on the
# result backend's retries (about 20 s) when Redis is down, which would hang the page.
CELERY_TASK_IGNORE_RESULT = True
# A publish against a dead broker must fail fast: the outbox keeps the work and beat re-queues it.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_BEAT_SCHEDULE = {
    "drain-sms-outbox": {"task": "yezhu.accounts.tasks.drain_sms_outbox", "schedule": 60.0},
    "reconcile-sms-in-flight": {"task": "yezhu.accounts.tasks.reconcile_sms_in_flight", "schedule": 120.0},
    "fetch-sms-reports": {"task": "yezhu.accounts.tasks.fetch_sms_reports", "schedule": 300.0},
    "requeue-stale-jobs": {"task": "yezhu.jobs.tasks.requeue_stale_jobs", "schedule": 120.0},
    # Opening and closing voting, reminders, scheduled notices, the end of objection windows and
    # re-election alerts: elections.tasks.tick is safe to run twice and late.
    "elections-tick": {"task": "elections.tasks.tick", "schedule": 60.0},
    "elections-drain-deliveries": {"task": "elections.tasks.drain_deliveries", "schedule": 120.0},
    # Uploaded rolls and ballot sheets hold personal data: deleted once their job is long finished.
    "purge-job-files": {"task": "yezhu.jobs.tasks.purge_job_files", "schedule": 3600.0},
}
# How long a finished job keeps its uploaded file (a roll with names, mobiles and identity numbers;
# a sheet of paper-ballot readings) and its export.
JOB_INPUT_RETENTION_HOURS = env_int("JOB_INPUT_RETENTION_HOURS", 24)
JOB_OUTPUT_RETENTION_DAYS = env_int("JOB_OUTPUT_RETENTION_DAYS", 7)

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_request_login_code"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# django-allauth: owners sign in with a mainland mobile number and a one-time SMS code; staff
# (is_staff or a staff role) sign in with phone + password and then a code, never a code alone.
ACCOUNT_ADAPTER = "yezhu.accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"phone"}
ACCOUNT_SIGNUP_FIELDS = [
    "phone*",
    "password1",
]  # password1 (optional) makes allauth offer password sign-in to staff
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_USER_MODEL_EMAIL_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
# Six digits, no dash: what every Chinese app sends and what an elderly owner can type.
ALLAUTH_USER_CODE_FORMAT = {"numeric": True, "length": 6, "dashed": False}
ACCOUNT_LOGIN_BY_CODE_TIMEOUT = env_int("LOGIN_CODE_TIMEOUT", 300)
ACCOUNT_LOGIN_BY_CODE_MAX_ATTEMPTS = 3
ACCOUNT_LOGIN_BY_CODE_SUPPORTS_RESEND = True
ACCOUNT_PHONE_VERIFICATION_ENABLED = True
ACCOUNT_PREVENT_ENUMERATION = False
# The forms add what an elderly owner needs to read: an expired code, tries left, the staff page.
ACCOUNT_FORMS = {
    "login": "yezhu.accounts.forms.StaffLoginForm",
    "request_login_code": "yezhu.accounts.forms.PhoneCodeRequestForm",
    "confirm_login_code": "yezhu.accounts.forms.PhoneCodeConfirmForm",
}
ACCOUNT_SESSION_REMEMBER = True
# WeChat sign-in (微信公众号网页授权, yezhu/accounts/wechat): the official account's AppID and AppSecret.
# Unset: no WeChat button anywhere. The API addresses are settings only so tests can use a fake.
WECHAT_APP_ID = env_str("WECHAT_APP_ID")
WECHAT_APP_SECRET = env_str("WECHAT_APP_SECRET")
WECHAT_OPEN_BASE = env_str("WECHAT_OPEN_BASE", "https://open.weixin.qq.com")
WECHAT_API_BASE = env_str("WECHAT_API_BASE", "https://api.weixin.qq.com")
SOCIALACCOUNT_ADAPTER = "yezhu.accounts.adapter.SocialAccountAdapter"
SOCIALACCOUNT_PROVIDERS = {
    "weixin": {
        "APPS": [{"client_id": WECHAT_APP_ID, "secret": WECHAT_APP_SECRET}] if WECHAT_APP_ID else [],
        "SCOPE": ["snsapi_userinfo"],
    }
}
SOCIALACCOUNT_AUTO_SIGNUP = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_QUERY_EMAIL = False
SOCIALACCOUNT_STORE_TOKENS = False
ACCOUNT_LOGOUT_ON_GET = False
# How many reverse proxies of ours (nginx) stand in front of the site. Their count decides which
# X-Forwarded-For entry is the client's address, for the sign-in limits (allauth), the casting
# limit (DRF) and the audit log; 0 (the default: runserver, no proxy) ignores the header, which a
# client can forge. Behind nginx, without it every owner would share nginx's address and the
# whole site would get five sign-in codes a minute.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
ACCOUNT_RATE_LIMITS = {
    # Per phone number and per client IP: an SMS costs money and a code can be guessed.
    # Per number: the providers' own limits for codes (1 a minute, 5 an hour, 10 a day), so the
    # owner is told to wait before a code is made that the provider would refuse.
    "request_login_code": "5/m/ip,1/m/key,5/h/key,10/d/key",
    "login_failed": "10/m/ip,5/5m/key",
    "login": "30/m/ip",
    "confirm_login_code": "10/m/ip",
}

# SMS: where messages go (yezhu/sms.py). One backend or several, comma separated: the next takes over
# when one refuses or is down. The outbox table keeps every message whatever the backend.
SMS_BACKEND = env_str("SMS_BACKEND", "yezhu.sms.ConsoleBackend")
SMS_SIGN_NAME = env_str("SMS_SIGN_NAME", "业主议事")
SMS_KINDS = ("login_code", "notice", "reminder", "result", "staff_note")


def _sms_templates(prefix: str) -> dict[str, str]:
    """One registered template per message kind: SMS_<PROVIDER>_TEMPLATE_<KIND>=ID:var1,var2."""
    return {kind: env_str(f"{prefix}_TEMPLATE_{kind.upper()}") for kind in SMS_KINDS}


SMS_ALIYUN = {
    "access_key_id": env_str("SMS_ALIYUN_ACCESS_KEY_ID"),
    "access_key_secret": env_str("SMS_ALIYUN_ACCESS_KEY_SECRET"),
    "endpoint": env_str("SMS_ALIYUN_ENDPOINT", "dysmsapi.aliyuncs.com"),
    "protocol": env_str("SMS_ALIYUN_PROTOCOL", "HTTPS"),
    "sign_name": env_str("SMS_ALIYUN_SIGN_NAME", SMS_SIGN_NAME),
    "templates": _sms_templates("SMS_ALIYUN"),
    "max_variable_length": env_int("SMS_VARIABLE_MAX_LENGTH", 35),
    "timeout": env_int("SMS_TIMEOUT", 10),
}
SMS_TENCENT = {
    "secret_id": env_str("SMS_TENCENT_SECRET_ID"),
    "secret_key": env_str("SMS_TENCENT_SECRET_KEY"),
    "sdk_app_id": env_str("SMS_TENCENT_SDK_APP_ID"),
    "region": env_str("SMS_TENCENT_REGION", "ap-guangzhou"),
    "endpoint": env_str("SMS_TENCENT_ENDPOINT", "sms.tencentcloudapi.com"),
    "protocol": env_str("SMS_TENCENT_PROTOCOL", "https"),
    "sign_name": env_str("SMS_TENCENT_SIGN_NAME", SMS_SIGN_NAME),
    "templates": _sms_templates("SMS_TENCENT"),
    "max_variable_length": env_int("SMS_VARIABLE_MAX_LENGTH", 35),
    "timeout": env_int("SMS_TIMEOUT", 10),
}
# The secret path segment of Tencent's status callback: /sms/reports/tencent/<token>/. Empty: off.
SMS_TENCENT_CALLBACK_TOKEN = env_str("SMS_TENCENT_CALLBACK_TOKEN")
# Per-number limits, below the providers' own so they never refuse us first (yezhu/accounts/sms_limits.py).
SMS_NUMBER_LIMITS = {
    "login_code": env_str("SMS_CODE_LIMITS", "1/m,5/h,10/d"),
    "*": env_str("SMS_OTHER_LIMITS", "20/d"),
}
# A message still `sending` this long after its claim is looked up with the providers (never resent).
SMS_IN_FLIGHT_SECONDS = env_int("SMS_IN_FLIGHT_SECONDS", 300)
# Mass sends (elections/mass_sends.py): the price of one text message (one part of a long one) in
# 元, for the estimate and the street's monthly budget; and the number of text messages above which
# a send waits for a second staff member's approval.
SMS_PRICE_PER_MESSAGE = env_decimal("SMS_PRICE_PER_MESSAGE", "0.045")
MASS_SEND_APPROVAL_OVER = env_int("MASS_SEND_APPROVAL_OVER", 500)
ID_NUMBER_SALT = env_str("ID_NUMBER_SALT", SECRET_KEY)

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "yezhu@localhost")

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded and generated files (rolls, ballot sheets, candidate photos, exports): on S3-compatible
# storage when AWS_STORAGE_BUCKET_NAME is set (every web node and worker sees the same files, see
# docs/operations.md), otherwise in MEDIA_ROOT on this machine (make demo, one-machine installs).
AWS_STORAGE_BUCKET_NAME = env_str("AWS_STORAGE_BUCKET_NAME")
if AWS_STORAGE_BUCKET_NAME:
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env_str("AWS_S3_ENDPOINT_URL") or None,
            "access_key": env_str("AWS_S3_ACCESS_KEY_ID"),
            "secret_key": env_str("AWS_S3_SECRET_ACCESS_KEY"),
            "region_name": env_str("AWS_S3_REGION_NAME", "us-east-1"),
            "addressing_style": "path",  # SeaweedFS, Garage, Ceph: one host, the bucket in the path
            "signature_version": "s3v4",
            "default_acl": None,  # private: files are reached through short-lived signed links
            "querystring_auth": True,
            "querystring_expire": env_int("AWS_QUERYSTRING_EXPIRE", 600),
            "file_overwrite": False,
            "location": env_str("AWS_LOCATION", ""),
        },
    }
else:
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# The largest document a matter may carry (drafts, quotes, budgets) or a street office's decision.
DOCUMENT_MAX_MB = env_int("DOCUMENT_MAX_MB", 20)
# The largest multipart body the API takes (a 20 MB roll file and its form fields).
API_MAX_UPLOAD_BYTES = 21 * 1024 * 1024

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "yezhu.api.authentication.ApiTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "yezhu.api.errors.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"ballot_user": "10/min", "ballot_ip": "60/min", "api_token": "10/hour"},
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,  # None would trust the whole header, forged entries included
}
SPECTACULAR_SETTINGS = {**SCHEMA_SETTINGS, "SERVE_INCLUDE_SCHEMA": False}

# Production hardening: `manage.py check --deploy` reports nothing when DEBUG is off.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
