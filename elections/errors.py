"""The errors every layer of the elections app may raise: services raise them, pages turn them into
messages, the API into its JSON error body (`yezhu.api.errors`, through `yezhu.errors.DomainError`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from yezhu.errors import DomainError

if TYPE_CHECKING:
    from elections.models import Ballot


class ElectionError(DomainError):
    """A refused action; the message says why, in the user's language."""

    code = "refused"
    status = 400


class NotStreetOffice(ElectionError):
    """Only the street office (街道办) may take this step: an approval of its gates (三关)."""

    code = "street_office_only"
    status = 403


class ElectionUnderWay(ElectionError):
    """The compound already has an election under way that the new one would run beside."""

    code = "election_under_way"
    status = 409


class OutsideWindow(ElectionError):
    """The ballot came outside the voting window (before it opened, or after the close)."""


class OnlineChannelClosed(ElectionError):
    """Yezhu's own online channel is off: the city requires its e-voting platform (RULES.md §7)."""

    code = "online_channel_closed"
    status = 403


class AlreadyVoted(ElectionError):
    """The voter already has a valid ballot; `ballot` is that ballot (who and when, never what)."""

    code = "already_voted"
    status = 409

    def __init__(self, message: str, ballot: Ballot):
        super().__init__(message)
        self.ballot = ballot


class Problem(str):
    """One reason a step is refused or blocked: the message (the string itself, in the user's
    language) and a stable ``code`` a client can switch on (``notice_unpublished``, ``wrong_stage``).
    A str, so a page shows it as it is; the API gives ``{"code": …, "message": …}``."""

    code: str

    def __new__(cls, code: str, message: str) -> Problem:
        problem = super().__new__(cls, str(message))
        problem.code = code
        return problem

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": str(self)}


#: Short name used where problems are listed.
P = Problem


def coded(problem: str) -> Problem:
    """A problem with its code (a plain message gets the generic code ``refused``)."""
    return problem if isinstance(problem, Problem) else Problem("refused", problem)


class Refused(ElectionError):
    """A step refused for these problems. ``code`` is the first problem's; the API lists them all."""

    def __init__(self, problems: Sequence[str]):
        coded_problems = [coded(p) for p in problems]
        super().__init__(" ".join(coded_problems), code=coded_problems[0].code)
        self.problems = coded_problems

    def body_extra(self) -> dict:
        return {"problems": [p.as_dict() for p in self.problems]}
