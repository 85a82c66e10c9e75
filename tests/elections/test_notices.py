"""Notices: audiences, fan-out into deliveries, sending once, proof of service, and the pages."""

from __future__ import annotations

import datetime as dt
import io
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from elections.errors import ElectionError
from elections.models import (
    Candidate,
    Committee,
    CommitteeMember,
    Delivery,
    Notice,
    Stage,
    WorkingGroupMember,
)
from elections.notices import (
    audience_recipients,
    deliveries_export_xlsx,
    delivery_opened,
    delivery_send,
    mask_address,
    notice_create,
    notice_schedule,
    notice_send,
    notices_resend_failed,
    sms_text,
)
from elections.services import ballot_record, roll_freeze
from grids.models import RoleAssignment
from tests.factories import (
    GridFactory,
    OwnerFactory,
    UserFactory,
    election_with_ballot_paper,
    grant,
    owner_user,
    unit_with_owners,
)
from yezhu.accounts.models import SmsMessage
from yezhu.actors import OPERATOR
from yezhu.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def election(compound):
    return election_with_ballot_paper(
        compound, stage=Stage.NOTICE, opens_in=timedelta(days=15), closes_in=timedelta(days=22)
    )


@pytest.fixture
def owners(compound):
    """Three owners: two with accounts and mobiles, one co-owner known only by the roll."""
    user_a, owner_a, unit_a = owner_user(compound, "1-1-101", name="张三", phone="13800001111")
    user_b, owner_b, _ = owner_user(compound, "1-1-102", name="李四", phone="13800002222")
    owner_c = OwnerFactory(name="王五", mobile="13900003333")
    unit_with_owners(compound, "2-1-201", "88.00", [owner_c, owner_a])
    return {"a": (user_a, owner_a), "b": (user_b, owner_b), "c": (None, owner_c)}


def make_notice(election, *, audience=Notice.Audience.ALL_OWNERS, channels=("sms", "inbox"), **extra):
    extra.setdefault("actor", OPERATOR)
    return notice_create(
        compound=election.compound,
        election=election,
        kind=extra.pop("kind", Notice.Kind.ASSEMBLY),
        audience=audience,
        channels=list(channels),
        title=extra.pop("title", "关于召开业主大会会议的公告"),
        body=extra.pop("body", "定于下月投票，请留意。"),
        **extra,
    )


def send(notice, capture):
    with capture(execute=True):
        return notice_send(notice=notice, actor=OPERATOR)


# ---------------------------------------------------------------------------------------------
# Audiences
# ---------------------------------------------------------------------------------------------


def test_it_sends_all_owners_one_delivery_per_channel_even_when_sent_twice(
    election, owners, django_capture_on_commit_callbacks
):
    """Fan-out makes one delivery per owner and channel; a second send adds nothing."""
    notice = make_notice(election)
    assert send(notice, django_capture_on_commit_callbacks) == 6
    assert send(notice, django_capture_on_commit_callbacks) == 0
    assert Delivery.objects.filter(notice=notice).count() == 6
    assert set(Delivery.objects.filter(notice=notice).values_list("status", flat=True)) == {"sent"}
    assert SmsMessage.objects.filter(purpose=f"notice:{notice.pk}").count() == 3
    notice.refresh_from_db()
    assert notice.status == Notice.Status.SENT and notice.sent_at is not None


def test_it_reminds_only_owners_who_have_not_voted(compound, owners):
    """Once the roll is frozen, the owners of a voter with a valid ballot are not reminded."""
    election = election_with_ballot_paper(compound, stage=Stage.VOTING)
    roll_freeze(election=election, actor=OPERATOR)
    user_b, owner_b = owners["b"]
    voter_b = election.voters.get(units__code="1-1-102")
    ballot_record(
        election=election, voter=voter_b, actor=user_b, cast_as="owner", channel="online", choices={}
    )
    notice = make_notice(election, audience=Notice.Audience.NON_VOTERS, kind=Notice.Kind.REMINDER)
    keys = {r.key for r in audience_recipients(notice)}
    assert keys == {f"owner:{owners['a'][1].pk}", f"owner:{owners['c'][1].pk}"}


