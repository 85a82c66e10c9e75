"""The floors of 民法典 第278条 per election: the quorum (two-thirds), ordinary matters (more than
half) and special matters (three-quarters) may be raised by the rules of procedure, never lowered.
The service, the settings page and the database itself (every other door, the admin included)
refuse a lowered floor, and the refusal names the article."""

from __future__ import annotations

from fractions import Fraction

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from elections import lifecycle as lc
from elections.errors import ElectionError
from elections.models import Election
from yezhu.actors import OPERATOR
from yezhu.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def election(compound):
    return lc.election_create(compound=compound, title="第二届业主委员会换届选举", actor=OPERATOR)


def test_it_accepts_a_quorum_of_exactly_two_thirds_article_278(election):
    """民法典 第278条: "三分之二以上" includes two-thirds itself (民法典 第1259条); 4/6 is the same."""
    lc.election_update_settings(election=election, quorum=(4, 6), actor=OPERATOR)
    election.refresh_from_db()
    assert election.quorum == Fraction(2, 3)


@pytest.mark.parametrize("quorum", [(665, 1000), (1, 2), (1, 3), "66/100"])
def test_it_refuses_a_quorum_just_below_two_thirds_naming_article_278(election, quorum):
    """民法典 第278条: 665/1000 (just below two-thirds), 1/2 or 1/3 is refused, naming the article;
    nothing changes and no settings row is written."""
    with pytest.raises(ElectionError, match="民法典 第278条"):
        lc.election_update_settings(election=election, quorum=quorum, actor=OPERATOR)
    election.refresh_from_db()
    assert election.quorum == Fraction(2, 3)
    assert not AuditEntry.objects.filter(election_id=election.pk, action="election.settings").exists()


def test_it_raises_the_quorum_and_thresholds_as_the_rules_of_procedure_say_article_278(election):
    """民法典 第278条 sets floors: 3/4 quorum, more than 2/3 for ordinary and 4/5 for special matters
    are accepted and audited."""
    lc.election_update_settings(
        election=election, quorum="3/4", ordinary="2/3", special=(4, 5), actor=OPERATOR
    )
    election.refresh_from_db()
    assert (election.quorum, election.ordinary_threshold, election.special_threshold) == (
        Fraction(3, 4),
        Fraction(2, 3),
        Fraction(4, 5),
    )
    row = AuditEntry.objects.get(election_id=election.pk, action="election.settings")
    assert row.data["changes"] == {"quorum": "3/4", "ordinary": "2/3", "special": "4/5"}


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("ordinary", (1, 3), "过半数"),
        ("ordinary", (499, 1000), "过半数"),
        ("special", (2, 3), "四分之三"),
        ("special", (749, 1000), "四分之三"),
    ],
)
def test_it_refuses_a_lowered_threshold_naming_article_278(election, name, value, words):
    """民法典 第278条: ordinary matters below more than half, special ones below three-quarters."""
    with pytest.raises(ElectionError, match="民法典 第278条") as error:
        lc.election_update_settings(election=election, actor=OPERATOR, **{name: value})
    assert words in str(error.value)
    election.refresh_from_db()
    assert (election.ordinary_threshold, election.special_threshold) == (Fraction(1, 2), Fraction(3, 4))


def test_it_accepts_the_thresholds_exactly_at_their_article_278_floors(election):
    """Exactly 1/2 (more than half) and exactly 3/4 are the statute's own values: accepted."""
    lc.election_update_settings(election=election, ordinary=(2, 4), special=(6, 8), actor=OPERATOR)
    election.refresh_from_db()
    assert (election.ordinary_numerator, election.special_numerator) == (1, 3)


@pytest.mark.parametrize(
    ("fields", "constraint"),
    [
        ({"quorum_numerator": 665, "quorum_denominator": 1000}, "election_quorum_statutory_floor"),
        ({"quorum_numerator": 1, "quorum_denominator": 2}, "election_quorum_statutory_floor"),
        ({"ordinary_numerator": 1, "ordinary_denominator": 3}, "election_ordinary_statutory_floor"),
        ({"ordinary_numerator": 2, "ordinary_denominator": 2}, "election_ordinary_statutory_floor"),
        ({"special_numerator": 2, "special_denominator": 3}, "election_special_statutory_floor"),
        ({"special_numerator": 5, "special_denominator": 4}, "election_special_statutory_floor"),
    ],
)
def test_it_lets_no_door_store_a_lowered_floor_of_article_278(election, fields, constraint):
    """民法典 第278条 held by the database: a raw UPDATE (any door that skips the services) fails on
    the check constraint, and a model form's validation (the admin) names the article."""
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        Election.objects.filter(pk=election.pk).update(**fields)
    for name, value in fields.items():
        setattr(election, name, value)
    with pytest.raises(ValidationError) as error:
        election.full_clean()
    assert "民法典 第278条" in str(error.value)


def test_it_keeps_exactly_two_thirds_valid_in_the_database_article_278(election):
    """The constraint is exact in integers: 2/3 and 200/300 pass, 199/300 does not."""
    Election.objects.filter(pk=election.pk).update(quorum_numerator=200, quorum_denominator=300)
    with pytest.raises(IntegrityError), transaction.atomic():
        Election.objects.filter(pk=election.pk).update(quorum_numerator=199, quorum_denominator=300)


def test_it_refuses_a_lowered_quorum_on_the_settings_page_with_the_article(client, election, working_group):
    """The page posts to the same service: the refusal (民法典 第278条) is shown and nothing is saved."""
    client.force_login(working_group)
    response = client.post(
        reverse("manage:settings", args=[election.pk]),
        {"quorum_numerator": 1, "quorum_denominator": 2, "proxy_limit": 3, "nominations_required": 1},
        follow=True,
    )
    assert "民法典 第278条" in response.content.decode()
    election.refresh_from_db()
    assert election.quorum == Fraction(2, 3)


def test_it_raises_the_thresholds_on_the_settings_page(client, election, working_group):
    """Raising is what the rules of procedure may do (民法典 第278条)."""
    client.force_login(working_group)
    client.post(
        reverse("manage:settings", args=[election.pk]),
        {
            "quorum_numerator": 3,
            "quorum_denominator": 4,
            "ordinary_numerator": 2,
            "ordinary_denominator": 3,
            "special_numerator": 4,
            "special_denominator": 5,
            "proxy_limit": 3,
            "nominations_required": 1,
        },
    )
    election.refresh_from_db()
    assert (election.quorum, election.ordinary_threshold, election.special_threshold) == (
        Fraction(3, 4),
        Fraction(2, 3),
        Fraction(4, 5),
    )
