"""deploy/backup/backup.sh and restore.sh against the real PostgreSQL: dump, restore into a new
database, every row count equal, the audit trigger there, every ballot hash chain verified; and
the retention keeps dailies for N days and the first of each month for M months."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from tests.conftest import requires_postgres
from tests.deploy.pg import ROOT, manage, scratch_database, server, url

pytestmark = [pytest.mark.postgres, requires_postgres]
BACKUP = ROOT / "deploy" / "backup"


def script_env(db: dict, backup_dir: Path, **extra) -> dict:
    host, port = server()
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "PYTEST_XDIST_WORKER"}}
    env.update(
        PGHOST=host,
        PGPORT=str(port),
        PGUSER=db["owner"],
        PGDATABASE=db["name"],
        BACKUP_DIR=str(backup_dir),
        YEZHU_MANAGE=f"{sys.executable} manage.py",
        PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        **extra,
    )
    return env


def run(script: str, *args, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(BACKUP / script), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def seeded():
    with scratch_database() as db:
        result = manage(
            "shell",
            "-c",
            "from tests.deploy.seed import seed; seed(6)",
            database_url=url(db["owner"], db["name"]),
        )
        assert result.returncode == 0, result.stderr
        yield db


def test_a_backup_restores_into_a_new_database_whole(seeded, tmp_path):
    env = script_env(seeded, tmp_path)
    backup = run("backup.sh", env=env)
    assert backup.returncode == 0, backup.stderr
    dumps = sorted(tmp_path.glob("yezhu-*.dump"))
    assert len(dumps) == 1
    counts = dict(line.split("|") for line in dumps[0].with_suffix(".counts").read_text().splitlines())
    assert counts["elections_ballot"] == "6" and int(counts["audit_auditentry"]) > 6
    target = f"{seeded['name']}_restored"
    seeded["databases"].append(target)
    restore = run("restore.sh", str(dumps[0]), target, env=env)
    assert restore.returncode == 0, restore.stdout + restore.stderr
    assert "every row count equal" in restore.stdout
    assert "6 ballots, chain verifies" in restore.stdout
    with psycopg.connect(url(seeded["owner"], target)) as conn:
        assert conn.execute("SELECT count(*) FROM elections_ballot").fetchone() == (6,)
    again = run("restore.sh", str(dumps[0]), target, env=env)
    assert again.returncode == 2 and "exists" in again.stderr  # never over a live database


def test_a_tampered_ballot_fails_the_restore(seeded, tmp_path):
    env = script_env(seeded, tmp_path)
    assert run("backup.sh", env=env).returncode == 0
    dump = next(tmp_path.glob("yezhu-*.dump"))
    target = f"{seeded['name']}_tampered"
    seeded["databases"].append(target)
    # Restore once by hand, change a ballot, and dump that: the counts still match, the chain does not.
    subprocess.run(
        ["createdb", "-h", env["PGHOST"], "-p", env["PGPORT"], "-U", env["PGUSER"], target], check=True
    )
    subprocess.run(
        [
            "pg_restore",
            "--no-owner",
            "-h",
            env["PGHOST"],
            "-p",
            env["PGPORT"],
            "-U",
            env["PGUSER"],
            "-d",
            target,
            str(dump),
        ],
        check=True,
    )
    with psycopg.connect(url(seeded["owner"], target), autocommit=True) as conn:
        conn.execute('UPDATE elections_ballot SET choices = \'{"matters": {"M1": "no"}}\' WHERE seq = 3')
    result = manage("verify_chains", database_url=url(seeded["owner"], target))
    assert result.returncode != 0 and "seq 3 was changed" in result.stderr


def test_a_corrupt_dump_is_refused(seeded, tmp_path):
    env = script_env(seeded, tmp_path)
    assert run("backup.sh", env=env).returncode == 0
    dump = next(tmp_path.glob("yezhu-*.dump"))
    with dump.open("ab") as handle:
        handle.write(b"\0")
    result = run("restore.sh", str(dump), f"{seeded['name']}_never", env=env)
    assert result.returncode == 3 and "checksum" in result.stderr


def test_retention_keeps_dailies_and_the_first_of_each_month(seeded, tmp_path):
    def old(name: str, days: int):
        path = tmp_path / f"yezhu-{name}.dump"
        path.write_bytes(b"x")
        (tmp_path / f"yezhu-{name}.counts").write_text("")
        os.utime(path, (path.stat().st_atime, path.stat().st_mtime - days * 86400))
        return path

    recent = old("20260420T023000Z", 5)
    stale = old("20260310T023000Z", 45)
    monthly = old("20260301T023000Z", 54)
    ancient = old("20240101T023000Z", 800)
    env = script_env(seeded, tmp_path, BACKUP_KEEP_DAYS="30", BACKUP_KEEP_MONTHS="12")
    result = run("backup.sh", env=env)
    assert result.returncode == 0, result.stderr
    assert recent.exists() and monthly.exists()
    assert not stale.exists() and not ancient.exists()
    assert not (tmp_path / "yezhu-20260310T023000Z.counts").exists()
