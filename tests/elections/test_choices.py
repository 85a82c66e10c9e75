"""One `Choice` (同意/反对/弃权): every place that accepts an answer on a matter offers exactly its values."""

from __future__ import annotations

from types import SimpleNamespace

from elections.api.ballots import ChoicesSerializer
from elections.choices import BALLOT_LABELS, PAPER_LABELS, VALUES, Choice
from elections.forms.ballot import BallotForm, matter_field
from elections.forms.paper import BLANK, PaperBallotForm
from elections.paper import MATTER_WORDS
from elections.rules import bundle


def _matter():
    return SimpleNamespace(key="M1", title="修订议事规则")


def test_it_keeps_the_stored_values_of_every_answer():
    """Ballots, bundles and the API store these strings: they must never change."""
    assert [c.value for c in Choice] == ["yes", "no", "abstain"]
    assert VALUES == ("yes", "no", "abstain")


def test_it_labels_every_answer_on_the_ballot_and_on_paper():
    assert set(BALLOT_LABELS) == set(Choice) == set(PAPER_LABELS)


def test_it_offers_the_same_answers_on_the_online_ballot():
    form = BallotForm(matters=[_matter()], races=[])
    assert [value for value, _label in form.fields[matter_field(_matter())].choices] == list(VALUES)


def test_it_offers_the_same_answers_on_the_paper_keying_form_plus_blank():
    form = PaperBallotForm(matters=[_matter()], races=[])
    assert [value for value, _label in form.fields["matter_M1"].choices] == [*VALUES, BLANK]


def test_it_accepts_the_same_answers_through_the_api():
    assert list(ChoicesSerializer().fields["matters"].child.choices) == list(VALUES)


def test_it_reads_the_same_answers_from_a_paper_sheet_and_a_bundle():
    assert {v for v in MATTER_WORDS.values() if v} == set(VALUES)
    assert set(bundle._CHOICE_OF) == set(VALUES)
