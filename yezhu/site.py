"""The site's one public address (SITE_URL): every link that leaves a page (SMS, email, printed
notices and their QR codes, shared links, the demo's banner) is built here, never from the request's
Host header, which a client chooses and which behind a proxy is the proxy's own."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings


def public_url(path: str = "/") -> str:
    """SITE_URL + path: "https://yezhu.hubin.gov.cn" + "/e/inbox/"."""
    return settings.SITE_URL.rstrip("/") + "/" + path.lstrip("/")


def site_host() -> str:
    return urlsplit(settings.SITE_URL).hostname or ""


def site_origin() -> str:
    parts = urlsplit(settings.SITE_URL)
    return f"{parts.scheme}://{parts.netloc}"
