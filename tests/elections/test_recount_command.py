"""``manage.py recount BUNDLE.json`` end to end, in a subprocess, with no database at all.

DATABASE_URL points at an SQLite file inside a directory that does not exist, so any attempt to
open the database would fail (and the file would appear); the command must not need it.
"""

from __future__ import annotations

import gc
import io
import json
import os
import random
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from elections.rules.bundle import dump_json, recount
from tests.elections.test_bundle import EXAMPLE_RESULT, example_bundle

ROOT = Path(__file__).resolve().parents[2]


def make_bundle(n_units: int, n_candidates: int, turnout: float, seed: int) -> dict[str, Any]:
    """A large, realistic yezhu-bundle/1: what a compound of ``n_units`` units might export.

    About 3% of units are unsold and 1% sold but undelivered (the developer, one voter), 10% are
    co-owned (owners listed in random order), and 5% belong to a buyer who already holds another
    unit. About ``turnout`` of the voters send a ballot, which names a random unit of theirs; 2%
    of ballots are rejected, a few voters have a rejected ballot and then a valid one, and 1% of
    ballots over-tick the race. One ordinary matter, one special matter, and one race for
    ``n_candidates`` candidates with ``n_candidates - 2`` seats (at least one).
    """
    rng = random.Random(seed)
    units: list[dict[str, Any]] = []
    owner_sets: list[list[str]] = []  # one per buyer, as first listed
    voter_units: dict[str, list[str]] = {}  # voter → its unit ids
    next_owner = 0

    def new_owner() -> str:
        nonlocal next_owner
        next_owner += 1
        return f"P{next_owner:06d}"

    for i in range(n_units):
        uid = f"{i // 400 + 1}-{i // 100 % 4 + 1}-{i % 100 // 4 + 1:02d}{i % 4 + 1:02d}"
        area = f"{rng.randint(3000, 18000) // 100}.{rng.randint(0, 99):02d}"
        draw = rng.random()
        if draw < 0.03:
            units.append({"id": uid, "area": area, "status": "unsold"})
            voter_units.setdefault("developer", []).append(uid)
            continue
        if draw < 0.04:
            units.append({"id": uid, "area": area, "status": "sold_undelivered", "owners": [new_owner()]})
            voter_units.setdefault("developer", []).append(uid)
            continue
        if draw < 0.09 and owner_sets:
            owners = list(rng.choice(owner_sets))
            rng.shuffle(owners)  # the same buyer, listed in another order
        elif draw < 0.19:
            owners = [new_owner(), new_owner()]
            owner_sets.append(owners)
        else:
            owners = [new_owner()]
            owner_sets.append(owners)
        units.append({"id": uid, "area": area, "status": "delivered", "owners": owners})
        voter_units.setdefault(",".join(sorted(owners)), []).append(uid)

    candidates = [f"C{j + 1:02d}" for j in range(n_candidates)]
    seats = max(1, n_candidates - 2)
    popularity = [rng.uniform(0.3, 0.9) for _ in candidates]
    ballots: list[dict[str, Any]] = []
    for voter_ids in voter_units.values():
        if rng.random() >= turnout:
            continue
        if rng.random() < 0.005:  # a spoiled paper ballot first, then a valid one
            ballots.append({"unit": rng.choice(voter_ids), "status": "rejected"})
        if rng.random() < 0.01:
            ticks = rng.sample(candidates, min(len(candidates), seats + 1))  # over-ticked: void for R1
        else:
            ticks = [c for c, p in zip(candidates, popularity, strict=True) if rng.random() < p][:seats]
        ballots.append(
            {
                "unit": rng.choice(voter_ids),
                "status": "rejected" if rng.random() < 0.02 else "valid",
                "matters": {
                    "M1": rng.choice(["yes", "yes", "yes", "no", "abstain"]),
                    "M2": rng.choice(["yes", "yes", "yes", "yes", "no"]),
                },
                "races": {"R1": ticks},
            }
        )
    rng.shuffle(ballots)

    return {
        "format": "yezhu-bundle/1",
        "election": {"compound": f"BENCH-{seed}", "title": "压力测试"},
        "rules": {"quorum": "2/3"},
        "units": units,
        "matters": [
            {"key": "M1", "title": "选聘物业服务企业", "category": "ordinary"},
            {"key": "M2", "title": "筹集建筑物及其附属设施的维修资金", "category": "special"},
        ],
        "races": [
            {
                "key": "R1",
                "title": "业主委员会委员",
                "seats": seats,
                "candidates": [{"key": c, "name": c} for c in candidates],
            }
        ],
        "ballots": ballots,
    }


