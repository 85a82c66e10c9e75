"""Scratch PostgreSQL databases and roles, named uniquely and dropped afterwards: the server is
shared with other test runs, so nothing here touches a name it did not create."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import psycopg

ROOT = Path(__file__).resolve().parents[2]


def server() -> tuple[str, int]:
    url = os.environ.get("DATABASE_URL", "")
    parts = urlsplit(url) if url.startswith("postgres") else None
    return (parts.hostname or "127.0.0.1", parts.port or 5432) if parts else ("127.0.0.1", 5432)


def url(role: str, database: str, password: str = "") -> str:
    host, port = server()
    auth = f"{role}:{password}" if password else role
    return f"postgres://{auth}@{host}:{port}/{database}"


def admin():
    return psycopg.connect(url("postgres", "postgres"), autocommit=True)


def manage(*args: str, database_url: str, env_extra: dict | None = None, timeout: int = 300):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "PYTEST_XDIST_WORKER"}}
    env.update({"DATABASE_URL": database_url, **(env_extra or {})})
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@contextmanager
def scratch_database(*, migrate: bool = True):
    """A new database owned by a new owner role, migrated as that owner; yields (name, owner)."""
    tag = uuid.uuid4().hex[:8]
    owner, name = f"golive_owner_{tag}", f"golive_db_{tag}"
    extra_roles: list[str] = []
    extra_dbs: list[str] = []
    with admin() as conn:
        conn.execute(f'CREATE ROLE "{owner}" LOGIN CREATEDB')  # as the restore runs
        conn.execute(f'CREATE DATABASE "{name}" OWNER "{owner}"')
    try:
        if migrate:
            result = manage("migrate", "--noinput", "-v0", database_url=url(owner, name))
            assert result.returncode == 0, result.stderr
        yield {"name": name, "owner": owner, "tag": tag, "roles": extra_roles, "databases": extra_dbs}
    finally:
        with admin() as conn:
            for database in [name, *extra_dbs]:
                conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            for role in [*extra_roles, owner]:
                conn.execute(f'DROP ROLE IF EXISTS "{role}"')
