"""The Redis cache backend of production, which keeps the site working while Redis is down.

What the cache holds can be lost: sign-in and casting rate limits (allauth, DRF throttles, the
ballot page's own count), the ballot paper of an open election and its paper key, both read again
from the database on a miss. Sessions live in the database. So when Redis cannot be reached, every
cache call fails open instead of raising: a read misses, `add` succeeds (a rate limit lets the
request through), a write is dropped, `incr` raises ValueError as for a missing key (allauth and
DRF never call it; `cast_rate_exceeded` then starts a new count, which is dropped too). Rate limits
are therefore off until Redis is back; the warning below, at most once per WARNING_INTERVAL per
process, says so in the log.

A call against a dead server costs at most the socket timeouts (DEFAULT_OPTIONS); after a failure
the backend does not try Redis again for RETRY_INTERVAL seconds, so a page that makes a dozen
cache calls (a sign-in makes about twelve) pays for one timeout, not twelve.
"""

from __future__ import annotations

import logging
import threading
import time
from functools import partial

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)

# A refused or reset connection, an unknown host, a timeout; redis-py counts a refused password
# and a server still loading its data among connection errors too. Other Redis errors (a wrong
# command, a key of the wrong type) are bugs and still raise.
UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)

# Handed to redis-py's connection pool (RedisCacheClient passes OPTIONS through to
# ConnectionPool.from_url); settings may override them in CACHES["default"]["OPTIONS"].
DEFAULT_OPTIONS = {"socket_connect_timeout": 0.25, "socket_timeout": 0.5}

WARNING_INTERVAL = 30.0  # seconds between two warnings of one process
RETRY_INTERVAL = 2.0  # seconds during which calls skip Redis after a failure
WARNING = "Redis cache unreachable, serving without it (rate limits are off until it is back): %s"

_clock = time.monotonic
_warning_lock = threading.Lock()
_last_warning: float | None = None
_UNREACHED = object()


def _warn(error: BaseException) -> None:
    """Log that Redis is unreachable, at most once per WARNING_INTERVAL in this process."""
    global _last_warning
    now = _clock()
    with _warning_lock:
        if _last_warning is not None and now - _last_warning < WARNING_INTERVAL:
            return
        _last_warning = now
    log.warning(WARNING, error)


class ReusingRedisCacheClient(RedisCacheClient):
    """Django's client, but one `redis.Redis` object per connection pool instead of a new one for
    every cache call: its constructor builds a table of ~80 response callbacks, which cost a tenth
    of an API cast's CPU (docs/performance.md). A `redis.Redis` is safe to share between threads
    (each command takes a connection from the pool)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class ResilientRedisCache(RedisCache):
    """Django's RedisCache, failing open when the server cannot be reached (see the module)."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient
        self._options = {**DEFAULT_OPTIONS, **self._options}
        # Django's cache handler makes one backend per thread, so this needs no lock.
        self._skip_until = 0.0

    def _attempt(self, operation, fallback):
        """`operation()` against Redis, or `fallback` when Redis is unreachable."""
        if _clock() >= self._skip_until:
            try:
                return operation()
            except UNREACHABLE as error:
                self._skip_until = _clock() + RETRY_INTERVAL
                _warn(error)
        return fallback

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._attempt(partial(super().add, key, value, timeout, version), True)

    def get(self, key, default=None, version=None):
        return self._attempt(partial(super().get, key, default, version), default)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._attempt(partial(super().set, key, value, timeout, version), None)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._attempt(partial(super().touch, key, timeout, version), False)

    def delete(self, key, version=None):
        return self._attempt(partial(super().delete, key, version), False)

    def get_many(self, keys, version=None):
        return self._attempt(partial(super().get_many, keys, version), {})

    def has_key(self, key, version=None):
        return self._attempt(partial(super().has_key, key, version), False)

    def incr(self, key, delta=1, version=None):
        # decr, incr_version and decr_version go through incr, get, set and delete.
        value = self._attempt(partial(super().incr, key, delta, version), _UNREACHED)
        if value is _UNREACHED:
            raise ValueError(f"Key '{key}' not found (the Redis cache is unreachable).")
        return value

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        # Django's contract: the keys that could not be stored.
        return self._attempt(partial(super().set_many, data, timeout, version), list(data))

    def delete_many(self, keys, version=None):
        return self._attempt(partial(super().delete_many, keys, version), None)

    def clear(self):
        return self._attempt(super().clear, False)

    def eval_script(self, script: str, keys: list[str], args: list, fallback):
        """Run a Lua script on the server in one round trip (`keys` become cache keys, with the
        prefix and version); `fallback` while Redis cannot be reached."""

        def run():
            client = self._cache.get_client(write=True)
            return client.eval(script, len(keys), *(self.make_and_validate_key(k) for k in keys), *args)

        return self._attempt(run, fallback)
