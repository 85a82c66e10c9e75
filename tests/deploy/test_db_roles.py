"""The application's PostgreSQL role (deploy/postgres/app-role.sql) against the real server: it reads
and writes rows, and cannot truncate, alter or drop tables, nor touch the audit log's trigger."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import errors

from tests.conftest import requires_postgres
from tests.deploy.pg import admin, manage, scratch_database, url

pytestmark = [pytest.mark.postgres, requires_postgres]


@pytest.fixture(scope="module")
def database():
    with scratch_database() as db:
        app = f"golive_app_{db['tag']}"
        with admin() as conn:
            conn.execute(f"CREATE ROLE \"{app}\" LOGIN PASSWORD 'app-password'")  # what init-roles.sh does
        db["roles"].append(app)
        result = manage("db_app_role", app, database_url=url(db["owner"], db["name"]))
        assert result.returncode == 0, result.stderr
        db["app"] = app
        yield db
        with psycopg.connect(url("postgres", db["name"]), autocommit=True) as conn:
            conn.execute(f'DROP OWNED BY "{app}"')  # its default privileges, before the role goes


def as_app(db):
    return psycopg.connect(url(db["app"], db["name"], "app-password"), autocommit=True)


@pytest.mark.parametrize(
    "statement",
    [
        "TRUNCATE audit_auditentry",
        "DROP TRIGGER audit_auditentry_no_update ON audit_auditentry",
        "ALTER TABLE audit_auditentry DISABLE TRIGGER audit_auditentry_no_update",
        "DROP TABLE audit_auditentry",
        "UPDATE audit_auditentry SET summary = 'rewritten'",
        "DELETE FROM audit_auditentry",
        "TRUNCATE elections_ballot",
        "ALTER TABLE elections_ballot ADD COLUMN forged integer",
        "CREATE TABLE public.scratch (id integer)",
    ],
)
def test_the_app_role_is_refused(database, statement):
    with as_app(database) as conn, pytest.raises(errors.InsufficientPrivilege):
        conn.execute(statement)


def test_the_audit_trigger_is_still_there(database):
    with as_app(database) as conn:
        row = conn.execute(
            "SELECT tgenabled FROM pg_trigger WHERE tgname = 'audit_auditentry_no_update'"
        ).fetchone()
    assert row == ("O",)


def test_the_site_runs_as_the_app_role(database):
    """The app writes users, text messages and audit rows as the app role (tables made by later
    migrations included, through the default privileges)."""
    code = (
        "from yezhu.accounts.models import User; from yezhu.audit.log import record; "
        "from yezhu.actors import OPERATOR; "
        "u = User.objects.create_user('13800138000'); "
        "record('test.role', actor=OPERATOR, obj=u, summary='written as the app role'); "
        "from yezhu.audit.models import AuditEntry; print(AuditEntry.objects.count())"
    )
    result = manage("shell", "-c", code, database_url=url(database["app"], database["name"], "app-password"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "1"
    with psycopg.connect(url(database["owner"], database["name"]), autocommit=True) as conn:
        conn.execute("CREATE TABLE later_table (id integer)")  # as a later migration would
    with as_app(database) as conn:
        conn.execute("INSERT INTO later_table VALUES (1)")
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute("TRUNCATE later_table")


def test_it_refuses_to_make_the_owner_the_app_role(database):
    result = manage("db_app_role", database["owner"], database_url=url(database["owner"], database["name"]))
    assert result.returncode != 0 and "must not be the owner" in result.stderr
