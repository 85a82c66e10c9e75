"""The fan-out: one notice to every owner of a big compound by SMS, through two Celery workers.

BENCH_FANOUT_N owners (default 2,000; the issue's 100,000 with BENCH_FULL=1 or
BENCH_FANOUT_N=100000), each with a mobile number, get one notice on the SMS channel. The notice
is fanned out by the real `notice_send` (one delivery a recipient); then `send_notice` is queued
on Redis and two Celery workers (`celery worker -P solo`, one process each, the queue of this run
only) queue and send every delivery: `send_deliveries` takes a chunk of 200 deliveries in one
transaction and writes their messages to the SMS outbox in one insert, whose own task
`send_sms_batch` hands them to the fake provider (bench/fake_sms.py) through `send_batch` (the
default: one `send` a message), which counts in Redis how many times each message reached it.

Figures: seconds from queueing the notice to the last delivery sent (and its rate), `lost`
(deliveries or messages not sent when the run ends: must be 0) and `twice` (messages the
provider got more than once: must be 0). The run waits for the last delivery at most
BENCH_FANOUT_TIMEOUT seconds (default 1,800), then reports what was left.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

from bench import common
from bench.fake_sms import COUNTS_KEY, counts_client

FULL = os.environ.get("BENCH_FULL") == "1"
N = int(os.environ.get("BENCH_FANOUT_N", "100000" if FULL else "2000"))
TIMEOUT = float(os.environ.get("BENCH_FANOUT_TIMEOUT", "1800"))
WORKERS = 2


def worker_env(queue: str) -> dict[str, str]:
    env = common.bench_env()
    env.update(
        DEBUG="0",
        SECRET_KEY="bench-fanout-" + "x" * 60,
        ALLOWED_HOSTS="127.0.0.1",
        CELERY_TASK_ALWAYS_EAGER="0",
        CELERY_QUEUE=queue,
        SMS_BACKEND="bench.fake_sms.CountingBackend",
        BENCH_REDIS=common.REDIS,
        DB_CONN_MAX_AGE="600",
        LOG_LEVEL="WARNING",
    )
    return env


def build(n: int):
    """A compound whose owners number exactly ``n``, each with a mobile number; and the notice."""
    from elections.models import Notice
    from elections.notices import notice_create, notice_send
    from grids.models import Owner, Ownership
    from yezhu.actors import OPERATOR

    # ~1.27 owners a unit (co-owners), so build a few more units than needed, then drop the extra owners.
    compound, owners = common.build_compound(int(n / 1.2) + 10, code=f"F{n}-{time.time_ns() % 10**8}", seed=9)
    extra = [o.pk for o in owners[n:]]
    Ownership.objects.filter(owner_id__in=extra).delete()
    Owner.objects.filter(pk__in=extra).delete()
    owners = owners[:n]
    for i, owner in enumerate(owners):
        owner.mobile = f"15{i:09d}"
    Owner.objects.bulk_update(owners, ["mobile"], batch_size=5000)
    notice = notice_create(
        compound=compound,
        kind=Notice.Kind.REMINDER,
        audience="all_owners",
        channels=["sms"],
        title="请尽快投票",
        body="投票将于明日截止。",
        actor=OPERATOR,
    )
    created = notice_send(notice=notice, actor=OPERATOR, dispatch=False)
    common.analyze()
    return notice, created


def _counts(notice_id: int) -> tuple[int, int, int]:
    from elections.models import Delivery
    from yezhu.accounts.models import SmsMessage

    deliveries = Delivery.objects.filter(notice_id=notice_id)
    sent = deliveries.filter(status=Delivery.Status.SENT).count()
    messages = SmsMessage.objects.filter(purpose=f"notice:{notice_id}")
    return sent, messages.count(), messages.filter(status=SmsMessage.Status.SENT).count()


def _wait_ready(workers, bound: float = 180.0) -> None:
    """Until both workers have logged that they are ready (their start-up is not the fan-out's)."""
    paths = [common.ROOT / "bench" / "out" / f"celery-{k}.log" for k in range(len(workers))]
    deadline = time.monotonic() + bound
    while time.monotonic() < deadline:
        if all(" ready." in p.read_text(encoding="utf-8", errors="replace") for p in paths):
            return
        if any(w.poll() is not None for w in workers):
            raise RuntimeError("a Celery worker exited: see bench/out/celery-*.log")
        time.sleep(0.2)
    raise RuntimeError(f"the Celery workers were not ready within {bound:.0f} s")


def run(n: int = N) -> dict:
    import django.db

    build_start = time.perf_counter()
    notice, created = build(n)
    build_s = time.perf_counter() - build_start
    django.db.connections.close_all()
    redis = counts_client()
    redis.delete(COUNTS_KEY)
    queue = f"bench-fanout-{os.getpid()}"
    env = worker_env(queue)
    out_dir = common.ROOT / "bench" / "out"
    logs = [open(out_dir / f"celery-{k}.log", "w", encoding="utf-8") for k in range(WORKERS)]  # noqa: SIM115
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "yezhu",
                "worker",
                "-P",
                "solo",
                "-Q",
                queue,
                "-n",
                f"bench{k}-{os.getpid()}@%h",
                "--loglevel",
                "INFO",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=common.ROOT,
            env=env,
            stdout=logs[k],
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        for k in range(WORKERS)
    ]
    try:
        _wait_ready(workers)
        load_before = os.getloadavg()[0]
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "manage.py", "shell", "-c",
             f"from elections.tasks import send_notice; send_notice.delay({notice.pk})"],
            cwd=common.ROOT, env=env, check=True,
        )  # fmt: skip
        deadline = start + TIMEOUT
        sent = messages = messages_sent = 0
        while time.perf_counter() < deadline:
            sent, messages, messages_sent = _counts(notice.pk)
            if sent >= created and messages_sent >= created:
                break
            if any(w.poll() is not None for w in workers):
                print("fanout: a worker exited: see bench/out/celery-*.log")
                break
            time.sleep(0.5)  # polling the database while the workers work; nothing asserted on time
        seconds = time.perf_counter() - start
        load_after = os.getloadavg()[0]
    finally:
        for w in workers:
            w.terminate()
        for w in workers:
            try:
                w.wait(timeout=30)
            except subprocess.TimeoutExpired:
                w.kill()
                w.wait()
        for log in logs:
            log.close()
        django.db.connections.close_all()
    handed = {k: int(v) for k, v in redis.hgetall(COUNTS_KEY).items()}
    result = {
        "n": created,
        "full_size": created >= 100000,
        "workers": WORKERS,
        "seconds_to_last": round(seconds, 1),
        "per_s": round(sent / seconds, 1) if seconds else 0.0,
        "deliveries_sent": sent,
        "messages_sent": messages_sent,
        "lost": created - min(sent, messages_sent),
        "twice": sum(1 for v in handed.values() if v > 1),
        "provider_got": len(handed),
        "build_s": round(build_s, 1),
        "load_before": round(load_before, 2),
        "load_after": round(load_after, 2),
    }
    print(
        f"fanout {created} deliveries: last one sent after {result['seconds_to_last']} s "
        f"({result['per_s']:.0f}/s, {WORKERS} workers; {result['lost']} lost, {result['twice']} sent twice; "
        f"load {result['load_before']})"
    )
    return result
