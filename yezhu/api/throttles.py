"""Rate limits of the API, kept in the cache (Redis in production, so every web node shares them).

Casting a ballot is limited per user and per client address. The per-address limit is much looser
than the per-user one: owners in a compound often share one address (a carrier's NAT, the
compound's Wi-Fi, a community office where staff help the elderly vote), and the last evening
of a vote must not lock them out. The rates can be changed in settings through
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] under the scopes below; these are the defaults.
"""

from __future__ import annotations

import secrets
import time

from django.conf import settings
from django.core.cache import cache as default_cache
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

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


# Both casting limits in one round trip to Redis (docs/performance.md): for each key, drop the
# entries older than its window, refuse if any key is full (then nothing is recorded, and the
# answer is the milliseconds until the fullest key frees a place), else record this request in
# every key. The same sliding window as DRF's SimpleRateThrottle, kept as a sorted set per key.
SLIDING_WINDOWS = """
local now = tonumber(ARGV[1])
local wait = 0
for i, key in ipairs(KEYS) do
  local limit = tonumber(ARGV[2 * i])
  local window = tonumber(ARGV[2 * i + 1])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  if redis.call('ZCARD', key) >= limit then
    local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    local free = 1
    if oldest[2] then free = math.max(1, tonumber(oldest[2]) + window - now) end
    if free > wait then wait = free end
  end
end
if wait > 0 then return wait end
local member = ARGV[#ARGV]
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, member)
  redis.call('PEXPIRE', key, tonumber(ARGV[2 * i + 1]))
end
return 0
"""


class BallotThrottle(BaseThrottle):
    """Casting attempts per user (ballot_user) and per client address (ballot_ip), both checked
    and recorded in one Redis round trip (`SLIDING_WINDOWS`) where DRF's two throttles took four.

    A refused request is not counted against either limit. With a cache that cannot run scripts
    (the local-memory cache of development and of the tests without Redis) it falls back to the
    two DRF throttles, which behave the same but for that detail."""

    def __init__(self):
        self._wait: float | None = None

    def _limits(self, request, view) -> list[tuple[str, int, int]]:
        """(cache key, requests, window in ms) of each limit that applies."""
        limits = []
        for throttle in (BallotUserThrottle(), BallotIPThrottle()):
            key = throttle.get_cache_key(request, view)
            if key is not None and throttle.num_requests is not None:
                # A key of its own: DRF's throttles keep a pickled list under the plain key, which
                # a sorted-set command would refuse (WRONGTYPE) for a minute after a deploy.
                limits.append((f"zset:{key}", throttle.num_requests, int(throttle.duration * 1000)))
        return limits

    def allow_request(self, request, view) -> bool:
        run = getattr(default_cache, "eval_script", None)
        if run is None:
            refused = [
                t for t in (BallotUserThrottle(), BallotIPThrottle()) if not t.allow_request(request, view)
            ]
            self._wait = max((t.wait() or 0 for t in refused), default=None)
            return not refused
        limits = self._limits(request, view)
        if not limits:
            return True
        args: list = [int(time.time() * 1000)]
        for _key, num, window_ms in limits:
            args += [num, window_ms]
        args.append(secrets.token_hex(8))
        wait_ms = int(run(SLIDING_WINDOWS, [key for key, _n, _w in limits], args, 0) or 0)
        if wait_ms > 0:
            self._wait = wait_ms / 1000
            return False
        return True

    def wait(self) -> float | None:
        return self._wait