def test_it_resolves_candidates_working_group_grid_leaders_and_street_staff(
    compound, election, owners, street_staff, working_group, outsider_staff
):
    """Each audience is the right people, each once."""
    owner_a = owners["a"][1]
    Candidate.objects.filter(race__election=election, key="C1").update(owner=owner_a)
    member = UserFactory(name="组长")
    WorkingGroupMember.objects.create(election=election, name="组长", user=member, affiliation="street")
    WorkingGroupMember.objects.create(
        election=election, name="业主代表", owner=owners["c"][1], affiliation="owner"
    )
    leader = UserFactory(name="网格长")
    grant(leader, RoleAssignment.Role.GRID_LEADER, GridFactory(compound=compound))
    grant(UserFactory(), RoleAssignment.Role.GRID_LEADER, GridFactory())  # a grid of another compound

    def keys(audience):
        return {
            r.key for r in audience_recipients(make_notice(election, audience=audience, channels=["inbox"]))
        }

    assert keys(Notice.Audience.CANDIDATES) == {f"owner:{owner_a.pk}"}
    assert keys(Notice.Audience.WORKING_GROUP) == {
        f"user:{member.pk}",
        f"owner:{owners['c'][1].pk}",
        f"user:{working_group.pk}",
    }
    assert keys(Notice.Audience.GRID_LEADERS) == {f"user:{leader.pk}"}
    assert keys(Notice.Audience.STREET_STAFF) == {f"user:{street_staff.pk}"}


@pytest.mark.parametrize("audience", list(Notice.Audience.values))
def test_it_resolves_an_audience_in_the_same_number_of_queries_whatever_the_size(compound, audience):
    """Resolving an audience costs a fixed number of queries: 3 owners or 30 cost the same."""
    election = election_with_ballot_paper(compound, stage=Stage.VOTING)
    committee = Committee.objects.create(
        compound=compound, term_start=dt.date(2024, 1, 1), term_end=dt.date(2029, 1, 1)
    )

    def grow(n, start):
        for i in range(start, start + n):
            user, owner, _ = owner_user(compound, f"9-1-{i:03d}")
            CommitteeMember.objects.create(committee=committee, name=owner.name, owner=owner)
            Candidate.objects.create(race=election.races.get(), key=f"X{i}", name=owner.name, owner=owner)
            WorkingGroupMember.objects.create(
                election=election, name=owner.name, user=user, affiliation="owner"
            )
            grant(user, RoleAssignment.Role.GRID_LEADER, GridFactory(compound=compound))

    grow(3, 1)
    notice = make_notice(election, audience=audience, channels=["inbox"])
    with CaptureQueriesContext(connection) as small:
        small_found = audience_recipients(notice)
    grow(30, 100)
    with CaptureQueriesContext(connection) as large:
        large_found = audience_recipients(notice)
    assert len(small.captured_queries) == len(large.captured_queries) <= 3
    if audience not in (Notice.Audience.STREET_STAFF,):
        assert len(large_found) > len(small_found)


# ---------------------------------------------------------------------------------------------
# Sending
# ---------------------------------------------------------------------------------------------


def test_it_writes_the_text_message_in_chinese_with_the_sign_name(election, settings):
    """The SMS starts with the registered sign name and is in Chinese whatever the staff's language."""
    settings.SMS_SIGN_NAME = "湖滨街道"
    notice = make_notice(election)
    text = sms_text(notice)
    assert text.startswith("【湖滨街道】")
    assert "西园里" in text and "关于召开业主大会会议的公告" in text
    assert "/e/inbox/" in text
    assert "请登录" in text  # the Chinese template, not the English msgid


def test_it_records_a_missing_mobile_as_a_failure_and_resends_once_the_roll_has_one(
    compound, election, django_capture_on_commit_callbacks
):
    """An owner with no mobile gets a failed SMS delivery with the reason; resending after the
    roll is corrected sends it."""
    owner = OwnerFactory(name="赵六", mobile="")
    unit_with_owners(compound, "3-1-301", "90.00", [owner])
    notice = make_notice(election)
    send(notice, django_capture_on_commit_callbacks)
    failed = Delivery.objects.get(notice=notice, channel="sms")
    assert failed.status == Delivery.Status.FAILED
    assert failed.provider_reply == "花名册中没有手机号"
    assert Delivery.objects.get(notice=notice, channel="inbox").status == Delivery.Status.SENT
    with django_capture_on_commit_callbacks(execute=True):
        assert notices_resend_failed(notice=notice, actor=OPERATOR) == 0
    owner.mobile = "13700004444"
    owner.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert notices_resend_failed(notice=notice, actor=OPERATOR) == 1
    failed.refresh_from_db()
    assert failed.status == Delivery.Status.SENT
    assert failed.address == "13700004444"
    assert SmsMessage.objects.filter(phone="13700004444").count() == 1


