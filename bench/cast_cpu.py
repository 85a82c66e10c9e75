"""CPU a ballot: the API cast measured in one process, the site's CPU and PostgreSQL's.

The rush (bench/rush.py) measures ballots a second, which on a shared 2-core machine follows the
load of everything else. This measures what a cast costs, which does not: N casts through the
real WSGI application (`yezhu.wsgi`, every middleware, DRF, the throttles in Redis, the service,
the same production settings as the rush: `bench.rush_settings`, DEBUG=0), one after another in
this process, and reports

- `site_ms`: this process's CPU (`time.process_time`) per cast: what a gunicorn worker spends;
- `pg_ms`: the CPU of this process's PostgreSQL backend per cast (utime + stime of
  /proc/<pg_backend_pid>/stat, the server runs on this machine);
- `statements`: SQL statements per cast (counted on the connection);
- `total_ms`: the two together; 6 ms is the issue's target.

- `calls`: Python function calls per cast (cProfile, one more round): the same on a busy machine
  as on a quiet one, so it shows what a change saved when the CPU figures are noise.

With `--profile` it also prints cProfile's top functions over the casts (cumulative time), the
profile that chose the order of the changes in docs/performance.md.

    .venv/bin/python bench/cast_cpu.py [--casts 600] [--rounds 3] [--units 3000] [--profile] [--reuse]

Its own database: BENCH_DB (default `yezhu_bench`), dropped and re-created (with --reuse kept, a new compound added); the cache: BENCH_REDIS.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench import common  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def _proc_cpu_s(pid: int) -> float:
    """utime + stime of a process, in seconds (fields 14 and 15 of /proc/<pid>/stat)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def _setup() -> None:
    from bench import rush

    env = rush.server_env()
    env.pop("SECRET_KEY", None)
    os.environ.update(env)
    os.environ.setdefault("SECRET_KEY", "cast-cpu-" + "x" * 60)
    # One connection for the whole run: its backend's CPU is the one read.
    os.environ["DB_CONN_MAX_AGE"] = "36000"
    import django

    django.setup()


def _environ(cast) -> dict:
    """The WSGI environ of one prepared cast (bench.rush.Cast: a whole HTTP request)."""
    head, body = cast.payload.split(b"\r\n\r\n", 1)
    lines = head.decode().split("\r\n")
    method, path, _version = lines[0].split(" ")
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }
    for line in lines[1:]:
        name, _, value = line.partition(":")
        key = name.strip().upper().replace("-", "_")
        if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            environ[key] = value.strip()
        else:
            environ[f"HTTP_{key}"] = value.strip()
    return environ


def measure(casts, app) -> dict:
    from django.db import connection

    statuses: dict[str, int] = {}
    statements = 0

    def count(execute, sql, params, many, context):
        nonlocal statements
        statements += 1
        return execute(sql, params, many, context)

    def call(cast):
        answer = {}

        def start_response(status, headers, exc_info=None):
            answer["status"] = status.split(" ", 1)[0]

        body = b"".join(app(_environ(cast), start_response))
        statuses[answer["status"]] = statuses.get(answer["status"], 0) + 1
        if answer["status"] != "201" and statuses[answer["status"]] == 1:
            print(f"cast_cpu: answer {answer['status']}: {body[:300]!r}")

    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    with connection.execute_wrapper(count):
        pg0, cpu0, wall0 = _proc_cpu_s(backend), time.process_time(), time.perf_counter()
        for cast in casts:
            call(cast)
        pg1, cpu1, wall1 = _proc_cpu_s(backend), time.process_time(), time.perf_counter()
    n = len(casts)
    site_ms = (cpu1 - cpu0) * 1000 / n
    pg_ms = (pg1 - pg0) * 1000 / n
    return {
        "casts": n,
        "statuses": statuses,
        "site_ms": round(site_ms, 2),
        "pg_ms": round(pg_ms, 2),
        "total_ms": round(site_ms + pg_ms, 2),
        "statements": round(statements / n, 1),
        "wall_ms": round((wall1 - wall0) * 1000 / n, 2),
        "load": round(os.getloadavg()[0], 2),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--casts", type=int, default=600)
    parser.add_argument("--units", type=int, default=3000)
    parser.add_argument(
        "--rounds", type=int, default=3, help="measured rounds of --casts each; the median is kept"
    )
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the database (migrated) and add a compound"
    )
    parser.add_argument(
        "--voters",
        type=Path,
        help="a file of prepared casts: used (and the voters it holds left for the next run) if it "
        "exists, written after building otherwise; to compare code changes on the same compound",
    )
    args = parser.parse_args(argv)

    saved = args.voters is not None and args.voters.exists()
    if not args.reuse and not saved:
        common.fresh_database()
    _setup()
    from django.core.wsgi import get_wsgi_application

    from bench import rush

    if saved:
        casts = [rush.Cast(voter=v, payload=bytes.fromhex(p)) for v, p in json.loads(args.voters.read_text())]
    else:
        _election, casts = rush.prepare(args.units, code=f"CPU{time.time_ns() % 10**9}")
        common.analyze()
    wanted = 50 + args.casts * (args.rounds + 1)
    if args.voters is not None:
        unused = [(c.voter, c.payload.hex()) for c in casts[wanted:]]
        args.voters.write_text(json.dumps(unused))
    if len(casts) < wanted:
        raise SystemExit(f"cast_cpu: {len(casts)} voters, {wanted} needed: raise --units")
    app = get_wsgi_application()
    measure(casts[:50], app)  # warm up: imports, the URL conf, the ballot paper's cache entry
    rounds = []
    rest = casts[50:]
    for i in range(args.rounds):
        result = measure(rest[i * args.casts : (i + 1) * args.casts], app)
        rounds.append(result)
        print(f"cast_cpu round {i + 1}: {json.dumps(result)}")
    # An extra round under cProfile, not counted in the CPU: the profiler slows what it watches.
    # The Python function calls a cast makes do not depend on the machine's load, unlike its CPU
    # time: on a busy shared machine they show what a change saved when the CPU figures are noise.
    profile = cProfile.Profile(time.process_time)  # CPU, not waiting on PostgreSQL
    profiled = rest[args.rounds * args.casts :][: args.casts]
    profile.enable()
    measure(profiled, app)
    profile.disable()
    calls = pstats.Stats(profile).total_calls / len(profiled)  # type: ignore[attr-defined]
    if args.profile:
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(45)
        out.write("\n")
        pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(30)
        print(out.getvalue())
    best = sorted(rounds, key=lambda r: r["total_ms"])[len(rounds) // 2]
    print(
        f"cast_cpu: {best['total_ms']} ms of CPU a cast (site {best['site_ms']} ms, PostgreSQL "
        f"{best['pg_ms']} ms, {best['statements']} statements, {calls:.0f} Python calls; median of "
        f"{len(rounds)} rounds of {args.casts}; load {best['load']}) JSON "
        + json.dumps({**best, "calls": round(calls), "rounds": len(rounds)})
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
