"""The ballot rush: the site under gunicorn, K clients casting ballots through the API at once.

What it does (bench/README.md says how to read it):

1. Builds a compound of BENCH_RUSH_UNITS units (default 20,000) in the bench database, one user
   per voter linked to the voter's owners and a DRF token for each ("signed in beforehand"),
   and an election in voting with 3 matters and a race of 11 candidates for 9 seats.
2. Starts gunicorn (DEBUG=0, persistent database connections, Redis cache) on a free port.
3. Measures the client alone against a trivial HTTP server, so its own cost is known.
4. The rush: BENCH_RUSH_CLIENTS keep-alive connections (default 64) POST one ballot per voter
   as fast as the server answers, for BENCH_RUSH_SECONDS (default 30) or until every voter has
   voted; then the same with 16 clients on the voters left, for half the time.
5. The hammer: two clients send the same 300 voters' ballots at the same moment; exactly one
   of each pair must be accepted (201) and the other refused as already voted (409).
6. Verifies in the database: every accepted receipt is there exactly once (lost), no voter has
   two valid ballots (duplicated), no ballot is there that no client was told about
   (unacknowledged), every refusal was a duplicate, the hash chain is whole, and the live
   tally's participation equals the accepted count.
7. The ceiling: bench/pgbench_ballot.sql (the same statements a ballot makes) under pgbench.
8. Scaling: the rush again on a compound of 2,000 units (BENCH_RUSH_SCALE_UNITS, comma
   separated; "2000,100000" adds the big one, which takes a few minutes to build).

`run()` returns the "ballot_rush" dict of bench/out/results.json. Run alone:
`python bench/run.py rush`.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench import common

HERE = Path(__file__).resolve().parent
OUT_DIR = HERE / "out"

UNITS = int(os.environ.get("BENCH_RUSH_UNITS", "20000"))
CLIENTS = int(os.environ.get("BENCH_RUSH_CLIENTS", "64"))
SECONDS = float(os.environ.get("BENCH_RUSH_SECONDS", "30"))
# 2 cores: 3 processes (one more than the cores, so one can run while another waits on
# PostgreSQL) × 4 threads (a thread waiting on a database round trip or the chain lock gives the
# GIL to the next). bench/README.md and docs/performance.md give the trial that chose it.
WORKERS = int(os.environ.get("BENCH_RUSH_WORKERS", "4"))
THREADS = int(os.environ.get("BENCH_RUSH_THREADS", "1"))
SCALE_UNITS = [int(n) for n in os.environ.get("BENCH_RUSH_SCALE_UNITS", "2000").split(",") if n.strip()]
HAMMER_VOTERS = 300
CEILING_SECONDS = int(os.environ.get("BENCH_CEILING_SECONDS", "15"))


# ---------------------------------------------------------------------------------------------
# The data: users signed in beforehand
# ---------------------------------------------------------------------------------------------


@dataclass
class Cast:
    voter: int
    payload: bytes  # the whole HTTP request


@dataclass
class Answer:
    voter: int
    status: int  # 0: the connection failed
    ms: float
    done: float  # perf_counter at the end
    body: bytes = b""


@dataclass
class Phase:
    name: str
    clients: int
    answers: list[Answer] = field(default_factory=list)
    seconds: float = 0.0
    start: float = 0.0

    def accepted(self) -> list[Answer]:
        return [a for a in self.answers if a.status == 201]

    def summary(self) -> dict:
        accepted = self.accepted()
        ms = sorted(a.ms for a in self.answers)
        per_second = Counter(int(a.done - self.start) for a in accepted)
        full_seconds = [per_second.get(s, 0) for s in range(int(self.seconds))]
        return {
            "clients": self.clients,
            "seconds": round(self.seconds, 2),
            "requests": len(self.answers),
            "accepted": len(accepted),
            "ballots_per_s": round(len(accepted) / self.seconds, 1) if self.seconds else 0.0,
            "slowest_second_per_s": min(full_seconds) if full_seconds else 0,
            "p50_ms": round(_pct(ms, 50), 1),
            "p95_ms": round(_pct(ms, 95), 1),
            "p99_ms": round(_pct(ms, 99), 1),
            "max_ms": round(ms[-1], 1) if ms else 0.0,
            "errors": {
                str(k): v
                for k, v in sorted(Counter(a.status for a in self.answers if a.status != 201).items())
            },
        }


def _pct(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return 0.0
    k = max(0, min(len(sorted_values) - 1, round(p / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[k]


def prepare(n_units: int, *, code: str, seed: int = 5):
    """The compound, its users and tokens, the election; returns (election, [Cast per voter])."""
    import secrets

    from elections.models import Voter
    from grids.models import Owner
    from yezhu.accounts.models import ApiToken, User
    from yezhu.api.authentication import hash_key

    compound, owners = common.build_compound(n_units, code=code, seed=seed)
    prefix = f"1{compound.pk % 90 + 10}"  # 11 digits with the 8 below, one prefix per compound
    users = User.objects.bulk_create(
        [
            User(phone=f"{prefix}{i:08d}", name=f"业主{i}", password="!", phone_verified=True)
            for i in range(len(owners))
        ],
        batch_size=5000,
    )
    for owner, user in zip(owners, users, strict=True):
        owner.user = user
    Owner.objects.bulk_update(owners, ["user"], batch_size=5000)
    keys = [secrets.token_hex(20) for _ in users]
    ApiToken.objects.bulk_create(
        [ApiToken(user=u, key_hash=hash_key(k), prefix=k[:8]) for u, k in zip(users, keys, strict=True)],
        batch_size=5000,
    )
    token_of_owner = {o.pk: k for o, k in zip(owners, keys, strict=True)}
    election = common.build_election(compound)
    rng = random.Random(seed)
    casts = []
    path = f"/api/v1/elections/{election.pk}/ballot/"
    for voter_id, key in Voter.objects.filter(election=election, key__startswith="o").values_list(
        "pk", "key"
    ):
        token = token_of_owner[int(key[1:].split("-")[0])]
        body = json.dumps(
            {"voter": voter_id, "choices": common.random_choices(rng)}, separators=(",", ":")
        ).encode()
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Token {token}\r\n"
            f"Content-Type: application/json\r\nAccept-Language: zh-hans\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        casts.append(Cast(voter=voter_id, payload=head + body))
    rng.shuffle(casts)
    return election, casts


# ---------------------------------------------------------------------------------------------
# The server
# ---------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env() -> dict[str, str]:
    env = common.bench_env()
    env.update(
        DJANGO_SETTINGS_MODULE="bench.rush_settings",
        DEBUG="0",
        SECRET_KEY="".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(60)),
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        DB_CONN_MAX_AGE="60",
        LOG_LEVEL="WARNING",
    )
    return env


@contextmanager
def gunicorn(workers: int = WORKERS, threads: int = THREADS, extra_env: dict[str, str] | None = None):
    """gunicorn on 127.0.0.1 and a free port; yields the port; always stopped afterwards."""
    port = _free_port()
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    log = open(OUT_DIR / "gunicorn.log", "w", encoding="utf-8")  # noqa: SIM115
    cmd = [
        sys.executable, "-m", "gunicorn", "yezhu.wsgi:application",
        "-b", f"127.0.0.1:{port}", "-w", str(workers), "--threads", str(threads), "-k", "gthread",
        "--keep-alive", "30", "--backlog", "2048",
    ]  # fmt: skip
    env = {**server_env(), **(extra_env or {})}
    proc = subprocess.Popen(cmd, cwd=common.ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {proc.returncode}: see bench/out/gunicorn.log")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not answer /healthz within 60 s")
            time.sleep(0.3)
        yield port, proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()


def worker_pids(master_pid: int) -> list[int]:
    try:
        out = subprocess.run(["pgrep", "-P", str(master_pid)], capture_output=True, text=True).stdout
    except OSError:
        return []
    return [int(p) for p in out.split()]


# ---------------------------------------------------------------------------------------------
# The clients: asyncio, raw keep-alive sockets, requests built beforehand
# ---------------------------------------------------------------------------------------------


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length, close = 0, False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"connection" and value.strip().lower() == b"close":
            close = True
        elif name == b"transfer-encoding":
            raise RuntimeError("chunked responses are not expected from the API")
    body = await reader.readexactly(length) if length else b""
    return status, body, close


async def _client(port: int, source, answers: list[Answer], deadline: float) -> None:
    reader = writer = None
    for cast in source:
        if time.perf_counter() >= deadline:
            break
        if writer is None:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        start = time.perf_counter()
        try:
            writer.write(cast.payload)
            status, body, close = await _read_response(reader)
        except (OSError, asyncio.IncompleteReadError, ValueError):
            status, body, close = 0, b"", True
        end = time.perf_counter()
        answers.append(Answer(voter=cast.voter, status=status, ms=(end - start) * 1000, done=end, body=body))
        if close:
            writer.close()
            reader = writer = None
    if writer is not None:
        writer.close()


async def _blast(port: int, sources: list, seconds: float) -> tuple[list[Answer], float, float]:
    answers: list[Answer] = []
    start = time.perf_counter()
    deadline = start + seconds
    await asyncio.gather(*(_client(port, source, answers, deadline) for source in sources))
    return answers, time.perf_counter() - start, start


def rush(port: int, casts: list[Cast], *, clients: int, seconds: float, name: str) -> Phase:
    """`clients` connections share one queue of voters: each casts once, until time or voters run out."""
    shared = iter(casts)  # one event loop: no lock needed
    answers, elapsed, start = asyncio.run(_blast(port, [shared] * clients, seconds))
    return Phase(name=name, clients=clients, answers=answers, seconds=elapsed, start=start)


def hammer(port: int, casts: list[Cast]) -> Phase:
    """Two clients send the same voters' ballots in the same order at the same time."""
    answers, elapsed, start = asyncio.run(_blast(port, [iter(casts), iter(casts)], 600))
    return Phase(name="hammer", clients=2, answers=answers, seconds=elapsed, start=start)