def test_it_sends_email_through_django_mail(compound, election, django_capture_on_commit_callbacks):
    """The email channel goes through send_mail to the account's address."""
    user, _, _ = owner_user(compound, "5-1-501")
    user.email = "owner@example.com"
    user.save()
    notice = make_notice(election, channels=["email"])
    send(notice, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["owner@example.com"]
    assert "关于召开业主大会会议的公告" in mail.outbox[0].subject
    assert "定于下月投票" in mail.outbox[0].body
    assert Delivery.objects.get(notice=notice).status == Delivery.Status.SENT


def test_it_refuses_a_notice_without_a_channel(election):
    """A notice must go somewhere."""
    with pytest.raises(ElectionError):
        make_notice(election, channels=[])


def test_it_returns_the_existing_notice_for_a_repeated_dedupe_key(election):
    """Two notices with one dedupe key are one notice."""
    first = make_notice(election, dedupe_key="reminder:1:24h")
    second = make_notice(election, dedupe_key="reminder:1:24h", title="另一个")
    assert first.pk == second.pk
    assert Notice.objects.filter(dedupe_key="reminder:1:24h").count() == 1


def test_it_will_not_reschedule_a_sent_notice(election, owners, django_capture_on_commit_callbacks):
    """Scheduling is for drafts; a sent notice cannot be moved."""
    notice = make_notice(election)
    notice_schedule(notice=notice, scheduled_at=timezone.now() + timedelta(hours=1), actor=OPERATOR)
    notice.refresh_from_db()
    assert notice.status == Notice.Status.SCHEDULED
    send(notice, django_capture_on_commit_callbacks)
    with pytest.raises(ElectionError):
        notice_schedule(notice=notice, scheduled_at=timezone.now() + timedelta(hours=2), actor=OPERATOR)


def test_it_skips_a_delivery_that_is_no_longer_queued(election, owners, django_capture_on_commit_callbacks):
    """delivery_send on a sent delivery does nothing."""
    notice = make_notice(election, channels=["sms"])
    send(notice, django_capture_on_commit_callbacks)
    delivery = Delivery.objects.filter(notice=notice).first()
    assert delivery_send(delivery.pk) == "skipped"
    delivery.refresh_from_db()
    assert delivery.attempts == 1


# ---------------------------------------------------------------------------------------------
# Proof of service
# ---------------------------------------------------------------------------------------------


def test_it_records_the_first_opening_only(election, owners, django_capture_on_commit_callbacks):
    """opened_at is the first time the owner opened the notice; later openings change nothing."""
    notice = make_notice(election, channels=["inbox"])
    send(notice, django_capture_on_commit_callbacks)
    user_a, owner_a = owners["a"]
    delivery = Delivery.objects.get(notice=notice, owner=owner_a)
    assert delivery_opened(delivery=delivery, actor=user_a) is True
    first = delivery.opened_at
    assert first is not None
    assert delivery_opened(delivery=delivery, actor=user_a) is False
    delivery.refresh_from_db()
    assert delivery.opened_at == first
    assert AuditEntry.objects.filter(action="notice.opened").count() == 1


def test_it_masks_addresses_except_the_last_four_digits():
    """Mobiles keep their last four digits; emails their first letter and domain."""
    assert mask_address("13800005678") == "*******5678"
    assert mask_address("zhang@example.com") == "z***@example.com"
    assert mask_address("") == ""


def test_it_exports_every_owners_record_with_masked_mobiles(
    election, owners, django_capture_on_commit_callbacks
):
    """The proof-of-service workbook lists owner, units, channel, sent at, status, reason and
    opened at, one row per delivery, with mobiles masked."""
    notice = make_notice(election)
    send(notice, django_capture_on_commit_callbacks)
    user_a, owner_a = owners["a"]
    delivery_opened(
        delivery=Delivery.objects.get(notice=notice, owner=owner_a, channel="inbox"), actor=user_a
    )
    data = deliveries_export_xlsx(election)
    sheet = load_workbook(io.BytesIO(data)).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == [
        "通知",
        "类型",
        "业主或工作人员",
        "房号",
        "发送方式",
        "手机或邮箱",
        "状态",
        "发送时间",
        "服务商回复",
        "送达回执",
        "回执代码",
        "回执时间",
        "打开时间",
    ]
    assert len(rows) == 1 + 6
    zhang = [r for r in rows if r[2] == "张三"]
    assert {r[4] for r in zhang} == {"短信", "站内信"}
    sms_row = next(r for r in zhang if r[4] == "短信")
    assert sms_row[3] == "1-1-101、2-1-201"
    assert sms_row[5] == "*******1111"
    assert sms_row[6] == "已发送" and sms_row[7]
    assert sms_row[9] == "已发送"  # the text message went out; no delivery report yet
    inbox_row = next(r for r in zhang if r[4] == "站内信")
    assert inbox_row[12]  # opened
    assert all("13800001111" not in str(cell) for row in rows for cell in row)


# ---------------------------------------------------------------------------------------------
# Pages
# ---------------------------------------------------------------------------------------------


def test_it_exports_an_owner_named_like_a_formula_as_text(
    election, owners, django_capture_on_commit_callbacks
):
    """The proof of service writes a name a spreadsheet would run as a text cell (yezhu.xlsx)."""
    _user, owner = owners["c"]
    owner.name = '=HYPERLINK("http://x","y")'
    owner.save(update_fields=["name"])
    send(make_notice(election), django_capture_on_commit_callbacks)
    sheet = load_workbook(io.BytesIO(deliveries_export_xlsx(election))).active
    cells = [row[2] for row in sheet.iter_rows(min_row=2) if row[2].value == owner.name]
    assert cells and all(c.data_type == "s" and c.quotePrefix for c in cells)


def staff_urls(election, notice):
    return {
        "list": reverse("manage:notice_list", args=[election.pk]),
        "detail": reverse("manage:notice_detail", args=[election.pk, notice.pk]),
    }


def test_it_shows_staff_the_notices_with_delivery_counts(
    client, election, owners, working_group, django_capture_on_commit_callbacks
):
    """The list shows each notice with sent, failed and opened counts."""
    notice = make_notice(election)
    send(notice, django_capture_on_commit_callbacks)
    client.force_login(working_group)
    response = client.get(reverse("manage:notice_list", args=[election.pk]))
    assert response.status_code == 200
    assert notice.title in response.content.decode()
    assert response.context["rows"][0]["counts"]["sent"] == 6


def test_it_shows_the_failures_with_the_providers_reason(
    client, election, owners, street_staff, settings, django_capture_on_commit_callbacks
):
    """A notice's page lists failed deliveries with the reason and masked address."""
    settings.SMS_BACKEND = "yezhu.sms.FailingBackend"
    notice = make_notice(election, channels=["sms"])
    send(notice, django_capture_on_commit_callbacks)
    Delivery.objects.filter(notice=notice).update(
        status="failed", provider_reply="isv.BUSINESS_LIMIT_CONTROL"
    )
    client.force_login(street_staff)
    response = client.get(reverse("manage:notice_detail", args=[election.pk, notice.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "isv.BUSINESS_LIMIT_CONTROL" in body
    assert "*******1111" in body and "13800001111" not in body
    assert response.context["failed_total"] == 3


def test_it_lets_staff_write_send_schedule_and_resend(
    client, election, owners, working_group, django_capture_on_commit_callbacks
):
    """Creating, scheduling, sending and resending work through the pages."""
    client.force_login(working_group)
    response = client.post(
        reverse("manage:notice_new", args=[election.pk]),
        {
            "kind": "assembly",
            "audience": "all_owners",
            "channels": ["inbox"],
            "title": "公告",
            "body": "正文",
        },
    )
    notice = Notice.objects.get(election=election)
    assert response.status_code == 302
    assert notice.status == Notice.Status.DRAFT
    later = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    client.post(reverse("manage:notice_schedule", args=[election.pk, notice.pk]), {"scheduled_at": later})
    notice.refresh_from_db()
    assert notice.status == Notice.Status.SCHEDULED
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("manage:notice_send", args=[election.pk, notice.pk]), {"round": 1})
    assert Delivery.objects.filter(notice=notice, status="sent").count() == 3
    Delivery.objects.filter(notice=notice).update(status="failed")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("manage:notice_resend", args=[election.pk, notice.pk]))
    assert response.status_code == 302
    assert Delivery.objects.filter(notice=notice, status="sent").count() == 3


def test_it_refuses_a_notice_form_without_a_channel(client, election, working_group):
    """The form says what is missing and creates nothing."""
    client.force_login(working_group)
    response = client.post(
        reverse("manage:notice_new", args=[election.pk]),
        {"kind": "assembly", "audience": "all_owners", "title": "公告", "body": "正文"},
    )
    assert response.status_code == 400
    assert not Notice.objects.exists()


def test_it_exports_the_proof_of_service_as_a_job(
    client, election, owners, street_staff, settings, tmp_path, django_capture_on_commit_callbacks
):
    """The export runs as a job with a progress page, then downloads the workbook."""
    settings.MEDIA_ROOT = tmp_path
    send(make_notice(election), django_capture_on_commit_callbacks)
    client.force_login(street_staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("manage:notice_export", args=[election.pk]))
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert b"data-job-url" in page.content
    job = page.context["job"]
    job.refresh_from_db()
    assert job.status == "done", job.errors
    download = client.get(reverse("manage:notice_export_download", args=[election.pk, job.pk]))
    assert download.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    assert sheet.max_row == 7


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("list", "get"),
        ("new", "post"),
        ("detail", "get"),
        ("send", "post"),
        ("schedule", "post"),
        ("resend", "post"),
        ("export", "post"),
        ("export_job", "get"),
        ("export_download", "get"),
    ],
)
def test_it_scopes_every_staff_page(
    client, election, owners, street_staff, outsider_staff, name, method, tmp_path, settings
):
    """Anonymous: sign-in; another street's staff: 404; the wrong method: 405; own staff: not 404."""
    from yezhu.jobs.models import Job

    settings.MEDIA_ROOT = tmp_path
    notice = make_notice(election)
    job = Job.objects.create(kind="deliveries_export", created_by=street_staff, election_id=election.pk)
    args = {
        "list": [election.pk],
        "new": [election.pk],
        "export": [election.pk],
        "detail": [election.pk, notice.pk],
        "send": [election.pk, notice.pk],
        "schedule": [election.pk, notice.pk],
        "resend": [election.pk, notice.pk],
        "export_job": [election.pk, job.pk],
        "export_download": [election.pk, job.pk],
    }[name]
    url = reverse(f"manage:notice_{name}", args=args)
    wrong = "post" if method == "get" else "get"

    anonymous = getattr(client, method)(url)
    assert anonymous.status_code == 302 and "/accounts/" in anonymous["Location"]

    client.force_login(outsider_staff)
    assert getattr(client, method)(url).status_code == 404

    client.force_login(street_staff)
    assert getattr(client, wrong)(url).status_code == 405
    assert getattr(client, method)(url).status_code in (200, 302, 400)


