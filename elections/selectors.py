"""Scoped reads for elections. Views, the API and tasks reach elections only through these."""

from __future__ import annotations

from django.core.cache import cache
from django.db.models import Q, QuerySet
from django.http import Http404

from elections.models import AssemblyProposal, Election, Voter
from grids.models import Owner, RoleAssignment
from grids.roll import SharedPerson, roll_shared_people, shared_people
from grids.selectors import compounds_for, grid_units, managed_compounds, staff_compounds

Role = RoleAssignment.Role


def elections_for(user) -> QuerySet[Election]:
    """Elections the user may see at all: staff scope, grid scope, the compounds they own in, the
    elections in which they hold an active proxy (a proxy need not own a home there) and those
    they are a scrutineer of (监票人、计票人, who may be a resident who is no owner)."""
    if not getattr(user, "is_authenticated", False):
        return Election.objects.none()
    proxied = Election.objects.filter(proxies__proxy_user=user, proxies__status="active").values("pk")
    scrutinised = Election.objects.filter(scrutineers__user=user).values("pk")
    return (
        Election.objects.filter(
            Q(compound__in=compounds_for(user)) | Q(pk__in=proxied) | Q(pk__in=scrutinised)
        )
        .distinct()
        .select_related("compound")
    )


def staff_elections(user) -> QuerySet[Election]:
    """Elections in the user's staff scope (including auditors and grid leaders' compounds)."""
    return Election.objects.filter(compound__in=staff_compounds(user)).select_related("compound")


def managed_elections(user) -> QuerySet[Election]:
    """Elections the user may run: street/community staff and the compound's working group."""
    return Election.objects.filter(compound__in=managed_compounds(user)).select_related("compound")


def get_managed_election(user, pk: int) -> Election:
    """The election with this id if the user may run it; 404 otherwise (never reveal it exists)."""
    try:
        return managed_elections(user).get(pk=pk)
    except Election.DoesNotExist:
        raise Http404 from None


def get_visible_election(user, pk: int) -> Election:
    try:
        return elections_for(user).get(pk=pk)
    except Election.DoesNotExist:
        raise Http404 from None


def grid_voters(user, election: Election) -> QuerySet[Voter]:
    """The election's voters with at least one unit in a grid the user leads."""
    return Voter.objects.filter(election=election, units__in=grid_units(user)).distinct()


def can_manage(user, election: Election) -> bool:
    return managed_elections(user).filter(pk=election.pk).exists()


def owner_elections(user, limit: int = 10) -> list[Election]:
    """The elections an owner (or proxy) takes part in, newest first, for the home page.

    Only those that have reached the owners (the assembly notice is out) are listed."""
    from elections.models import Stage
    from grids.selectors import owner_units

    hidden = (Stage.STARTED, Stage.WORKING_GROUP)
    proxied = Election.objects.filter(proxies__proxy_user=user, proxies__status="active").values("pk")
    compounds = owner_units(user).values("compound_id")
    return list(
        Election.objects.filter(Q(compound_id__in=compounds) | Q(pk__in=proxied))
        .exclude(stage__in=hidden)
        .select_related("compound")
        .distinct()
        .order_by("-created_at")[:limit]
    )


def frozen_unit_codes(compound, codes: list[str]) -> list[str]:
    """Of these unit codes, those on the frozen roll of an election of the compound: the roll
    import must not remove them (registered as a guard in grids.roll by ElectionsConfig.ready)."""
    through = Voter.units.through.objects.filter(unit__compound=compound, unit__code__in=codes)
    return sorted(set(through.values_list("unit__code", flat=True)))


def proposals_for(user) -> QuerySet[AssemblyProposal]:
    """Owners' proposals the user may see: those of the compounds they own a home in, and those in
    their staff scope (street, community, compound; auditors and grid leaders included)."""
    if not getattr(user, "is_authenticated", False):
        return AssemblyProposal.objects.none()
    return AssemblyProposal.objects.filter(compound__in=compounds_for(user)).select_related(
        "compound__community__street"
    )


