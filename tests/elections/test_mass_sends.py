"""Mass sends: the estimate (people, text messages, cost), the street's monthly budget, the second
staff member's approval, the job with its progress, and no second send by accident."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from elections.mass_sends import (
    MASS_SEND_KIND,
    MassSendRefused,
    mass_send_approve,
    mass_send_estimate,
    mass_send_progress,
    mass_send_refuse,
    mass_send_request,
    street_spent,
    yuan,
)
from elections.models import Delivery, MassSend, Notice, Stage
from elections.notices import notice_create, notice_send, sms_billed_text
from elections.tasks import tick
from grids.models import RoleAssignment
from tests.conftest import requires_postgres
from tests.factories import OwnerFactory, UserFactory, election_with_ballot_paper, grant, unit_with_owners
from tests.race import race
from yezhu.actors import OPERATOR, SCHEDULER
from yezhu.audit.models import AuditEntry
from yezhu.jobs.models import Job
from yezhu.jobs.tasks import requeue_stale_jobs
from yezhu.sms import sms_segments

pytestmark = pytest.mark.django_db

PRICE = Decimal("0.05")


@pytest.fixture(autouse=True)
def _price(settings):
    settings.SMS_PRICE_PER_MESSAGE = PRICE
    settings.MASS_SEND_APPROVAL_OVER = 500


@pytest.fixture
def election(compound):
    return election_with_ballot_paper(
        compound, stage=Stage.NOTICE, opens_in=timedelta(days=15), closes_in=timedelta(days=22)
    )


@pytest.fixture
def owners(compound):
    """Four owners: three with a mobile number, one known only by name."""
    people = [OwnerFactory(name=f"业主{i}", mobile=f"1380000{i:04d}") for i in range(3)]
    people.append(OwnerFactory(name="无手机", mobile=""))
    for i, owner in enumerate(people):
        unit_with_owners(compound, f"1-1-{101 + i}", "80.00", [owner])
    return people


@pytest.fixture
def colleague(compound):
    """A second staff member who manages the compound (community staff)."""
    user = UserFactory(name="社区干部")
    grant(user, RoleAssignment.Role.COMMUNITY_STAFF, compound.community)
    return user


def make_notice(election, *, channels=("sms", "inbox"), title="业主大会公告"):
    return notice_create(
        compound=election.compound,
        election=election,
        kind=Notice.Kind.ASSEMBLY,
        audience=Notice.Audience.ALL_OWNERS,
        channels=channels,
        title=title,
        body="正文",
        actor=OPERATOR,
    )


def set_budget(street, amount):
    street.sms_monthly_budget = None if amount is None else Decimal(amount)
    street.save(update_fields=["sms_monthly_budget"])


def request(notice, actor, *, resend=False, capture=None):
    round_ = mass_send_estimate(notice).round
    if capture is None:
        return mass_send_request(notice=notice, actor=actor, round=round_, resend=resend)
    with capture(execute=True):
        return mass_send_request(notice=notice, actor=actor, round=round_, resend=resend)


# ---------------------------------------------------------------------------------------------
# Counting text messages
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("length", "segments"),
    [(0, 0), (1, 1), (70, 1), (71, 2), (134, 2), (135, 3), (201, 3), (202, 4)],
)
def test_it_counts_70_characters_as_one_message_and_67_per_part_beyond(length, segments):
    assert sms_segments("字" * length) == segments


def test_it_writes_amounts_exactly():
    assert yuan(Decimal("0.135")) == "0.135"
    assert yuan(Decimal("12")) == "12.00"
    assert yuan(Decimal("0.1")) == "0.10"
    assert yuan(Decimal("-0.05")) == "-0.05"


def test_it_counts_a_character_outside_the_basic_plane_as_two():
    """Providers count UTF-16 units: 69 characters and an emoji make 71, so two messages."""
    assert sms_segments("字" * 69 + "🏠") == 2
    assert sms_segments("字" * 68 + "🏠") == 1


def test_it_estimates_people_messages_and_cost_exactly(election, owners, street):
    notice = make_notice(election)
    estimate = mass_send_estimate(notice)
    text = sms_billed_text(notice)
    assert estimate.recipients == 4
    assert estimate.sms_recipients == 3  # the owner without a mobile gets no text message
    assert estimate.segments == sms_segments(text) >= 1
    assert estimate.messages == 3 * estimate.segments
    assert estimate.cost == PRICE * estimate.messages
    assert isinstance(estimate.cost, Decimal)
    assert estimate.budget is None and estimate.within_budget
    assert estimate.round == 1 and not estimate.is_resend


def test_it_counts_a_long_title_as_several_messages(election, owners):
    short = mass_send_estimate(make_notice(election, title="短"))
    long = mass_send_estimate(make_notice(election, title="很长的标题" * 14))
    assert short.segments == 1
    assert long.segments == sms_segments(sms_billed_text(Notice.objects.get(title="很长的标题" * 14))) >= 2
    assert long.messages == 3 * long.segments


def test_it_estimates_nothing_to_pay_for_the_inbox_alone(election, owners):
    estimate = mass_send_estimate(make_notice(election, channels=("inbox",)))
    assert estimate.recipients == 4
    assert estimate.messages == 0 and estimate.cost == 0


# ---------------------------------------------------------------------------------------------
# The monthly budget
# ---------------------------------------------------------------------------------------------


def test_it_sends_when_the_budget_is_exactly_enough(election, owners, street, street_staff):
    notice = make_notice(election)
    cost = mass_send_estimate(notice).cost
    set_budget(street, cost)
    send = request(notice, street_staff)
    assert send.status == MassSend.Status.QUEUED
    assert street_spent(street.pk, send.month) == cost
    assert mass_send_estimate(make_notice(election, title="下一条")).remaining == 0


def test_it_refuses_a_send_one_message_over_the_budget_and_says_what_is_left(
    election, owners, street, street_staff
):
    notice = make_notice(election)
    cost = mass_send_estimate(notice).cost
    set_budget(street, cost - PRICE)
    with pytest.raises(MassSendRefused) as refused:
        request(notice, street_staff)
    assert refused.value.code == "over_budget"
    left = yuan(cost - PRICE)
    assert left in str(refused.value) and "本月" in str(refused.value)
    assert not MassSend.objects.exists()
    notice.refresh_from_db()
    assert notice.status == Notice.Status.DRAFT


def test_it_counts_sends_waiting_for_approval_but_not_refused_ones(
    election, owners, street, street_staff, colleague, settings
):
    settings.MASS_SEND_APPROVAL_OVER = 0
    first = make_notice(election, title="第一条")
    cost = mass_send_estimate(first).cost
    set_budget(street, cost * 2 - PRICE)
    pending = request(first, street_staff)
    assert pending.status == MassSend.Status.PENDING
    second = make_notice(election, title="第二条")
    with pytest.raises(MassSendRefused, match="本月"):
        request(second, street_staff)  # the waiting send holds its share of the budget
    mass_send_refuse(mass_send=pending, actor=colleague, note="措辞要改")
    assert street_spent(street.pk, pending.month) == 0
    assert request(second, street_staff).status == MassSend.Status.PENDING


def test_it_counts_the_budget_per_calendar_month(election, owners, street, street_staff):
    notice = make_notice(election)
    cost = mass_send_estimate(notice).cost
    set_budget(street, cost)
    send = request(notice, street_staff)
    last_month = (send.month - timedelta(days=1)).replace(day=1)
    MassSend.objects.filter(pk=send.pk).update(month=last_month)
    assert mass_send_estimate(make_notice(election, title="下月")).remaining == cost


def test_it_counts_what_the_system_sends_by_itself_against_the_budget(election, owners, street):
    notice = make_notice(election)
    cost = mass_send_estimate(notice).cost
    notice_send(notice=notice, actor=SCHEDULER, dispatch=False)
    row = MassSend.objects.get(notice=notice)
    assert row.status == MassSend.Status.SENT and row.round == 1 and row.cost == cost
    assert street_spent(street.pk, row.month) == cost


# ---------------------------------------------------------------------------------------------
# Approval above the threshold
# ---------------------------------------------------------------------------------------------


def test_it_sends_exactly_the_threshold_without_approval(election, owners, street_staff, settings):
    notice = make_notice(election)
    settings.MASS_SEND_APPROVAL_OVER = mass_send_estimate(notice).messages
    assert request(notice, street_staff).status == MassSend.Status.QUEUED


def test_it_holds_one_message_over_the_threshold_for_approval(
    election, owners, street_staff, settings, django_capture_on_commit_callbacks
):
    notice = make_notice(election)
    settings.MASS_SEND_APPROVAL_OVER = mass_send_estimate(notice).messages - 1
    send = request(notice, street_staff, capture=django_capture_on_commit_callbacks)
    assert send.status == MassSend.Status.PENDING and send.job is None
    assert not Delivery.objects.filter(notice=notice).exists()
    notice.refresh_from_db()
    assert notice.status == Notice.Status.SENDING
    entry = AuditEntry.objects.get(action="notice.send_requested")
    assert entry.data["needs_approval"] is True and entry.actor_id == street_staff.pk


def test_it_refuses_the_requester_approving_their_own_send(election, owners, street_staff, settings):
    settings.MASS_SEND_APPROVAL_OVER = 0
    send = request(make_notice(election), street_staff)
    with pytest.raises(MassSendRefused) as refused:
        mass_send_approve(mass_send=send, actor=street_staff)
    assert refused.value.code == "own_request" and refused.value.status == 403
    send.refresh_from_db()
    assert send.status == MassSend.Status.PENDING
    assert not AuditEntry.objects.filter(action="notice.send_approved").exists()


def test_it_sends_once_a_second_staff_member_approves(
    election, owners, street_staff, colleague, settings, django_capture_on_commit_callbacks
):
    settings.MASS_SEND_APPROVAL_OVER = 0
    notice = make_notice(election)
    send = request(notice, street_staff)
    with django_capture_on_commit_callbacks(execute=True):
        mass_send_approve(mass_send=send, actor=colleague)
    send.refresh_from_db()
    assert send.status == MassSend.Status.SENT and send.decided_by == colleague
    assert Delivery.objects.filter(notice=notice, channel="sms", status="sent").count() == 3
    assert send.job.status == Job.Status.DONE and send.job.kind == MASS_SEND_KIND
    entry = AuditEntry.objects.get(action="notice.send_approved")
    assert entry.actor_id == colleague.pk and entry.data["requested_by"] == street_staff.pk


def test_it_refuses_approval_from_staff_of_another_street(
    election, owners, street_staff, outsider_staff, settings
):
    settings.MASS_SEND_APPROVAL_OVER = 0
    send = request(make_notice(election), street_staff)
    with pytest.raises(MassSendRefused) as refused:
        mass_send_approve(mass_send=send, actor=outsider_staff)
    assert refused.value.code == "not_allowed"
    with pytest.raises(MassSendRefused):
        mass_send_approve(mass_send=send, actor=SCHEDULER)


def test_it_lets_a_refused_send_be_asked_for_again_without_a_resend(
    election, owners, street_staff, colleague, settings
):
    settings.MASS_SEND_APPROVAL_OVER = 0
    notice = make_notice(election)
    send = request(notice, street_staff)
    mass_send_refuse(mass_send=send, actor=colleague, note="措辞要改")
    notice.refresh_from_db()
    assert notice.status == Notice.Status.DRAFT
    entry = AuditEntry.objects.get(action="notice.send_refused")
    assert entry.actor_id == colleague.pk and entry.data["note"] == "措辞要改"
    with pytest.raises(MassSendRefused, match="不再"):
        mass_send_approve(mass_send=send, actor=colleague)
    again = request(notice, street_staff)
    assert again.round == 1 and not again.resend


# ---------------------------------------------------------------------------------------------
# The same notice twice
# ---------------------------------------------------------------------------------------------


def test_it_refuses_a_second_send_of_the_same_notice_unless_confirmed(
    election, owners, street, street_staff, django_capture_on_commit_callbacks
):
    notice = make_notice(election)
    first = request(notice, street_staff, capture=django_capture_on_commit_callbacks)
    assert first.status == MassSend.Status.QUEUED or first.status == MassSend.Status.SENT
    # A second click with the page it came from (round 1): already sent.
    with pytest.raises(MassSendRefused) as twice:
        mass_send_request(notice=notice, actor=street_staff, round=1)
    assert twice.value.code == "already_sent"
    # Round 2 without the confirmation: refused, nothing written.
    with pytest.raises(MassSendRefused) as unconfirmed:
        mass_send_request(notice=notice, actor=street_staff, round=2)
    assert unconfirmed.value.code == "resend_unconfirmed"
    assert MassSend.objects.filter(notice=notice).count() == 1
    assert Delivery.objects.filter(notice=notice).count() == 8  # 4 people × (sms, inbox)


def test_it_resends_when_confirmed_and_counts_the_budget_again(
    election, owners, street, street_staff, django_capture_on_commit_callbacks
):
    notice = make_notice(election)
    cost = mass_send_estimate(notice).cost
    request(notice, street_staff, capture=django_capture_on_commit_callbacks)
    second = request(notice, street_staff, resend=True, capture=django_capture_on_commit_callbacks)
    assert second.round == 2 and second.resend
    second.refresh_from_db()
    assert second.status == MassSend.Status.SENT
    assert street_spent(street.pk, second.month) == cost * 2
    again = Delivery.objects.filter(notice=notice, round=2)
    assert set(again.values_list("channel", flat=True)) == {"sms"}  # the inbox already holds it
    assert again.filter(status="sent").count() == 3
    assert AuditEntry.objects.filter(action="notice.send_requested", data__resend=True).count() == 1


def test_it_refuses_a_resend_that_would_exceed_the_budget(
    election, owners, street, street_staff, django_capture_on_commit_callbacks
):
    notice = make_notice(election)
    cost = mass_send_estimate(notice).cost
    set_budget(street, cost * 2 - PRICE)
    request(notice, street_staff, capture=django_capture_on_commit_callbacks)
    with pytest.raises(MassSendRefused) as refused:
        request(notice, street_staff, resend=True)
    assert refused.value.code == "over_budget"


def test_it_refuses_a_send_while_another_waits_for_approval(election, owners, street_staff, settings):
    settings.MASS_SEND_APPROVAL_OVER = 0
    notice = make_notice(election)
    request(notice, street_staff)
    with pytest.raises(MassSendRefused) as refused:
        mass_send_request(notice=notice, actor=street_staff, round=2, resend=True)
    assert refused.value.code == "send_pending"


def test_it_refuses_anyone_who_does_not_manage_the_compound(election, owners, outsider_staff):
    notice = make_notice(election)
    with pytest.raises(MassSendRefused) as refused:
        request(notice, outsider_staff)
    assert refused.value.code == "not_allowed"
    assert not MassSend.objects.exists()


# ---------------------------------------------------------------------------------------------
# The job, and a worker that is down
# ---------------------------------------------------------------------------------------------


def test_it_runs_the_send_as_a_job_with_progress(
    election, owners, street_staff, django_capture_on_commit_callbacks
):
    notice = make_notice(election)
    send = request(notice, street_staff, capture=django_capture_on_commit_callbacks)
    send.refresh_from_db()
    job = send.job
    assert job.kind == MASS_SEND_KIND and job.status == Job.Status.DONE
    assert job.result == {"deliveries": 8}
    assert mass_send_progress(send) == {"status": "done", "done": 8, "total": 8, "percent": 100}
    notice.refresh_from_db()
    assert notice.status == Notice.Status.SENT


def test_it_loses_nothing_when_no_worker_takes_the_job(
    election, owners, street_staff, django_capture_on_commit_callbacks
):
    """The broker or the worker is down: the send waits as a queued job, shows 0 %, and beat's
    requeue sends it later, once."""
    notice = make_notice(election)
    send = request(notice, street_staff)  # the commit callbacks never run: nothing was queued
    send.refresh_from_db()
    assert send.job.status == Job.Status.QUEUED
    assert mass_send_progress(send)["percent"] == 0
    assert not Delivery.objects.filter(notice=notice).exists()
    Job.objects.filter(pk=send.job_id).update(created_at=timezone.now() - timedelta(minutes=5))
    with django_capture_on_commit_callbacks(execute=True):
        assert requeue_stale_jobs() == 1
    send.refresh_from_db()
    assert send.status == MassSend.Status.SENT
    assert Delivery.objects.filter(notice=notice, channel="sms", status="sent").count() == 3
    with django_capture_on_commit_callbacks(execute=True):
        requeue_stale_jobs()  # nothing waits any more: nothing sent twice
    assert Delivery.objects.filter(notice=notice).count() == 8


# ---------------------------------------------------------------------------------------------
# Scheduled notices go through the same rules
# ---------------------------------------------------------------------------------------------


def schedule(election, **extra):
    notice = make_notice(election, **extra)
    Notice.objects.filter(pk=notice.pk).update(
        status=Notice.Status.SCHEDULED, scheduled_at=timezone.now() - timedelta(minutes=1)
    )
    return notice


def test_it_sends_a_scheduled_notice_as_a_mass_send(election, owners):
    notice = schedule(election)
    assert tick()["notices"] == 1
    send = MassSend.objects.get(notice=notice)
    assert send.status == MassSend.Status.SENT
    assert Delivery.objects.filter(notice=notice).count() == 8


def test_it_puts_a_scheduled_notice_over_the_budget_back_to_the_drafts(election, owners, street):
    notice = schedule(election)
    set_budget(street, mass_send_estimate(notice).cost - PRICE)
    assert tick()["notices"] == 0
    notice.refresh_from_db()
    assert notice.status == Notice.Status.DRAFT
    assert AuditEntry.objects.get(action="notice.send_refused").data["code"] == "over_budget"
    assert tick()["notices"] == 0  # not tried every minute
    assert AuditEntry.objects.filter(action="notice.send_refused").count() == 1


def test_it_holds_a_big_scheduled_notice_for_approval(election, owners, settings, working_group):
    settings.MASS_SEND_APPROVAL_OVER = 0
    notice = schedule(election)
    Notice.objects.filter(pk=notice.pk).update(created_by=working_group)
    tick()
    send = MassSend.objects.get(notice=notice)
    assert send.status == MassSend.Status.PENDING and send.requested_by == working_group
    assert not Delivery.objects.filter(notice=notice).exists()
    tick()
    assert MassSend.objects.filter(notice=notice).count() == 1


# ---------------------------------------------------------------------------------------------
# Pages
# ---------------------------------------------------------------------------------------------


def test_it_shows_the_estimate_before_sending(client, election, owners, street, working_group):
    set_budget(street, "100.00")
    notice = make_notice(election)
    client.force_login(working_group)
    page = client.get(reverse("manage:notice_estimate", args=[election.pk, notice.pk])).content.decode()
    estimate = mass_send_estimate(notice)
    assert f'id="estimate-people">{estimate.recipients}<' in page
    assert f'id="estimate-messages">{estimate.messages}<' in page
    assert yuan(estimate.cost) in page
    assert 'name="round" value="1"' in page


def test_it_sends_from_the_page_and_refuses_a_second_click(
    client, election, owners, working_group, django_capture_on_commit_callbacks
):
    notice = make_notice(election)
    client.force_login(working_group)
    url = reverse("manage:notice_send", args=[election.pk, notice.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"round": 1})
    send = MassSend.objects.get(notice=notice)
    assert response.status_code == 302
    assert response["Location"] == reverse("manage:mass_send_detail", args=[election.pk, notice.pk, send.pk])
    again = client.post(url, {"round": 1}, follow=True)
    assert "没有重复发送" in again.content.decode() or "已发送" in again.content.decode()
    assert MassSend.objects.filter(notice=notice).count() == 1
    status = client.get(reverse("manage:mass_send_status", args=[election.pk, notice.pk, send.pk])).json()
    assert status["percent"] == 100 and status["status"] == "done"
    assert client.get(url).status_code == 405


def test_it_approves_and_refuses_through_the_pages(
    client, election, owners, working_group, colleague, settings, django_capture_on_commit_callbacks
):
    settings.MASS_SEND_APPROVAL_OVER = 0
    notice = make_notice(election)
    client.force_login(working_group)
    client.post(reverse("manage:notice_send", args=[election.pk, notice.pk]), {"round": 1})
    send = MassSend.objects.get(notice=notice)
    detail = reverse("manage:mass_send_detail", args=[election.pk, notice.pk, send.pk])
    approve = reverse("manage:mass_send_approve", args=[election.pk, notice.pk, send.pk])
    assert "approve/" not in client.get(detail).content.decode()
    client.post(approve)
    send.refresh_from_db()
    assert send.status == MassSend.Status.PENDING  # own request: refused with a message
    client.force_login(colleague)
    assert approve in client.get(detail).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(approve)
    send.refresh_from_db()
    assert send.status == MassSend.Status.SENT
    assert client.get(approve).status_code == 405


def test_it_keeps_the_pages_from_anonymous_and_other_streets(client, election, owners, outsider_staff):
    notice = make_notice(election)
    url = reverse("manage:notice_estimate", args=[election.pk, notice.pk])
    assert client.get(url).status_code == 302  # to the sign-in
    client.force_login(outsider_staff)
    assert client.get(url).status_code == 404
    assert (
        client.post(reverse("manage:notice_send", args=[election.pk, notice.pk]), {"round": 1}).status_code
        == 404
    )
    assert not MassSend.objects.exists()


# ---------------------------------------------------------------------------------------------
# Two clicks at once (PostgreSQL, two processes)
# ---------------------------------------------------------------------------------------------

CHILD = r"""
from elections.mass_sends import MassSendRefused, mass_send_request
from elections.models import Notice
from yezhu.accounts.models import User
notice = Notice.objects.get(pk=args["notice"])
user = User.objects.get(pk=args["user"])
wait_for_go()
try:
    send = mass_send_request(notice=notice, actor=user, round=1)
    print(json.dumps({"outcome": "sent", "pk": send.pk}))
