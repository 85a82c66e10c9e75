"""Issue 20: the owner's inbox is reachable from every page's header, with how many notices are
still unread (a delivery is read once its notice is opened: Delivery.opened_at)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from elections.models import Delivery, Notice, Stage
from elections.notices import notice_create
from tests.factories import election_with_ballot_paper, owner_user
from yezhu.actors import OPERATOR

pytestmark = pytest.mark.django_db


def header(html: str) -> str:
    return re.search(r'<header class="site-header">(.*?)</header>', html, re.S).group(1)


def inbox_link(html: str) -> str | None:
    found = re.search(r'<a class="inbox-link" href="/e/inbox/"[^>]*>.*?</a>', header(html), re.S)
    return found.group(0) if found else None


def deliver(compound, owner, title: str) -> Delivery:
    notice = notice_create(
        compound=compound,
        kind=Notice.Kind.OTHER,
        audience=Notice.Audience.ALL_OWNERS,
        channels=("inbox",),
        title=title,
        body="全文",
        actor=OPERATOR,
    )
    Notice.objects.filter(pk=notice.pk).update(sent_at=timezone.now(), status=Notice.Status.SENT)
    return Delivery.objects.create(
        notice=notice,
        channel=Delivery.Channel.INBOX,
        recipient_key=f"owner:{owner.pk}",
        owner=owner,
        status=Delivery.Status.SENT,
    )


def test_it_links_the_inbox_with_its_unread_count_on_every_page(client, compound):
    user, owner, _unit = owner_user(compound, "1-1-101")
    election = election_with_ballot_paper(compound, stage=Stage.VOTING)
    first = deliver(compound, owner, "停水通知")
    deliver(compound, owner, "议事规则征求意见")
    client.force_login(user)
    for url in (reverse("home"), reverse("elections:detail", args=[election.pk]), reverse("elections:inbox")):
        link = inbox_link(client.get(url).content.decode())
        assert link is not None, url
        assert '<span class="unread-count">2</span>' in link and "2 条未读" in link
    client.get(reverse("elections:inbox_notice", args=[first.pk]))  # opening it reads it
    link = inbox_link(client.get(reverse("home")).content.decode())
    assert '<span class="unread-count">1</span>' in link


def test_it_links_the_inbox_without_a_count_when_everything_is_read(client, compound):
    user, _owner, _unit = owner_user(compound, "1-1-101")
    client.force_login(user)
    link = inbox_link(client.get(reverse("home")).content.decode())
    assert link is not None and "我的通知" in link and "unread-count" not in link


def test_it_counts_only_the_persons_own_sent_inbox_deliveries(client, compound):
    user, owner, _unit = owner_user(compound, "1-1-101")
    _other_user, other, _other_unit = owner_user(compound, "1-1-102")
    deliver(compound, other, "别人的通知")
    queued = deliver(compound, owner, "尚未发出")
    Delivery.objects.filter(pk=queued.pk).update(status=Delivery.Status.QUEUED)
    client.force_login(user)
    assert "unread-count" not in inbox_link(client.get(reverse("home")).content.decode())


def test_it_shows_no_inbox_link_to_a_visitor(client, db):
    assert inbox_link(client.get(reverse("home")).content.decode()) is None
