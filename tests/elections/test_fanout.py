"""A notice's fan-out in chunks: each chunk claimed once (two workers never take the same delivery),
its text messages written to the outbox together, a chunk whose worker died sent again by the
drain, and the notice's counts and reports as when deliveries went one by one."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from elections import notices
from elections.mass_sends import mass_send_progress
from elections.models import Delivery, MassSend, Notice
from elections.notices import deliveries_send, delivery_counts, delivery_matrix, notice_create, notice_send
from elections.tasks import drain_deliveries, send_deliveries, send_notice
from tests.conftest import requires_postgres
from tests.factories import OwnerFactory, owner_user, unit_with_owners
from tests.race import PRELUDE, race
from tests.waiting import wait_until
from yezhu.accounts.models import SmsMessage
from yezhu.accounts.sms_reports import apply_report
from yezhu.actors import OPERATOR
from yezhu.sms import Report

pytestmark = pytest.mark.django_db


@pytest.fixture
def sms_file(settings, tmp_path):
    """Every text message appended as one line: a double send would show as two lines."""
    path = tmp_path / "sms.txt"
    path.touch()
    settings.SMS_BACKEND = "yezhu.sms_providers.FileBackend"
    settings.SMS_FILE_PATH = str(path)
    return path


def owners_with_mobiles(compound, n: int) -> list[str]:
    return [owner_user(compound, f"1-1-{i:03d}")[0].phone for i in range(1, n + 1)]


def a_notice(compound, channels=("sms", "inbox")) -> Notice:
    notice = notice_create(
        compound=compound,
        kind=Notice.Kind.OTHER,
        audience=Notice.Audience.ALL_OWNERS,
        channels=list(channels),
        title="停水通知",
        body="明日停水。",
        actor=OPERATOR,
    )
    notice_send(notice=notice, dispatch=False, actor=OPERATOR)
    return notice


def ids_of(notice) -> list[int]:
    return list(Delivery.objects.filter(notice=notice).order_by("pk").values_list("pk", flat=True))


def one_message_each(notice) -> None:
    """Every SMS delivery of the notice has exactly one outbox message, and no other exists."""
    references = Counter(
        SmsMessage.objects.filter(purpose=f"notice:{notice.pk}").values_list("reference", flat=True)
    )
    expected = {
        f"delivery:{pk}"
        for pk in Delivery.objects.filter(notice=notice, channel="sms").values_list("pk", flat=True)
    }
    assert set(references) == expected and set(references.values()) == {1}, references


def test_it_sends_a_chunk_once_even_if_its_task_runs_twice(
    compound, sms_file, django_capture_on_commit_callbacks
):
    """A chunk run twice (a task redelivered, the drain) sends each delivery once: the second run
    finds none still queued."""
    phones = owners_with_mobiles(compound, 3)
    notice = a_notice(compound)
    with django_capture_on_commit_callbacks(execute=True):
        assert send_deliveries.apply(args=[ids_of(notice)]).get() == {
            "sent": 6,
            "skipped": 0,
            "one_by_one": 0,
        }
    with django_capture_on_commit_callbacks(execute=True):
        assert send_deliveries.apply(args=[ids_of(notice)]).get() == {
            "sent": 0,
            "skipped": 6,
            "one_by_one": 0,
        }
    assert set(Delivery.objects.filter(notice=notice).values_list("status", "attempts")) == {("sent", 1)}
    one_message_each(notice)
    assert sorted(
        line.split("\t")[0] for line in sms_file.read_text(encoding="utf-8").splitlines()
    ) == sorted(phones)


def test_it_queues_a_notice_in_chunks(compound, monkeypatch):
    """send_notice queues one task per DELIVERY_CHUNK deliveries, not one per delivery."""
    owners_with_mobiles(compound, 5)
    notice = a_notice(compound)
    monkeypatch.setattr(notices, "DELIVERY_CHUNK", 4)
    chunks = []
    monkeypatch.setattr(send_deliveries, "delay", lambda ids: chunks.append(ids))
    assert send_notice.apply(args=[notice.pk]).get() == 10
    assert chunks == [ids_of(notice)[:4], ids_of(notice)[4:8], ids_of(notice)[8:]]


def test_it_leaves_email_to_its_own_task_with_its_own_retries(compound, django_capture_on_commit_callbacks):
    """An email cannot be taken back by a rollback: a chunk hands its email deliveries to
    send_delivery, which sends them one by one."""
    from django.core import mail

    user, _owner, _unit = owner_user(compound, "1-1-001")
    user.email = "zhang@example.cn"
    user.save()
    notice = a_notice(compound, channels=("sms", "email"))
    email = Delivery.objects.get(notice=notice, channel="email")
    outcome = deliveries_send(ids_of(notice))
    assert (outcome.sent, outcome.skipped, outcome.one_by_one) == (1, 0, [email.pk])
    email.refresh_from_db()
    assert email.status == "queued" and email.attempts == 0
    with django_capture_on_commit_callbacks(execute=True):
        send_deliveries.apply(args=[ids_of(notice)])
    email.refresh_from_db()
    assert email.status == "sent" and email.attempts == 1 and len(mail.outbox) == 1


class Killed(BaseException):
    """The worker's process ends here (as a SIGKILL would: no handler of Exception runs)."""


