"""The fake SMS provider of the fan-out benchmark: accepts every message and counts, in Redis,
how many times each was handed over (so a message sent twice shows, whichever worker sent it)."""

from __future__ import annotations

import os

import redis

from yezhu.sms import Accepted, Outgoing, SmsBackend

COUNTS_KEY = "bench:fanout:sent"


def counts_client() -> redis.Redis:
    return redis.Redis.from_url(os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/5"))


class CountingBackend(SmsBackend):
    name = "fake"

    def __init__(self) -> None:
        self._redis = counts_client()

    def send(self, message: Outgoing) -> Accepted:
        self._redis.hincrby(COUNTS_KEY, message.out_id or message.phone, 1)
        return Accepted(self.name, message.out_id or "fake")