except MassSendRefused as error:
    print(json.dumps({"outcome": "refused", "code": error.code}))
finally:
    connection.close()
"""


@pytest.mark.postgres
@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_it_sends_once_when_two_clicks_arrive_at_the_same_moment(election, owners, street_staff, tmp_path):
    notice = make_notice(election)
    outcomes = race(CHILD, [{"notice": notice.pk, "user": street_staff.pk}] * 2, tmp_path)
    assert sorted(o["outcome"] for o in outcomes) == ["refused", "sent"]
    assert [o["code"] for o in outcomes if o["outcome"] == "refused"] == ["already_sent"]
    assert MassSend.objects.filter(notice=notice).count() == 1


def test_it_allows_one_live_send_per_round_in_the_database(election, owners, street_staff):
    """The partial unique index, without the service's lock: a second live row for a round fails,
    a refused one leaves the round free."""
    from django.db import IntegrityError, transaction

    send = request(make_notice(election), street_staff)
    fields = {
        f.name: getattr(send, f.name)
        for f in MassSend._meta.concrete_fields
        if f.name not in ("id", "requested_at", "job")
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        MassSend.objects.create(**fields)
    MassSend.objects.filter(pk=send.pk).update(status=MassSend.Status.REFUSED)
    MassSend.objects.create(**fields)
    assert MassSend.objects.filter(notice=send.notice, round=1).count() == 2


# ---------------------------------------------------------------------------------------------
# The street's monthly budget is set by its street office, with an audit row
# ---------------------------------------------------------------------------------------------


def test_it_lets_the_street_office_set_the_monthly_budget(client, street, street_staff):
    client.force_login(street_staff)
    assert "sms_monthly_budget" in client.get("/street/settings/").content.decode()
    response = client.post(
        "/street/settings/", {"party_share_target": "0.50", "sms_monthly_budget": "120.50"}
    )
    assert response.status_code == 302
    street.refresh_from_db()
    assert street.sms_monthly_budget == Decimal("120.50")
    row = AuditEntry.objects.get(action="street.settings")
    assert row.actor_id == street_staff.pk
    assert row.data["before"]["sms_monthly_budget"] is None
    assert row.data["after"]["sms_monthly_budget"] == "120.50"
    client.post("/street/settings/", {"party_share_target": "0.50", "sms_monthly_budget": ""})
    street.refresh_from_db()
    assert street.sms_monthly_budget is None  # emptied: no ceiling


@pytest.mark.parametrize("value", ["-1", "10.005", "abc", "NaN", "1e12"])
def test_it_refuses_a_bad_budget_and_changes_nothing(street, street_staff, value):
    from grids.streets import StreetError, street_settings_update

    set_budget(street, "50.00")
    with pytest.raises(StreetError) as refused:
        street_settings_update(
            street=street,
            actor=street_staff,
            gate_start=False,
            gate_working_group=False,
            party_share_target="0.5",
            sms_monthly_budget=value,
        )
    assert refused.value.code == "bad_budget" and "预算" in str(refused.value)
    street.refresh_from_db()
    assert street.sms_monthly_budget == Decimal("50.00")
    assert not AuditEntry.objects.filter(action="street.settings").exists()


def test_it_leaves_the_budget_to_the_street_office(street, compound, colleague):
    from grids.streets import StreetError, street_settings_update

    with pytest.raises(StreetError):
        street_settings_update(
            street=street,
            actor=colleague,  # community staff: manages the compound, not the street
            gate_start=False,
            gate_working_group=False,
            party_share_target="0.5",
            sms_monthly_budget="1000",
        )
    street.refresh_from_db()
    assert street.sms_monthly_budget is None


def test_it_keeps_the_budget_when_the_caller_leaves_it_out(street, street_staff):
    from grids.streets import street_settings_update

    set_budget(street, "80.00")
    street_settings_update(
        street=street, actor=street_staff, gate_start=True, gate_working_group=False, party_share_target="0.5"
    )
    street.refresh_from_db()
    assert street.sms_monthly_budget == Decimal("80.00") and street.gate_start
