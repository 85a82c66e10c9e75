"""Which street an audit row belongs to, and so which auditor reads it: sign-ins, failed sign-ins,
street and district roles, board and audit exports and API tokens carry the street(s) of their user
or scope; a street's auditor reads their street's rows and never another street's. Admin changes
to users and committees are audited; a cut audit export says so."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from grids.models import RoleAssignment
from tests.factories import (
    CommunityFactory,
    CompoundFactory,
    DistrictFactory,
    StreetFactory,
    UserFactory,
    grant,
    owner_user,
    sign_in,
)
from yezhu.accounts.models import SmsMessage
from yezhu.actors import OPERATOR
from yezhu.audit.log import record, streets_of_user
from yezhu.audit.models import AuditEntry
from yezhu.audit.selectors import audit_entries_for

Role = RoleAssignment.Role
IP = "203.0.113.9"


@pytest.fixture
def scope(db, compound, other_compound):
    """Street A (the `compound`'s) and street B, in one district, each with its auditor; street C in
    another district; a district auditor over A and B."""
    district = DistrictFactory(name="西湖区")
    a, b = compound.community.street, other_compound.community.street
    for street in (a, b):
        street.district = district
        street.save(update_fields=["district"])
    c_compound = CompoundFactory(community=CommunityFactory(street=StreetFactory(name="丙街道")), code="BQXQ")
    a_auditor = UserFactory(name="甲审计员")
    grant(a_auditor, Role.AUDITOR, a)
    b_auditor = UserFactory(name="乙审计员")
    grant(b_auditor, Role.AUDITOR, b)
    d_auditor = UserFactory(name="区审计员")
    grant(d_auditor, Role.AUDITOR, district)
    c_auditor = UserFactory(name="丙审计员")
    grant(c_auditor, Role.AUDITOR, c_compound.community.street)
    return {
        "a": a,
        "b": b,
        "c": c_compound.community.street,
        "district": district,
        "a_auditor": a_auditor,
        "b_auditor": b_auditor,
        "d_auditor": d_auditor,
        "c_auditor": c_auditor,
        "superuser": UserFactory(name="管理员", is_superuser=True, is_staff=True),
    }


def _client(user=None) -> Client:
    client = Client(REMOTE_ADDR=IP)
    if user is not None:
        sign_in(client, user)
    return client


def _last_id() -> int:
    return AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0


def _rows(start: int, action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(pk__gt=start, action=action).order_by("id"))


def _sees(user, entries) -> list[bool]:
    visible = set(audit_entries_for(user).values_list("pk", flat=True))
    return [e.pk in visible for e in entries]


def _sign_in_with_code(phone: str, capture) -> None:
    client = _client()
    with capture(execute=True):
        client.post(reverse("account_request_login_code"), {"phone": phone})
    body = SmsMessage.objects.filter(phone=phone).latest("id").body
    response = client.post(
        reverse("account_confirm_login_code"), {"code": re.search(r"\d{6}", body).group(0)}
    )
    assert response.status_code == 302


def test_it_shows_a_street_auditor_the_sign_ins_of_their_street_only(
    scope, compound, other_compound, django_capture_on_commit_callbacks
):
    """An owner's sign-in is in the street of their home: A's auditor reads A's, B's auditor B's."""
    a_owner, _o, _u = owner_user(compound, "1-1-101")
    b_owner, _o, _u = owner_user(other_compound, "1-1-101")
    start = _last_id()
    _sign_in_with_code(a_owner.phone, django_capture_on_commit_callbacks)
    _sign_in_with_code(b_owner.phone, django_capture_on_commit_callbacks)
    a_row, b_row = _rows(start, "sign_in")
    assert (a_row.actor, a_row.street_id, a_row.ip) == (a_owner, scope["a"].pk, IP)
    assert (b_row.actor, b_row.street_id) == (b_owner, scope["b"].pk)
    assert _sees(scope["a_auditor"], [a_row, b_row]) == [True, False]
    assert _sees(scope["b_auditor"], [a_row, b_row]) == [False, True]
    assert _sees(scope["d_auditor"], [a_row, b_row]) == [True, True]
    assert _sees(scope["c_auditor"], [a_row, b_row]) == [False, False]
    page = _client(scope["b_auditor"]).get(reverse("audit:index", query={"action": "sign_in"}))
    assert [e.pk for e in page.context["page"].object_list] == [b_row.pk]


def test_it_records_a_sign_out_in_the_street_of_the_home(scope, compound):
    """Signing out leaves sign_out in the owner's street, read by that street's auditor only."""
    owner, _o, _u = owner_user(compound, "1-2-102")
    start = _last_id()
    assert _client(owner).post(reverse("account_logout")).status_code == 302
    (row,) = _rows(start, "sign_out")
    assert (row.actor, row.street_id) == (owner, scope["a"].pk)
    assert _sees(scope["a_auditor"], [row]) == [True] and _sees(scope["b_auditor"], [row]) == [False]


def test_it_writes_one_row_per_street_for_a_user_of_two_streets(scope, compound):
    """Staff of street B who owns a home in street A: each street's auditor reads their own row."""
    user, _o, _u = owner_user(compound, "2-1-201")
    grant(user, Role.STREET_STAFF, scope["b"])
    assert streets_of_user(user) == sorted([scope["a"].pk, scope["b"].pk])
    start = _last_id()
    _client(user).post(reverse("api:token"))
    rows = _rows(start, "api.token_created")
    assert sorted(r.street_id for r in rows) == sorted([scope["a"].pk, scope["b"].pk])
    assert all(r.data["streets"] == sorted([scope["a"].pk, scope["b"].pk]) for r in rows)
    a_row = next(r for r in rows if r.street_id == scope["a"].pk)
    b_row = next(r for r in rows if r.street_id == scope["b"].pk)
    assert _sees(scope["a_auditor"], [a_row, b_row]) == [True, False]
    assert _sees(scope["b_auditor"], [a_row, b_row]) == [False, True]


def test_it_puts_failed_sign_ins_in_the_street_of_the_account(scope):
    """A wrong password for street A's staff is A's row; an unknown number's is read by superusers only."""
    staff = UserFactory(name="甲街道干部")
    staff.set_password("right-password-1")
    staff.save()
    grant(staff, Role.STREET_STAFF, scope["a"])
    start = _last_id()
    assert authenticate(phone=staff.phone, password="wrong-password") is None
    assert authenticate(phone="13911112222", password="wrong-password") is None
    known, unknown = _rows(start, "sign_in_failed")
    assert known.street_id == scope["a"].pk and unknown.street_id is None
    assert staff.phone not in known.summary  # the number stays masked
    assert _sees(scope["a_auditor"], [known, unknown]) == [True, False]
    assert _sees(scope["b_auditor"], [known, unknown]) == [False, False]
    assert _sees(scope["superuser"], [known, unknown]) == [True, True]


def test_it_shows_street_and_district_role_changes_to_their_auditors(scope):
    """A street role's grant and revocation are street A's rows; a district role's, one row per street."""
    user = UserFactory(name="新干部")
    start = _last_id()
    ra = grant(user, Role.STREET_STAFF, scope["a"])
    ra.delete()
    granted, revoked = _rows(start, "role.granted")[0], _rows(start, "role.revoked")[0]
    assert (granted.street_id, revoked.street_id) == (scope["a"].pk, scope["a"].pk)
    assert _sees(scope["a_auditor"], [granted, revoked]) == [True, True]
    assert _sees(scope["b_auditor"], [granted, revoked]) == [False, False]
    assert _sees(scope["c_auditor"], [granted, revoked]) == [False, False]

    start = _last_id()
    grant(user, Role.DISTRICT_STAFF, scope["district"])
    rows = _rows(start, "role.granted")
    assert sorted(r.street_id for r in rows) == sorted([scope["a"].pk, scope["b"].pk])
    assert sum(_sees(scope["a_auditor"], rows)) == 1 and sum(_sees(scope["b_auditor"], rows)) == 1
    assert _sees(scope["d_auditor"], rows) == [True, True]
    assert _sees(scope["c_auditor"], rows) == [False, False]


def test_it_records_a_street_role_granted_in_the_admin_in_that_street(scope):
    """The role admin's grant of a street role carries the street, the superuser and the address."""
    user = UserFactory(name="后台授权")
    start = _last_id()
    response = _client(scope["superuser"]).post(
        reverse("admin:grids_roleassignment_add"),
        {"user": user.pk, "role": "street_staff", "street": scope["b"].pk, "post": ""},
    )
    assert response.status_code == 302
    (row,) = _rows(start, "role.granted")
    assert (row.actor, row.ip, row.street_id) == (scope["superuser"], IP, scope["b"].pk)
    assert _sees(scope["b_auditor"], [row]) == [True] and _sees(scope["a_auditor"], [row]) == [False]


def test_it_shows_a_board_export_to_the_auditor_of_the_exported_street(scope):
    """Street A's staff downloading the board and the figures: rows of street A only."""
    staff = UserFactory(name="甲街道干部")
    grant(staff, Role.STREET_STAFF, scope["a"])
    client = _client(staff)
    start = _last_id()
    for name in ("street:export_board", "street:export_figures"):
        assert client.get(reverse(name)).status_code == 200
    rows = _rows(start, "street.export_board") + _rows(start, "street.export_figures")
    assert [r.street_id for r in rows] == [scope["a"].pk, scope["a"].pk]
    assert _sees(scope["a_auditor"], rows) == [True, True]
    assert _sees(scope["b_auditor"], rows) == [False, False]


def test_it_shows_an_audit_export_to_the_auditors_of_that_street(scope):
    """Street A's auditor exporting the log leaves a row that A's auditor reads and B's does not."""
    start = _last_id()
    assert _client(scope["a_auditor"]).get(reverse("audit:export")).status_code == 200
    (row,) = _rows(start, "audit.exported")
    assert row.street_id == scope["a"].pk
    assert _sees(scope["a_auditor"], [row]) == [True]
    assert _sees(scope["b_auditor"], [row]) == [False]


def test_it_keeps_street_rows_from_compound_and_community_auditors(scope, compound):
    """An auditor of one compound reads that compound's rows, not the street's own rows."""
    auditor = UserFactory(name="小区审计员")
    grant(auditor, Role.AUDITOR, compound)
    in_compound = record("test.compound", compound_id=compound.pk, actor=OPERATOR)
    street_row = record("test.street", street_id=scope["a"].pk, actor=OPERATOR)
    assert in_compound.street_id == scope["a"].pk
    assert _sees(auditor, [in_compound, street_row]) == [True, False]
    assert _sees(scope["a_auditor"], [in_compound, street_row]) == [True, True]
    assert _sees(scope["b_auditor"], [in_compound, street_row]) == [False, False]


# -- admin changes ------------------------------------------------------------------------------


def _user_form(user, **changes) -> dict:
    data = {
        "phone": user.phone,
        "phone_verified": "on",
        "name": user.name,
        "email": "",
        "is_active": "on",
        "groups": [],
        "user_permissions": [],
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2026-01-05",
        "date_joined_1": "09:00:00",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_it_records_a_user_change_in_the_admin(scope, compound):
    """Making a user staff and adding a group writes user.changed with old → new, in the user's street."""
    user, _o, _u = owner_user(compound, "3-1-301", name="张三")
    group = Group.objects.create(name="街道管理")
    client = _client(scope["superuser"])
    url = reverse("admin:accounts_user_change", args=[user.pk])
    start = _last_id()
    response = client.post(url, _user_form(user, is_staff="on", groups=[group.pk]))
    assert response.status_code == 302, response.content.decode()[:2000]
    (row,) = _rows(start, "user.changed")
    assert row.data["fields"] == ["groups", "is_staff"]
    assert row.data["changes"]["is_staff"] == [False, True]
    assert row.data["changes"]["groups"] == {"added": ["街道管理"], "removed": []}
    assert (row.actor, row.ip, row.street_id) == (scope["superuser"], IP, scope["a"].pk)
    assert _sees(scope["a_auditor"], [row]) == [True] and _sees(scope["b_auditor"], [row]) == [False]

    start = _last_id()
    response = client.post(url, _user_form(user, is_staff="on", groups=[group.pk]))
    assert response.status_code == 302
    assert _rows(start, "user.changed") == []  # saved unchanged: nothing to record

    response = client.post(url, _user_form(user, is_superuser="on", is_active=None, groups=[]))
    assert response.status_code == 302
    (row,) = _rows(start, "user.changed")
    assert row.data["changes"]["is_superuser"] == [False, True]
    assert row.data["changes"]["is_active"] == [True, False]
    assert row.data["changes"]["is_staff"] == [True, False]
    assert row.data["changes"]["groups"] == {"added": [], "removed": ["街道管理"]}


def test_it_records_a_committee_change_in_the_admin(scope, compound):
    """A committee's term changed and a member added in the admin: committee.changed for the compound."""
    from elections.models import Committee, CommitteeMember

    committee = Committee.objects.create(
        compound=compound, term_start=date(2022, 1, 1), term_end=date(2027, 1, 1)
    )
    CommitteeMember.objects.create(
        committee=committee, name="李四", position=1, role=CommitteeMember.Role.CHAIR
    )
    member = committee.members.get()
    start = _last_id()
    response = _client(scope["superuser"]).post(
        reverse("admin:elections_committee_change", args=[committee.pk]),
        {
            "compound": compound.pk,
            "election": "",
            "term_start": "2022-01-01",
            "term_end": "2026-12-31",
            "members-TOTAL_FORMS": "2",
            "members-INITIAL_FORMS": "1",
            "members-MIN_NUM_FORMS": "0",
            "members-MAX_NUM_FORMS": "1000",
            "members-0-id": member.pk,
            "members-0-committee": committee.pk,
            "members-0-name": "李四",
            "members-0-role": member.role,
            "members-0-position": "1",
            "members-1-committee": committee.pk,
            "members-1-name": "王五",
            "members-1-role": CommitteeMember.Role.MEMBER,
            "members-1-position": "2",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    (row,) = _rows(start, "committee.changed")
    assert row.data["fields"] == ["term_end"]
    assert row.data["members"] == {"added": ["王五"]}
    assert (row.data["before"], row.data["after"]) == ({"term_end": "2027-01-01"}, {"term_end": "2026-12-31"})
    assert (row.compound_id, row.street_id, row.actor) == (compound.pk, scope["a"].pk, scope["superuser"])
    assert _sees(scope["a_auditor"], [row]) == [True] and _sees(scope["b_auditor"], [row]) == [False]


# -- the export's limit -----------------------------------------------------------------------------


def test_it_says_so_when_the_export_is_cut(scope, compound, monkeypatch):
    """Over the limit the page warns and the file's last row says only the first N were exported."""
    from openpyxl import load_workbook

    from yezhu.audit import views

    for i in range(3):
        record("test.many", summary=f"第{i}条", compound_id=compound.pk, actor=OPERATOR)
    client = _client(scope["a_auditor"])
    monkeypatch.setattr(views, "EXPORT_LIMIT", 3)
    page = client.get(reverse("audit:index", query={"action": "test.many"}))
    assert "下载只包含前" not in page.content.decode()
    whole = load_workbook(
        io.BytesIO(client.get(reverse("audit:export", query={"action": "test.many"})).content)
    )
    rows = list(whole.active.iter_rows(values_only=True))
    assert len(rows) == 1 + 3 and all(r[3] == "test.many" for r in rows[1:])
    assert AuditEntry.objects.filter(action="audit.exported").latest("id").data["cut"] is False

    monkeypatch.setattr(views, "EXPORT_LIMIT", 2)
    page = client.get(reverse("audit:index", query={"action": "test.many"}))
    assert "当前筛选共有 3 条记录，下载只包含前 2 条" in page.content.decode()
    cut = load_workbook(
        io.BytesIO(client.get(reverse("audit:export", query={"action": "test.many"})).content)
    )
    rows = list(cut.active.iter_rows(values_only=True))
    assert len(rows) == 1 + 2 + 1
    assert [r[3] for r in rows[1:3]] == ["test.many", "test.many"]
    assert rows[-1][0] == "只导出了前 2 条，请缩小时间范围"
    entry = AuditEntry.objects.filter(action="audit.exported").latest("id")
    assert entry.data["rows"] == 2 and entry.data["cut"] is True
