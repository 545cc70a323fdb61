"""Bulk writes of wave planning: one statement per table and batch, values already in the driver's form.

Rows are tuples of the values SQLAlchemy itself would hand the driver: :func:`encoder` returns the
column type's own bind processing for the session's dialect (``UTCDateTime`` → UTC, then SQLite's
``DATETIME`` text; an enum → its stored name), which the caller applies once per distinct value (a
wave has few distinct instants). So the stored bytes are those of a Core statement, without
SQLAlchemy's per-row parameter processing, which cost more than the database's own work.

- PostgreSQL: inserts go in with binary ``COPY`` (``sampling.bulk.copy_rows``); a column of many
  rows is updated by one ``UPDATE ... FROM unnest(keys, values)``, not one statement per row.
  Inside :func:`overlapping`, updates are sent without waiting for the server (psycopg's pipeline
  mode): the caller computes its next rows while the server works.
- SQLite: one ``executemany`` of the DBAPI cursor with the statement text SQLAlchemy compiles.

Everything runs in the session's transaction; nothing is committed here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Column, Table, bindparam, cast, func, insert, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql.compiler import Compiled
from sqlmodel import Session

from survey_app.sampling.bulk import copy_rows


def encoder(session: Session, column: Column[Any]) -> Callable[[Any], Any]:
    """Return the function turning a Python value of ``column`` into what SQLAlchemy gives the driver."""
    dialect = session.get_bind().dialect
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    return process if process is not None else _same


def _same(value: Any) -> Any:
    return value


@contextmanager
def overlapping(session: Session) -> Iterator[None]:
    """Let :func:`update_column` return before the server has run the update (PostgreSQL).

    The updates are sent at once and their results read when the block ends, where an error is
    raised. Inside the block, run no statement but :func:`update_column` (``COPY`` cannot be
    pipelined, and SQLAlchemy's statements want their results at once). Elsewhere (SQLite runs
    in this process, and a libpq without pipeline mode) the block changes nothing.
    """
    if session.connection().dialect.name != "postgresql":
        yield
        return
    from psycopg import Pipeline

    if not Pipeline.is_supported():
        yield
        return
    with _driver(session).pipeline():
        yield


def insert_rows(session: Session, table: Table, names: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert ``rows`` (tuples in the order of ``names``, encoded by :func:`encoder`) into ``table``.

    Columns left out get the database's default (or NULL): ``names`` must include every column
    that has a Python-side default, as a Core insert would have filled it in. ``rows`` may be a
    generator (on PostgreSQL the server stores the first rows while the next are computed).
    Returns the number of rows inserted.
    """
    missing = [c.name for c in table.columns if c.default is not None and c.name not in names]
    if missing:
        raise ValueError(f"rows of {table.name} must give {missing}: a Core insert would fill them in")
    if isinstance(rows, Sequence) and not rows:
        return 0
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        # Binary: the encoded values are already of their columns' types (ints, strings, UTC datetimes).
        return copy_rows(session, table, names, rows, binary=True)
    compiled = insert(table).compile(dialect=connection.dialect, column_keys=list(names))
    _check_order(compiled, names)
    cursor = _driver(session).cursor()
    try:
        cursor.executemany(str(compiled), rows)
        return int(cursor.rowcount)
    finally:
        cursor.close()


def update_column(
    session: Session, table: Table, key: str, name: str, pairs: Sequence[tuple[Any, Any]]
) -> None:
    """For each ``(k, value)`` of ``pairs``, set column ``name`` to ``value`` where column ``key`` is ``k``.

    Values encoded by :func:`encoder`; keys are unique (a primary key).
    """
    if not pairs:
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        key_column, column = table.c[key], table.c[name]
        given = (
            func.unnest(
                cast(bindparam("keys"), ARRAY(key_column.type)),
                cast(bindparam("values"), ARRAY(column.type)),
            )
            .table_valued("key", "value")
            .render_derived(name="given")
        )
        statement = update(table).where(key_column == given.c.key).values({column: given.c.value})
        # Two array parameters, sent in binary (%b): psycopg writes the text form of a 10,000-item
        # array in Python, five times slower; the driver takes the values as they are.
        sql = str(statement.compile(dialect=connection.dialect))
        sql = sql.replace("%(keys)s", "%(keys)b").replace("%(values)s", "%(values)b")
        _driver(session).execute(sql, {"keys": [k for k, _ in pairs], "values": [v for _, v in pairs]})
        return
    compiled = (
        update(table)
        .where(table.c[key] == bindparam("b_key"))
        .values({name: bindparam("b_value")})
        .compile(dialect=connection.dialect)
    )
    _check_order(compiled, ["b_value", "b_key"])
    _driver(session).executemany(str(compiled), [(value, k) for k, value in pairs])


def _check_order(compiled: Compiled, names: Sequence[str]) -> None:
    # Positional parameters: the tuples must follow the statement's order exactly.
    order = list(getattr(compiled, "positiontup", None) or ())
    if order != list(names):
        raise ValueError(f"statement parameters {order} differ from the row's columns {list(names)}")


def _driver(session: Session) -> Any:
    """The DBAPI connection under the session's current transaction."""
    return session.connection().connection.driver_connection
