"""The audit log: append-only through the ORM, the admin and (on PostgreSQL) the database; it
covers sign-ins, role changes, imports, election transitions, ballots, rejections and exports
with actor, time, IP and object; auditors and superusers read, filter and export it at /audit/."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.db.models.deletion import ProtectedError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from grids.models import RoleAssignment
from tests.conftest import requires_postgres
from tests.factories import sign_in
from tests.security import build_world
from yezhu.accounts.models import SmsMessage
from yezhu.actors import OPERATOR
from yezhu.audit.log import record
from yezhu.audit.models import AppendOnlyError, AuditEntry

IP = "203.0.113.7"


@pytest.fixture
def world(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return build_world()


def _client(user=None, ip=IP) -> Client:
    client = Client(REMOTE_ADDR=ip)
    if user is not None:
        sign_in(client, user)
    return client


def _new(before_id: int, action: str) -> AuditEntry:
    entries = AuditEntry.objects.filter(pk__gt=before_id, action=action)
    assert entries.exists(), f"no {action} audit row"
    return entries.order_by("-id").first()


def _last_id() -> int:
    return AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0


# -- append-only ------------------------------------------------------------------------------


def test_it_refuses_to_change_or_remove_an_entry_through_the_orm(db):
    """save() of an existing row, delete(), and queryset update/delete/bulk_update all raise."""
    entry = record("test.entry", summary="一条记录", actor=OPERATOR)
    entry.summary = "改过的"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=entry.pk).update(summary="改过的")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.all().delete()
    with pytest.raises(AppendOnlyError), transaction.atomic():
        AuditEntry.objects.bulk_update([entry], ["summary"])
    entry.refresh_from_db()
    assert entry.summary == "一条记录"
    assert AuditEntry.objects.count() == 1


def test_it_keeps_entries_when_their_actor_would_be_deleted(world):
    """A user who appears in the log cannot be deleted (the FK protects the row)."""
    user = world.users["a_staff"]
    assert AuditEntry.objects.filter(actor=user).exists() or record("x", actor=user)
    with pytest.raises(ProtectedError):
        user.delete()


def test_it_offers_no_change_or_delete_in_the_admin(world):
    """The admin shows the log read-only: the change form refuses a POST, delete is forbidden."""
    entry = AuditEntry.objects.first()
    client = _client(world.users["superuser"])
    change = reverse("admin:audit_auditentry_change", args=[entry.pk])
    response = client.post(change, {"summary": "改过的", "action": "x"})
    assert response.status_code in (302, 403)
    assert (
        client.post(reverse("admin:audit_auditentry_delete", args=[entry.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert client.get(reverse("admin:audit_auditentry_add")).status_code == 403
    entry.refresh_from_db()
    assert entry.summary != "改过的"


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_it_refuses_raw_update_and_delete_in_postgresql():
    """The trigger refuses UPDATE and DELETE even in raw SQL, whatever the application does."""
    from django.db import DatabaseError

    entry = record("test.entry", summary="原文", actor=OPERATOR)
    for sql in (
        "UPDATE audit_auditentry SET summary = 'x' WHERE id = %s",
        "DELETE FROM audit_auditentry WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [entry.pk])
    entry.refresh_from_db()
    assert entry.summary == "原文"


# -- coverage ---------------------------------------------------------------------------------


def test_it_records_a_sign_in_with_actor_and_ip(db, django_capture_on_commit_callbacks):
    """Signing in with a code leaves sign_in with the user and the client's address."""
    client = _client()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_request_login_code"), {"phone": "13800138111"})
    body = SmsMessage.objects.filter(phone="13800138111").latest("id").body
    client.post(reverse("account_confirm_login_code"), {"code": re.search(r"\d{6}", body).group(0)})
    entry = AuditEntry.objects.get(action="sign_in")
    assert entry.actor.phone == "13800138111"
    assert entry.ip == IP
    assert entry.object_type == "accounts.user"


def test_it_records_role_grants_changes_and_removals(world):
    """Every RoleAssignment saved or deleted leaves role.granted / role.changed / role.revoked."""
    start = _last_id()
    user = world.users["nobody"]
    ra = RoleAssignment.objects.create(
        user=user, role=RoleAssignment.Role.WORKING_GROUP, compound=world.compound
    )
    granted = _new(start, "role.granted")
    assert granted.object_id == str(ra.pk) and granted.compound_id == world.compound.pk
    ra.role = RoleAssignment.Role.AUDITOR
    ra.save()
    assert _new(start, "role.changed").data["role"] == "auditor"
    ra.delete()
    revoked = _new(start, "role.revoked")
    assert revoked.data["user"] == user.pk and revoked.compound_id == world.compound.pk


