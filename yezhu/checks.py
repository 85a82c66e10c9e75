"""System checks for going live: `manage.py check --deploy` refuses a production configuration
whose public address or text messages would not work for owners."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

LOCAL_HOSTS = {"127.0.0.1", "localhost", "0.0.0.0", "::1", ""}  # noqa: S104 - names, not a bind


@checks.register(checks.Tags.security, deploy=True)
def check_site_url(app_configs=None, **kwargs):
    """Printed QR codes, SMS links and emails carry SITE_URL: it must be the public https address."""
    parts = urlsplit(settings.SITE_URL)
    if parts.scheme != "https" or (parts.hostname or "") in LOCAL_HOSTS:
        return [
            checks.Error(
                f"SITE_URL is {settings.SITE_URL!r}: set it to the public https:// address owners open",
                hint="Every link and QR code in SMS, email and printed notices is built from SITE_URL.",
                id="yezhu.E001",
            )
        ]
    return []


@checks.register(deploy=True)
def check_sms(app_configs=None, **kwargs):
    """Every configured provider has its keys, and one template for each message kind."""
    from django.utils.module_loading import import_string

    from yezhu.sms import KINDS, backend_paths
    from yezhu.sms_providers import ProviderBackend

    problems = []
    for path in backend_paths():
        try:
            backend = import_string(path)()
        except (ImportError, ImproperlyConfigured) as exc:
            problems.append(checks.Error(f"SMS backend {path}: {exc}", id="yezhu.E002"))
            continue
        if not isinstance(backend, ProviderBackend):
            problems.append(
                checks.Warning(
                    f"SMS backend {path} sends nothing to phones: owners cannot sign in",
                    hint="Set SMS_BACKEND to yezhu.sms_providers.AliyunBackend and/or TencentBackend.",
                    id="yezhu.W003",
                )
            )
            continue
        missing = [kind for kind in KINDS if kind not in backend.templates]
        if missing:
            problems.append(
                checks.Error(
                    f"SMS backend {backend.name} has no template for {', '.join(missing)}",
                    hint=f"Set {backend.setting}_TEMPLATE_<KIND>=TEMPLATE_ID:var1,var2 (docs/operations.md §5).",
                    id="yezhu.E004",
                )
            )
    return problems
