"""Inserting thousands of rows (drawn units, cases, delivery details) inside the caller's transaction.

On PostgreSQL the rows go in with ``COPY`` after taking their ids from the table's sequence: a
multi-row ``INSERT ... RETURNING`` of 10,000 cases spends most of its time having the driver parse
a statement with 90,000 placeholders. Elsewhere (SQLite) a plain executemany ``INSERT`` is used.
Either way the ids come back in row order and nothing is committed here.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
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
    cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    columns = ", ".join(literal_column(name).name for name in names)
    with cursor.copy(f"COPY {table.name} ({columns}) FROM STDIN") as copy:
        for k, row in enumerate(rows):
            values = [
                json.dumps(row[n], ensure_ascii=False) if n in json_columns else row[n] for n in rows[0]
            ]
            copy.write_row([ids[k], *values] if new_ids else values)
    return ids
