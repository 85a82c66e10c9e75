"""Shared set-up for the benchmarks: a fresh PostgreSQL database and fast builders of big rolls.

The builders write through bulk inserts (the benchmarks measure the tally, the board and the
rush, not the fixtures); the import benchmark alone goes through the real import code.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

from yezhu.actors import OPERATOR

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = os.environ.get("BENCH_DB", "yezhu_bench")
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/5")


def bench_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"{PG}/{BENCH_DB}",
        REDIS_URL=REDIS,
        DJANGO_SETTINGS_MODULE="yezhu.settings",
        DEBUG="1",
        CELERY_TASK_ALWAYS_EAGER="1",
    )
    return env


def setup_django() -> None:
    os.environ.update(bench_env())
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def fresh_database() -> None:
    """Drop and re-create the bench database, then migrate it (outside Django's connection)."""
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (BENCH_DB,),
        )
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}"')
        conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=bench_env(), check=True
    )


def analyze() -> None:
    """ANALYZE the bench database: the builders bulk-insert whole compounds at once, and until
    autovacuum gets to them the planner believes the tables are nearly empty (a production
    database has been analysed many times between the roll's import and the vote)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def timed(fn, *args, repeat: int = 3, **kwargs) -> tuple[float, object]:
    """Median wall time of `repeat` runs, in seconds, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn(*args, **kwargs)
        times.append(time.perf_counter() - start)
    times.sort()
    return times[len(times) // 2], result


def build_compound(n_units: int, *, code: str, seed: int = 1):
    """A compound of `n_units` units: ~2% developer's, 30% co-owned, 5% buyers with two units."""
    from grids.models import Building, Community, Compound, Owner, Ownership, Street, Unit
    from grids.roll import voter_key_for

    rng = random.Random(seed)
    street, _ = Street.objects.get_or_create(name="基准街道")
    community, _ = Community.objects.get_or_create(street=street, name="基准社区")
    compound = Compound.objects.create(community=community, code=code, name=f"基准小区{code}")
    buildings = Building.objects.bulk_create(
        [Building(compound=compound, name=str(i + 1)) for i in range((n_units // 144) + 1)]
    )
    units, owner_sets = [], []
    n_owners = 0
    for i in range(n_units):
        area = Decimal(rng.choice((59, 72, 89, 96, 108, 120, 135))) + Decimal(rng.randrange(0, 100)) / 100
        status = Unit.Status.UNSOLD if rng.random() < 0.02 else Unit.Status.DELIVERED
        units.append(
            Unit(
                compound=compound,
                building=buildings[i // 144],
                number=str(i),
                code=f"{i // 144 + 1}-{i % 144 + 1}",
                area=area,
                area_source=Unit.AreaSource.REGISTER,
                status=status,
            )
        )
        if status != Unit.Status.DELIVERED:
            owner_sets.append(())
        elif owner_sets and rng.random() < 0.05 and owner_sets[-1]:
            owner_sets.append(owner_sets[-1])
        else:
            k = 2 if rng.random() < 0.3 else 1
            owner_sets.append(tuple(range(n_owners, n_owners + k)))
            n_owners += k
    Unit.objects.bulk_create(units, batch_size=5000)
    owners = Owner.objects.bulk_create(
        [Owner(name=f"业主{i}", id_hash=f"{code}-{i}", id_last4=f"{i % 10000:04d}") for i in range(n_owners)],
        batch_size=5000,
    )
    links = []
    for unit, members in zip(units, owner_sets, strict=True):
        ids = [owners[m].pk for m in members]
        unit.voter_key = voter_key_for(status=unit.status, owner_ids=ids)
        links.extend(Ownership(unit=unit, owner_id=o) for o in ids)
    Ownership.objects.bulk_create(links, batch_size=10000)
    Unit.objects.bulk_update(units, ["voter_key"], batch_size=5000)
    return compound, owners


def build_election(compound, *, n_candidates: int = 11, seats: int = 9):
    from datetime import timedelta

    from django.utils import timezone

    from elections.models import Candidate, Election, Matter, Race, Stage
    from elections.services import roll_freeze

    now = timezone.now()
    election = Election.objects.create(
        compound=compound,
        title="基准选举",
        stage=Stage.STARTED,
        voting_opens_at=now - timedelta(hours=1),
        voting_closes_at=now + timedelta(days=7),
    )
    for i in range(1, 4):
        Matter.objects.create(election=election, key=f"M{i}", title=f"事项{i}", position=i)
    race = Race.objects.create(election=election, key="R1", title="业主委员会委员", seats=seats)
    Candidate.objects.bulk_create(
        [Candidate(race=race, key=f"C{i}", name=f"候选人{i}", position=i) for i in range(1, n_candidates + 1)]
    )
    roll_freeze(election=election, actor=OPERATOR)
    Election.objects.filter(pk=election.pk).update(stage=Stage.VOTING)
    election.refresh_from_db()
    return election


def random_choices(rng: random.Random, n_candidates: int = 11, seats: int = 9) -> dict:
    return {
        "matters": {f"M{i}": rng.choice(("yes", "yes", "no", "abstain")) for i in range(1, 4)},
        "races": {
            "R1": sorted(
                rng.sample([f"C{i}" for i in range(1, n_candidates + 1)], rng.randint(1, seats)),
                key=lambda k: int(k[1:]),
            )
        },
    }


def fill_ballots(election, turnout: float, *, seed: int = 2) -> int:
    """Valid ballots for a share of the voters, chained exactly as ballot_record chains them."""
    from django.utils import timezone

    from elections.models import Ballot, Election, Voter
    from elections.rules.chain import GENESIS, chain_hash

    rng = random.Random(seed)
    voters = list(Voter.objects.filter(election=election).values_list("pk", flat=True))
    rng.shuffle(voters)
    chosen = voters[: int(len(voters) * turnout)]
    from yezhu.accounts.models import User

    caster, _ = User.objects.get_or_create(phone="13999999999")
    prev, ballots, now = GENESIS, [], timezone.now()
    for seq, voter_id in enumerate(chosen, start=1):
        choices = random_choices(rng)
        receipt = f"B{seq:09d}"
        digest = chain_hash(prev_hash=prev, seq=seq, receipt=receipt, status="valid", choices=choices)
        ballots.append(
            Ballot(
                election=election,
                voter_id=voter_id,
                channel="paper",
                status="valid",
                choices=choices,
                cast_at=now,
                cast_by=caster,
                cast_as="paper",
                receipt=receipt,
                seq=seq,
                prev_hash=prev,
                hash=digest,
            )
        )
        prev = digest
    Ballot.objects.bulk_create(ballots, batch_size=5000)
    Election.objects.filter(pk=election.pk).update(chain_head=prev, ballot_count=len(ballots))
    return len(ballots)
