"""Redis goes down in the middle of sending a notice: owners still vote, staff still work, and once
Redis is back every owner has received the notice exactly once.

The test runs its own redis-server on a free port (never the shared one) and a real worker
against it; text messages are appended to a file, one line per message sent. The worker stops in
the middle of the GATE_AT-th message until the test opens a gate, so Redis dies half-way through
the notice however busy the machine is (no race against a clock).
"""

from __future__ import annotations

import socket
import subprocess
import threading
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from elections.models import Ballot, Delivery, Notice, Stage
from elections.notices import notice_create, notice_send
from elections.services import ballot_record, roll_freeze
from elections.tasks import drain_deliveries
from tests.conftest import requires_postgres
from tests.elections.test_worker import celery_worker, sms_lines, wait_for, worker_idle
from tests.factories import election_with_ballot_paper, owner_user
from tests.waiting import wait_until
from yezhu.accounts.models import SmsMessage
from yezhu.accounts.tasks import drain_sms_outbox
from yezhu.actors import OPERATOR
from yezhu.sms_providers import FileBackend

OWNERS = 16
GATE_AT = 4  # the message during which the worker waits for the gate


def gate_of(sms_file: Path) -> Path:
    return sms_file.with_name("gate-open")


class GatedFileBackend(FileBackend):
    """The file backend that, having written its GATE_AT-th line, waits inside that send (the
    delivery's row locked, its transaction open) until the test creates the gate file."""

    def send(self, message):
        accepted = super().send(message)
        if len(self.path.read_text(encoding="utf-8").splitlines()) == GATE_AT:
            gate = gate_of(self.path)
            wait_until(gate.exists, timeout=600, what=f"the test to open {gate}")
        return accepted


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

    def answers() -> bool:
        assert process.poll() is None, f"redis-server exited on port {port}"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            return False

    try:
        wait_until(answers, timeout=60, what=f"redis-server on port {port}")
    except AssertionError:
        process.kill()
        raise
    return process


def in_thread_with_ceiling(func, *, ceiling: float, what: str) -> None:
    """Run `func` in a thread; fail if it has not returned within `ceiling` s (it hangs), and
    re-raise what it raised. The ceiling is a bound against hanging, not a measurement."""
    failures: list[BaseException] = []

    def run() -> None:
        try:
            func()
        except BaseException as exc:  # noqa: BLE001 - handed back to the test below
            failures.append(exc)
        finally:
            connection.close()  # this thread's own database connection

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout=ceiling)
    assert not thread.is_alive(), f"{what} did not return within {ceiling} s: it hangs"
    if failures:
        raise failures[0]


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.kill()
        process.wait(timeout=10)


@requires_postgres
@pytest.mark.broker
@pytest.mark.django_db(transaction=True)
def test_it_loses_nothing_when_redis_dies_mid_run(compound, tmp_path: Path):
    """Kill Redis in the middle of a notice: voting and writing notices go on; when Redis is back
    the drain queues what was lost and every owner has each notice exactly once."""
    users = [owner_user(compound, f"1-1-{i:03d}")[0] for i in range(1, OWNERS + 1)]
    election = election_with_ballot_paper(compound, stage=Stage.VOTING)
    roll_freeze(election=election, actor=OPERATOR)
    port = free_port()
    redis_url = f"redis://127.0.0.1:{port}/0"
    redis = start_redis(port)
    try:
        with celery_worker(
            redis_url, tmp_path, sms_backend="tests.elections.test_broker_down.GatedFileBackend"
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
            # The worker is now inside the GATE_AT-th send, which has not committed yet.
            wait_for(lambda: len(sms_lines(sms_file)) == GATE_AT, what="the first messages", log=log)
            stop(redis)  # the broker dies (no persistence: everything queued in it is gone)
            # Deliveries hand their text to the SMS outbox at once; the outbox is what is cut
            # half-way: GATE_AT - 1 messages sent, the GATE_AT-th claimed ("sending") and held.
            notice_sms = SmsMessage.objects.filter(purpose=f"notice:{first.pk}")
            assert notice_sms.filter(status="sent").count() == GATE_AT - 1

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
            in_thread_with_ceiling(
                lambda: notice_send(notice=second, actor=OPERATOR), ceiling=120, what="notice_send"
            )
            assert Delivery.objects.filter(notice=second).count() == 2 * OWNERS
            assert Delivery.objects.filter(notice=second, status="sent").count() == 0
            assert drain_deliveries(older_than_minutes=0) == 0  # nothing can be queued yet

            # The worker finishes the message it was sending when Redis died (and the rest of its
            # batch: the outbox sends a notice's messages in batches, one task for many).
            gate_of(sms_file).touch()
            wait_for(
                lambda: notice_sms.filter(status="sent").count() >= GATE_AT,
                what="the interrupted message to be sent",
                log=log,
            )
            redis = start_redis(port)  # Redis comes back, empty
            wait_for(lambda: drain_deliveries(older_than_minutes=0) > 0, what="the drain", log=log)
            wait_for(
                lambda: Delivery.objects.filter(status="queued").count() == 0,
                timeout=300,
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

            wait_for(outbox_drained, timeout=300, what="every text message sent from the outbox", log=log)
            worker_idle()  # a duplicate, if one were queued, has been sent by now
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
