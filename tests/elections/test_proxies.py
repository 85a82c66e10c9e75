"""Proxies (委托投票): who holds the vote, the per-proxy limit, revoking, paper authorisations."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from elections import voting
from elections.errors import AlreadyVoted, ElectionError
from elections.models import Ballot, Proxy, Stage
from elections.services import ballot_record
from tests.elections.test_voting import CHOICES, open_election, voter_of
from tests.factories import UserFactory, owner_user
from yezhu.accounts.models import User
from yezhu.audit.models import AuditEntry

pytestmark = pytest.mark.django_db

PROXY_PHONE = "13912345678"
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n"


@pytest.fixture
def owners(compound):
    """Five owners, one home each."""
    return [owner_user(compound, f"1-1-10{i}", "90.00", name=f"业主{i}") for i in range(1, 6)]


@pytest.fixture
def election(compound, owners):
    return open_election(compound)


def authorise(election, owner, phone=PROXY_PHONE, name="张代理"):
    user, _owner, unit = owner
    return voting.proxy_authorise(
        election=election, voter=voter_of(election, unit), actor=user, proxy_mobile=phone, proxy_name=name
    )


def test_it_creates_the_proxys_account_and_lets_the_proxy_cast(election, owners):
    """An owner names a proxy by a mobile number nobody uses yet: the account is created, and the
    proxy casts the principal's ballot as proxy."""
    proxy = authorise(election, owners[0], phone="139 1234 5678")
    proxy_user = User.objects.get(phone=PROXY_PHONE)
    assert proxy.proxy_user == proxy_user and proxy.status == Proxy.Status.ACTIVE
    assert not proxy_user.has_usable_password()
    voter = voter_of(election, owners[0][2])
    ballot = voting.ballot_cast_online(election=election, voter=voter, actor=proxy_user, choices=CHOICES)
    assert ballot.cast_as == Ballot.CastAs.PROXY and ballot.proxy == proxy
    assert AuditEntry.objects.filter(action="proxy.authorised", object_id=str(proxy.pk)).exists()


def test_it_uses_the_existing_account_of_the_proxys_mobile(election, owners):
    """A proxy who already has an account is not duplicated."""
    existing = UserFactory(phone=PROXY_PHONE, name="老张")
    proxy = authorise(election, owners[0])
    assert proxy.proxy_user == existing
    assert User.objects.filter(phone=PROXY_PHONE).count() == 1


def test_it_refuses_a_proxy_beyond_the_elections_limit(election, owners):
    """At most proxy_limit (3) principals per proxy; the fourth is refused; a revoked one frees a place."""
    first = authorise(election, owners[0])
    authorise(election, owners[1])
    authorise(election, owners[2])
    with pytest.raises(ElectionError) as error:
        authorise(election, owners[3])
    assert "上限" in str(error.value)
    assert Proxy.objects.filter(status="active").count() == 3
    voting.proxy_revoke(proxy=first, actor=owners[0][0])
    authorise(election, owners[3])
    assert Proxy.objects.filter(status="active").count() == 3


def test_it_follows_a_lower_limit_set_by_the_rules_of_procedure(election, owners):
    """The limit is a per-election setting."""
    election.proxy_limit = 1
    election.save()
    authorise(election, owners[0])
    with pytest.raises(ElectionError):
        authorise(election, owners[1])


def test_it_stops_the_owner_voting_while_a_proxy_holds_the_vote(election, owners):
    """The owner cannot cast while their proxy is active; after revoking, they can."""
    user, _owner, unit = owners[0]
    proxy = authorise(election, owners[0])
    voter = voter_of(election, unit)
    with pytest.raises(ElectionError) as error:
        voting.ballot_cast_online(election=election, voter=voter, actor=user, choices=CHOICES)
    assert "撤销" in str(error.value) and "张代理" in str(error.value)
    voting.proxy_revoke(proxy=proxy, actor=user)
    ballot = voting.ballot_cast_online(election=election, voter=voter, actor=user, choices=CHOICES)
    assert ballot.cast_as == Ballot.CastAs.OWNER


def test_it_refuses_a_revoked_proxy(election, owners):
    """Once revoked, the proxy can no longer cast."""
    proxy = authorise(election, owners[0])
    voting.proxy_revoke(proxy=proxy, actor=owners[0][0])
    with pytest.raises(ElectionError):
        voting.ballot_cast_online(
            election=election, voter=voter_of(election, owners[0][2]), actor=proxy.proxy_user, choices=CHOICES
        )
    assert AuditEntry.objects.filter(action="proxy.revoked").count() == 1


def test_it_refuses_to_revoke_after_the_proxy_voted(election, owners):
    """A proxy's cast ballot stands: the owner can no longer revoke the proxy."""
    proxy = authorise(election, owners[0])
    voting.ballot_cast_online(
        election=election, voter=voter_of(election, owners[0][2]), actor=proxy.proxy_user, choices=CHOICES
    )
    with pytest.raises(ElectionError) as error:
        voting.proxy_revoke(proxy=proxy, actor=owners[0][0])
    assert "已经投票" in str(error.value)
    proxy.refresh_from_db()
    assert proxy.status == Proxy.Status.ACTIVE


