"""Who may do what with an election through the API. Scoping itself is in the querysets (the
selectors): an election outside the user's scope is 404, never 403."""

from __future__ import annotations

from elections.models import Election
from elections.selectors import can_manage, staff_elections
from grids.selectors import STAFF_ROLES, staff_compounds


def is_staff_viewer(user, election: Election) -> bool:
    """Staff whose scope holds the election's compound (auditors and grid leaders included),
    as the candidate notice page decides who may preview it."""
    return staff_elections(user).filter(pk=election.pk).exists()


def is_election_staff(user, election: Election) -> bool:
    """Street, community and district staff, the working group and auditors (not grid leaders)."""
    return staff_compounds(user, STAFF_ROLES).filter(pk=election.compound_id).exists()


def may_manage(user, election: Election) -> bool:
    """May run the election (street/community staff, the working group): not auditors."""
    return can_manage(user, election)
