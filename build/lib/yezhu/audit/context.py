"""Where an action comes from, carried in a context variable so that services need no ``request``.

The middleware (:class:`AuditContextMiddleware`) sets it for each request, Celery's task signals
for each task, and :func:`audit_scope` for anything else (a management command, a test). The audit
log (`yezhu.audit.log.record`) reads it for the client's address and the channel.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace

from django.conf import settings


@dataclass(frozen=True)
class AuditContext:
    ip: str | None = None
    #: "web", "api", "admin", "task:<name>", "command:<name>", or "" when nothing set it.
    via: str = ""


_current: ContextVar[AuditContext] = ContextVar("yezhu_audit_context", default=AuditContext())  # noqa: B039


def current() -> AuditContext:
    return _current.get()


@contextmanager
def audit_scope(**fields) -> Iterator[AuditContext]:
    """Run a block with these context fields (the others kept from the enclosing context)."""
    token = _current.set(replace(_current.get(), **fields))
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def client_ip(request) -> str | None:
    """The client's address: the X-Forwarded-For entry our own proxies added
    (`settings.TRUSTED_PROXY_COUNT` of them, the same rule as the rate limits), else REMOTE_ADDR.
    Entries a client put in the header themselves are never taken."""
    if request is None:
        return None
    count = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    candidate = None
    if count > 0 and forwarded:
        entries = [part.strip() for part in forwarded.split(",")]
        if len(entries) >= count:
            candidate = entries[-count]
    candidate = candidate or request.META.get("REMOTE_ADDR") or ""
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None


def channel_of(path: str) -> str:
    if path.startswith("/api/"):
        return "api"
    if path.startswith("/admin/"):
        return "admin"
    return "web"


class AuditContextMiddleware:
    """Sets the audit context for the request (first thing after the health check)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _current.set(AuditContext(ip=client_ip(request), via=channel_of(request.path_info)))
        try:
            return self.get_response(request)
        finally:
            _current.reset(token)