def test_it_refuses_the_proxy_after_the_owner_voted_on_paper(election, owners, working_group):
    """The owner voted on paper at the meeting while the proxy was active: first cast wins, and
    the proxy is told when, how and by whom the vote was cast."""
    proxy = authorise(election, owners[0])
    voter = voter_of(election, owners[0][2])
    ballot_record(
        election=election,
        voter=voter,
        actor=working_group,
        cast_as=Ballot.CastAs.PAPER,
        channel=Ballot.Channel.PAPER,
        choices=CHOICES,
    )
    with pytest.raises(AlreadyVoted) as error:
        voting.ballot_cast_online(election=election, voter=voter, actor=proxy.proxy_user, choices=CHOICES)
    assert "纸质选票" in str(error.value)


def test_it_refuses_a_proxy_once_the_owner_has_voted(election, owners):
    """After the owner has voted there is nothing left to authorise."""
    user, _owner, unit = owners[0]
    voting.ballot_cast_online(election=election, voter=voter_of(election, unit), actor=user, choices=CHOICES)
    with pytest.raises(ElectionError):
        authorise(election, owners[0])
    assert not Proxy.objects.exists()


def test_it_refuses_a_proxy_from_someone_who_is_not_the_owner(election, owners):
    """Only an owner of the voter can give its proxy."""
    with pytest.raises(ElectionError):
        voting.proxy_authorise(
            election=election,
            voter=voter_of(election, owners[0][2]),
            actor=owners[1][0],
            proxy_mobile=PROXY_PHONE,
            proxy_name="张代理",
        )


def test_it_refuses_a_second_active_proxy_and_a_bad_mobile(election, owners):
    """One active proxy per voter; the proxy's mobile must be a mainland mobile number."""
    authorise(election, owners[0])
    with pytest.raises(ElectionError):
        authorise(election, owners[0], phone="13800000001")
    with pytest.raises(ElectionError) as error:
        authorise(election, owners[1], phone="12345")
    assert "手机号" in str(error.value)


def test_it_refuses_proxies_after_the_close(election, owners):
    """After voting closes no proxy is given or revoked."""
    proxy = authorise(election, owners[0])
    election.voting_closes_at = timezone.now() - timedelta(minutes=1)
    election.voting_opens_at = election.voting_closes_at - timedelta(days=2)
    election.stage = Stage.COUNTING
    election.save()
    with pytest.raises(ElectionError):
        authorise(election, owners[1])
    proxy.refresh_from_db()
    with pytest.raises(ElectionError):
        voting.proxy_revoke(proxy=proxy, actor=owners[0][0])


def test_it_records_a_paper_proxy_with_its_scan(election, owners, working_group):
    """Staff record a paper authorisation with a PDF scan; the proxy can then cast."""
    scan = SimpleUploadedFile("weituo.pdf", PDF, content_type="application/pdf")
    proxy = voting.proxy_record_paper(
        election=election,
        voter=voter_of(election, owners[0][2]),
        actor=working_group,
        proxy_mobile=PROXY_PHONE,
        proxy_name="张代理",
        document=scan,
    )
    assert proxy.on_paper and proxy.document.name.endswith(".pdf")
    assert proxy.authorised_by == working_group
    assert AuditEntry.objects.get(action="proxy.authorised").data["on_paper"] is True


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("weituo.exe", b"MZ\x90\x00"),
        ("weituo.pdf", b"not a pdf"),
        ("big.jpg", b"\xff\xd8\xff" + b"0" * (5 * 1024 * 1024)),
    ],
)
def test_it_refuses_a_scan_that_is_not_a_small_image_or_pdf(election, owners, working_group, name, content):
    """Only JPEG, PNG or PDF, at most 5 MB, and the bytes must match the type."""
    with pytest.raises(ElectionError):
        voting.proxy_record_paper(
            election=election,
            voter=voter_of(election, owners[0][2]),
            actor=working_group,
            proxy_mobile=PROXY_PHONE,
            proxy_name="张代理",
            document=SimpleUploadedFile(name, content),
        )
    assert not Proxy.objects.exists()


def test_it_refuses_a_paper_proxy_from_staff_of_another_street(election, owners, outsider_staff):
    """Recording a paper proxy needs the right to run this election."""
    with pytest.raises(ElectionError):
        voting.proxy_record_paper(
            election=election,
            voter=voter_of(election, owners[0][2]),
            actor=outsider_staff,
            proxy_mobile=PROXY_PHONE,
            proxy_name="张代理",
            document=SimpleUploadedFile("weituo.pdf", PDF),
        )


# ---------------------------------------------------------------------------------------------
# Pages
# ---------------------------------------------------------------------------------------------


