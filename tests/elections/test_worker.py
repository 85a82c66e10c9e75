"""Notices, reminders and the close of voting through a real Celery worker against Redis.

The worker is a separate process (`celery -A yezhu worker`) on a queue of its own, reading the test
database (PostgreSQL: a worker cannot see an in-memory SQLite database) and a Redis database of its
own; this process publishes to the same Redis. Text messages go to a file, one line per message,
so a message sent twice would show as two lines.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from elections.models import Delivery, Election, Notice, Stage
from elections.notices import notice_create, notice_send
from elections.services import ballot_record, roll_freeze
from elections.tasks import tick
from tests.conftest import requires_postgres
from tests.elections.worker_tasks import barrier
from tests.factories import election_with_ballot_paper, owner_user
from tests.waiting import wait_until
from yezhu.actors import OPERATOR
from yezhu.audit.models import AuditEntry

ROOT = Path(__file__).resolve().parents[2]
# Its own Redis database, flushed around each test (13–15 for the workers of a parallel run).
_XDIST = os.environ.get("PYTEST_XDIST_WORKER", "")
SHARED_REDIS = os.environ.get(
    "YEZHU_TEST_REDIS", f"redis://127.0.0.1:6379/{13 + int(_XDIST[2:]) % 3 if _XDIST.startswith('gw') else 9}"
)


def worker_database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] or "postgres"
    if s.get("PASSWORD"):
        auth += f":{s['PASSWORD']}"
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def flush_redis(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


def _reset_app(app) -> None:
    """Forget the connections, routes and result backend built from the previous settings."""
    from kombu import pools

    pools.reset()  # closes and forgets every pooled connection and producer
    app._pool = None
    app._backend_cache = None
    app._local.__dict__.pop("backend", None)
    app.__dict__.pop("amqp", None)


@contextmanager
def celery_worker(redis_url: str, tmp_path: Path, *, sms_backend: str = "yezhu.sms_providers.FileBackend"):
    """A real worker on a queue of its own; yields (process, sms file, log file)."""
    from yezhu.celery import app

    queue = f"yezhu-test-{uuid.uuid4().hex[:10]}"
    sms_file = tmp_path / "sms.txt"
    sms_file.touch()
    log_path = tmp_path / "worker.log"
    env = {
        # Not PYTEST_XDIST_WORKER: the worker must use the Redis database given here as it is.
        **{k: v for k, v in os.environ.items() if k != "PYTEST_XDIST_WORKER"},
        "DATABASE_URL": worker_database_url(),
        "REDIS_URL": redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "CELERY_QUEUE": queue,
        "SMS_BACKEND": sms_backend,
        "SMS_FILE_PATH": str(sms_file),
        "YEZHU_TESTING": "1",
    }
    saved = {
        key: app.conf.get(key)
        for key in ("task_always_eager", "broker_url", "result_backend", "task_default_queue")
    }
    log = log_path.open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "yezhu",
            "worker",
            "-Q",
            queue,
            "--pool",
            "solo",
            "--concurrency",
            "1",
            "-l",
            "warning",
            "--without-gossip",
            "--without-mingle",
            "-I",
            "tests.elections.worker_tasks",  # the barrier task below
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        app.conf.task_always_eager = False
        app.conf.broker_url = redis_url
        app.conf.result_backend = redis_url
        app.conf.task_default_queue = queue
        _reset_app(app)
        yield process, sms_file, log_path
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        log.close()
        for key, value in saved.items():
            app.conf[key] = value
        _reset_app(app)


def wait_for(condition, *, timeout: float = 120, what: str, log: Path | None = None) -> None:
    """Wait for what the worker should do; on a timeout show the end of its log."""

    def details() -> str:
        return "--- worker log ---\n" + (log.read_text(encoding="utf-8")[-3000:] if log else "")

    wait_until(condition, timeout=timeout, what=what, interval=0.2, details=details)


def worker_idle(timeout: float = 120) -> None:
    """Return once the worker has run every task queued so far (a duplicate queued by mistake
    would have run by then): its queue is first in, first out, and it runs one task at a time."""
    assert barrier.delay().get(timeout=timeout) is True


def sms_lines(path: Path) -> list[tuple[str, str]]:
    return [tuple(line.split("\t", 1)) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def redis_url():
    flush_redis(SHARED_REDIS)
    yield SHARED_REDIS
    flush_redis(SHARED_REDIS)


@requires_postgres
@pytest.mark.broker
@pytest.mark.django_db(transaction=True)
def test_it_delivers_a_notice_to_everyone_once_through_the_worker(compound, redis_url, tmp_path):
    """Sending a notice queues it on Redis; the worker fans it out and sends every delivery once."""
    owners = [owner_user(compound, f"1-1-{i:03d}")[0] for i in range(1, 7)]
    notice = notice_create(
        compound=compound,
        kind=Notice.Kind.OTHER,
        audience=Notice.Audience.ALL_OWNERS,
        channels=["sms", "inbox"],
        title="停水通知",
        body="明日停水。",
        actor=OPERATOR,
    )
    with celery_worker(redis_url, tmp_path) as (_, sms_file, log):
        notice_send(notice=notice, actor=OPERATOR)  # autocommit: the task is queued at once
        wait_for(
            lambda: Delivery.objects.filter(notice=notice, status="sent").count() == 12,
            what="12 deliveries sent",
            log=log,
        )
        worker_idle()  # a duplicate, if one were queued, has been sent by now
    phones = sorted(phone for phone, _ in sms_lines(sms_file))
    assert phones == sorted(user.phone for user in owners)
    assert set(Delivery.objects.filter(notice=notice).values_list("attempts", flat=True)) == {1}


@requires_postgres
@pytest.mark.broker
@pytest.mark.django_db(transaction=True)
def test_it_reminds_non_voters_once_through_beats_tick(compound, redis_url, tmp_path):
    """tick run by the worker reminds the owners who have not voted; run again it adds nothing."""
    users = [owner_user(compound, f"1-1-{i:03d}")[0] for i in range(1, 5)]
    election = election_with_ballot_paper(compound, stage=Stage.VOTING, closes_in=timedelta(hours=20))
    roll_freeze(election=election, actor=OPERATOR)
    voter = election.voters.get(units__code="1-1-001")
    ballot_record(
        election=election, voter=voter, actor=users[0], cast_as="owner", channel="online", choices={}
    )
    with celery_worker(redis_url, tmp_path) as (_, sms_file, log):
        assert tick.delay().get(timeout=120)["reminders"] == 1
        reminder = Notice.objects.get(kind=Notice.Kind.REMINDER)
        wait_for(
            lambda: Delivery.objects.filter(notice=reminder, status="sent").count() == 6,
            what="6 reminder deliveries sent",
            log=log,
        )
        assert tick.delay().get(timeout=120)["reminders"] == 0
        worker_idle()
    assert reminder.dedupe_key == f"reminder:{election.pk}:24h"
    assert Notice.objects.filter(kind=Notice.Kind.REMINDER).count() == 1
    assert sorted(phone for phone, _ in sms_lines(sms_file)) == sorted(u.phone for u in users[1:])


@requires_postgres
@pytest.mark.broker
@pytest.mark.django_db(transaction=True)
def test_it_closes_voting_and_counts_once_through_beats_tick(compound, redis_url, tmp_path):
    """A worker that runs tick after the close closes voting and counts; a second tick does nothing."""
    users = [owner_user(compound, f"1-1-{i:03d}")[0] for i in range(1, 4)]
    election = election_with_ballot_paper(compound, stage=Stage.VOTING, closes_in=timedelta(hours=1))
    roll_freeze(election=election, actor=OPERATOR)
    for user in users:
        voter = election.voters.get(units__ownerships__owner__user=user)
        ballot_record(
            election=election,
            voter=voter,
            actor=user,
            cast_as="owner",
            channel="online",
            choices={"matters": {"M1": "yes"}, "races": {"R1": ["C1", "C2"]}},
        )
    Election.objects.filter(pk=election.pk).update(voting_closes_at=timezone.now() - timedelta(minutes=3))
    with celery_worker(redis_url, tmp_path) as (_, _sms, log):
        first = tick.delay().get(timeout=120)
        second = tick.delay().get(timeout=120)
    assert first["closed"] == 1 and second["closed"] == 0, log.read_text(encoding="utf-8")[-2000:]
    election.refresh_from_db()
    assert election.stage == Stage.RESULT_NOTICE
    assert election.result["participation"]["heads"] == 3
    assert election.result["matters"]["M1"]["passed"] is True
    moves = AuditEntry.objects.filter(action="election.stage", election_id=election.pk)
    assert [e.data["to"] for e in moves.order_by("pk")] == ["counting", "result_notice"]


@requires_postgres
@pytest.mark.broker
@pytest.mark.django_db(transaction=True)
def test_it_runs_a_mass_send_as_a_job_through_the_worker(compound, redis_url, tmp_path):
    """A send asked for from the estimate runs in the worker as a job: its progress reaches the
    end and every owner gets the text message once."""
    from elections.mass_sends import mass_send_progress, mass_send_request
    from elections.models import MassSend
    from yezhu.jobs.models import Job

    owners = [owner_user(compound, f"1-1-{i:03d}")[0] for i in range(1, 7)]
    notice = notice_create(
        compound=compound,
        kind=Notice.Kind.OTHER,
        audience=Notice.Audience.ALL_OWNERS,
        channels=["sms", "inbox"],
        title="停水通知",
        body="明日停水。",
        actor=OPERATOR,
    )
    with celery_worker(redis_url, tmp_path) as (_, sms_file, log):
        send = mass_send_request(notice=notice, actor=OPERATOR, round=1)  # autocommit: queued at once
        wait_for(
            lambda: (
                mass_send_progress(MassSend.objects.select_related("job").get(pk=send.pk))["status"] == "done"
            ),
            what="the mass send done",
            log=log,
        )
        worker_idle()
    job = Job.objects.get(pk=MassSend.objects.get(pk=send.pk).job_id)
    assert job.status == Job.Status.DONE and job.result == {"deliveries": 12}
    phones = sorted(phone for phone, _ in sms_lines(sms_file))
    assert phones == sorted(user.phone for user in owners)