def run_recount(path: Path, tmp_path: Path) -> subprocess.CompletedProcess[bytes]:
    database = tmp_path / "no-such-dir" / "db.sqlite3"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "yezhu.settings", "DATABASE_URL": f"sqlite:///{database}"}
    completed = subprocess.run(
        [sys.executable, "manage.py", "recount", str(path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert not database.parent.exists()  # nothing tried to create the database
    return completed


def write(tmp_path: Path, data: object, name: str = "bundle.json") -> Path:
    path = tmp_path / name
    path.write_text(dump_json(data), encoding="utf-8")
    return path


def test_it_prints_the_result_json_for_a_valid_bundle_without_a_database(tmp_path: Path) -> None:
    """Exit 0, the yezhu-result/1 JSON on stdout, nothing on stderr, no database touched."""
    completed = run_recount(write(tmp_path, example_bundle()), tmp_path)
    assert completed.returncode == 0, completed.stderr.decode()
    assert completed.stderr == b""
    assert json.loads(completed.stdout.decode("utf-8")) == EXAMPLE_RESULT
    assert completed.stdout.decode("utf-8") == dump_json(EXAMPLE_RESULT) + "\n"


def test_it_runs_in_process_without_database_access_and_restores_the_garbage_collector(
    tmp_path: Path,
) -> None:
    """call_command works too (pytest-django would fail any database query), and gc is left as it was."""
    out = io.StringIO()
    assert gc.isenabled()
    call_command("recount", str(write(tmp_path, example_bundle())), stdout=out)
    assert json.loads(out.getvalue()) == EXAMPLE_RESULT
    assert gc.isenabled()
    duplicate = example_bundle()
    duplicate["ballots"].append({"unit": "1-1-102", "status": "valid"})
    err = io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("recount", str(write(tmp_path, duplicate, "dup.json")), stdout=out, stderr=err)
    assert exited.value.code == 1
    assert err.getvalue().count("\n") == 1
    assert "duplicate ballot for the voter of unit 1-1-102 (also 1-1-202)" in err.getvalue()
    assert gc.isenabled()


def _invalid_cases(tmp_path: Path) -> list[tuple[Path, str]]:
    duplicate = example_bundle()
    duplicate["ballots"].append({"unit": "1-1-102", "status": "valid"})
    bad_area = example_bundle()
    bad_area["units"][3]["area"] = "37.585"
    unknown = example_bundle()
    unknown["ballots"][1]["races"] = {"R1": ["C7"]}
    non_utf8 = tmp_path / "gbk.json"
    non_utf8.write_bytes(json.dumps(example_bundle(), ensure_ascii=False).encode("gbk"))
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": "yezhu-bundle/1", "units": [', encoding="utf-8")
    lowered = example_bundle()
    lowered["rules"] = {"quorum": "1/2"}
    return [
        (
            write(tmp_path, lowered, "lowered.json"),
            'rules.quorum: "1/2": quorum 1/2 is below the statutory floor 2/3 (民法典 第278条',
        ),
        (
            write(tmp_path, duplicate, "dup.json"),
            "ballots[3] (unit 1-1-102): duplicate ballot for the voter of unit 1-1-102 (also 1-1-202)",
        ),
        (write(tmp_path, bad_area, "area.json"), 'unit 1-1-103: bad area "37.585"'),
        (
            write(tmp_path, unknown, "cand.json"),
            'ballots[1] (unit 1-1-202): unknown candidate "C7" in race R1',
        ),
        (non_utf8, f"{non_utf8}: not UTF-8"),
        (broken, f"{broken}: invalid JSON at line 1 column 40"),
        (tmp_path / "missing.json", f"{tmp_path / 'missing.json'}: cannot read: No such file or directory"),
        (tmp_path, f"{tmp_path}: cannot read: Is a directory"),
    ]


@pytest.mark.parametrize(
    "case", range(8), ids=["quorum-278", "dup", "area", "candidate", "gbk", "broken", "missing", "dir"]
)
def test_it_exits_non_zero_with_one_line_on_stderr_and_nothing_on_stdout(tmp_path: Path, case: int) -> None:
    """An invalid bundle (a quorum lowered below 民法典 第278条's two-thirds included), unreadable
    file, non-UTF-8 or malformed JSON: one stderr line naming the culprit."""
    path, message = _invalid_cases(tmp_path)[case]
    completed = run_recount(path, tmp_path)
    assert completed.returncode != 0
    assert completed.stdout == b""
    lines = completed.stderr.decode("utf-8").splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(message), lines[0]
    assert "Traceback" not in lines[0] and "CommandError" not in lines[0]


def test_it_recounts_a_twenty_thousand_unit_compound(tmp_path: Path) -> None:
    """Smoke test at the largest compound size DESIGN.md names (speed is measured by `make bench`, not here).

    The totals are checked against an independent count straight from the bundle's JSON.
    """
    data = make_bundle(20_000, 11, 0.8, seed=7)
    assert len(data["units"]) == 20_000
    assert 14_000 <= len(data["ballots"]) <= 16_500

    total_area = sum(Decimal(u["area"]) for u in data["units"])
    buyers = {frozenset(u["owners"]) for u in data["units"] if u["status"] == "delivered"}
    has_developer = any(u["status"] != "delivered" for u in data["units"])
    valid = [b for b in data["ballots"] if b["status"] == "valid"]

    completed = run_recount(write(tmp_path, data), tmp_path)
    assert completed.returncode == 0, completed.stderr.decode()
    result = json.loads(completed.stdout)
    assert result == recount(data)
    assert result["totals"] == {"area": f"{total_area:.2f}", "heads": len(buyers) + has_developer}
    assert result["participation"]["heads"] == len(valid)
    assert result["participation"]["quorum_met"] is True
    over_ticked = sum(1 for b in valid if len(b["races"]["R1"]) > 9)
    race = result["races"]["R1"]
    assert race["invalid_ballots"] == over_ticked > 0
    assert 0 < len(race["elected"]) <= race["seats"] == 9
    assert all(race["candidates"][c]["qualified"] for c in race["elected"])
    part = result["participation"]
    for m in result["matters"].values():
        assert sum(Decimal(m[c]["area"]) for c in ("yes", "no", "abstain")) == Decimal(part["area"])
        assert sum(m[c]["heads"] for c in ("yes", "no", "abstain")) == part["heads"]