def test_it_lets_an_owner_give_and_revoke_a_proxy_on_the_page(client, election, owners):
    """The owner names a proxy on the proxy page, sees it on the election page, and revokes it."""
    user, _owner, unit = owners[0]
    voter = voter_of(election, unit)
    client.force_login(user)
    url = reverse("elections:proxy_give", args=[election.pk, voter.pk])
    assert "委托他人代我投票" in client.get(url).content.decode()
    response = client.post(url, {"proxy_name": "张代理", "proxy_mobile": PROXY_PHONE})
    assert response.status_code == 302
    page = client.get(reverse("elections:detail", args=[election.pk])).content.decode()
    assert "已委托 张代理 为这户投票" in page
    proxy = Proxy.objects.get()
    response = client.post(
        reverse("elections:proxy_revoke", args=[election.pk, proxy.pk]), {"confirm": "yes"}
    )
    assert response.status_code == 302
    proxy.refresh_from_db()
    assert proxy.status == Proxy.Status.REVOKED


def test_it_shows_the_owner_why_a_proxy_was_refused(client, election, owners):
    """A refused proxy comes back as a form error in Chinese."""
    client.force_login(owners[0][0])
    url = reverse("elections:proxy_give", args=[election.pk, voter_of(election, owners[0][2]).pk])
    response = client.post(url, {"proxy_name": "张代理", "proxy_mobile": "12345"})
    assert response.status_code == 200
    assert "请填写受托人的11位手机号" in response.content.decode()


def test_it_shows_the_proxy_each_principal_separately(client, election, owners):
    """A proxy for two homes sees both on the election page and casts each ballot on its own."""
    authorise(election, owners[0])
    authorise(election, owners[1])
    proxy_user = User.objects.get(phone=PROXY_PHONE)
    client.force_login(proxy_user)
    page = client.get(reverse("elections:detail", args=[election.pk])).content.decode()
    first, second = voter_of(election, owners[0][2]), voter_of(election, owners[1][2])
    assert reverse("elections:vote", args=[election.pk, first.pk]) in page
    assert reverse("elections:vote", args=[election.pk, second.pk]) in page
    voting.ballot_cast_online(election=election, voter=first, actor=proxy_user, choices=CHOICES)
    page = client.get(reverse("elections:detail", args=[election.pk])).content.decode()
    assert reverse("elections:vote", args=[election.pk, first.pk]) not in page
    assert reverse("elections:vote", args=[election.pk, second.pk]) in page
    assert "委托代理人" in page


def test_it_hides_the_proxy_pages_from_others(client, election, owners, outsider_staff):
    """Another owner, another street's staff: 404; anonymous: sign-in; wrong method: 405."""
    voter = voter_of(election, owners[0][2])
    url = reverse("elections:proxy_give", args=[election.pk, voter.pk])
    response = client.get(url)
    assert response.status_code == 302 and "/accounts/" in response["Location"]
    client.force_login(owners[1][0])
    assert client.get(url).status_code == 404
    client.force_login(outsider_staff)
    assert client.get(url).status_code == 404
    client.force_login(owners[0][0])
    assert client.put(url).status_code == 405
    proxy = authorise(election, owners[0])
    revoke = reverse("elections:proxy_revoke", args=[election.pk, proxy.pk])
    assert client.put(revoke).status_code == 405
    client.force_login(owners[1][0])
    assert client.get(revoke).status_code == 404
    assert client.post(revoke, {"confirm": "yes"}).status_code == 404


def test_it_lets_staff_record_a_paper_proxy_on_the_manage_page(client, election, owners, working_group):
    """The working group uploads the scan; the list shows the proxy (never any ballot choice)."""
    client.force_login(working_group)
    url = reverse("manage:proxies", args=[election.pk])
    response = client.post(
        url,
        {
            "unit": owners[2][2].code,
            "proxy_name": "张代理",
            "proxy_mobile": PROXY_PHONE,
            "document": SimpleUploadedFile("weituo.pdf", PDF, content_type="application/pdf"),
        },
    )
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert "张代理" in page and owners[2][2].code in page
    proxy = Proxy.objects.get()
    assert proxy.on_paper
    client.post(reverse("manage:proxy_revoke", args=[election.pk, proxy.pk]), {"confirm": "yes"})
    proxy.refresh_from_db()
    assert proxy.status == Proxy.Status.REVOKED


def test_it_guards_the_manage_proxy_page(client, election, outsider_staff, owners):
    """Anonymous: sign-in; another street's staff and an owner: 404; wrong method: 405."""
    url = reverse("manage:proxies", args=[election.pk])
    assert client.get(url).status_code == 302
    client.force_login(outsider_staff)
    assert client.get(url).status_code == 404
    client.force_login(owners[0][0])
    assert client.get(url).status_code == 404
    client.force_login(UserFactory(is_superuser=True))
    assert client.delete(url).status_code == 405
