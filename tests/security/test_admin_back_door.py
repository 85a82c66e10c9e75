"""The admin is a window on the services, not a way around them (issue 14, finding 1).

Each test is one attack tried as an outsider with the admin's password would: a password alone,
changing during a vote what the staff pages refuse (the quorum, the close time, a matter's
threshold, a race's seats, a candidate's name, which account votes for a home), reading a live
sign-in code in the SMS outbox, a committee without a chair, and a change with no audit row.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from elections.models import Candidate, Committee, Election, Matter, Race, Stage
from grids.models import Owner, Ownership, Street
from tests.elections.test_voting import open_election
from tests.factories import OwnerFactory, UserFactory, election_with_ballot_paper, sign_in
from yezhu.accounts.models import SmsMessage, User
from yezhu.audit.models import AuditEntry

pytestmark = pytest.mark.django_db

PASSWORD = "a long admin password"


@pytest.fixture
def superuser():
    return User.objects.create_superuser("13300000009", PASSWORD, name="系统管理员")


@pytest.fixture
def admin(superuser):
    return sign_in(Client(), superuser)


@pytest.fixture
def voting(compound, homes):
    return open_election(compound)


def url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def rows(action: str, since: int = 0):
    return list(AuditEntry.objects.filter(action=action, pk__gt=since).order_by("pk"))


def last_id() -> int:
    return AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def settings_form(election: Election, **changes) -> dict:
    data = {
        "quorum_numerator": election.quorum_numerator,
        "quorum_denominator": election.quorum_denominator,
        "proxy_limit": election.proxy_limit,
        "nominations_required": election.nominations_required,
        "ballot_secrecy": election.ballot_secrecy,
    }
    if election.temporary_meeting:
        data["temporary_meeting"] = "on"
    data.update(changes)
    return data


# -- signing in ------------------------------------------------------------------------------------


def test_admin_password_alone_signs_nobody_in(client, superuser):
    """The admin's own sign-in form is gone: a right password posted to it is not even checked,
    and the visitor is sent to the staff sign-in (password, then the SMS code)."""
    response = client.post(reverse("admin:login"), {"username": superuser.phone, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login") + "?next=")
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("admin:index"))["Location"].startswith(reverse("admin:login"))
    assert not SmsMessage.objects.exists()  # nothing was checked, so no code went out either


def test_admin_refuses_a_session_without_the_sms_code(superuser):
    """A session signed in with the password alone (or made any other way) does not open the
    admin; its sign-in page signs it out and sends it to the staff sign-in."""
    client = sign_in(Client(), superuser, factors=("password",))
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))
    response = client.get(response["Location"])
    assert response["Location"].startswith(reverse("account_login"))
    assert "_auth_user_id" not in client.session


def test_admin_sign_in_is_the_staff_sign_in_with_its_limits_and_audit(
    client, superuser, django_capture_on_commit_callbacks
):
    """Through the staff pages: a wrong password is refused and audited, the fifth wrong one locks
    the number, and password plus code lands in the admin with a sign-in row."""
    login = reverse("account_login") + "?next=" + reverse("admin:index")
    start = last_id()
    response = client.post(login, {"login": superuser.phone, "password": "not the password"})
    assert response.status_code == 200
    assert len(rows("sign_in_failed", start)) == 1
    for _ in range(4):
        client.post(login, {"login": superuser.phone, "password": "not the password"})
    response = client.post(login, {"login": superuser.phone, "password": PASSWORD})
    assert "尝试次数过多" in response.content.decode()  # locked even with the right password
    assert not SmsMessage.objects.filter(phone=superuser.phone).exists()

    other = Client()
    with django_capture_on_commit_callbacks(execute=True):
        response = other.post(login, {"login": superuser.phone, "password": PASSWORD})
    # The lock is per number: a second browser is refused as well.
    assert "尝试次数过多" in response.content.decode()


def test_admin_sign_in_with_password_and_code_reaches_the_admin(client, django_capture_on_commit_callbacks):
    superuser = User.objects.create_superuser("13300000008", PASSWORD)
    login = reverse("account_login") + "?next=" + reverse("admin:index")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(login, {"login": superuser.phone, "password": PASSWORD})
    assert response["Location"].startswith(reverse("account_confirm_login_code"))
    code = re.search(r"\d{6}", SmsMessage.objects.get(phone=superuser.phone).body).group(0)
    start = last_id()
    client.post(response["Location"], {"code": f"{(int(code) + 1) % 1_000_000:06d}"})
    assert rows("sign_in_failed", start)[-1].data["method"] == "code"  # a wrong code is audited too
    response = client.post(response["Location"], {"code": code})
    assert response["Location"] == reverse("admin:index")
    assert client.get(reverse("admin:index")).status_code == 200
    assert rows("sign_in")[-1].actor == superuser


# -- the election's rules during a vote ------------------------------------------------------------


def test_changing_the_quorum_during_voting_through_the_admin_fails(admin, voting):
    """Quorum 1/3 while owners vote: refused by the floor of 民法典 第278条; quorum 3/4 (a raise the
    floor allows): refused because voting has opened. Nothing saved, no audit row either time."""
    for (numerator, denominator), reason in (((1, 3), "不得低于三分之二"), ((3, 4), "投票开始后")):
        start = last_id()
        response = admin.post(
            url(Election, "change", voting.pk),
            settings_form(voting, quorum_denominator=denominator, quorum_numerator=numerator),
        )
        assert response.status_code in (200, 302)
        voting.refresh_from_db()
        assert (voting.quorum_numerator, voting.quorum_denominator) == (2, 3)
        assert not rows("election.settings", start) and not rows("admin.changed", start)
        page = response.content.decode() + admin.get(url(Election, "change", voting.pk)).content.decode()
        assert reason in page


def test_changing_the_rules_before_voting_goes_through_the_service(admin, compound):
    """Before voting the admin may change the rules, through the same service and audit row."""
    election = election_with_ballot_paper(compound, stage=Stage.NOMINATION)
    start = last_id()
    response = admin.post(url(Election, "change", election.pk), settings_form(election, proxy_limit=2))
    assert response.status_code == 302
    election.refresh_from_db()
    assert election.proxy_limit == 2
    (row,) = rows("election.settings", start)
    assert row.data["changes"] == {"proxy_limit": 2} and row.actor is not None
    (admin_row,) = rows("admin.changed", start)
    assert (admin_row.data["before"], admin_row.data["after"]) == ({"proxy_limit": 3}, {"proxy_limit": 2})


def test_moving_the_close_time_through_the_admin_fails(admin, voting):
    """The close time (and the stage, the window, the result) are read-only in the admin: a
    posted value is ignored, so beat keeps sending reminders with the real close time."""
    closes = voting.voting_closes_at
    later = timezone.localtime(closes + timedelta(days=3))
    admin.post(
        url(Election, "change", voting.pk),
        settings_form(
            voting,
            voting_closes_at_0=later.strftime("%Y-%m-%d"),
            voting_closes_at_1=later.strftime("%H:%M:%S"),
            stage=Stage.COUNTING,
        ),
    )
    voting.refresh_from_db()
    assert voting.voting_closes_at == closes and voting.stage == Stage.VOTING


def test_turning_an_ordinary_matter_special_through_the_admin_fails(admin, voting):
    matter = Matter.objects.get(election=voting, key="M1")
    response = admin.post(
        url(Matter, "change", matter.pk),
        {"election": voting.pk, "key": "M1", "title": matter.title, "item": 6, "category": "special"},
    )
    assert response.status_code == 403
    matter.refresh_from_db()
    assert (matter.category, matter.item) == (Matter.Category.ORDINARY, Matter.Item.OTHER)
    assert admin.get(url(Matter, "change", matter.pk)).status_code == 200  # still readable


def test_cutting_a_races_seats_through_the_admin_fails(admin, voting):
    race = Race.objects.get(election=voting)
    response = admin.post(url(Race, "change", race.pk), {"election": voting.pk, "key": "R1", "seats": 1})
    assert response.status_code == 403
    race.refresh_from_db()
    assert race.seats == 2


def test_renaming_a_candidate_through_the_admin_fails(admin, voting):
    race = Race.objects.get(election=voting)
    candidate = race.candidates.get(key="C1")
    admin.post(
        url(Race, "change", race.pk),
        {
            "election": voting.pk,
            "key": "R1",
            "title": race.title,
            "seats": race.seats,
            "candidates-TOTAL_FORMS": "1",
            "candidates-INITIAL_FORMS": "1",
            "candidates-0-id": candidate.pk,
            "candidates-0-race": race.pk,
            "candidates-0-key": "C1",
            "candidates-0-name": "换了名字",
        },
    )
    assert Candidate.objects.get(pk=candidate.pk).name == candidate.name


def test_adding_or_deleting_an_election_through_the_admin_fails(admin, voting):
    assert admin.get(url(Election, "add")).status_code == 403
    assert admin.post(url(Election, "delete", voting.pk), {"post": "yes"}).status_code == 403
    assert Election.objects.filter(pk=voting.pk).exists()


# -- who votes for a home ---------------------------------------------------------------------------


def test_linking_an_owner_to_another_account_during_a_vote_fails(admin, voting, homes):
    """The account that casts for a home cannot be swapped mid-vote: not on the owner, not by a
    new ownership, not by changing the account's number."""
    owner = Owner.objects.get(user=homes["alone"])
    thief = UserFactory(name="外人")
    admin.post(url(Owner, "change", owner.pk), {"name": owner.name, "mobile": owner.mobile, "user": thief.pk})
    owner.refresh_from_db()
    assert owner.user == homes["alone"]

    mine = OwnerFactory(name="外人", user=thief)
    response = admin.post(url(Ownership, "add"), {"unit": homes["alone_unit"].pk, "owner": mine.pk})
    assert response.status_code == 200 and voting.title in response.content.decode()
    assert not Ownership.objects.filter(owner=mine).exists()
    ownership = Ownership.objects.get(unit=homes["alone_unit"])
    assert admin.post(url(Ownership, "delete", ownership.pk), {"post": "yes"}).status_code == 403
    assert Ownership.objects.filter(pk=ownership.pk).exists()

    phone = homes["alone"].phone
    admin.post(url(User, "change", homes["alone"].pk), {"phone": thief.phone[:-1] + "7", "is_active": "on"})
    homes["alone"].refresh_from_db()
    assert homes["alone"].phone == phone


