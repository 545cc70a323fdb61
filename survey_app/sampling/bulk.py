"""Inserting thousands of rows (drawn units, cases, delivery details) inside the caller's transaction.

On PostgreSQL the rows go in with ``COPY`` after taking their ids from the table's sequence: a
multi-row ``INSERT ... RETURNING`` of 10,000 cases spends most of its time having the driver parse
a statement with 90,000 placeholders. Elsewhere (SQLite) a plain executemany ``INSERT`` is used.
Either way the ids come back in row order and nothing is committed here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import JSON, Table, func, insert, literal_column
from sqlalchemy import select as sa_select
from sqlmodel import Session


def insert_rows(
    session: Session, table: Table, rows: Sequence[dict[str, Any]], *, new_ids: bool = True
) -> list[int]:
    """Insert ``rows`` (dicts with the same keys) and return their new ids, in order.

    :param new_ids: the table has a serial ``id`` that the rows leave out; False: the rows carry
        their whole key (nothing is returned).
    """
    if not rows:
        return []
    if session.get_bind().dialect.name != "postgresql":
        if not new_ids:
            session.execute(insert(table), rows)
            return []
        inserted = session.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows)
        return [int(i) for i in inserted.scalars().all()]
    ids: list[int] = []
    if new_ids:
        sequence = func.pg_get_serial_sequence(table.name, "id")
        series = sa_select(func.nextval(sequence)).select_from(func.generate_series(1, len(rows)))
        ids = [int(i) for i in session.execute(series).scalars()]
    names = [*(["id"] if new_ids else []), *rows[0]]
    json_columns = {c.name for c in table.columns if isinstance(c.type, JSON)}
    values = (
        [json.dumps(row[n], ensure_ascii=False) if n in json_columns else row[n] for n in rows[0]]
        for row in rows
    )
    copy_rows(session, table, names, ([ids[k], *v] for k, v in enumerate(values)) if new_ids else values)
    return ids


def copy_rows(
    session: Session,
    table: Table,
    names: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    binary: bool = False,
) -> int:
    """``COPY`` ``rows`` (values in the order of ``names``, as the driver takes them) into ``table``.

    PostgreSQL only, in the session's transaction; columns left out get the database's default (or
    NULL). ``rows`` may be a generator: the server stores the first rows while it makes the next.
    Returns the number of rows copied.

    :param binary: send the binary format (typed by the columns' types in the catalog): three
        times faster for rows of numbers and timestamps, but each value must be of its column's
        type exactly (an int for an integer, an aware datetime for a timestamptz, no JSON).
    """
    cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    columns = ", ".join(literal_column(name).name for name in names)
    types: list[int] = []
    if binary:
        cursor.execute(
            "SELECT a.atttypid FROM unnest(%s::text[]) WITH ORDINALITY AS n(name, i) "
            "JOIN pg_attribute a ON a.attrelid = %s::regclass AND a.attname = n.name ORDER BY n.i",
            (list(names), table.name),
        )
        types = [int(oid) for (oid,) in cursor.fetchall()]
    with cursor.copy(
        f"COPY {table.name} ({columns}) FROM STDIN{' (FORMAT BINARY)' if binary else ''}"
    ) as copy:
        if binary:
            copy.set_types(types)
        for row in rows:
            copy.write_row(row)
    return int(cursor.rowcount)
