"""The errors every layer of the elections app may raise: services raise them, pages turn them into
messages, the API into its JSON error body (`yezhu.api.errors`, through `yezhu.errors.DomainError`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from yezhu.errors import DomainError

if TYPE_CHECKING:
    from elections.models import Ballot


class ElectionError(DomainError):
    """A refused action; the message says why, in the user's language."""

    code = "refused"
    status = 400


class OutsideWindow(ElectionError):
    """The ballot came outside the voting window (before it opened, or after the close)."""


class AlreadyVoted(ElectionError):
    """The voter already has a valid ballot; `ballot` is that ballot (who and when, never what)."""

    code = "already_voted"
    status = 409

    def __init__(self, message: str, ballot: Ballot):
        super().__init__(message)
        self.ballot = ballot