def test_a_chunk_whose_worker_died_is_sent_again_by_the_drain(
    compound, sms_file, monkeypatch, django_capture_on_commit_callbacks
):
    """The worker dies after writing the chunk's text messages, before its commit: nothing of the
    chunk remains (no message, no delivery marked), and the drain sends every delivery once."""
    owners_with_mobiles(compound, 3)
    notice = a_notice(compound)
    write = notices.sms_for_deliveries

    def dies(deliveries):
        write(deliveries)
        raise Killed

    monkeypatch.setattr(notices, "sms_for_deliveries", dies)
    with pytest.raises(Killed):
        deliveries_send(ids_of(notice))
    assert set(Delivery.objects.filter(notice=notice).values_list("status", "attempts")) == {("queued", 0)}
    assert not SmsMessage.objects.exists()
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        assert drain_deliveries(older_than_minutes=0) == 6
    assert set(Delivery.objects.filter(notice=notice).values_list("status", "attempts")) == {("sent", 1)}
    one_message_each(notice)
    assert len(sms_file.read_text(encoding="utf-8").splitlines()) == 3


def test_it_counts_and_reports_a_chunked_notice_as_one_sent_one_by_one(
    compound, settings, django_capture_on_commit_callbacks
):
    """The notice's page counts (sent, failed, per channel), the provider's reference on each
    delivery, a failed report failing its delivery, and the send's progress bar."""
    owners_with_mobiles(compound, 3)
    unit_with_owners(compound, "2-1-201", "88.00", [OwnerFactory(mobile="")])  # no mobile on the roll
    notice = notice_create(
        compound=compound,
        kind=Notice.Kind.OTHER,
        audience=Notice.Audience.ALL_OWNERS,
        channels=["sms", "inbox"],
        title="停水通知",
        body="明日停水。",
        actor=OPERATOR,
    )
    with django_capture_on_commit_callbacks(execute=True):
        notice_send(notice=notice, actor=OPERATOR)
    counts = delivery_counts([notice])[notice.pk]
    assert (counts["sent"], counts["failed"], counts["queued"], counts["total"]) == (7, 1, 0, 8)
    matrix = {row["channel"]: (row["sent"], row["failed"]) for row in delivery_matrix(notice)}
    assert matrix == {"sms": (3, 1), "inbox": (4, 0)}
    texts = Delivery.objects.filter(notice=notice, channel="sms", status="sent")
    assert set(texts.values_list("provider_reply", flat=True)) == {
        "outbox outbox"
    }  # the provider's reference
    message = SmsMessage.objects.filter(purpose=f"notice:{notice.pk}").order_by("pk").first()
    apply_report(message, Report(reference="b1", delivered=False, code="MK:0001"))
    counts = delivery_counts([notice])[notice.pk]
    assert (counts["sent"], counts["failed"]) == (6, 2)
    send = MassSend.objects.get(notice=notice)
    assert (send.recipients, send.sms_recipients, send.messages) == (4, 3, 3)  # the budget counts as before
    assert mass_send_progress(send) == {"status": "done", "done": 8, "total": 8, "percent": 100}


