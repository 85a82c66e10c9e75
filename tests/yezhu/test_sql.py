"""The cast's hand-written statements (yezhu/sql.py) behave as the ORM's, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models.signals import post_save, pre_save
from django.test.utils import CaptureQueriesContext

from elections.models import Ballot
from grids.models import Street
from tests.conftest import on_postgres
from tests.factories import StreetFactory
from yezhu import sql
from yezhu.audit.models import AuditEntry


def _row(entry: AuditEntry) -> dict:
    return AuditEntry.objects.filter(pk=entry.pk).values().get()


@pytest.mark.django_db
def test_it_inserts_a_row_as_save_would():
    """Every column `insert_row` writes equals what `save()` writes for the same new instance:
    `auto_now_add`, JSON, an IP address, a nullable column; and the instance gets its pk."""

    def entry() -> AuditEntry:
        return AuditEntry(
            actor_label="系统",
            ip="10.1.2.3",
            action="test.inserted",
            object_type="elections.voter",
            object_id="7",
            compound_id=3,
            street_id=None,
            election_id=5,
            summary="a summary",
            data={"voter": 7, "names": ["张三"], "nested": {"ok": True}},
        )

    saved = entry()
    saved.save()
    inserted = entry()
    sql.insert_row(inserted)
    assert inserted.pk is not None and inserted.pk != saved.pk
    assert not inserted._state.adding
    by_save, by_insert = _row(saved), _row(inserted)
    assert by_insert["at"] is not None  # auto_now_add ran (pre_save with add=True)
    for row in (by_save, by_insert):
        row.pop("id")
        row.pop("at")
    assert by_insert == by_save
    assert by_insert["data"] == {"voter": 7, "names": ["张三"], "nested": {"ok": True}}


@pytest.mark.django_db
def test_it_reads_columns_as_the_orm_does():
    """`fetch` converts datetimes (text on SQLite) and JSON as the ORM does; `instance` builds the
    model with the other fields deferred."""
    entry = AuditEntry(actor_label="系统", action="test.read", data={"a": [1, 2]})
    sql.insert_row(entry)
    table = '"' + AuditEntry._meta.db_table + '"'
    select, fields = sql.columns(AuditEntry, ("data", "id", "at"), table)
    assert [f.attname for f in fields] == ["id", "at", "data"]  # the model's order
    row = sql.fetch(f"SELECT {select} FROM {table} WHERE {table}.id = %s", [entry.pk], fields)  # noqa: S608
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert row == [stored.pk, stored.at, {"a": [1, 2]}]
    assert stored.at.tzinfo is not None
    built = sql.instance(AuditEntry, fields, row)
    assert (built.pk, built.at, built.data) == (stored.pk, stored.at, stored.data)
    assert built.get_deferred_fields() >= {"action", "summary"}
    assert sql.fetch(f"SELECT {select} FROM {table} WHERE {table}.id = %s", [-1], fields) is None  # noqa: S608


def test_no_receiver_listens_to_the_rows_it_inserts():
    """`insert_row` sends no save signals: it is used for the ballot and the audit row only while
    no receiver listens to them. Whoever adds one must send the row through `save()` again."""
    for model in (Ballot, AuditEntry):
        assert not pre_save.has_listeners(model), model
        assert not post_save.has_listeners(model), model


@pytest.mark.django_db
def test_it_writes_two_rows_and_an_update_in_one_statement():
    """`insert_together` (the ballot, the chain head, the audit row on PostgreSQL): one statement
    whose rows equal what `save()` writes, both pks set, the update made. SQLite has no
    data-modifying WITH: there the chain append writes its three statements."""
    if not on_postgres():
        assert not sql.can_write_together()
        return
    street = StreetFactory(name="旧名")
    first = AuditEntry(actor_label="系统", action="test.first", data={"n": 1})
    second = AuditEntry(actor_label="系统", action="test.second", ip="10.0.0.9", data={"n": [2]})
    table, name = (connection.ops.quote_name(x) for x in (Street._meta.db_table, "name"))
    with CaptureQueriesContext(connection) as queries:
        sql.insert_together(
            first, (f"UPDATE {table} SET {name} = %s WHERE id = %s", ["新名", street.pk]), second
        )
    assert len(queries) == 1
    assert first.pk is not None and second.pk is not None and first.pk != second.pk
    assert _row(first)["action"] == "test.first" and _row(first)["data"] == {"n": 1}
    assert _row(second)["ip"] == "10.0.0.9" and _row(second)["data"] == {"n": [2]}
    assert _row(second)["at"] is not None
    street.refresh_from_db()
    assert street.name == "新名"