def test_changing_a_proxys_number_during_a_vote_fails(admin, voting, homes):
    """The proxy's account casts for the owner's home: its number is frozen like an owner's."""
    from elections import voting as votes
    from tests.elections.test_voting import voter_of

    proxy = votes.proxy_authorise(
        election=voting,
        voter=voter_of(voting, homes["alone_unit"]),
        actor=homes["alone"],
        proxy_mobile="13912366666",
        proxy_name="代理人",
    )
    admin.post(
        url(User, "change", proxy.proxy_user.pk),
        {
            "phone": "13912366667",
            "is_active": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "08:00:00",
        },
    )
    assert User.objects.get(pk=proxy.proxy_user.pk).phone == "13912366666"


def test_linking_an_owner_to_an_account_outside_a_vote_is_audited(admin, compound, homes):
    """No vote running: the change is allowed and its row says who it was before and after."""
    owner = Owner.objects.get(user=homes["alone"])
    other = UserFactory(name="新账号")
    start = last_id()
    response = admin.post(
        url(Owner, "change", owner.pk), {"name": owner.name, "mobile": owner.mobile or "", "user": other.pk}
    )
    assert response.status_code == 302
    (row,) = rows("admin.changed", start)
    assert row.data["before"]["user_id"] == homes["alone"].pk and row.data["after"]["user_id"] == other.pk
    assert row.compound_id == compound.pk and row.actor is not None


