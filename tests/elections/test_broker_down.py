"""Redis goes down in the middle of sending a notice: owners still vote, staff still work, and once
Redis is back every owner has received the notice exactly once.

The test runs its own redis-server on a free port (never the shared one) and a real worker
against it; text messages are appended to a file, one line per message sent, slowly enough that
Redis can be killed half-way.
"""

from __future__ import annotations

import socket
import subprocess
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from elections.models import Ballot, Delivery, Notice, Stage
from elections.notices import notice_create, notice_send
from elections.services import ballot_record, roll_freeze
from elections.tasks import drain_deliveries
from tests.conftest import requires_postgres
from tests.elections.test_worker import celery_worker, sms_lines, wait_for
from tests.factories import election_with_ballot_paper, owner_user
from yezhu.accounts.models import SmsMessage
from yezhu.accounts.tasks import drain_sms_outbox
from yezhu.actors import OPERATOR
from yezhu.sms_providers import FileBackend

OWNERS = 16


class SlowFileBackend(FileBackend):
    """The file backend, a quarter of a second per message, so a run can be cut half-way."""

    def send(self, message):
        time.sleep(0.25)
        return super().send(message)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_redis(port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError(f"redis-server did not start on port {port}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.kill()
        process.wait(timeout=10)


@requires_postgres
@pytest.mark.broker
@pytest.mark.django_db(transaction=True)
def test_it_loses_nothing_when_redis_dies_mid_run(compound, tmp_path: Path):
    """Kill Redis after some deliveries: voting and writing notices go on; when Redis is back the
    drain queues what was lost and every owner has each notice exactly once."""
    users = [owner_user(compound, f"1-1-{i:03d}")[0] for i in range(1, OWNERS + 1)]
    election = election_with_ballot_paper(compound, stage=Stage.VOTING)
    roll_freeze(election=election, actor=OPERATOR)
    port = free_port()
    redis_url = f"redis://127.0.0.1:{port}/0"
    redis = start_redis(port)
    try:
        with celery_worker(
            redis_url, tmp_path, sms_backend="tests.elections.test_broker_down.SlowFileBackend"
        ) as (_, sms_file, log):
            first = notice_create(
                compound=compound,
                election=election,
                kind=Notice.Kind.ASSEMBLY,
                audience=Notice.Audience.ALL_OWNERS,
                channels=["sms"],
                title="第一号公告",
                body="投票已开始。",
                actor=OPERATOR,
            )
            notice_send(notice=first, actor=OPERATOR)
            wait_for(lambda: len(sms_lines(sms_file)) >= 4, what="the first messages", log=log)
            stop(redis)  # the broker dies (no persistence: everything queued in it is gone)
            # Deliveries hand their text to the SMS outbox at once; the outbox is what is cut half-way.
            sent_before = SmsMessage.objects.filter(purpose=f"notice:{first.pk}", status="sent").count()
            assert sent_before < OWNERS

            # Owners still vote.
            voter = election.voters.get(units__ownerships__owner__user=users[0])
            ballot = ballot_record(
                election=election,
                voter=voter,
                actor=users[0],
                cast_as="owner",
                channel="online",
                choices={"matters": {"M1": "yes"}},
            )
            assert Ballot.objects.filter(pk=ballot.pk, status="valid").exists()

            # Staff still write and send a notice: it is kept, queued, and the page does not hang.
            started = time.monotonic()
            second = notice_create(
                compound=compound,
                election=election,
                kind=Notice.Kind.OTHER,
                audience=Notice.Audience.ALL_OWNERS,
                channels=["sms", "inbox"],
                title="第二号通知",
                body="补充说明。",
                actor=OPERATOR,
            )
            notice_send(notice=second, actor=OPERATOR)
            assert time.monotonic() - started < 15
            assert Delivery.objects.filter(notice=second).count() == 2 * OWNERS
            assert Delivery.objects.filter(notice=second, status="sent").count() == 0
            assert drain_deliveries(older_than_minutes=0) == 0  # nothing can be queued yet

            time.sleep(2)  # let the worker finish the message it was sending when Redis died
            redis = start_redis(port)  # Redis comes back, empty
            wait_for(
                lambda: drain_deliveries(older_than_minutes=0) > 0, timeout=30, what="the drain", log=log
            )
            wait_for(
                lambda: Delivery.objects.filter(status="queued").count() == 0,
                timeout=120,
                what="every delivery sent after Redis came back",
                log=log,
            )

            # A notice's text messages go through the SMS outbox: those whose task died with Redis
            # are still queued there, and its own drain (beat, for rows a minute old) sends them.
            def outbox_drained() -> bool:
                SmsMessage.objects.filter(status="queued").update(
                    created_at=timezone.now() - timedelta(minutes=5)
                )
                drain_sms_outbox()
                return not SmsMessage.objects.filter(status__in=["queued", "sending"]).exists()

            wait_for(outbox_drained, timeout=120, what="every text message sent from the outbox", log=log)
            time.sleep(1)
    finally:
        stop(redis)

    lines = sms_lines(sms_file)
    per_notice = Counter((phone, "第一号公告" in body) for phone, body in lines)
    phones = {u.phone for u in users}
    assert {phone for phone, _ in per_notice} == phones
    assert all(count == 1 for count in per_notice.values()), per_notice.most_common(3)
    assert len(lines) == 2 * OWNERS
    assert Delivery.objects.filter(status="sent").count() == 3 * OWNERS
    assert Delivery.objects.filter(status="failed").count() == 0
