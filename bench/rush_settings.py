"""Settings of the site under gunicorn during the ballot rush (bench/rush.py).

The production settings (DEBUG=0) unchanged but for one thing: the per-address limit on casting
(scope "ballot_ip", 60/min in production, yezhu/api/throttles.py) is raised, because every
client of the benchmark comes from 127.0.0.1 while real owners come from many addresses. The
limit is still checked on every cast (its cache reads and writes are part of the measure), and
the per-user limit (10/min) is left as it is: each voter's user casts once.

The window is one second ("…/s") on purpose: DRF's SimpleRateThrottle keeps the timestamps of
the whole window in the cache, and a one-minute window at several hundred casts a second would
make every request read and write a list of tens of thousands of entries, which no real address
ever sends. Override with BENCH_BALLOT_IP_RATE.
"""

import os

from yezhu.settings import *  # noqa: F403
from yezhu.settings import REST_FRAMEWORK

REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {
        **REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
        "ballot_ip": os.environ.get("BENCH_BALLOT_IP_RATE", "100000/s"),
    },
}