# -- every change audited --------------------------------------------------------------------------


def test_an_admin_change_without_an_audit_row_is_impossible(admin, street):
    """Any model (here a street's profile) saved in the admin: a row with before and after."""
    start = last_id()
    response = admin.post(
        url(Street, "change", street.pk),
        {"name": street.name, "profile": "shanghai", "party_share_target": street.party_share_target or ""},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    (row,) = rows("admin.changed", start)
    assert row.data["model"] == "grids.street"
    assert row.data["before"]["profile"] != "shanghai" and row.data["after"]["profile"] == "shanghai"
    admin.post(url(Street, "delete", street.pk), {"post": "yes"})
    (gone,) = rows("admin.deleted", start)
    assert gone.data["before"]["name"] == street.name


def test_an_admins_own_password_change_is_audited(admin, superuser):
    start = last_id()
    response = admin.post(
        reverse("admin:password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "another long password 7",
            "new_password2": "another long password 7",
        },
    )
    assert response.status_code == 302
    (row,) = rows("user.changed", start)
    assert row.actor == superuser and row.data["changes"] == {"password": "changed"}


# -- the outbox ---------------------------------------------------------------------------------------


def test_reading_a_live_code_in_the_admin_outbox_fails(
    admin, client, settings, django_capture_on_commit_callbacks
):
    """An owner asks for a code: the admin's outbox (list and message page) and the development
    outbox show the message with the code masked; once expired, the text is shown whole."""
    settings.DEBUG = True
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_request_login_code"), {"phone": "13912345678"})
    message = SmsMessage.objects.get(phone="13912345678")
    code = re.search(r"\d{6}", message.body).group(0)
    for page in (
        url(SmsMessage, "changelist"),
        url(SmsMessage, "change", message.pk),
        reverse("sms_outbox"),
    ):
        body = admin.get(page).content.decode()
        assert code not in body, page
    assert "●●●●●●" in admin.get(url(SmsMessage, "change", message.pk)).content.decode()
    SmsMessage.objects.filter(pk=message.pk).update(created_at=timezone.now() - timedelta(hours=1))
    assert code in admin.get(url(SmsMessage, "change", message.pk)).content.decode()


# -- the committee --------------------------------------------------------------------------------


def committee_form(compound, *members) -> dict:
    data = {
        "compound": compound.pk,
        "election": "",
        "term_start": "2024-01-01",
        "term_end": "2028-12-31",
        "members-TOTAL_FORMS": str(len(members)),
        "members-INITIAL_FORMS": "0",
        "members-MIN_NUM_FORMS": "0",
        "members-MAX_NUM_FORMS": "1000",
    }
    for i, (name, role) in enumerate(members):
        data |= {f"members-{i}-name": name, f"members-{i}-role": role, f"members-{i}-position": str(i)}
    return data


def test_the_committee_admin_refuses_a_committee_without_a_chair(admin, compound):
    response = admin.post(
        url(Committee, "add"), committee_form(compound, ("张三", "member"), ("李四", "member"))
    )
    assert response.status_code == 200
    assert "主任" in response.content.decode()
    assert not Committee.objects.exists()
    response = admin.post(
        url(Committee, "add"), committee_form(compound, ("张三", "chair"), ("李四", "chair"))
    )
    assert response.status_code == 200 and not Committee.objects.exists()
    response = admin.post(
        url(Committee, "add"), committee_form(compound, ("张三", "chair"), ("李四", "member"))
    )
    assert response.status_code == 302
    committee = Committee.objects.get()
    assert committee.term_end == date(2028, 12, 31)
    assert rows("committee.created")[-1].data["members"] == {"added": ["张三", "李四"]}
