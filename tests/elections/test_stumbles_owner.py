"""Issue 20, an owner's stumbles: the inbox is linked, the election page links its notices and
says the right thing before the roll is frozen, a co-owner's receipt names who voted, a proxy is
told by SMS and a revocation is confirmed first."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from elections import voting
from elections.models import Delivery, Notice, Proxy, Stage
from elections.notices import notice_create, notice_send
from elections.services import roll_freeze
from tests.elections.test_voting import CHOICES
from tests.factories import (
    OwnerFactory,
    UserFactory,
    election_with_ballot_paper,
    owner_user,
    unit_with_owners,
)
from yezhu.accounts.models import SmsMessage
from yezhu.actors import OPERATOR

pytestmark = pytest.mark.django_db

NOT_ON_ROLL = "本次表决的业主名册上没有您的房屋"


def nominating(compound):
    return election_with_ballot_paper(
        compound, stage=Stage.NOMINATION, opens_in=timedelta(days=15), closes_in=timedelta(days=22)
    )


def voting_open(compound):
    election = election_with_ballot_paper(compound, stage=Stage.VOTING, matters=2, seats=2, candidates=3)
    roll_freeze(election=election, actor=OPERATOR)
    election.refresh_from_db()
    return election


def test_it_links_the_owners_home_to_the_inbox_with_the_unread_count(
    client, compound, django_capture_on_commit_callbacks
):
    user, _owner, _unit = owner_user(compound, "1-1-101", name="张三")
    election = nominating(compound)
    notice = notice_create(
        compound=compound,
        election=election,
        kind=Notice.Kind.ASSEMBLY,
        audience=Notice.Audience.ALL_OWNERS,
        channels=["inbox"],
        title="关于召开业主大会会议的公告",
        body="定于下月投票。",
        actor=OPERATOR,
    )
    with django_capture_on_commit_callbacks(execute=True):
        notice_send(notice=notice, actor=OPERATOR)
    client.force_login(user)
    html = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("elections:inbox")}"' in html
    assert "我的通知 (1)" in html
    page = client.get(reverse("elections:detail", args=[election.pk])).content.decode()
    delivery = Delivery.objects.get(notice=notice, channel="inbox")
    assert reverse("elections:inbox_notice", args=[delivery.pk]) in page
    assert "关于召开业主大会会议的公告" in page.split('id="notices"', 1)[1]


def test_it_tells_an_owner_the_roll_is_still_to_come_during_nominations(client, compound):
    """Before the roll is frozen the owner's home is not "missing from the roll"."""
    user, _owner, _unit = owner_user(compound, "1-1-101", name="张三")
    election = nominating(compound)
    client.force_login(user)
    page = client.get(reverse("elections:detail", args=[election.pk])).content.decode()
    assert NOT_ON_ROLL not in page
    roll_note = page.split('id="roll-to-come"', 1)[1].split("</p>", 1)[0]
    assert "1-1-101" in roll_note and "投票开始前" in roll_note


def test_it_still_says_not_on_the_roll_once_the_roll_is_frozen(client, compound):
    owner_user(compound, "1-1-101", name="张三")
    election = voting_open(compound)
    late, _owner, _unit = owner_user(compound, "9-1-901", name="迟到")  # a home added after the freeze
    client.force_login(late)
    page = client.get(reverse("elections:detail", args=[election.pk])).content.decode()
    assert NOT_ON_ROLL in page


