"""Scoped reads for elections. Views, the API and tasks reach elections only through these."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from elections.models import AssemblyProposal, Election, Voter
from grids.models import RoleAssignment
from grids.selectors import compounds_for, grid_units, managed_compounds, staff_compounds

Role = RoleAssignment.Role


def elections_for(user) -> QuerySet[Election]:
    """Elections the user may see at all: staff scope, grid scope, the compounds they own in, and
    the elections in which they hold an active proxy (a proxy need not own a home there)."""
    if not getattr(user, "is_authenticated", False):
        return Election.objects.none()
    proxied = Election.objects.filter(proxies__proxy_user=user, proxies__status="active").values("pk")
    return (
        Election.objects.filter(Q(compound__in=compounds_for(user)) | Q(pk__in=proxied))
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
