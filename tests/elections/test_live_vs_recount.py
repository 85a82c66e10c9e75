"""The live tally and the recount of the exported bundle agree field for field (RULES.md §4),
on a generated compound of a few thousand voters with every kind of unit and ballot."""

from __future__ import annotations

import random
import string
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from elections import voting
from elections.models import Ballot, Candidate, Election, Matter, Race, Stage, Voter
from elections.rules.bundle import recount
from elections.rules.chain import GENESIS, chain_hash
from elections.services import bundle_for, election_tally, roll_freeze
from grids.models import Building, Owner, Ownership, Unit
from grids.roll import voter_key_for
from tests.elections.test_voting import close_and_publish
from tests.factories import UserFactory
from yezhu.actors import OPERATOR

pytestmark = pytest.mark.django_db

SINGLES = 2800
CO_OWNED = 300
SECOND_HOMES = 150
DEVELOPER_UNITS = 100
PARKING = 50


def build_compound(compound, rng: random.Random) -> dict[int, Owner]:
    """Units and owners in bulk, with voter keys set as the roll import sets them."""
    buildings = Building.objects.bulk_create([Building(compound=compound, name=str(b)) for b in range(1, 21)])
    owners = Owner.objects.bulk_create(
        [
            Owner(name=f"业主{i}", id_hash=f"gen{i:061d}", id_last4=f"{i % 10000:04d}")
            for i in range(SINGLES + 2 * CO_OWNED)
        ]
    )
    plan: list[tuple[str, str, str, list[Owner]]] = []  # code, status, kind, owners
    n = 0

    def code() -> str:
        nonlocal n
        n += 1
        return f"{n % 20 + 1}-{n // 400 + 1}-{n:05d}"

    singles = owners[:SINGLES]
    for owner in singles:
        plan.append((code(), Unit.Status.DELIVERED, Unit.Kind.RESIDENTIAL, [owner]))
    pairs = owners[SINGLES:]
    for i in range(CO_OWNED):
        plan.append((code(), Unit.Status.DELIVERED, Unit.Kind.RESIDENTIAL, [pairs[2 * i], pairs[2 * i + 1]]))
    for owner in singles[:SECOND_HOMES]:  # buyers of two homes: one voter, one head
        plan.append((code(), Unit.Status.DELIVERED, Unit.Kind.RESIDENTIAL, [owner]))
    for i in range(DEVELOPER_UNITS):
        status = Unit.Status.UNSOLD if i % 2 else Unit.Status.SOLD_UNDELIVERED
        plan.append((code(), status, Unit.Kind.RESIDENTIAL, []))
    for owner in singles[-PARKING:]:  # parking spaces do not count toward the roll
        plan.append((code(), Unit.Status.DELIVERED, Unit.Kind.PARKING, [owner]))

    units = Unit.objects.bulk_create(
        [
            Unit(
                compound=compound,
                building=buildings[i % len(buildings)],
                number=c,
                code=c,
                kind=kind,
                area=Decimal(rng.randint(3000, 20000)) / 100,
                area_source=Unit.AreaSource.REGISTER,
                status=status,
                voter_key=voter_key_for(status=status, owner_ids=[o.pk for o in unit_owners]),
            )
            for i, (c, status, kind, unit_owners) in enumerate(plan)
        ],
        batch_size=1000,
    )
    Ownership.objects.bulk_create(
        [
            Ownership(unit=unit, owner=o)
            for unit, (_, _, _, unit_owners) in zip(units, plan, strict=True)
            for o in unit_owners
        ],
        batch_size=2000,
    )
    return {o.pk: o for o in owners}


def ballot_paper(compound) -> Election:
    now = timezone.now()
    election = Election.objects.create(
        compound=compound,
        title="第三届业主委员会换届选举",
        stage=Stage.VOTING,
        voting_opens_at=now - timedelta(days=2),
        voting_closes_at=now + timedelta(days=5),
    )
    Matter.objects.create(election=election, key="M1", title="修订议事规则", position=1)
    Matter.objects.create(election=election, key="M2", title="续聘物业", position=2)
    Matter.objects.create(
        election=election, key="M3", title="使用维修资金", category=Matter.Category.SPECIAL, position=3
    )
    race = Race.objects.create(election=election, key="R1", title="业主委员会委员", seats=5)
    for i in range(1, 9):
        Candidate.objects.create(race=race, key=f"C{i}", name=f"候选人{i}", position=i)
    return election


