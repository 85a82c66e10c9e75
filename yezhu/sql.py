"""A few hot statements written once, not compiled by the ORM on every request.

The online cast runs the same handful of statements thousands of times on the last evening, and
Django's `SQLCompiler` building their SQL anew each time was about a third of the cast's CPU
(docs/performance.md, issue 19). The statements that path needs are written here or next to their
service as plain SQL, built from the models' table and column names once per process and
database vendor, and run through Django's cursor (so PostgreSQL and SQLite, the statement
counters and the error translation, `IntegrityError` included, behave as for the ORM).

What the ORM did besides compiling, these helpers do the same way:

- `insert_row` prepares every value as `Model.save()` does for an insert (each field's `pre_save`
  with ``add=True``: `auto_now_add`, names in their normal form; then `get_db_prep_save`: JSON,
  datetimes, per vendor) and sets the new primary key. It sends no `pre_save`/`post_save` signal:
  it is used only for models that have no receivers (`tests/yezhu/test_sql.py` pins that).
- `fetch` converts the columns read as the ORM would (the backend's converters: SQLite's text
  datetimes; the fields' own: JSON), and `instance` builds a model instance from them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.db import connection, models

M = TypeVar("M", bound=models.Model)

_INSERTS: dict[tuple[str, type[models.Model]], tuple[str, list[models.Field], bool]] = {}
_CONVERTERS: dict[tuple[str, tuple[models.Field | None, ...]], list[tuple[int, list[Callable], Any]]] = {}


def columns(model: type[models.Model], attnames: Sequence[str], alias: str) -> tuple[str, list[models.Field]]:
    """The select list of these fields of `model` under table alias `alias`, in the model's field
    order (the order `instance` needs), with the fields in that order."""
    wanted = set(attnames)
    fields = [f for f in model._meta.concrete_fields if f.attname in wanted]
    if len(fields) != len(wanted):
        raise ValueError(f"{model.__name__} has no field among {sorted(wanted)}")
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(f.column)}" for f in fields), fields


def _converters(fields: tuple[models.Field | None, ...]) -> list[tuple[int, list[Callable], Any]]:
    key = (connection.vendor, fields)
    found = _CONVERTERS.get(key)
    if found is None:
        found = []
        for index, field in enumerate(fields):
            if field is None:
                continue
            col = field.get_col(field.model._meta.db_table)
            functions = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
            if functions:
                found.append((index, functions, col))
        _CONVERTERS[key] = found
    return found


def fetch(sql: str, params: Sequence, fields: Sequence[models.Field | None]) -> list | None:
    """The first row of `sql`, each column converted as the ORM converts `fields` (None: as read),
    or None when there is no row."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    values = list(row)
    for index, functions, col in _converters(tuple(fields)):
        value = values[index]
        for function in functions:
            value = function(value, col, connection)
        values[index] = value
    return values


def instance(model: type[M], fields: Sequence[models.Field], values: Sequence) -> M:
    """A model instance of these fields (in the model's order, as `columns` gives them), the
    others deferred: what `QuerySet.only()` would build."""
    return model.from_db(connection.alias, [f.attname for f in fields], list(values))


def _insert_statement(model: type[models.Model]) -> tuple[str, list[models.Field], bool]:
    """The INSERT of one row of `model` (no RETURNING), its fields, and whether the database can
    return the new pk from it."""
    key = (connection.vendor, model)
    prepared = _INSERTS.get(key)
    if prepared is None:
        meta = model._meta
        quote = connection.ops.quote_name
        fields = [
            f
            for f in meta.local_concrete_fields
            if f is not meta.auto_field and not getattr(f, "generated", False)
        ]
        sql = (
            f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "  # noqa: S608
            f"VALUES ({', '.join(['%s'] * len(fields))})"
        )
        prepared = _INSERTS[key] = (sql, fields, connection.features.can_return_columns_from_insert)
    return prepared


def _params(obj: models.Model, fields: list[models.Field]) -> list:
    """The values of a new row as `save()` sends them: `pre_save(add=True)`, then `get_db_prep_save`."""
    return [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]


def _inserted(obj: models.Model, pk: Any) -> None:
    obj.pk = pk
    obj._state.adding = False
    obj._state.db = connection.alias


def insert_row(obj: models.Model) -> None:
    """INSERT the new instance `obj` as its `save()` would, in one statement, and set its pk."""
    sql, fields, returning = _insert_statement(type(obj))
    pk_column = connection.ops.quote_name(type(obj)._meta.pk.column)
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} RETURNING {pk_column}" if returning else sql, _params(obj, fields))
        pk = cursor.fetchone()[0] if returning else cursor.lastrowid
    _inserted(obj, pk)


def can_write_together() -> bool:
    """Whether `insert_together` can run here: PostgreSQL's data-modifying WITH (not SQLite)."""
    return connection.vendor == "postgresql"


def insert_together(first: models.Model, update: tuple[str, Sequence], second: models.Model) -> None:
    """INSERT `first`, run the UPDATE `update` (sql, params) and INSERT `second` in one statement,
    one round trip instead of three, and set both pks; PostgreSQL only (`can_write_together`).

    The three run to completion or not at all, as three statements of one transaction would: a
    unique violation of either INSERT is the statement's `IntegrityError`."""
    first_sql, first_fields, _returning = _insert_statement(type(first))
    second_sql, second_fields, _returning = _insert_statement(type(second))
    quote = connection.ops.quote_name
    first_pk, second_pk = quote(type(first)._meta.pk.column), quote(type(second)._meta.pk.column)
    update_sql, update_params = update
    sql = (
        f"WITH first_row AS ({first_sql} RETURNING {first_pk}), changed AS ({update_sql}) "  # noqa: S608
        f"{second_sql} RETURNING (SELECT {first_pk} FROM first_row), {second_pk}"
    )
    params = [*_params(first, first_fields), *update_params, *_params(second, second_fields)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        pks = cursor.fetchone()
    _inserted(first, pks[0])
    _inserted(second, pks[1])
