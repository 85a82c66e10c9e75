"""The base of every refusal a domain service raises.

A service refuses with a subclass of :class:`DomainError` whose message says what to do, in the
user's language. Pages show the message; the API (`yezhu.api.errors`) answers
``{"error": {"code": <code>, "message": <message>, "fields": <fields>}}`` with `status`, so the
platform maps every domain's errors without importing any domain app.
"""

from __future__ import annotations


class DomainError(Exception):
    """A refused action. `code` is a stable word a client can switch on; `status` the HTTP status."""

    code: str = "refused"
    status: int = 400

    def __init__(self, message: str = "", *, code: str | None = None, fields: dict | None = None):
        super().__init__(message)
        if code is not None:
            self.code = code
        self.fields: dict[str, list[str]] = fields or {}

    def public_message(self) -> str:
        """The sentence the API answers with (the exception's own message unless a subclass says)."""
        return str(self)
