"""The street board for a street of 500 compounds: median time to render /street/ (ms).

Builds the street in the configured database with bulk inserts (committees, party branches,
elections in every stage, some in voting with their voters and ballots), renders the board
through Django's test client five times after one warm-up, prints one line
`board_ms 500: <n>` and returns the median. Everything is built inside a transaction that is
rolled back at the end, so the database is left as it was.

Run alone: `python bench/board_bench.py [N]` (uses DATABASE_URL, default the SQLite file);
`bench/run.py` calls `run()` against the bench PostgreSQL database.
"""

from __future__ import annotations

import contextlib
import os
import random
import statistics
import sys
import time
from datetime import datetime, timedelta
from datetime import time as dtime
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_STAGES = [
    "started",
    "working_group",
    "notice",
    "nomination",
    "vetting",
    "candidate_notice",
    "voting",
    "counting",
    "result_notice",
    "filing",
]


class _Rollback(Exception):
    pass


def _setup() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yezhu.settings")
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()


def build_street(n_compounds: int, *, seed: int = 8, voters_per_election: int = 300, streets: int = 1):
    """A street of ``n_compounds`` compounds and a street-staff user; returns (street, user).

    With ``streets`` > 1 the compounds are spread over that many streets of one district, and the
    user is the district's staff (the district roll-up); the first street is returned."""
    from django.utils import timezone

    from elections.models import Ballot, Committee, CommitteeMember, Election, Voter
    from grids.models import Community, Compound, District, PartyOrg, RoleAssignment, Street
    from yezhu.accounts.models import User

    rng = random.Random(seed)
    today = timezone.localdate()
    stamp = f"{time.time_ns() % 10**10}"
    district = District.objects.create(name=f"基准区{stamp}") if streets > 1 else None
    all_streets = Street.objects.bulk_create(
        [Street(name=f"基准看板街道{stamp}-{k}", district=district) for k in range(streets)]
    )
    street = all_streets[0]
    communities = Community.objects.bulk_create(
        [
            Community(street=all_streets[i % streets], name=f"社区{i}")
            for i in range(max(streets, n_compounds // 50))
        ]
    )
    compounds = Compound.objects.bulk_create(
        [
            Compound(
                community=communities[i % len(communities)],
                code=f"B{stamp}-{i:04d}",
                name=f"看板小区{i}",
                property_manager="" if rng.random() < 0.06 else "某物业服务有限公司",
            )
            for i in range(n_compounds)
        ]
    )
    PartyOrg.objects.bulk_create(
        [
            PartyOrg(name=f"{c.name}党支部", level=PartyOrg.Level.COMPOUND, compound=c)
            for c in compounds
            if rng.random() < 0.9
        ]
    )
    committees = []
    for c in compounds:
        if rng.random() < 0.85:
            end = today + timedelta(days=rng.randint(-200, 1500))
            committees.append(Committee(compound=c, term_start=end - timedelta(days=5 * 365), term_end=end))
    committees = Committee.objects.bulk_create(committees)
    CommitteeMember.objects.bulk_create(
        [
            CommitteeMember(committee=cm, name=f"委员{k}", role="chair" if k == 0 else "member", position=k)
            for cm in committees
            for k in range(7)
        ]
    )

    def at(days: int, hour: int = 8):
        return timezone.make_aware(datetime.combine(today + timedelta(days=days), dtime(hour)))

    elections = []
    for i, c in enumerate(compounds):
        if rng.random() < 0.4:
            elections.append(
                Election(
                    compound=c,
                    title=f"{c.name}第一届选举",
                    stage="done",
                    filed_on=today - timedelta(days=700),
                )
            )
        if i % 3:
            continue
        stage = _STAGES[(i // 3) % len(_STAGES)]
        opens = rng.randint(-5, 30) if stage != "voting" else -rng.randint(1, 6)
        elections.append(
            Election(
                compound=c,
                title=f"{c.name}换届选举",
                stage=stage,
                working_group_formed_on=today - timedelta(days=rng.randint(20, 90)),
                working_group_published_on=today - timedelta(days=rng.randint(5, 19)),
                notice_published_on=today + timedelta(days=opens - rng.choice([10, 16, 20])),
                voting_opens_at=at(opens),
                voting_closes_at=at(opens + 10, 20),
            )
        )
    elections = Election.objects.bulk_create(elections)
    voting = [e for e in elections if e.stage == "voting"]
    user = User.objects.create_user(f"199{stamp[-8:]}", name="基准街道干部")
    if district is None:
        RoleAssignment.objects.create(user=user, role=RoleAssignment.Role.STREET_STAFF, street=street)
    else:
        RoleAssignment.objects.create(user=user, role=RoleAssignment.Role.DISTRICT_STAFF, district=district)
    for e in voting:
        voters = Voter.objects.bulk_create(
            [
                Voter(election=e, key=f"o{k}", area=Decimal("88.50"), unit_codes=f"1-{k}", label=f"业主{k}")
                for k in range(voters_per_election)
            ]
        )
        cast = voters[: rng.randint(0, voters_per_election)]
        Ballot.objects.bulk_create(
            [
                Ballot(
                    election=e,
                    voter=v,
                    channel="online",
                    choices={},
                    cast_at=timezone.now(),
                    cast_by=user,
                    cast_as="owner",
                    receipt=f"R{k:07d}",
                    seq=k + 1,
                    prev_hash="0" * 64,
                    hash=f"{k:064d}",
                )
                for k, v in enumerate(cast)
            ],
            batch_size=2000,
        )
        Election.objects.filter(pk=e.pk).update(
            total_heads=voters_per_election, total_area=Decimal("88.50") * voters_per_election
        )
    return street, user


def run(n_compounds: int = 500, *, streets: int = 1) -> dict:
    """Render the board of a street of ``n_compounds`` compounds (``streets`` == 1), or the
    district roll-up of ``n_compounds`` compounds over ``streets`` streets: the median of five
    renders in milliseconds, the queries of one render and the rows shown."""
    _setup()
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings, setup_test_environment

    with contextlib.suppress(RuntimeError):  # already set up when run from a test session
        setup_test_environment()
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    url = "/street/" if streets == 1 else "/street/district/"
    result: dict = {}
    try:
        with override_settings(STORAGES=storages), transaction.atomic():
            _street, user = build_street(n_compounds, streets=streets)
            client = Client()
            client.force_login(user)
            client.get(url)  # warm-up: templates, translations, the holiday calendar
            times = []
            for _ in range(5):
                start = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - start) * 1000)
                if response.status_code != 200:
                    raise RuntimeError(f"{url} answered {response.status_code}")
            with CaptureQueriesContext(connection) as queries:
                client.get(url)
            result["ms"] = round(statistics.median(times), 1)
            result["queries"] = len(queries)
            result["rows"] = response.content.decode().count("data-code=")
            result["compounds"] = n_compounds
            result["streets"] = streets
            raise _Rollback
    except _Rollback:
        pass
    what = "board_ms" if streets == 1 else "district_ms"
    print(
        f"{what} {n_compounds}: {result['ms']:.1f} ({streets} street(s), {result['rows']} rows, "
        f"{result['queries']} queries, median of 5)"
    )
    return result


if __name__ == "__main__":
    run(int(sys.argv[1]) if len(sys.argv) > 1 else 500, streets=int(sys.argv[2]) if len(sys.argv) > 2 else 1)
