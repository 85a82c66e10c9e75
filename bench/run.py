"""`make bench`: measure the ballot rush, the CPU a cast costs, the tally and recount, the street
board and the district roll-up, the import, the sign-in storm, the notice fan-out and an owner's
pages on an emulated slow 4G phone against PostgreSQL and Redis on this machine. Prints one summary
line per benchmark and writes every figure, with the load average, to bench/out/results.json.
Nothing here is asserted: see bench/README.md.

Run a subset: `python bench/run.py tally recount` (names: rush, cast, tally, recount, board,
import, signin, fanout, pages). BENCH_FULL=1 runs the issue's full sizes where the default is
smaller (the sign-in storm's 2,000 owners, the fan-out's 100,000 deliveries).
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from yezhu.actors import OPERATOR

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench import common  # noqa: E402

OUT = HERE / "out" / "results.json"


def machine() -> dict:
    info = {"python": platform.python_version(), "cores": os.cpu_count(), "platform": platform.platform()}
    try:
        with open("/proc/meminfo", encoding="utf-8") as f:
            info["memory_gb"] = round(int(f.readline().split()[1]) / 1024 / 1024, 1)
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            info["cpu"] = next(
                (line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), ""
            )
    except OSError:
        pass
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        info["postgres"] = subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc", "SHOW server_version"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    return info


def bench_tally_and_recount(sizes=(20000, 100000)) -> tuple[dict, dict]:
    from elections.services import bundle_for, election_tally

    tally_s, recount_s = {}, {}
    for n in sizes:
        compound, _ = common.build_compound(n, code=f"T{n}")
        election = common.build_election(compound)
        ballots = common.fill_ballots(election, 0.72)
        seconds, result = common.timed(election_tally, election)
        tally_s[str(n)] = round(seconds, 3)
        tally_s["load"] = round(os.getloadavg()[0], 2)
        print(
            f"tally_s {n}: {seconds:.3f} s ({ballots} ballots, quorum_met={result['participation']['quorum_met']})"
        )
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as f:
            json.dump(bundle_for(election), f, ensure_ascii=False)
            path = f.name

        def recount_cli(path=path):
            done = subprocess.run(
                [sys.executable, "manage.py", "recount", path],
                cwd=common.ROOT,
                env={**common.bench_env(), "DATABASE_URL": "sqlite:////nonexistent/none.sqlite3"},
                capture_output=True,
                text=True,
                check=True,
            )
            return json.loads(done.stdout)

        seconds, recounted = common.timed(recount_cli)
        recount_s[str(n)] = round(seconds, 3)
        recount_s["load"] = round(os.getloadavg()[0], 2)
        same = recounted == result
        print(
            f"recount_s {n}: {seconds:.3f} s (manage.py recount, incl. start-up; equal to live tally: {same})"
        )
        os.unlink(path)
    return tally_s, recount_s


def bench_import(rows_wanted: int = 50000) -> dict:
    from grids.roll_file import parse_roll
    from grids.sample import roll_csv, roll_rows
    from grids.services import compound_create, roll_import

    # ~1.35 rows per unit (co-owners have a row each): build a little more than wanted, then cut
    # to exactly the wanted row count (a cut through a co-owned unit keeps a valid roll).
    units = int(rows_wanted / 1.30)
    rows = roll_rows(units, seed=11)
    while len(rows) < rows_wanted:
        units = int(units * 1.1)
        rows = roll_rows(units, seed=11)
    rows = rows[:rows_wanted]
    data = roll_csv(rows)
    compound = compound_create(
        code="IMPORT", name="导入基准小区", street_name="基准街道", community_name="基准社区", actor=OPERATOR
    )
    start = time.perf_counter()
    parsed = parse_roll(data, "roll.csv")
    parse_s = time.perf_counter() - start
    diff = roll_import(compound=compound, parsed=parsed, filename="roll.csv", actor=OPERATOR)
    total = time.perf_counter() - start
    print(
        f"import_s {len(rows)}: {total:.2f} s (parse {parse_s:.2f} s, write {total - parse_s:.2f} s, {diff.units} units)"
    )
    return {
        "50000": round(total, 2),
        "rows": len(rows),
        "parse_s": round(parse_s, 2),
        "load": round(os.getloadavg()[0], 2),
    }


BOARD_SIZES = [int(n) for n in os.environ.get("BENCH_BOARD_SIZES", "500,5000").split(",") if n.strip()]
DISTRICT_COMPOUNDS = int(os.environ.get("BENCH_DISTRICT_COMPOUNDS", "5000"))
DISTRICT_STREETS = int(os.environ.get("BENCH_DISTRICT_STREETS", "50"))


def bench_board() -> tuple[dict, dict]:
    """The board of one street of 500 and 5,000 compounds, and the district roll-up of 5,000
    compounds over 50 streets: ms, queries (constant in the compounds: tests pin it), rows."""
    from bench import board_bench

    board = {}
    for n in BOARD_SIZES:
        got = board_bench.run(n_compounds=n)
        board[str(n)] = got["ms"]
        board[f"{n}_queries"] = got["queries"]
    got = board_bench.run(n_compounds=DISTRICT_COMPOUNDS, streets=DISTRICT_STREETS)
    district = {
        str(DISTRICT_COMPOUNDS): got["ms"],
        "queries": got["queries"],
        "streets": DISTRICT_STREETS,
        "load": round(os.getloadavg()[0], 2),
    }
    board["load"] = district["load"]
    return board, district


def bench_cast_cpu() -> dict:
    """CPU a cast (bench/cast_cpu.py) on a compound of its own in the bench database."""
    done = subprocess.run(
        [
            sys.executable,
            "bench/cast_cpu.py",
            "--reuse",
            "--casts",
            "300",
            "--rounds",
            "3",
            "--units",
            "4000",
        ],
        cwd=common.ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    line = [ln for ln in done.stdout.splitlines() if ln.startswith("cast_cpu: ")][-1]
    print(line)
    return json.loads(line.split("cast_cpu: ", 1)[1].split(" JSON ", 1)[1])


def bench_rush() -> dict:
    from bench import rush

    return rush.run()


def main(argv: list[str]) -> int:
    wanted = set(argv) or {"rush", "cast", "tally", "recount", "board", "import", "signin", "fanout", "pages"}
    common.fresh_database()
    common.setup_django()
    results: dict = {"machine": machine()}
    if OUT.exists():
        previous = json.loads(OUT.read_text(encoding="utf-8"))
        results = {**previous, **results}

    def save() -> None:
        # After every line: a run stopped half-way (a long fan-out) keeps what it measured.
        OUT.parent.mkdir(parents=True, exist_ok=True)
        OUT.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")

    if "rush" in wanted:
        results["ballot_rush"] = bench_rush()
        save()
    if wanted & {"tally", "recount"}:
        results["tally_s"], results["recount_s"] = bench_tally_and_recount()
        save()
    if "cast" in wanted:
        results["cast_cpu"] = bench_cast_cpu()
        save()
    if "board" in wanted:
        results["board_ms"], results["district_ms"] = bench_board()
        save()
    if "import" in wanted:
        results["import_s"] = bench_import()
        save()
    if "signin" in wanted:
        from bench import signin_storm

        results["signin_storm"] = signin_storm.run()
        save()
    if "pages" in wanted:
        from bench import owner_pages

        results["owner_pages"] = owner_pages.run()
        save()
    if "fanout" in wanted:  # last: at full size it is the longest
        from bench import fanout

        results["fanout"] = fanout.run()
    save()
    print(f"wrote {OUT.relative_to(common.ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
