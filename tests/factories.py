"""Factories for tests (factory_boy) and small builders for rolls and elections.

`unit_with_owners` keeps `Unit.voter_key` right, as the roll import does, so the statutory roll
of a compound built here is the one the import would produce.
"""

from __future__ import annotations

import itertools
from datetime import timedelta
from decimal import Decimal

import factory
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from elections.models import Candidate, Election, Matter, Race, Stage
from grids.models import (
    Building,
    Community,
    Compound,
    District,
    Grid,
    Owner,
    Ownership,
    RoleAssignment,
    Street,
    Unit,
)
from grids.roll import voter_key_for
from yezhu.accounts.models import User

_phones = itertools.count(13000000000 + 1)


def next_phone() -> str:
    return str(next(_phones))


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("phone",)

    phone = factory.LazyFunction(next_phone)
    name = factory.Sequence(lambda n: f"用户{n}")
    phone_verified = True
    # Owners sign in by code only, as accounts made by the sign-in flow do (no usable password).
    password = factory.LazyFunction(lambda: make_password(None))


class DistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = District

    name = factory.Sequence(lambda n: f"区{n}")


class StreetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Street

    name = factory.Sequence(lambda n: f"街道{n}")


class CommunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Community

    street = factory.SubFactory(StreetFactory)
    name = factory.Sequence(lambda n: f"社区{n}")


class CompoundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Compound

    community = factory.SubFactory(CommunityFactory)
    code = factory.Sequence(lambda n: f"C{n:04d}")
    name = factory.Sequence(lambda n: f"小区{n}")
    property_manager = "某物业公司"


class BuildingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Building
        django_get_or_create = ("compound", "name")

    compound = factory.SubFactory(CompoundFactory)
    name = "1"


class OwnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Owner

    name = factory.Sequence(lambda n: f"业主{n}")
    id_hash = factory.Sequence(lambda n: f"hash{n:060d}")
    id_last4 = factory.Sequence(lambda n: f"{n % 10000:04d}")
    mobile = ""


class GridFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Grid

    compound = factory.SubFactory(CompoundFactory)
    community = factory.LazyAttribute(lambda o: o.compound.community)
    name = factory.Sequence(lambda n: f"网格{n}")


def unit_with_owners(
    compound: Compound,
    code: str,
    area: str | Decimal,
    owners: list[Owner] | tuple[Owner, ...] = (),
    *,
    status: str = Unit.Status.DELIVERED,
    kind: str = Unit.Kind.RESIDENTIAL,
    building: str | None = None,
) -> Unit:
    """A unit with its registered owners and the right voter key."""
    building_name = building or code.split("-")[0]
    b, _ = Building.objects.get_or_create(compound=compound, name=building_name)
    unit = Unit.objects.create(
        compound=compound,
        building=b,
        number=code.split("-")[-1],
        code=code,
        area=Decimal(area),
        area_source=Unit.AreaSource.REGISTER,
        status=status,
        kind=kind,
    )
    for owner in owners:
        Ownership.objects.create(unit=unit, owner=owner)
    unit.voter_key = voter_key_for(status=status, owner_ids=[o.pk for o in owners])
    unit.save(update_fields=["voter_key"])
    return unit


def grant(user: User, role: str, scope) -> RoleAssignment:
    """Give a user a role over a scope (a District, Street, Community, Compound or Grid)."""
    field = {
        District: "district",
        Street: "street",
        Community: "community",
        Compound: "compound",
        Grid: "grid",
    }[type(scope)]
    return RoleAssignment.objects.create(user=user, role=role, **{field: scope})


def owner_user(
    compound: Compound, code: str, area: str = "100.00", *, name: str = "", phone: str | None = None
):
    """A signed-up resident owning one delivered unit alone: returns (user, owner, unit)."""
    user = UserFactory(phone=phone or next_phone(), name=name or "")
    owner = OwnerFactory(name=name or f"业主{code}", user=user, mobile=user.phone)
    unit = unit_with_owners(compound, code, area, [owner])
    return user, owner, unit


def election_with_ballot_paper(
    compound: Compound,
    *,
    stage: str = Stage.STARTED,
    matters: int = 1,
    seats: int = 3,
    candidates: int = 4,
    opens_in: timedelta = timedelta(days=-1),
    closes_in: timedelta = timedelta(days=6),
) -> Election:
    """An election with `matters` ordinary matters and one race of `seats` from `candidates`."""
    now = timezone.now()
    election = Election.objects.create(
        compound=compound,
        title="第二届业主委员会换届选举",
        stage=stage,
        voting_opens_at=now + opens_in,
        voting_closes_at=now + closes_in,
    )
    for i in range(1, matters + 1):
        Matter.objects.create(
            election=election, key=f"M{i}", title=f"事项{i}", text=f"事项{i}全文", position=i
        )
    if candidates:
        race = Race.objects.create(election=election, key="R1", title="业主委员会委员", seats=seats)
        for i in range(1, candidates + 1):
            Candidate.objects.create(race=race, key=f"C{i}", name=f"候选人{i}", position=i)
    return election


def sign_in(client, user: User, *, factors: tuple[str, ...] = ("password", "code")):
    """Sign a test client in as `user`, as the staff sign-in leaves the session: the password and
    then the SMS code recorded (the admin refuses a session without both, yezhu/admin_site.py).
    `factors=()` is a session made some other way (force_login alone)."""
    import time

    from allauth.account.internal.flows.login import (
        _AUTHENTICATION_METHODS_USER_SESSION_KEY,
        AUTHENTICATION_METHODS_SESSION_KEY,
    )

    client.force_login(user)
    session = client.session
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [{"method": f, "at": time.time()} for f in factors]
    session[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = str(user.pk)
    session.save()
    return client


def api_token(user: User, *, long_lived: bool = False, name: str = "") -> str:
    """An API token of the user (as POST /api/v1/auth/token/ makes one, without its audit row): the key."""
    import secrets

    from yezhu.accounts.models import ApiToken
    from yezhu.api.authentication import hash_key

    key = secrets.token_hex(20)
    ApiToken.objects.create(
        user=user,
        name=name or f"test-{key[:6]}",
        key_hash=hash_key(key),
        prefix=key[:8],
        long_lived=long_lived,
    )
    return key
