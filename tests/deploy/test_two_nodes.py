"""More than one machine: two gunicorn nodes behind a round-robin proxy, a Celery worker, one
PostgreSQL (reached through a TCP proxy this test can cut), Redis and an S3 store (moto).

- A roll uploaded on node A is stored in S3, parsed and imported by the worker, and its progress and
  result are read on node B.
- A ballot rush spread over both nodes loses and duplicates nothing; in the middle of it the
  database goes away (every connection dropped, new ones refused) and comes back: every ballot a
  client got a receipt for is in the database, every other client was told to try again (503
  `try_again`, or the proxy's 502), each voter ends with exactly one ballot, the hash chain verifies,
  and both nodes serve again without being restarted.

Slow-ish (about a minute) but bounded: every wait has a deadline, every loop a count.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path

import psycopg
import pytest
import requests

from tests.conftest import requires_postgres
from tests.deploy.pg import ROOT, manage, scratch_database, server, url
from tests.deploy.proxies import CuttableTcp, RoundRobinHttp
from tests.grids.test_import_service import make_id, roll_csv
from tests.s3_server import free_port, moto_s3, s3_env, wait_for_port

pytestmark = [pytest.mark.postgres, pytest.mark.broker, requires_postgres]

VOTERS = 40
REDIS = os.environ.get("YEZHU_TEST_CLUSTER_REDIS", "redis://127.0.0.1:6379/8")
SECRET = "cluster-test-secret-key-" + "x" * 40  # the seed's session hash must match the nodes'
CHOICES = {"matters": {"M1": "yes"}, "races": {"R1": ["C1", "C2"]}}


def wait_until(condition, *, timeout: float, what: str, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


@contextmanager
def process(args: list[str], env: dict, log: Path):
    handle = log.open("w")
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        handle.close()


def roll_units(count: int):
    return [
        (f"{i // 200 + 1}-{(i // 20) % 10 + 1}-{i:04d}", "88.00", [(f"住户{i}", make_id(i), f"139{i:08d}")])
        for i in range(1, count + 1)
    ]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    import redis

    logs = tmp_path_factory.mktemp("cluster")
    redis.Redis.from_url(REDIS).flushdb()
    with ExitStack() as stack:
        db = stack.enter_context(scratch_database())
        app = f"golive_app_{db['tag']}"
        with psycopg.connect(url("postgres", "postgres"), autocommit=True) as conn:
            conn.execute(f"CREATE ROLE \"{app}\" LOGIN PASSWORD 'app-password'")
        db["roles"].append(app)
        owner_url = url(db["owner"], db["name"])
        assert manage("db_app_role", app, database_url=owner_url).returncode == 0
        seeded = manage(
            "shell", "-c", f"import json; from tests.deploy.seed import seed_cluster; print(json.dumps(seed_cluster({VOTERS})))",
            database_url=owner_url,
            env_extra={"SECRET_KEY": SECRET},
        )  # fmt: skip
        assert seeded.returncode == 0, seeded.stderr
        world = json.loads(seeded.stdout.strip().splitlines()[-1])

        _host, pg_port = server()
        db_proxy = stack.enter_context(CuttableTcp(pg_port))
        endpoint = stack.enter_context(moto_s3(logs / "moto.log"))
        bucket = "yezhu-cluster"
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in {"PYTEST_XDIST_WORKER", "DJANGO_ALLOW_ASYNC_UNSAFE"}
        }
        env.update(
            s3_env(endpoint, bucket),
            DATABASE_URL=f"postgres://{app}:app-password@127.0.0.1:{db_proxy.port}/{db['name']}",
            DB_CONN_MAX_AGE="60",
            REDIS_URL=REDIS,
            CELERY_TASK_ALWAYS_EAGER="0",
            CELERY_QUEUE=f"yezhu-cluster-{uuid.uuid4().hex[:8]}",
            SECRET_KEY=SECRET,
            TRUSTED_PROXY_COUNT="1",
            SMS_BACKEND="yezhu.sms.OutboxBackend",
            DEBUG="1",  # static files without collectstatic; everything else as in production
        )
        assert (
            manage("storage_ready", database_url=owner_url, env_extra=s3_env(endpoint, bucket)).returncode
            == 0
        )
        ports = [free_port(), free_port()]
        nodes = []
        for index, port in enumerate(ports):
            gunicorn = [
                sys.executable, "-m", "gunicorn", "yezhu.wsgi:application", "--bind", f"127.0.0.1:{port}",
                "--workers", "2", "--worker-class", "gthread", "--threads", "2", "--timeout", "60",
            ]  # fmt: skip
            nodes.append(stack.enter_context(process(gunicorn, env, logs / f"node{index}.log")))
        worker = stack.enter_context(
            process(
                [sys.executable, "-m", "celery", "-A", "yezhu", "worker", "-Q", env["CELERY_QUEUE"], "--pool", "solo",
                 "-l", "warning", "--without-gossip", "--without-mingle"],
                env,
                logs / "worker.log",
            )
        )  # fmt: skip
        for port, node in zip(ports, nodes, strict=True):
            wait_for_port(port, timeout=60, process=node)
        balancer = stack.enter_context(RoundRobinHttp(ports))
        yield {
            "db": db,
            "owner_url": owner_url,
            "world": world,
            "ports": ports,
            "nodes": nodes,
            "worker": worker,
            "balancer": balancer,
            "db_proxy": db_proxy,
            "logs": logs,
            "bucket": bucket,
            "endpoint": endpoint,
        }
    redis.Redis.from_url(REDIS).flushdb()


def test_a_roll_uploaded_on_one_node_is_imported_by_the_worker_and_shown_on_the_other(cluster):
    world, (port_a, port_b) = cluster["world"], cluster["ports"]
    compound = world["roll_compound"]
    node_a, node_b = f"http://127.0.0.1:{port_a}", f"http://127.0.0.1:{port_b}"
    on_a, on_b = requests.Session(), requests.Session()
    for session in (on_a, on_b):
        session.cookies.set("sessionid", world["staff_session"])
    page = on_a.get(f"{node_a}/manage/compounds/{compound}/import/", timeout=30)
    assert page.status_code == 200, page.text[:300]
    token = on_a.cookies.get("csrftoken")
    data = roll_csv(roll_units(2010))  # over ASYNC_ROWS: the import runs in the worker
    upload = on_a.post(
        f"{node_a}/manage/compounds/{compound}/import/",
        data={"csrfmiddlewaretoken": token},
        files={"file": ("roll.csv", data, "text/csv")},
        allow_redirects=False,
        timeout=60,
    )
    assert upload.status_code == 302, upload.text[:500]
    preview = upload.headers["Location"]
    job_id = int(preview.rstrip("/").split("/")[-1])
    with psycopg.connect(cluster["owner_url"]) as conn:
        key = conn.execute("SELECT input_file FROM jobs_job WHERE id = %s", [job_id]).fetchone()[0]
    import boto3

    s3 = boto3.client("s3", endpoint_url=cluster["endpoint"], aws_access_key_id="k", aws_secret_access_key="s", region_name="us-east-1")  # fmt: skip
    assert (
        s3.get_object(Bucket=cluster["bucket"], Key=key)["Body"].read() == data
    )  # in S3, not on node A's disk
    on_b.cookies.set("csrftoken", token)
    commit = on_b.post(
        f"{node_b}{preview}commit/",
        data={"csrfmiddlewaretoken": token},
        allow_redirects=False,
        timeout=60,
    )
    assert commit.status_code == 302, commit.text[:500]
    import_job = int(commit.headers["Location"].rstrip("/").split("/")[-1])

    def finished():
        status = on_b.get(f"{node_b}/jobs/{import_job}/", timeout=30).json()
        return status if status["status"] in ("done", "failed") else None

    wait_until(lambda: finished() is not None, timeout=180, what="the worker to import the roll")
    status = finished()
    assert status["status"] == "done", (status, (cluster["logs"] / "worker.log").read_text()[-2000:])
    with psycopg.connect(cluster["owner_url"]) as conn:
        units = conn.execute("SELECT count(*) FROM grids_unit WHERE compound_id = %s", [compound]).fetchone()[
            0
        ]
    assert units == 2010


def test_a_ballot_rush_over_both_nodes_survives_the_database_going_away(cluster):
    world, balancer, db_proxy = cluster["world"], cluster["balancer"], cluster["db_proxy"]
    entry = f"http://127.0.0.1:{balancer.port}/api/v1/elections/{world['election']}/ballot/"
    receipts: dict[int, str] = {}
    already: set[int] = set()
    told_to_retry: list[tuple[int, int]] = []
    unexpected: list[tuple[int, int, str]] = []
    lock = threading.Lock()
    cut_done = threading.Event()

    def vote(index: int, token: str):
        if index >= VOTERS // 2:
            cut_done.wait(timeout=120)  # the second half of the rush comes after the cut, whatever the speed
        headers = {
            "Authorization": f"Token {token}",
            "X-Forwarded-For": f"10.8.{index // 200}.{index % 200 + 1}",
        }
        for _attempt in range(40):
            try:
                answer = requests.post(entry, json={"choices": CHOICES}, headers=headers, timeout=60)
            except requests.RequestException as exc:
                with lock:
                    unexpected.append((index, 0, str(exc)))
                return
            with lock:
                if answer.status_code == 201:
                    receipts[index] = answer.json()["receipt"]
                    return
                if answer.status_code == 409 and answer.json()["error"]["code"] == "already_voted":
                    already.add(index)  # the first try committed but its answer was lost
                    return
                if answer.status_code == 502 or (
                    answer.status_code == 503 and answer.json()["error"]["code"] == "try_again"
                ):
                    told_to_retry.append((index, answer.status_code))
                else:
                    unexpected.append((index, answer.status_code, answer.text[:200]))
                    return
            db_proxy.up.wait(timeout=30)  # a client waits a little and tries again

    def chaos():
        wait_until(
            lambda: len(receipts) >= 10, timeout=120, what="ten receipts before the cut", interval=0.02
        )
        db_proxy.cut()
        cut_done.set()
        wait_until(
            lambda: len(told_to_retry) >= 3, timeout=60, what="clients told to try again", interval=0.02
        )
        db_proxy.restore()

    with ThreadPoolExecutor(max_workers=9) as pool:
        outage = pool.submit(chaos)
        votes = [pool.submit(vote, index, token) for index, token in enumerate(world["tokens"])]
        for future in votes:
            future.result(timeout=300)
        outage.result(timeout=300)

    assert unexpected == []
    assert db_proxy.cuts == 1 and len(told_to_retry) >= 3
    assert len(receipts) + len(already) == VOTERS
    with psycopg.connect(cluster["owner_url"]) as conn:
        stored = dict(
            conn.execute("SELECT receipt, voter_id FROM elections_ballot WHERE election_id = %s", [world["election"]]).fetchall()
        )  # fmt: skip
        per_voter = conn.execute(
            "SELECT count(*) FROM (SELECT voter_id FROM elections_ballot GROUP BY voter_id HAVING count(*) > 1) d"
        ).fetchone()[0]
    assert set(receipts.values()) <= set(stored)  # every receipt handed out is a stored ballot
    assert len(stored) == VOTERS and per_voter == 0  # nothing lost, nothing twice
    served = {port for (port, status) in balancer.answers if status == 201}
    assert served == set(cluster["ports"])  # both nodes took ballots
    chain = manage("verify_chains", database_url=cluster["owner_url"])
    assert chain.returncode == 0 and f"{VOTERS} ballots, chain verifies" in chain.stdout, chain.stderr
    for port, node in zip(cluster["ports"], cluster["nodes"], strict=True):
        wait_until(
            lambda port=port: requests.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code == 200,
            timeout=60,
            what=f"node on {port} to serve again",
        )
        assert node.poll() is None  # the same process: no restart