def warm_up(port: int, casts: list[Cast], n: int) -> None:
    """GET the ballot status of n users (not throttled): imports, URL conf, database connections."""
    gets = []
    for cast in casts[:n]:
        head = cast.payload.split(b"\r\n\r\n", 1)[0]
        head = head.replace(b"POST ", b"GET ", 1)
        head = re.sub(rb"\r\nContent-Length: \d+", b"", head).replace(
            b"\r\nContent-Type: application/json", b""
        )
        gets.append(Cast(voter=cast.voter, payload=head.rstrip(b"\r\n") + b"\r\n\r\n"))
    answers, _elapsed, _start = asyncio.run(_blast(port, [iter(gets[i::16]) for i in range(16)], 60))
    bad = Counter(a.status for a in answers if a.status != 200)
    if bad:
        sample = next(a.body for a in answers if a.status != 200)
        raise RuntimeError(f"warm-up GETs answered {dict(bad)}: {sample[:300]!r}")


_TRIVIAL_SERVER = r"""
import asyncio, sys
BODY = b'{"receipt":"ABCDEFGHJK","voter":1}'
REPLY = b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(BODY), BODY)
async def handle(reader, writer):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            n = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    n = int(line.split(b":")[1])
            if n:
                await reader.readexactly(n)
            writer.write(REPLY)
    except (asyncio.IncompleteReadError, ConnectionError):
        writer.close()
async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", int(sys.argv[1]), backlog=2048)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()
asyncio.run(main())
"""