def random_choices(rng: random.Random) -> dict:
    matters = {}
    for key in ("M1", "M2", "M3"):
        answer = rng.choices(["yes", "no", "abstain", None], weights=[70, 15, 10, 5])[0]
        if answer:  # None: left blank, which counts as an abstention
            matters[key] = answer
    popular = ["C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8"]
    weights = [90, 85, 80, 75, 60, 40, 20, 10]
    ticks = [c for c, w in zip(popular, weights, strict=True) if rng.randint(1, 100) <= w][:5]
    if rng.random() < 0.03:
        ticks = popular[:7]  # over-ticked: void for the race, still participates
    return {"matters": matters, "races": {"R1": ticks}}


def test_it_recounts_the_exported_bundle_to_exactly_the_live_tally(compound, django_assert_max_num_queries):
    """Developer units, co-owned homes, two-home buyers, parking, rejected and over-ticked ballots,
    abstentions: the bundle's recount equals the live tally field for field, and loading the
    election for the tally costs the same few queries whatever the number of ballots."""
    rng = random.Random(20261122)
    build_compound(compound, rng)
    election = ballot_paper(compound)
    roll_freeze(election=election, actor=OPERATOR)
    election.refresh_from_db()
    voters = list(Voter.objects.filter(election=election).order_by("pk"))
    assert len(voters) == SINGLES + CO_OWNED + 1  # + the developer; second homes and parking add no head

    # A few ballots through the service, as owners cast them online.
    online = []
    for voter in voters[:5]:
        owner = Owner.objects.get(pk=int(voter.key[1:].split("-")[0]))
        owner.user = UserFactory()
        owner.save(update_fields=["user"])
        online.append(
            voting.ballot_cast_online(
                election=election, voter=voter, actor=owner.user, choices=random_choices(rng)
            )
        )
    few = Election.objects.get(pk=election.pk)
    with CaptureQueriesContext(connection) as small:
        election_tally(few)

    # The rest in bulk, chained exactly as ballot_record chains them.
    clerk = UserFactory()
    election.refresh_from_db()
    seq, prev = election.ballot_count, election.chain_head
    receipts = set(Ballot.objects.values_list("receipt", flat=True))
    rows = []
    now = timezone.now()

    def add(voter, status, choices):
        nonlocal seq, prev
        seq += 1
        receipt = "".join(rng.choices(string.ascii_uppercase, k=10))
        while receipt in receipts:
            receipt = "".join(rng.choices(string.ascii_uppercase, k=10))
        receipts.add(receipt)
        digest = chain_hash(prev_hash=prev, seq=seq, receipt=receipt, status=status, choices=choices)
        rows.append(
            Ballot(
                election=election,
                voter=voter,
                channel=Ballot.Channel.PAPER if status == "rejected" else Ballot.Channel.ONLINE,
                status=status,
                reject_reason="unsigned" if status == "rejected" else "",
                choices=choices,
                cast_at=now,
                cast_by=clerk,
                cast_as=Ballot.CastAs.PAPER if status == "rejected" else Ballot.CastAs.OWNER,
                receipt=receipt,
                seq=seq,
                prev_hash=prev,
                hash=digest,
            )
        )
        prev = digest

    for voter in voters[5:]:
        roll = rng.random()
        if roll < 0.02:
            add(voter, "rejected", {})  # an unsigned paper ballot: does not participate
            if rng.random() < 0.5:
                add(voter, "valid", random_choices(rng))  # the owner then votes online
        elif roll < 0.80:
            add(voter, "valid", random_choices(rng))
    Ballot.objects.bulk_create(rows, batch_size=1000)
    Election.objects.filter(pk=election.pk).update(chain_head=prev, ballot_count=seq)

    fresh = Election.objects.get(pk=election.pk)
    with CaptureQueriesContext(connection) as large, django_assert_max_num_queries(4):
        live = election_tally(fresh)
    assert len(large) == len(small)  # a fixed number of queries, whatever the ballot count

    close_and_publish(election)
    bundle = bundle_for(election)
    recounted = recount(bundle)
    assert recounted == live == election.result
    for section in ("totals", "participation", "matters", "races"):
        assert recounted[section] == live[section]

    # The generated election exercises what it claims to.
    assert live["totals"]["heads"] == len(voters)
    assert live["participation"]["quorum_met"] is True
    assert live["races"]["R1"]["invalid_ballots"] > 0
    assert Ballot.objects.filter(election=election, status="rejected").count() > 0
    assert live["races"]["R1"]["elected"]
    assert any(b["unit"].startswith(("1-", "2-")) for b in bundle["ballots"])
    developer = [u for u in bundle["units"] if u["status"] != "delivered"]
    assert len(developer) == DEVELOPER_UNITS
    assert not {u["id"] for u in bundle["units"]} & set(
        Unit.objects.filter(kind=Unit.Kind.PARKING).values_list("code", flat=True)
    )
    assert bundle["election"]["chain_head"] == prev != GENESIS


