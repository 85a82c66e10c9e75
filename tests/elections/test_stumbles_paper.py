"""Issue 20, paper review and building order: picking the second entry is not blocked by the
"neither" section, the message says what was picked, the differing fields are marked, and
buildings and homes are listed 1, 2, … 10, 11."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from elections.models import Ballot, PaperEntry, Stage
from elections.services import roll_freeze
from tests.elections.test_paper import post_entry, voter_of
from tests.factories import election_with_ballot_paper, owner_user
from yezhu.actors import OPERATOR
from yezhu.natural import natural_key, natural_sorted

pytestmark = pytest.mark.django_db


@pytest.fixture
def mismatch(client, election, working_group, street_staff):
    """Two keyings of 1-1-101 that differ in M1 only."""
    voter = voter_of(election, "1-1-101")
    client.force_login(working_group)
    post_entry(client, election, voter, m1="yes")
    client.force_login(street_staff)
    post_entry(client, election, voter, m1="no")
    entry = PaperEntry.objects.get()
    assert entry.status == PaperEntry.Status.MISMATCH
    return entry


def messages_of(response) -> str:
    return " ".join(str(message) for message in response.context["messages"])


def review_url(election, entry):
    return reverse("manage:paper_review", args=[election.pk, entry.pk])


def test_it_does_not_make_the_neither_section_required_in_the_browser(
    client, election, mismatch, third_staff
):
    """The "only if neither entry is right" fields carry no `required`: a browser would otherwise
    refuse to submit "the second entry" because a hidden radio there is empty."""
    client.force_login(third_staff)
    html = client.get(review_url(election, mismatch)).content.decode()
    new_inputs = re.findall(r"<input[^>]*name=\"new-[^\"]*\"[^>]*>", html)
    assert new_inputs, "the neither section is on the page"
    assert not [tag for tag in new_inputs if "required" in tag]


def test_it_records_the_second_entry_and_says_so(client, election, mismatch, third_staff):
    """Picking the second entry with nothing in the neither section records it, and the message
    names the second entry, never "both entries agree"."""
    client.force_login(third_staff)
    response = client.post(review_url(election, mismatch), {"pick": "second"}, follow=True)
    assert Ballot.objects.get().choices["matters"]["M1"] == "no"
    mismatch.refresh_from_db()
    assert mismatch.status == PaperEntry.Status.RESOLVED
    text = messages_of(response)
    assert "已按第二遍录入计入" in text
    assert "两遍录入一致" not in text


def test_it_says_the_reviewers_own_reading_was_recorded(client, election, mismatch, third_staff):
    client.force_login(third_staff)
    response = client.post(
        review_url(election, mismatch),
        {"pick": "new", "new-signed": "yes", "new-matter_M1": "abstain", "new-matter_M2": "no"},
        follow=True,
    )
    assert Ballot.objects.get().choices["matters"]["M1"] == "abstain"
    text = messages_of(response)
    assert "已按复核人重新录入的内容计入" in text and "两遍录入一致" not in text


def test_it_marks_the_fields_where_the_two_entries_differ(client, election, mismatch, third_staff):
    """M1 differs and is marked on both readings and named above them; M2 and the races are not."""
    client.force_login(third_staff)
    html = client.get(review_url(election, mismatch)).content.decode()
    marked = re.findall(r'<dt class="differs">([^<]*)</dt>', html)
    assert len(marked) == 2 and all(m.startswith("M1 ") for m in marked)
    assert 'id="differences"' in html
    differences = html.split('id="differences"', 1)[1].split("</p>", 1)[0]
    assert "M1" in differences and "M2" not in differences and "R1" not in differences


def test_it_sorts_codes_naturally():
    assert natural_sorted(["10", "2", "1", "11"]) == ["1", "2", "10", "11"]
    assert natural_sorted(["3-1-1001", "3-1-201", "10-1-101"]) == ["3-1-201", "3-1-1001", "10-1-101"]
    assert natural_key("B2") < natural_key("B10")


def test_it_lists_buildings_in_natural_order_on_the_paper_page(client, compound, owners, working_group):
    """Buildings 1, 2, 10, 11: not 1, 10, 11, 2."""
    owner_user(compound, "10-1-101", "90.00", name="赵十")
    owner_user(compound, "11-1-101", "90.00", name="钱十一")
    election = election_with_ballot_paper(compound, stage=Stage.VOTING)
    roll_freeze(election=election, actor=OPERATOR)
    client.force_login(working_group)
    html = client.get(reverse("manage:paper", args=[election.pk])).content.decode()
    names = re.findall(r'/paper/print/building/\d+/">([^<]+)</a>', html)
    assert [n.strip() for n in names] == natural_sorted([n.strip() for n in names])
    assert len(names) == 4
    found = client.get(reverse("manage:paper", args=[election.pk]), {"unit": "1-101"}).content.decode()
    homes = re.findall(r'/paper/print/voter/\d+/">([^ ]+) ·', found)
    assert homes == ["1-1-101", "2-1-101", "10-1-101", "11-1-101"]


def test_it_lists_a_compounds_buildings_in_natural_order(client, compound, owners, street_staff):
    owner_user(compound, "10-1-101", "90.00", name="赵十")
    client.force_login(street_staff)
    html = client.get(reverse("grids:compound", args=[compound.pk])).content.decode()
    chips = html.split('class="chips"', 1)[1].split("</ul>", 1)[0]
    order = [chips.index(f"<li>{name}") for name in ("1号楼", "2号楼", "10号楼")]
    assert order == sorted(order)