def client_alone(casts: list[Cast], clients: int, seconds: float = 3.0) -> float:
    """Requests per second the client sends and reads against a server that does nothing."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", _TRIVIAL_SERVER, str(port)], stdout=subprocess.PIPE, text=True
    )
    try:
        proc.stdout.readline()
        endless = (casts[i % len(casts)] for i in range(10**9))
        answers, elapsed, _start = asyncio.run(_blast(port, [endless] * clients, seconds))
        return len(answers) / elapsed
    finally:
        proc.terminate()
        proc.wait(timeout=10)


# ---------------------------------------------------------------------------------------------
# Verification
# ---------------------------------------------------------------------------------------------


def verify(election, phases: list[Phase]) -> dict:
    """What the database holds against what the clients were told."""
    from django.db.models import Count

    from elections.models import Ballot, Election
    from elections.rules.chain import GENESIS, chain_hash
    from elections.services import election_tally

    accepted: dict[str, int] = {}
    receipts_told = 0
    accepted_voters: Counter = Counter()
    refused: list[Answer] = []
    for phase in phases:
        for a in phase.answers:
            if a.status == 201:
                receipt = json.loads(a.body)["receipt"]
                accepted[receipt] = a.voter
                receipts_told += 1
                accepted_voters[a.voter] += 1
            else:
                refused.append(a)
    stored = {
        receipt: voter
        for receipt, voter in Ballot.objects.filter(election=election, status="valid").values_list(
            "receipt", "voter_id"
        )
    }
    lost = sum(1 for r, v in accepted.items() if stored.get(r) != v)
    unacknowledged = len(set(stored) - set(accepted))
    twice_in_db = (
        Ballot.objects.filter(election=election, status="valid")
        .values("voter_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    duplicated = (
        twice_in_db + sum(n - 1 for n in accepted_voters.values() if n > 1) + (receipts_told - len(accepted))
    )
    refused_as_duplicate = sum(1 for a in refused if a.status == 409 and a.voter in accepted_voters)
    refused_other = len(refused) - refused_as_duplicate

    chain_ok = True
    prev = GENESIS
    rows = (
        Ballot.objects.filter(election=election)
        .order_by("seq")
        .values_list("seq", "receipt", "status", "choices", "prev_hash", "hash")
    )
    for expected_seq, (seq, receipt, status, choices, prev_hash, digest) in enumerate(rows, start=1):
        if (
            seq != expected_seq
            or prev_hash != prev
            or digest != chain_hash(prev_hash=prev, seq=seq, receipt=receipt, status=status, choices=choices)
        ):
            chain_ok = False
            break
        prev = digest
    head = Election.objects.values("chain_head", "ballot_count").get(pk=election.pk)
    chain_ok = chain_ok and head["chain_head"] == prev and head["ballot_count"] == len(stored)

    start = time.perf_counter()
    tally = election_tally(Election.objects.get(pk=election.pk))
    tally_s = time.perf_counter() - start
    heads = tally["participation"]["heads"]
    return {
        "accepted": len(accepted),
        "in_database": len(stored),
        "lost": lost,
        "duplicated": duplicated,
        "unacknowledged": unacknowledged,
        "refused_as_duplicate": refused_as_duplicate,
        "refused_other": refused_other,
        "chain_ok": chain_ok,
        "tally_heads": heads,
        "tally_matches": heads == len(accepted),
        "tally_s": round(tally_s, 3),
    }


# ---------------------------------------------------------------------------------------------
# The ceiling: the same statements under pgbench
# ---------------------------------------------------------------------------------------------


def pg_ceiling(compound, *, clients: int = 8, seconds: int = CEILING_SECONDS) -> dict:
    """Transactions per second of bench/pgbench_ballot.sql on a scratch election of this database."""
    from django.db import connection

    from elections.models import Election, Stage
    from yezhu.accounts.models import User

    pgbench = shutil.which("pgbench")
    if pgbench is None:
        print("ballot_rush ceiling: pgbench not found (apt-get install postgresql-client)")
        return {}
    election = Election.objects.create(compound=compound, title="pgbench ceiling", stage=Stage.VOTING)
    user = User.objects.create(phone="16999999999", name="pgbench", password="!")
    pool = clients * seconds * 2000  # far more voters than the run can use
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO elections_voter (election_id, key, area, unit_codes, label, units_snapshot) "
            "SELECT %s, 'p' || g, 88.50, '1-' || g, '业主' || g, '[]' FROM generate_series(1, %s) g",
            [election.pk, pool],
        )
        cursor.execute("DROP SEQUENCE IF EXISTS bench_ceiling_seq")
        cursor.execute("CREATE SEQUENCE bench_ceiling_seq")
        cursor.execute("ANALYZE elections_voter")
    url = f"{common.PG}/{common.BENCH_DB}"
    cmd = [
        pgbench, "-n", "-f", str(HERE / "pgbench_ballot.sql"), "-c", str(clients), "-j", "2", "-T", str(seconds),
        "-D", f"eid={election.pk}", "-D", f"uid={user.pk}", "-D", f"cid={compound.pk}", url,
    ]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True)
    try:
        if done.returncode != 0:
            raise RuntimeError(f"pgbench failed: {done.stderr.strip()[-800:]}")
        tps = float(re.search(r"tps = ([\d.]+)", done.stdout).group(1))
        latency = re.search(r"latency average = ([\d.]+) ms", done.stdout)
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM elections_ballot WHERE election_id = %s", [election.pk])
            inserted = cursor.fetchone()[0]
        return {
            "tps": round(tps, 1),
            "clients": clients,
            "seconds": seconds,
            "latency_ms": float(latency.group(1)) if latency else None,
            "ballots_inserted": inserted,
        }
    finally:
        # The audit rows stay (the log is append-only, enforced by a trigger) and with them the
        # pgbench user they point to; the bench database is dropped at the next run anyway.
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM elections_ballot WHERE election_id = %s", [election.pk])
            cursor.execute("DELETE FROM elections_voter WHERE election_id = %s", [election.pk])
            cursor.execute("DELETE FROM elections_election WHERE id = %s", [election.pk])
            cursor.execute("DROP SEQUENCE IF EXISTS bench_ceiling_seq")


# ---------------------------------------------------------------------------------------------
# The whole benchmark
# ---------------------------------------------------------------------------------------------


def _line(label: str, s: dict) -> str:
    errors = sum(s["errors"].values())
    return (
        f"{label}: {s['ballots_per_s']:.0f} ballots/s over {s['seconds']:.1f} s "
        f"(p50 {s['p50_ms']:.0f} ms, p95 {s['p95_ms']:.0f} ms, p99 {s['p99_ms']:.0f} ms; "
        f"{s['accepted']} accepted, {errors} other answers {s['errors'] or ''}; {s['clients']} clients)"
    )


def run() -> dict:
    import django.db

    build_start = time.perf_counter()
    election, casts = prepare(UNITS, code=f"R{UNITS}")
    hammer_casts, casts = casts[:HAMMER_VOTERS], casts[HAMMER_VOTERS:]
    small = {n: prepare(n, code=f"R{n}", seed=6) for n in SCALE_UNITS if n != UNITS}
    common.analyze()
    build_s = time.perf_counter() - build_start
    django.db.connections.close_all()
    load_before = os.getloadavg()

    alone = client_alone(casts, CLIENTS)
    print(
        f"ballot_rush client alone: {alone:.0f} requests/s with {CLIENTS} connections against a server that does nothing"
    )

    phases: list[Phase] = []
    scaling: list[dict] = []
    with gunicorn() as (port, _proc):
        warm_up(port, casts[-200:], 200)
        main = rush(port, casts, clients=CLIENTS, seconds=SECONDS, name="rush")
        phases.append(main)
        s = main.summary()
        scaling.append({"units": UNITS, **s})
        print(_line(f"ballot_rush {UNITS} units", s))
        voted = {a.voter for a in main.answers}
        rest = [c for c in casts if c.voter not in voted]
        if rest:
            second = rush(port, rest, clients=16, seconds=SECONDS / 2, name="rush16")
            phases.append(second)
            s16 = second.summary()
            scaling.append({"units": UNITS, **s16})
            print(_line(f"ballot_rush {UNITS} units", s16))
        ham = hammer(port, hammer_casts)
        phases.append(ham)
        for n, (small_election, small_casts) in small.items():
            phase = rush(port, small_casts, clients=CLIENTS, seconds=SECONDS, name=f"rush{n}")
            sv = verify(small_election, [phase])
            scaling.append(
                {"units": n, **phase.summary(), "lost": sv["lost"], "duplicated": sv["duplicated"]}
            )
            print(
                _line(f"ballot_rush {n} units", scaling[-1])
                + f"; lost {sv['lost']}, duplicated {sv['duplicated']}"
            )

    ham_status = Counter(a.status for a in ham.answers)
    per_voter = Counter()
    for a in ham.answers:
        if a.status == 201:
            per_voter[a.voter] += 1
    hammer_result = {
        "voters": len(hammer_casts),
        "requests": len(ham.answers),
        "accepted": ham_status.get(201, 0),
        "refused_409": ham_status.get(409, 0),
        "other": sum(v for k, v in ham_status.items() if k not in (201, 409)),
        "voters_accepted_once": sum(1 for c in hammer_casts if per_voter.get(c.voter) == 1),
    }
    print(
        f"ballot_rush hammer: {hammer_result['voters']} voters cast twice at once by 2 clients: "
        f"{hammer_result['accepted']} accepted, {hammer_result['refused_409']} refused as already voted, "
        f"{hammer_result['other']} other; every voter accepted exactly once: "
        f"{hammer_result['voters_accepted_once'] == hammer_result['voters']}"
    )

    checks = verify(election, phases)
    print(
        f"ballot_rush verify: {checks['accepted']} accepted, {checks['in_database']} in the database, "
        f"{checks['lost']} lost, {checks['duplicated']} duplicated, {checks['unacknowledged']} unacknowledged, "
        f"{checks['refused_as_duplicate']} refusals were duplicates, {checks['refused_other']} other refusals, "
        f"chain whole: {checks['chain_ok']}, tally participation {checks['tally_heads']} = accepted: {checks['tally_matches']}"
    )

    load_after = os.getloadavg()
    ceiling = pg_ceiling(election.compound)
    ratio = round(s["ballots_per_s"] / ceiling["tps"], 3) if ceiling.get("tps") else None
    if ceiling:
        print(
            f"ballot_rush ceiling: pgbench {ceiling['tps']:.0f} ballots/s ({ceiling['clients']} clients, "
            f"{ceiling['latency_ms']} ms average); the rush is {ratio:.0%} of it"
        )
    django.db.connections.close_all()

    return {
        "ballots_per_s": s["ballots_per_s"],
        "p50_ms": s["p50_ms"],
        "p95_ms": s["p95_ms"],
        "p99_ms": s["p99_ms"],
        "accepted": checks["accepted"],
        "lost": checks["lost"],
        "duplicated": checks["duplicated"],
        "pg_ceiling_per_s": ceiling.get("tps"),
        "ratio_to_ceiling": ratio,
        "errors": s["errors"],
        "units": UNITS,
        "clients": CLIENTS,
        "seconds": s["seconds"],
        "slowest_second_per_s": s["slowest_second_per_s"],
        "server": {"workers": WORKERS, "threads": THREADS, "worker_class": "gthread"},
        "client_alone_per_s": round(alone),
        "verify": checks,
        "hammer": hammer_result,
        "ceiling": ceiling,
        "scaling": scaling,
        "build_s": round(build_s, 1),
        # 1-minute load average before and after the HTTP phases: above ~0.5 on 2 cores something
        # else was running and the figures are low (bench/README.md).
        "load_before": round(load_before[0], 2),
        "load_after": round(load_after[0], 2),
    }
