"""Inserting many rows fast: PostgreSQL's COPY where available, bulk_create elsewhere.

Used by the roll import, which writes tens of thousands of owners, units and ownerships in one
transaction; building a model instance per row costs more than the database does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import connection, models


def insert_rows(model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence]) -> None:
    """Insert `rows` (tuples of values in `fields` order, database-ready) into `model`'s table."""
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(model._meta.db_table)
        columns = ", ".join(connection.ops.quote_name(model._meta.get_field(f).column) for f in fields)
        sql = f"COPY {table} ({columns}) FROM STDIN"  # noqa: S608 - names come from the model
        with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)
        return
    attnames = [model._meta.get_field(f).attname for f in fields]
    model.objects.bulk_create(
        (model(**dict(zip(attnames, row, strict=True))) for row in rows), batch_size=2000
    )