# ---------------------------------------------------------------------------------------------
# Two workers, and a worker killed mid-chunk (PostgreSQL: other processes see the test database)
# ---------------------------------------------------------------------------------------------

# A worker that claims the chunk and then holds it, inside its transaction, until `release` exists.
HOLD = r"""
from elections import notices
write = notices.sms_for_deliveries
def held(deliveries):
    references = write(deliveries)
    Path(args["held"]).touch()
    wait_until(Path(args["release"]).exists, timeout=60, what="the release", interval=0.01)
    return references
notices.sms_for_deliveries = held
"""

CLAIMER = (
    HOLD
    + r"""
wait_for_go()
if args["role"] == "other":
    wait_until(Path(args["held"]).exists, timeout=120, what="the holder's claim", interval=0.01)
try:
    outcome = notices.deliveries_send(args["ids"])
finally:
    if args["role"] == "other":
        Path(args["release"]).touch()
    connection.close()
print(json.dumps({"role": args["role"], "sent": outcome.sent, "skipped": outcome.skipped}))
"""
)


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_given_the_same_chunk_claim_each_delivery_once(compound, tmp_path):
    """Two processes run the same chunk; the first holds its claim open while the second runs: the
    second skips every delivery at once (it neither waits for the first nor takes its rows), and
    each delivery gets one text message."""
    owners_with_mobiles(compound, 4)
    notice = a_notice(compound)
    ids = ids_of(notice)
    shared = {"ids": ids, "held": str(tmp_path / "held"), "release": str(tmp_path / "release")}
    outcomes = {
        o["role"]: o
        for o in race(CLAIMER, [{**shared, "role": "holder"}, {**shared, "role": "other"}], tmp_path)
    }
    assert outcomes["holder"] == {"role": "holder", "sent": 8, "skipped": 0}
    assert outcomes["other"] == {"role": "other", "sent": 0, "skipped": 8}
    assert set(Delivery.objects.filter(notice=notice).values_list("status", "attempts")) == {("sent", 1)}
    one_message_each(notice)


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_a_chunk_whose_worker_was_killed_is_sent_again_by_the_drain(compound, tmp_path, sms_file):
    """A worker process is killed (SIGKILL) in the middle of a chunk, its text messages written but
    not committed: PostgreSQL drops its claim, and the drain sends every delivery once."""
    owners_with_mobiles(compound, 4)
    notice = a_notice(compound)
    held, go = tmp_path / "held", tmp_path / "go"
    db = {k: connection.settings_dict[k] for k in ("NAME", "USER", "PASSWORD", "HOST", "PORT")}
    payload = {
        "ids": ids_of(notice),
        "role": "holder",
        "held": str(held),
        "release": str(tmp_path / "never"),
        "db": db,
        "ready": str(tmp_path / "ready"),
        "go": str(go),
    }
    go.touch()
    worker = subprocess.Popen(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", PRELUDE + CLAIMER, json.dumps(payload)],
        cwd=settings.BASE_DIR,
        env={**os.environ, "PYTHONPATH": str(Path(settings.BASE_DIR))},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        wait_until(lambda: held.exists() or worker.poll() is not None, timeout=120, what="the worker's claim")
        assert held.exists(), worker.communicate()
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.communicate(timeout=60)
    # Until PostgreSQL has seen the connection go, the rows stay locked: wait for the claim to lapse.
    wait_until(lambda: not _locked(ids_of(notice)), timeout=120, what="the killed worker's claim to lapse")
    assert set(Delivery.objects.filter(notice=notice).values_list("status", "attempts")) == {("queued", 0)}
    assert not SmsMessage.objects.filter(purpose=f"notice:{notice.pk}").exists()
    assert drain_deliveries(older_than_minutes=0) == 8  # autocommit: each chunk's messages go at its commit
    assert set(Delivery.objects.filter(notice=notice).values_list("status", "attempts")) == {("sent", 1)}
    one_message_each(notice)
    assert len(sms_file.read_text(encoding="utf-8").splitlines()) == 4


def _locked(ids: list[int]) -> bool:
    """Whether another session still holds a lock on any of these deliveries."""
    from django.db import transaction

    with transaction.atomic():
        free = list(Delivery.objects.select_for_update(skip_locked=True).filter(pk__in=ids).values_list("pk"))
    return len(free) != len(ids)
