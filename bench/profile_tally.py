"""Profile the live tally of a 100,000-unit election: where `election_tally` spends its time.

    BENCH_DB=yezhu_tally_bench BENCH_REDIS=redis://127.0.0.1:6379/8 .venv/bin/python bench/profile_tally.py
    ... bench/profile_tally.py --reuse      # keep the election the last run built (no rebuild)
    ... bench/profile_tally.py --reuse --code T100000   # the one `bench/run.py tally` left behind

It builds the compound, election and ballots exactly as `bench/run.py tally` does (bench/common.py),
then reports what does not depend on the machine's load: the CPU time of this process
(`time.process_time`, best of five, which excludes PostgreSQL's own work), the number of Python
function calls (cProfile) and the stages' share (loading the input, the pure tally, the JSON
result). The wall time is printed too, for a quiet machine. `--top N` prints the profile's top lines.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402

CODE = "P100000"


def build(units: int, code: str) -> None:
    common.fresh_database()
    common.setup_django()
    compound, _ = common.build_compound(units, code=code)
    election = common.build_election(compound)
    ballots = common.fill_ballots(election, 0.72)
    common.analyze()
    print(f"built: {units} units, {ballots} ballots (election {election.pk})")


def best(fn, runs: int = 5) -> tuple[float, float]:
    """Best CPU (process_time) and best wall time of `runs` calls, in seconds."""
    cpu, wall = [], []
    for _ in range(runs):
        c0, w0 = time.process_time(), time.perf_counter()
        fn()
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return min(cpu), min(wall)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reuse", action="store_true", help="profile the election the last run built")
    parser.add_argument("--units", type=int, default=100000)
    parser.add_argument("--code", default=CODE, help="the compound's code (bench/run.py tally: T100000)")
    parser.add_argument("--top", type=int, default=0)
    args = parser.parse_args(argv)
    if not args.reuse:
        build(args.units, args.code)
    else:
        common.setup_django()

    from elections.models import Election
    from elections.rules import tally as pure
    from elections.services import election_tally, tally_input

    election = Election.objects.get(compound__code=args.code)
    election_tally(election)  # warm: connection, imports, the planner's caches

    profile = cProfile.Profile()
    profile.enable()
    election_tally(election)
    profile.disable()
    stats = pstats.Stats(profile)
    calls = stats.total_calls  # type: ignore[attr-defined]

    data = tally_input(election)
    result = pure.tally(data)
    cpu, wall = best(lambda: election_tally(election))
    stages = {
        "tally_input": best(lambda: tally_input(election))[0],
        "pure.tally": best(lambda: pure.tally(data))[0],
        "result_to_dict": best(lambda: pure.result_to_dict(result))[0],
    }
    load = os.getloadavg()[0]
    print(f"election_tally: cpu {cpu:.3f} s, wall {wall:.3f} s, {calls:,} calls, load {load:.2f}")
    print("  " + ", ".join(f"{name} cpu {seconds:.3f} s" for name, seconds in stages.items()))
    if args.top:
        stats.sort_stats("tottime").print_stats(args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
