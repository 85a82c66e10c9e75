"""Rate limits of the API, kept in the cache (Redis in production, so every web node shares them).

Casting a ballot is limited per user and per client address. The per-address limit is much looser
than the per-user one: owners in a compound often share one address (a carrier's NAT, the
compound's Wi-Fi, a community office where staff help the elderly vote), and the last evening
of a vote must not lock them out. The rates can be changed in settings through
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] under the scopes below; these are the defaults.
"""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

DEFAULT_RATES = {
    "ballot_user": "10/min",
    "ballot_ip": "60/min",
    "api_token": "10/hour",
}


class _Throttle(SimpleRateThrottle):
    def get_rate(self):
        rates = (getattr(settings, "REST_FRAMEWORK", {}) or {}).get("DEFAULT_THROTTLE_RATES") or {}
        return rates.get(self.scope) or DEFAULT_RATES[self.scope]


class BallotUserThrottle(_Throttle):
    """Casting attempts per signed-in user."""

    scope = "ballot_user"

    def get_cache_key(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return None  # refused by the permission check anyway; counted per address below
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class BallotIPThrottle(_Throttle):
    """Casting attempts per client address, whoever is signed in."""

    scope = "ballot_ip"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class TokenThrottle(_Throttle):
    """Creating or rotating an API token, per user."""

    scope = "api_token"

    def get_cache_key(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}