def frozen_owner_ids(key: str, snapshot: list) -> set[int]:
    """The registered owners of a frozen voter: from its key ("o12-34"), else from its snapshot
    (a hashed key, or the developer's own units)."""
    if key.startswith("o"):
        parts = key[1:].split("-")
        if all(p.isdigit() for p in parts):
            return {int(p) for p in parts}
    return {int(o) for unit in snapshot or () for o in unit.get("owners") or ()}


def election_shared_people(election: Election) -> list[SharedPerson]:
    """The voters of this election that share a person ({A, B} and {A} are two voters, RULES.md §1):
    from the frozen roll once voting has opened, else from the compound's roll as it is now. Two
    queries once frozen. The staff pages show it; it names owners, so only staff reach it."""
    if election.roll_frozen_at is None:
        return roll_shared_people(election.compound)
    # A frozen roll never changes: the answer is kept (the key carries the instant of the freeze).
    cache_key = f"yezhu:shared-people:{election.pk}:{election.roll_frozen_at.isoformat()}"
    cached = cache.get(cache_key)
    if cached is None:
        cached = _frozen_shared_people(election)
        cache.set(cache_key, cached, timeout=6 * 3600)
    return cached


def _frozen_shared_people(election: Election) -> list[SharedPerson]:
    voters = list(
        Voter.objects.filter(election=election).values_list("key", "label", "unit_codes", "units_snapshot")
    )
    members: list[tuple[int, str, list[str]]] = []  # (owner, voter key, unit codes)
    for key, _label, unit_codes, snapshot in voters:
        codes = [u["code"] for u in snapshot] if snapshot else [c for c in unit_codes.split(", ") if c]
        for owner_id in frozen_owner_ids(key, snapshot):
            members.append((owner_id, key, codes))
    counts: dict[int, set[str]] = {}
    for owner_id, key, _codes in members:
        counts.setdefault(owner_id, set()).add(key)
    shared = {owner_id for owner_id, keys in counts.items() if len(keys) > 1}
    if not shared:
        return []
    names = dict(Owner.objects.filter(pk__in=shared).values_list("pk", "name"))
    rows = [
        (owner_id, names.get(owner_id, str(owner_id)), key, code)
        for owner_id, key, codes in members
        if owner_id in shared
        for code in codes
    ]
    return shared_people(rows, {key: label for key, label, _codes, _snapshot in voters})


def votes_under_way(*, compound_ids=(), user_ids=()) -> list[str]:
    """Titles of the votes under way (the roll frozen, ballots not yet counted) in these compounds,
    or in the compounds where these users own a home or hold a proxy. While a vote runs, who may cast is decided
    by the live links between accounts, owners and units: the admin must leave them alone
    (registered as `yezhu.hooks` vote locks by ElectionsConfig.ready)."""
    from elections.models import Proxy, Stage
    from grids.models import Unit

    compounds = set(compound_ids)
    if user_ids:
        compounds.update(
            Unit.objects.filter(ownerships__owner__user_id__in=list(user_ids)).values_list(
                "compound_id", flat=True
            )
        )
        # A proxy's account casts for the homes it represents, wherever it lives.
        compounds.update(
            Proxy.objects.filter(proxy_user_id__in=list(user_ids), status=Proxy.Status.ACTIVE).values_list(
                "election__compound_id", flat=True
            )
        )
    if not compounds:
        return []
    running = Q(stage__in=[Stage.VOTING, Stage.COUNTING]) | Q(
        stage=Stage.CANDIDATE_NOTICE, roll_frozen_at__isnull=False
    )
    return list(
        Election.objects.filter(running, compound_id__in=compounds)
        .order_by("pk")
        .values_list("title", flat=True)
    )


class VoteLocks:
    def votes_under_way(self, *, compound_ids=(), user_ids=()) -> list[str]:
        return votes_under_way(compound_ids=compound_ids, user_ids=user_ids)