def test_it_records_role_changes_in_the_admin_with_actor_and_ip(world):
    """A superuser granting a role in the admin is named in the row, with the address."""
    start = _last_id()
    client = _client(world.users["superuser"])
    response = client.post(
        reverse("admin:grids_roleassignment_add"),
        {
            "user": world.users["nobody"].pk,
            "role": "working_group",
            "compound": world.compound.pk,
            "post": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = _new(start, "role.granted")
    assert entry.actor == world.users["superuser"]
    assert entry.ip == IP
    ra = RoleAssignment.objects.get(user=world.users["nobody"])
    client.post(reverse("admin:grids_roleassignment_delete", args=[ra.pk]), {"post": "yes"})
    revoked = _new(start, "role.revoked")
    assert revoked.actor == world.users["superuser"] and revoked.ip == IP


def test_it_records_a_roll_import_through_the_pages(world):
    """Upload, preview and commit of a roll leave roll.imported with the staff member and address."""
    from grids.sample import roll_csv, roll_rows

    start = _last_id()
    rows = roll_rows(
        24,
        seed=11,
        floors=3,
        per_floor=2,
        entrances=2,
        unsold_share=0,
        co_owned_share=0,
        multi_unit_share=0,
        with_mobile_share=1.0,
    )
    rows = rows + [("3", "1", "101", "住宅", "88.00", "登记", "已交付", "新业主", "", "")]
    import random

    from grids.sample import id_number

    rows[-1] = (*rows[-1][:9], id_number(random.Random(99)))  # noqa: S311
    client = _client(world.users["a_staff"])
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        reverse("grids:roll_upload", args=[world.compound.pk]),
        {"file": SimpleUploadedFile("roll.csv", roll_csv(rows))},
    )
    assert response.status_code == 302
    job_id = int(response["Location"].rstrip("/").split("/")[-1])
    client.post(reverse("grids:roll_commit", args=[world.compound.pk, job_id]))
    entry = _new(start, "roll.imported")
    assert entry.actor == world.users["a_staff"]
    assert entry.compound_id == world.compound.pk
    assert entry.object_type == "grids.compound"


@pytest.mark.parametrize(
    ("election", "action", "data", "stage"),
    [
        ("e_nom", "vetting_start", {}, "vetting"),
        ("e_nom", "election_fail", {"election_fail-reason": "候选人不足，本次选举未能进行。"}, "failed"),
    ],
)
def test_it_records_election_transitions_made_on_the_page(world, election, action, data, stage):
    """A transition through the page leaves election.stage with actor, IP, the election and both stages."""
    target = getattr(world, election)
    start = _last_id()
    _client(world.users["a_staff"]).post(reverse("manage:do", args=[target.pk, action]), data)
    target.refresh_from_db()
    assert target.stage == stage
    entry = _new(start, "election.stage")
    assert (entry.actor, entry.ip, entry.election_id) == (world.users["a_staff"], IP, target.pk)
    assert (entry.object_type, entry.object_id) == ("elections.election", str(target.pk))
    assert entry.data["to"] == stage
    assert entry.at > timezone.now() - timedelta(minutes=1)


def test_it_records_every_transition_of_the_lifecycle(compound, street_staff):
    """Walking an election from start to done writes one election.stage row per move, each with the actor."""
    from datetime import date

    from elections import lifecycle as lc
    from elections.calendar import seed_holidays
    from tests.elections.test_lifecycle import (
        ALL_VOTE,
        at,
        close_and_count,
        ready_for_notice,
        to_candidate_notice,
        vote,
    )
    from tests.factories import owner_user

    seed_holidays(years=[2026], actor=OPERATOR)
    owners = [
        owner_user(compound, c, a)[::2] for c, a in (("1-1-101", "100"), ("1-1-102", "90"), ("1-1-103", "80"))
    ]
    election = ready_for_notice(compound, street_staff)
    to_candidate_notice(election, street_staff)
    lc.voting_schedule(
        election=election, actor=street_staff, opens_at=at(2026, 3, 28), closes_at=at(2026, 4, 5, 18)
    )
    lc.voting_open(election=election, actor=street_staff, now=at(2026, 3, 28))
    vote(election, owners, ALL_VOTE)
    close_and_count(election=election, actor=street_staff, now=at(2026, 4, 5, 18))
    lc.result_publish(election=election, actor=street_staff, on=date(2026, 4, 6))
    lc.result_finalise(election=election, actor=street_staff, on=date(2026, 4, 14))
    lc.committee_from_result(election=election, actor=street_staff)  # only from a final result
    lc.election_file(election=election, actor=street_staff, on=date(2026, 4, 20))
    moves = AuditEntry.objects.filter(election_id=election.pk, action="election.stage")
    assert [m.data["to"] for m in moves.order_by("id")] == [
        "working_group",
        "notice",
        "nomination",
        "vetting",
        "candidate_notice",
        "voting",
        "counting",
        "result_notice",
        "filing",
        "done",
    ]
    assert all(m.actor == street_staff for m in moves)
    assert AuditEntry.objects.filter(election_id=election.pk, action="ballot.cast").count() == 3


def test_it_records_a_ballot_cast_on_the_page_and_a_rejection(world):
    """An online cast leaves ballot.cast with the voter's user and address (never the choices); a
    rejected paper ballot leaves ballot.rejected with its reason."""
    client = _client(world.users["a_owner"])
    url = reverse("elections:vote", args=[world.e_vote.pk, world.voter.pk])
    page = client.post(url, {"step": "review", "M1": "yes", "R1": ["C1"]})
    token = re.search(r'name="token" value="([^"]+)"', page.content.decode()).group(1)
    start = _last_id()
    assert client.post(url, {"step": "cast", "token": token}).status_code == 302
    cast = _new(start, "ballot.cast")
    assert (cast.actor, cast.ip, cast.election_id) == (world.users["a_owner"], IP, world.e_vote.pk)
    # The voter, never the ballot: a ballot's id runs in the order cast (docs/security.md §2).
    assert (cast.object_type, cast.object_id) == ("elections.voter", str(world.voter.pk))
    assert "choices" not in cast.data and "C1" not in str(cast.data)
    rejected = AuditEntry.objects.get(action="ballot.rejected", election_id=world.e_closed.pk)
    assert rejected.data["reason"] == "未签名" and rejected.actor == world.users["a_staff"]


def _finish_export_job(world):
    from django.core.files.base import ContentFile

    job = world.export_job
    job.status = "done"
    job.output_file.save("songda.xlsx", ContentFile(b"PK\x03\x04"), save=False)
    type(job).objects.filter(pk=job.pk).update(status="done", output_file=job.output_file.name)


EXPORTS = [
    ("grids:roll_export", lambda w: [w.compound.pk], "roll.exported", "a_staff"),
    ("manage:results_xlsx", lambda w: [w.e_closed.pk], "result.exported", "a_staff"),
    ("street:export_board", lambda w: [], "street.export_board", "a_staff"),
    ("street:export_figures", lambda w: [], "street.export_figures", "a_staff"),
    ("manage:notice_export_download", lambda w: [w.e_vote.pk, w.export_job.pk], "notice.exported", "a_staff"),
    ("elections:bundle", lambda w: [w.e_closed.pk], "bundle.exported", "a_owner"),
    ("audit:export", lambda w: [], "audit.exported", "a_auditor"),
]


@pytest.mark.parametrize(("name", "args", "action", "who"), EXPORTS, ids=[e[0] for e in EXPORTS])
def test_it_records_every_export(world, name, args, action, who):
    """Each export writes its row with the person who downloaded it and their address."""
    _finish_export_job(world)
    start = _last_id()
    response = _client(world.users[who]).get(reverse(name, args=args(world)))
    assert response.status_code == 200
    entry = _new(start, action)
    assert (entry.actor, entry.ip) == (world.users[who], IP)


# -- the auditor's pages ----------------------------------------------------------------------


def test_it_shows_an_auditor_the_log_of_their_scope_only(world):
    """The street A auditor sees street A's compound rows, not street B's; street B's auditor the reverse."""
    record("test.a", summary="甲区的记录", compound_id=world.compound.pk, actor=OPERATOR)
    record("test.b", summary="乙区的记录", compound_id=world.other_compound.pk, actor=OPERATOR)
    page = _client(world.users["a_auditor"]).get(reverse("audit:index", query={"action": "test."}))
    assert page.status_code == 200
    body = page.content.decode()
    assert "甲区的记录" in body and "乙区的记录" not in body
    other = (
        _client(world.users["b_auditor"])
        .get(reverse("audit:index", query={"action": "test."}))
        .content.decode()
    )
    assert "乙区的记录" in other and "甲区的记录" not in other
    everything = _client(world.users["superuser"]).get(reverse("audit:index", query={"action": "test."}))
    assert "甲区的记录" in everything.content.decode() and "乙区的记录" in everything.content.decode()


def test_it_hides_the_log_from_everyone_else(world):
    """Street staff, the working group, grid leaders and owners get 404; anonymous the sign-in page."""
    for who in ("a_staff", "a_wg", "a_leader", "a_owner", "b_staff"):
        for name in ("audit:index", "audit:export"):
            assert _client(world.users[who]).get(reverse(name)).status_code == 404, (who, name)
    anonymous = Client().get(reverse("audit:index"))
    assert anonymous.status_code == 302 and "/accounts/" in anonymous["Location"]


def test_it_filters_by_action_date_and_election(world):
    """The filters narrow the rows: an action prefix, a day range and an election number."""
    client = _client(world.users["a_auditor"])
    e_vote, e_closed = world.e_vote.pk, world.e_closed.pk
    by_election = client.get(reverse("audit:index", query={"election": e_closed})).context["page"].object_list
    assert by_election and all(x.election_id == e_closed for x in by_election)
    by_action = client.get(reverse("audit:index", query={"action": "ballot"})).context["page"].object_list
    assert {x.action for x in by_action} == {"ballot.cast", "ballot.rejected"}
    assert any(x.election_id == e_vote for x in by_action)
    today = timezone.localdate()
    tomorrow = client.get(reverse("audit:index", query={"since": (today + timedelta(days=1)).isoformat()}))
    assert list(tomorrow.context["page"].object_list) == []
    today_rows = client.get(
        reverse("audit:index", query={"since": today.isoformat(), "until": today.isoformat()})
    )
    assert len(today_rows.context["page"].object_list) > 0
    bad = client.get(reverse("audit:index", query={"election": "abc"}))
    assert bad.status_code == 200 and "请核对日期和选举编号" in bad.content.decode()


def test_it_exports_the_filtered_log_as_a_workbook(world):
    """The export is an XLSX with the filtered rows (actor, IP, action, object), and is itself audited."""
    from openpyxl import load_workbook

    response = _client(world.users["a_auditor"]).get(reverse("audit:export", query={"action": "ballot"}))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 1 + 3  # header, two casts and a rejection in street A
    # The action in words as the log page says it, and its code in a column of its own (issue 20).
    assert rows[0][3:5] == ("操作", "操作代码")
    assert {r[3] for r in rows[1:]} == {"投票", "选票被拒收"}
    assert {r[4] for r in rows[1:]} == {"ballot.cast", "ballot.rejected"}
    entry = AuditEntry.objects.filter(action="audit.exported").latest("id")
    assert entry.actor == world.users["a_auditor"] and entry.data["rows"] == 3


def test_it_neutralises_formulas_in_the_export(world):
    """A summary that starts with = is written as text (a string cell with Excel's quote prefix,
    yezhu.xlsx), so a spreadsheet never runs it and shows it as it was typed."""
    from openpyxl import load_workbook

    record(
        "test.formula", summary='=HYPERLINK("http://x","y")', compound_id=world.compound.pk, actor=OPERATOR
    )
    response = _client(world.users["a_auditor"]).get(
        reverse("audit:export", query={"action": "test.formula"})
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    cell = sheet.cell(row=2, column=10)  # the summary, after the action's words and its code
    assert cell.value == '=HYPERLINK("http://x","y")'
    assert cell.data_type == "s" and cell.quotePrefix


def test_it_exports_actions_and_fixed_summaries_in_the_words_of_the_log_page(world):
    """The export says what the page says ("登录", not "sign_in" / "signed in"), and keeps the code
    in its own column for whoever filters the file by machine (issue 20)."""
    from openpyxl import load_workbook

    from yezhu.audit.labels import action_label, summary_text

    record("sign_in", summary="signed in", compound_id=world.compound.pk, actor=OPERATOR)
    response = _client(world.users["a_auditor"]).get(reverse("audit:export", query={"action": "sign_in"}))
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    exported = [r for r in rows[1:] if r[4] == "sign_in"]
    assert exported
    for row in exported:
        assert row[3] == action_label("sign_in") == "登录"
        assert row[9] == summary_text("signed in") == "登录"