def test_it_hides_another_staff_members_export(client, election, street_staff):
    """An export job belongs to whoever started it."""
    from yezhu.jobs.models import Job

    colleague = UserFactory()
    grant(colleague, RoleAssignment.Role.STREET_STAFF, election.compound.community.street)
    job = Job.objects.create(kind="deliveries_export", created_by=colleague, election_id=election.pk)
    client.force_login(street_staff)
    assert client.get(reverse("manage:notice_export_job", args=[election.pk, job.pk])).status_code == 404


def test_it_shows_an_owner_their_own_inbox_and_records_the_opening(
    client, election, owners, django_capture_on_commit_callbacks
):
    """The inbox lists the owner's notices; opening one records opened_at; another owner's is 404."""
    send(make_notice(election, channels=["inbox"]), django_capture_on_commit_callbacks)
    user_a, owner_a = owners["a"]
    user_b, owner_b = owners["b"]
    mine = Delivery.objects.get(owner=owner_a)
    theirs = Delivery.objects.get(owner=owner_b)
    client.force_login(user_a)
    response = client.get(reverse("elections:inbox"))
    assert response.status_code == 200
    assert [d.pk for d in response.context["deliveries"]] == [mine.pk]
    assert client.get(reverse("elections:inbox_notice", args=[mine.pk])).status_code == 200
    mine.refresh_from_db()
    assert mine.opened_at is not None
    assert client.get(reverse("elections:inbox_notice", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.opened_at is None


def test_it_links_an_inbox_notice_to_its_election(
    client, election, owners, django_capture_on_commit_callbacks
):
    send(make_notice(election, channels=["inbox"]), django_capture_on_commit_callbacks)
    user_a, owner_a = owners["a"]
    client.force_login(user_a)
    delivery = Delivery.objects.get(owner=owner_a)
    context = client.get(reverse("elections:inbox_notice", args=[delivery.pk])).context
    assert context["election_url"] == reverse("elections:detail", args=[election.pk])


@pytest.mark.parametrize("name", ["inbox", "inbox_notice"])
def test_it_guards_the_inbox(client, election, owners, name, django_capture_on_commit_callbacks):
    """Anonymous: sign-in; POST: 405; staff of another street see nothing of it."""
    send(make_notice(election, channels=["inbox"]), django_capture_on_commit_callbacks)
    delivery = Delivery.objects.get(owner=owners["a"][1])
    url = reverse(f"elections:{name}", args=[delivery.pk] if name == "inbox_notice" else [])
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/accounts/" in anonymous["Location"]
    client.force_login(owners["a"][0])
    assert client.post(url).status_code == 405
    client.force_login(owners["b"][0])
    response = client.get(url)
    assert response.status_code == (404 if name == "inbox_notice" else 200)
