"""Inserting thousands of rows at once: PostgreSQL's COPY where the database has it, bulk_create elsewhere.

Django's bulk_create on PostgreSQL sends each column as an array (`INSERT … SELECT * FROM UNNEST(…)`), and
psycopg builds those arrays in Python, escaping every quote of every JSON value: for a 5,000-member import
and its 5,000 audit entries that is most of the time spent. COPY streams the rows in PostgreSQL's own text
format, encoded by psycopg's C code. The primary keys are drawn from the table's sequence first (one query),
so the objects come back with their ids, as bulk_create's would. Two statements per table, whatever the
number of rows.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import orjson
from django.db import connections, models, router

M = TypeVar("M", bound=models.Model)


def _preparer(field: models.Field, connection) -> Callable[[Any], Any]:
    """How one field's value becomes what COPY is given: Django's own preparation, except for JSON, which
    orjson encodes to text (COPY parses it into jsonb) several times faster than json.dumps."""
    if isinstance(field, models.JSONField) and field.encoder is None:
        return lambda value: None if value is None else orjson.dumps(value).decode()
    return lambda value: field.get_db_prep_save(value, connection)


def rows_insert(objects: Sequence[M]) -> Sequence[M]:
    """Insert new, unsaved objects of one model in one go and set their primary keys. No signals, no
    `save()`, as with bulk_create; the caller validates and audits."""
    if not objects:
        return objects
    model = type(objects[0])
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql":
        return model._default_manager.bulk_create(objects, batch_size=None)
    opts = model._meta
    fields = [field for field in opts.concrete_fields if not field.primary_key]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in (opts.pk, *fields))
    statement = f"COPY {quote(opts.db_table)} ({columns}) FROM STDIN"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [opts.db_table, opts.pk.column, len(objects)],
        )
        ids = [row[0] for row in cursor.fetchall()]
        started = time.monotonic()
        prepare = [(field, _preparer(field, connection)) for field in fields]
        with cursor.cursor.copy(statement) as copy:
            for obj, pk in zip(objects, ids, strict=True):
                obj.pk = pk
                copy.write_row([pk, *(to_db(field.pre_save(obj, True)) for field, to_db in prepare)])
        if connection.queries_logged:  # counted like any other statement (CaptureQueriesContext, debug)
            connection.queries_log.append(
                {"sql": f"{statement} -- {len(objects)} rows", "time": f"{time.monotonic() - started:.3f}"}
            )
    for obj in objects:
        obj._state.adding = False
        obj._state.db = connection.alias
    return objects