def test_it_tells_a_co_owner_who_voted_for_the_home(client, compound):
    """The co-owner who did not vote reads "this home has voted" and by whom, not "投票成功"."""
    first, second = UserFactory(name="丈夫"), UserFactory(name="妻子")
    a = OwnerFactory(name="丈夫", user=first, mobile=first.phone)
    b = OwnerFactory(name="妻子", user=second, mobile=second.phone)
    unit_with_owners(compound, "1-1-101", "100.00", [a, b])
    owner_user(compound, "1-1-102", name="邻居")
    election = voting_open(compound)
    voter = election.voters.get(units__code="1-1-101")
    ballot = voting.ballot_cast_online(election=election, voter=voter, actor=first, choices=CHOICES)
    url = reverse("elections:receipt", args=[election.pk, ballot.receipt])
    client.force_login(first)
    assert "投票成功" in client.get(url).content.decode()
    client.force_login(second)
    page = client.get(url).content.decode()
    assert "投票成功" not in page
    assert "这户已经投票" in page
    assert "丈夫" in page.split('id="cast-by-other"', 1)[1].split("</p>", 1)[0]


def test_it_texts_the_proxy_that_they_were_appointed(compound, django_capture_on_commit_callbacks):
    user, _owner, unit = owner_user(compound, "1-1-101", name="张三")
    owner_user(compound, "1-1-102", name="李四")
    election = voting_open(compound)
    voter = election.voters.get(units=unit)
    with django_capture_on_commit_callbacks(execute=True):
        proxy = voting.proxy_authorise(
            election=election, voter=voter, actor=user, proxy_mobile="13912345678", proxy_name="张代理"
        )
    message = SmsMessage.objects.get(purpose=f"proxy:{proxy.pk}")
    assert message.phone == "13912345678"
    assert "1-1-101" in message.body and election.title in message.body
    assert "委托" in message.body
    assert reverse("elections:detail", args=[election.pk]) in message.body


def test_it_asks_before_revoking_a_proxy(client, compound):
    """The proxy page links to a confirmation; only "Yes, revoke" revokes."""
    user, _owner, unit = owner_user(compound, "1-1-101", name="张三")
    owner_user(compound, "1-1-102", name="李四")
    election = voting_open(compound)
    voter = election.voters.get(units=unit)
    proxy = voting.proxy_authorise(
        election=election, voter=voter, actor=user, proxy_mobile="13912345678", proxy_name="张代理"
    )
    client.force_login(user)
    revoke = reverse("elections:proxy_revoke", args=[election.pk, proxy.pk])
    page = client.get(reverse("elections:proxy_give", args=[election.pk, voter.pk])).content.decode()
    assert f'href="{revoke}"' in page
    assert f'action="{revoke}"' not in page  # no one-tap form
    confirm = client.get(revoke)
    assert confirm.status_code == 200 and "确定撤销委托吗" in confirm.content.decode()
    assert client.post(revoke).status_code == 200  # a POST without the confirmation changes nothing
    proxy.refresh_from_db()
    assert proxy.status == Proxy.Status.ACTIVE
    assert client.post(revoke, {"confirm": "yes"}).status_code == 302
    proxy.refresh_from_db()
    assert proxy.status == Proxy.Status.REVOKED


def test_it_asks_staff_before_revoking_a_proxy(client, compound, working_group):
    user, _owner, unit = owner_user(compound, "1-1-101", name="张三")
    owner_user(compound, "1-1-102", name="李四")
    election = voting_open(compound)
    proxy = voting.proxy_authorise(
        election=election,
        voter=election.voters.get(units=unit),
        actor=user,
        proxy_mobile="13912345678",
        proxy_name="张代理",
    )
    client.force_login(working_group)
    revoke = reverse("manage:proxy_revoke", args=[election.pk, proxy.pk])
    assert "确定撤销委托吗" in client.get(revoke).content.decode()
    proxy.refresh_from_db()
    assert proxy.status == Proxy.Status.ACTIVE
    client.post(revoke, {"confirm": "yes"})
    proxy.refresh_from_db()
    assert proxy.status == Proxy.Status.REVOKED


def test_it_links_the_staff_election_page_to_its_notices(client, compound, working_group):
    election = nominating(compound)
    client.force_login(working_group)
    page = client.get(reverse("manage:election", args=[election.pk])).content.decode()
    assert f'href="{reverse("manage:notice_list", args=[election.pk])}"' in page
