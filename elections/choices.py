"""A ballot's answer on a matter, said once.

The enum is the pure core's :class:`elections.rules.tally.Choice` (同意/反对/弃权); ballots, the
API, paper sheets and bundles store and send its value ("yes", "no", "abstain"). This module
adds what the pure core must not know: the words a page shows for each answer.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from elections.rules.tally import Choice

__all__ = ["BALLOT_LABELS", "PAPER_LABELS", "VALUES", "Choice", "choice_options"]

#: The values a ballot accepts on a matter, in ballot order.
VALUES: tuple[str, ...] = tuple(c.value for c in Choice)

#: How the online ballot, its confirmation, the ballot board and the result name each answer.
BALLOT_LABELS: dict[Choice, Promise] = {
    Choice.YES: gettext_lazy("Agree"),
    Choice.NO: gettext_lazy("Disagree"),
    Choice.ABSTAIN: gettext_lazy("Abstain"),
}

#: How the printed paper ballot, its keying form and the keying review name each answer.
PAPER_LABELS: dict[Choice, Promise] = {
    Choice.YES: gettext_lazy("For"),
    Choice.NO: gettext_lazy("Against"),
    Choice.ABSTAIN: gettext_lazy("Abstain"),
}


def choice_options(labels: dict[Choice, Promise]) -> list[tuple[str, Promise]]:
    """(value, label) pairs in ballot order, as a form's `choices` wants them."""
    return [(c.value, labels[c]) for c in Choice]
