"""Who may do what through the API. Scoping itself is in the querysets (the selectors): an object
outside the user's scope is 404, never 403, so the API never hints that it exists."""

from __future__ import annotations

from rest_framework.permissions import IsAuthenticated


class SignedIn(IsAuthenticated):
    """Any signed-in user (session or token); what they see is decided by the selectors."""