USCC = "91330100716105852F"


def test_it_recounts_a_bundle_with_a_developer_and_raised_thresholds_to_the_live_tally(compound):
    """解释 第9条 and 民法典 第278条 together: the developer's own units (自持) with its unsold ones are
    one voter in the live tally and in the recount of the bundle (which names the developer), and
    thresholds raised by the rules of procedure count alike on both sides, field for field."""
    from django.conf import settings

    from elections.services import ballot_record
    from grids.idcard import hash_id_number
    from grids.services import compound_developer_set
    from tests.factories import OwnerFactory, unit_with_owners

    rng = random.Random(20261206)
    developer = OwnerFactory(
        name="某某房地产开发有限公司", id_hash=hash_id_number(USCC, settings.ID_NUMBER_SALT)
    )
    people = [OwnerFactory(name=f"业主{i}") for i in range(60)]
    for i, owner in enumerate(people):
        unit_with_owners(compound, f"1-1-{i + 101}", f"{rng.randint(5000, 15000) / 100:.2f}", [owner])
    for i in range(8):
        unit_with_owners(compound, f"9-1-{i + 901}", "95.00", [developer])  # its own (自持)
    for i in range(6):
        status = Unit.Status.UNSOLD if i % 2 else Unit.Status.SOLD_UNDELIVERED
        unit_with_owners(compound, f"9-2-{i + 901}", "88.00", status=status)
    unit_with_owners(compound, "9-3-901", "70.00", [developer, people[0]])  # co-owned: a buyer
    assert compound_developer_set(compound=compound, name=developer.name, uscc=USCC, actor=OPERATOR) == 8

    election = ballot_paper(compound)
    # Raised by the rules of procedure (set before voting opens; the fixture starts in voting).
    Election.objects.filter(pk=election.pk).update(
        quorum_numerator=7,
        quorum_denominator=10,
        ordinary_numerator=3,
        ordinary_denominator=5,
        special_numerator=4,
        special_denominator=5,
    )
    roll_freeze(election=election, actor=OPERATOR)
    election.refresh_from_db()
    voters = list(Voter.objects.filter(election=election).order_by("pk"))
    assert len(voters) == 60 + 1 + 1  # the buyers, the developer (14 units), {developer, 业主0}
    dev_voter = next(v for v in voters if v.key == Unit.DEVELOPER_KEY)
    assert dev_voter.units.count() == 14 and dev_voter.area == Decimal("1288.00")

    clerk = UserFactory()
    for voter in voters:
        if rng.random() < 0.85:
            ballot_record(
                election=election,
                voter=voter,
                actor=clerk,
                cast_as=Ballot.CastAs.PAPER,
                channel=Ballot.Channel.PAPER,
                choices=random_choices(rng),
            )
    live = election_tally(Election.objects.get(pk=election.pk))
    close_and_publish(election)
    bundle = bundle_for(election)
    assert bundle["rules"] == {"quorum": "7/10", "ordinary": "3/5", "special": "4/5"}
    assert bundle["developer"].startswith("P")
    own = [u for u in bundle["units"] if u.get("owners") == [bundle["developer"]]]
    assert len(own) == 8
    assert recount(bundle) == live == election.result
    assert live["totals"]["heads"] == 62
    public = bundle_for(election, named=False)
    assert recount(public) == live
