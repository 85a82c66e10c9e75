"""`manage.py db_app_role ROLE`: give the application's role its rights, as the owner role.

Runs deploy/postgres/app-role.sql against the default database, connected as the role that owns
the tables (the one `migrate` runs as). Creates ROLE (LOGIN, with --password) if it does not exist
and the owner may create roles; otherwise a database administrator creates it first
(deploy/postgres/init-roles.sh does in the compose stack).
"""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from psycopg import sql

SQL_FILE = Path(settings.BASE_DIR) / "deploy" / "postgres" / "app-role.sql"


def statements(text: str) -> list[str]:
    lines = [line for line in text.splitlines() if not line.strip().startswith("--")]
    return [part.strip() for part in "\n".join(lines).split(";") if part.strip()]


def compose(statement: str, names: dict[str, str]) -> sql.Composed:
    """The statement with each :placeholder replaced by its value as a quoted identifier."""
    parts = re.split(r":(app_role|database|owner_role)\b", statement)
    return sql.Composed(
        [sql.Identifier(names[part]) if index % 2 else sql.SQL(part) for index, part in enumerate(parts)]
    )


class Command(BaseCommand):
    help = "Grant the application's database role row rights only (no ALTER, DROP or TRUNCATE)."

    def add_arguments(self, parser):
        parser.add_argument("role")
        parser.add_argument("--password", default="", help="create the role with this password if missing")

    def handle(self, *args, role: str, password: str, **options):
        if connection.vendor != "postgresql":
            raise CommandError("database roles exist only on PostgreSQL")
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user, current_database()")
            owner, database = cursor.fetchone()
            if role == owner:
                raise CommandError("the application's role must not be the owner role")
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
            if cursor.fetchone() is None:
                if not password:
                    raise CommandError(f"role {role} does not exist: create it or pass --password")
                cursor.execute(
                    sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                        sql.Identifier(role), sql.Literal(password)
                    )
                )
        names = {"app_role": role, "database": database, "owner_role": owner}
        with transaction.atomic(), connection.cursor() as cursor:
            for statement in statements(SQL_FILE.read_text(encoding="utf-8")):
                cursor.execute(compose(statement, names))
        self.stdout.write(f"role {role}: rows only on {database} (owner {owner})")
