"""The system-served case queue: load assignments, serve "next case" safely, skip with a reason.

An agent never chooses whom to call. :func:`claim_next_case` picks the next due case of the agent's
assignment or vendor pool: appointments that are due first, then by priority, then in random order
(``sort_key``, redrawn each time a case returns to the queue); only cases in calling hours in the
respondent's zone, with attempts left, not over their share of the current day part, in a language
(and dialect) the agent speaks, whose number is not on the opt-out list, and - after a soft refusal -
not to the agent who took it - and only within the agent's working hours.

Two agents never get the same case: the claim is one UPDATE whose candidate rows are sub-selects
read ``FOR UPDATE SKIP LOCKED`` on PostgreSQL (concurrent agents skip each other's rows instead of
queueing behind them), guarded by ``status = 'waiting'``, which alone is safe on SQLite, where
writes are serialised and ``FOR UPDATE`` is not rendered. On PostgreSQL with psycopg the claim and
its commit are one round trip (``_Claim.run``).
"""

from __future__ import annotations

import datetime as dt
import functools
import random
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, and_, bindparam, exists, func, or_, text, update
from sqlalchemy.orm import aliased
from sqlalchemy.sql import visitors
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from survey_app.callcentre.models import AgentProfile, QueueEntry, QueueStatus, SkipEvent
from survey_app.callcentre.schedule import DayPart, day_part, in_calling_hours, in_working_hours
from survey_app.db import UTCDateTime
from survey_app.fieldwork.models import OptOut

SKIP_REASONS = ("knows_respondent", "language", "technical", "other")
#: A skipped case waits this long before it is served again (to anyone).
SKIP_DELAY = dt.timedelta(minutes=30)
_TRIES = {
    DayPart.weekday: QueueEntry.tries_weekday,
    DayPart.weeknight: QueueEntry.tries_weeknight,
    DayPart.weekend: QueueEntry.tries_weekend,
}


class QueueError(ValueError):
    """A queue request that cannot be done as asked (the message says why)."""


@dataclass(frozen=True)
class Assignment:
    """One row of the randomised assignment: a case, its vendor and (optionally) its agent.

    The sampling module's assignment table maps onto this; contact details travel with it.
    """

    case_id: int
    survey_id: int
    vendor_id: int
    phone: str
    agent_id: int | None = None
    priority: int = 0
    timezone: str = "UTC"
    language: str | None = None
    dialect: str | None = None
    respondent_name: str = ""
    max_attempts: int = 8


def load_assignments(session: Session, rows: Iterable[Assignment], *, now: dt.datetime) -> int:
    """Put assigned cases in the queue; returns how many were added. Commits.

    A case already queued keeps its calling state; if it is waiting and its assignee changed (a
    logged move in the sampling module), it follows the new vendor or agent. A held or finished
    case is never moved.
    """
    rows = list(rows)
    known = {
        entry.case_id: entry
        for entry in session.exec(
            select(QueueEntry).where(col(QueueEntry.case_id).in_([r.case_id for r in rows]))
        )
    }
    added = 0
    for row in rows:
        entry = known.get(row.case_id)
        if entry is not None:
            if entry.status == QueueStatus.waiting and (entry.vendor_id, entry.agent_id) != (
                row.vendor_id,
                row.agent_id,
            ):
                entry.vendor_id, entry.agent_id, entry.updated_at = row.vendor_id, row.agent_id, now
                session.add(entry)
            continue
        entry = QueueEntry(
            case_id=row.case_id,
            survey_id=row.survey_id,
            vendor_id=row.vendor_id,
            agent_id=row.agent_id,
            priority=row.priority,
            sort_key=random.random(),
            phone=row.phone,
            respondent_name=row.respondent_name,
            timezone=row.timezone,
            language=row.language,
            dialect=row.dialect,
            max_attempts=row.max_attempts,
            next_due_at=now,
            updated_at=now,
        )
        known[row.case_id] = entry
        session.add(entry)
        added += 1
    session.commit()
    _zone_cache.clear()
    return added


def current_case(session: Session, agent_id: int) -> QueueEntry | None:
    """The case the agent holds, if any (an agent holds at most one)."""
    return session.exec(
        select(QueueEntry).where(QueueEntry.locked_by == agent_id, QueueEntry.status == QueueStatus.locked)
    ).first()


#: The distinct zones of a vendor's waiting cases as a loose index scan (one index probe per zone
#: instead of reading every row): PostgreSQL has no skip scan before version 18.
_ZONES = text(
    """
    WITH RECURSIVE z(tz) AS (
      SELECT (SELECT timezone FROM call_queue WHERE vendor_id = :vendor AND status = 'waiting'
              ORDER BY timezone LIMIT 1)
      UNION ALL
      SELECT (SELECT timezone FROM call_queue
              WHERE vendor_id = :vendor AND status = 'waiting' AND timezone > z.tz
              ORDER BY timezone LIMIT 1)
      FROM z WHERE z.tz IS NOT NULL
    )
    SELECT tz FROM z WHERE tz IS NOT NULL
    """
)


#: The zones of a vendor's waiting cases, per database and vendor, kept briefly: they change only
#: when cases are loaded, and reading them on every "next case" costs a round trip. A zone that
#: empties meanwhile only adds a condition matching nothing; a new zone from another process is
#: served within ``ZONE_CACHE_SECONDS``; ``load_assignments`` in this process clears the cache.
ZONE_CACHE_SECONDS = 10.0
_zone_cache: dict[tuple[str, int], tuple[float, tuple[str, ...]]] = {}


def _open_zones(session: Session, vendor_id: int, now: dt.datetime) -> list[str]:
    key = (str(session.get_bind().engine.url), vendor_id)
    cached = _zone_cache.get(key)
    if cached is None or time.monotonic() - cached[0] > ZONE_CACHE_SECONDS:
        zones = tuple(session.execute(_ZONES, {"vendor": vendor_id}).scalars())
        _zone_cache[key] = cached = (time.monotonic(), zones)
    return [z for z in cached[1] if in_calling_hours(now, z)]


def due_cases(
    profile: AgentProfile,
    zones: list[str],
    now: dt.datetime | None,
    *,
    appointments: bool = False,
    parts: Mapping[str, DayPart] | None = None,
) -> SelectOfScalar[QueueEntry]:
    """The statement selecting the cases ``profile``'s agent may be served now, best first.

    ``now`` is the parameter ``now`` of the statement (None: given at execution) and, unless
    ``parts`` names each zone's day part, the instant those are computed for.

    ``appointments``: only due callback appointments, earliest first (they bypass the day-part
    share); otherwise every due case by priority, then the random ``sort_key``. Two statements
    rather than one ORDER BY, so each can walk an index and stop at the first free row instead
    of sorting the whole queue on every "next case".
    """
    # Named parameters: the claim is compiled once per shape (how many zones, languages and
    # dialects; the zones' day parts) and run for any agent and a later "now" (see _claim_for).
    agent: Any = bindparam("q_agent", profile.user_id)
    zone: list[Any] = [bindparam(f"q_zone{i}", z) for i, z in enumerate(zones)]
    languages: list[Any] = [bindparam(f"q_language{i}", v) for i, v in enumerate(profile.languages)]
    dialects: list[Any] = [bindparam(f"q_dialect{i}", v) for i, v in enumerate(profile.dialects)]
    statement = select(QueueEntry).where(
        QueueEntry.vendor_id == bindparam("q_vendor", profile.vendor_id),
        QueueEntry.status == QueueStatus.waiting,
        col(QueueEntry.timezone).in_(zone),
        or_(col(QueueEntry.agent_id) == agent, col(QueueEntry.agent_id).is_(None)),
        or_(col(QueueEntry.refused_by).is_(None), col(QueueEntry.refused_by) != agent),
        col(QueueEntry.next_due_at) <= bindparam("now", value=now),
        QueueEntry.attempts < QueueEntry.max_attempts,
        or_(col(QueueEntry.language).is_(None), col(QueueEntry.language).in_(languages)),
        or_(col(QueueEntry.dialect).is_(None), col(QueueEntry.dialect).in_(dialects)),
        ~exists().where(col(OptOut.address) == col(QueueEntry.phone)),
    )
    if appointments:
        return statement.where(col(QueueEntry.appointment_at).is_not(None)).order_by(
            col(QueueEntry.appointment_at)
        )
    rotation = [
        and_(col(QueueEntry.timezone) == zone[i], col(_TRIES[part]) * 3 < col(QueueEntry.max_attempts))
        for i, part in enumerate(_day_parts(zones, now, parts).values())
    ]
    # Both descending: the (vendor, status, priority, sort_key) index is read backwards.
    return statement.where(or_(*rotation)).order_by(
        col(QueueEntry.priority).desc(), col(QueueEntry.sort_key).desc()
    )


def _day_parts(
    zones: list[str], now: dt.datetime | None, parts: Mapping[str, DayPart] | None
) -> dict[str, DayPart]:
    if parts is not None:
        return {z: parts[z] for z in zones}
    assert now is not None, "either now or the day parts"
    return {z: day_part(now, z) for z in zones}


def claim_next_case(session: Session, profile: AgentProfile, *, now: dt.datetime) -> int | None:
    """Serve the agent their next case (or the one they already hold): its case id, or None when
    nothing is due.

    Commits the claim (with anything the session had pending). Safe under concurrency on both
    backends (see the module docstring). The claimed row is not loaded - "next case" only needs
    to know that one was served; callers wanting the row read it (:func:`current_case`), and a
    copy already in ``session`` is expired so that it is read afresh.

    :raises QueueError: ``off_hours`` - it is outside the agent's working hours (a case already
        held is still returned, so a call running past the end of a shift can be finished).
    """
    if not in_working_hours(now, profile.work_start, profile.work_end, profile.timezone):
        held = _held_case_id(session, profile.user_id)
        if held is not None:
            return held
        session.rollback()  # end the read transaction: nothing was claimed
        raise QueueError("off_hours")
    zones = _open_zones(session, profile.vendor_id, now)
    if zones:
        # The claim itself refuses an agent who already holds a case (NOT EXISTS in the
        # statement), so the usual "next case" is this one statement; the held case is read only
        # when nothing was claimed.
        claim = _claim_for(
            session.get_bind().dialect,
            profile.vendor_id,
            profile.user_id,
            tuple(profile.languages),
            tuple(profile.dialects),
            tuple((z, day_part(now, z).value) for z in zones),
        )
        claimed = claim.run(session, now)
        if claimed is not None:
            stale = session.identity_map.get(session.identity_key(QueueEntry, claimed))
            if stale is not None:
                session.expire(stale)
            return claimed
    held = _held_case_id(session, profile.user_id)
    if held is None:
        session.rollback()
    return held


def _held_case_id(session: Session, agent_id: int) -> int | None:
    return session.scalar(
        select(QueueEntry.case_id).where(
            QueueEntry.locked_by == agent_id, QueueEntry.status == QueueStatus.locked
        )
    )


#: How ``now`` is bound (aware, in UTC), for the claim run on the driver directly.
_NOW_TYPE = UTCDateTime()


@dataclass(frozen=True)
class _Claim:
    """One agent's claim, ready to run: ``now`` is its only parameter left.

    With psycopg, ``sql`` is the claim's text (compiled once per shape, see ``_compiled_claim``)
    and ``params`` the agent's values; otherwise - or in a session whose transaction is not its
    own (bound to a connection, or in a SAVEPOINT) - the statement built from ``key`` (the
    arguments of ``_claim_statement``) runs through SQLAlchemy.
    """

    dialect: Any
    sql: str | None
    params: Mapping[str, Any]
    key: tuple[Any, ...] = ()

    def run(self, session: Session, now: dt.datetime) -> int | None:
        """Run the claim and commit; the claimed case id or None."""
        if self.sql is None or session.in_nested_transaction() or not isinstance(session.get_bind(), Engine):
            claimed = session.execute(
                _claim_statement(*self.key), {"now": now}, execution_options={"synchronize_session": False}
            ).scalar()
            session.commit()
            return claimed
        session.flush()  # what autoflush would do: pending changes commit with the claim
        driver = session.connection().connection.driver_connection
        assert driver is not None
        params = {**self.params, "now": _NOW_TYPE.process_bind_param(now, self.dialect)}
        try:
            if driver.autocommit or driver.info.transaction_status.name == "IDLE":
                # Nothing read yet in this transaction: the claim runs as its own transaction, one
                # round trip (psycopg would otherwise send BEGIN first and COMMIT after it).
                autocommit, driver.autocommit = driver.autocommit, True
                try:
                    row = driver.execute(self.sql, params, prepare=True).fetchone()
                finally:
                    driver.autocommit = autocommit
            else:
                # Within a transaction: the claim and COMMIT go out together and one Sync brings
                # both results back (pipeline mode), one round trip again.
                with driver.pipeline():
                    cursor = driver.execute(self.sql, params, prepare=True)
                    driver.execute("COMMIT")
                row = cursor.fetchone()
        except BaseException:
            session.rollback()
            raise
        # The server has committed; this ends the session's transaction without a round trip.
        session.commit()
        return None if row is None else int(row[0])


@functools.lru_cache(maxsize=4096)
def _claim_for(
    dialect: Any,
    vendor_id: int,
    agent_id: int,
    languages: tuple[str, ...],
    dialects: tuple[str, ...],
    parts: tuple[tuple[str, str], ...],
) -> _Claim:
    """The claim of one agent for the open zones and their day parts, ready to run."""
    key = (vendor_id, agent_id, languages, dialects, parts)
    if (dialect.name, dialect.driver) != ("postgresql", "psycopg"):
        return _Claim(dialect, None, {}, key)
    return _Claim(
        dialect,
        _compiled_claim(dialect, len(languages), len(dialects), tuple(part for _zone, part in parts)),
        {
            "q_vendor": vendor_id,
            "q_agent": agent_id,
            **{f"q_zone{i}": zone for i, (zone, _part) in enumerate(parts)},
            **{f"q_language{i}": value for i, value in enumerate(languages)},
            **{f"q_dialect{i}": value for i, value in enumerate(dialects)},
        },
        key,
    )


@functools.lru_cache(maxsize=256)
def _compiled_claim(dialect: Any, languages: int, dialects: int, parts: tuple[str, ...]) -> str:
    """The claim's psycopg text for one shape (how many languages and dialects, the open zones'
    day parts): the agent's values are its ``q_`` parameters, then ``now``. Built and compiled
    once per shape, not per agent - that costs more Python time than running the claim.

    The constants (statuses, LIMIT 1, the share of attempts) are written into the text: with
    them as parameters PostgreSQL cannot tell that the generic plan of the prepared statement
    reads one row and plans every execution afresh (custom plans), a third of the claim's time.
    """
    statement = _claim_statement(
        0,
        0,
        ("",) * languages,
        ("",) * dialects,
        tuple((f"zone{i}", part) for i, part in enumerate(parts)),
    )

    def inline(bind: Any) -> None:
        if not bind.key.startswith("q_") and bind.key != "now":
            bind.literal_execute = True

    statement = visitors.cloned_traverse(statement, {}, {"bindparam": inline})
    compiled = statement.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
    assert all(name.startswith("q_") or name == "now" for name in compiled.params)
    return str(compiled.string)


@functools.lru_cache(maxsize=4096)
def _claim_statement(
    vendor_id: int,
    agent_id: int,
    languages: tuple[str, ...],
    dialects: tuple[str, ...],
    parts: tuple[tuple[str, str], ...],
) -> Any:
    """The claim of one agent for the open zones and their day parts (``now`` is a parameter).

    One statement: UPDATE ... WHERE case_id = COALESCE(the earliest due appointment, the best due
    case) ... RETURNING the case id - each candidate read FOR UPDATE SKIP LOCKED, so concurrent
    agents pass over each other's rows; PostgreSQL evaluates the second sub-select only when there
    is no appointment. The status condition keeps it safe where FOR UPDATE is not rendered (SQLite
    runs the whole statement atomically). One statement, no select-then-update race. Cached:
    building the expression costs more Python time than running it.
    """
    who = AgentProfile(
        user_id=agent_id, vendor_id=vendor_id, languages=list(languages), dialects=list(dialects)
    )
    zones = [zone for zone, _part in parts]
    by_zone = {zone: DayPart(part) for zone, part in parts}
    best = func.coalesce(
        _first_free(due_cases(who, zones, None, appointments=True)),
        _first_free(due_cases(who, zones, None, parts=by_zone)),
    )
    now: Any = bindparam("now", value=None, type_=UTCDateTime)
    agent: Any = bindparam("q_agent", agent_id)
    mine = aliased(QueueEntry)
    holds_one = exists().where(col(mine.locked_by) == agent, col(mine.status) == QueueStatus.locked)
    return (
        update(QueueEntry)
        .where(col(QueueEntry.case_id) == best, col(QueueEntry.status) == QueueStatus.waiting, ~holds_one)
        .values(status=QueueStatus.locked, locked_by=agent, locked_at=now, updated_at=now)
        .returning(col(QueueEntry.case_id))
    )


def _first_free(statement: SelectOfScalar[QueueEntry]) -> Any:
    return (
        statement.with_only_columns(col(QueueEntry.case_id))
        .limit(1)
        .with_for_update(skip_locked=True, of=QueueEntry)
        .scalar_subquery()
    )


def full_parts(entry: QueueEntry) -> frozenset[DayPart]:
    """The day parts in which the case has had its share of attempts (a third, rounded up)."""
    tries = {
        DayPart.weekday: entry.tries_weekday,
        DayPart.weeknight: entry.tries_weeknight,
        DayPart.weekend: entry.tries_weekend,
    }
    return frozenset(part for part, used in tries.items() if used * 3 >= entry.max_attempts)


def release(entry: QueueEntry, *, due: dt.datetime, now: dt.datetime) -> None:
    """Return a held case to the queue, due at ``due``, in a fresh random place (no commit)."""
    entry.status = QueueStatus.waiting
    entry.locked_by = None
    entry.locked_at = None
    entry.attempt_id = None
    entry.dialled_at = None
    entry.step_shown_at = None
    entry.paused_at = None
    entry.next_due_at = due
    entry.sort_key = random.random()
    entry.updated_at = now


def skip_case(
    session: Session, entry: QueueEntry, agent_id: int, *, reason: str, note: str, now: dt.datetime
) -> SkipEvent:
    """Pass on a held, not yet dialled case: the reason is required (``other`` needs a note) and
    logged; the case goes back to the queue for later. Commits."""
    if entry.locked_by != agent_id or entry.status != QueueStatus.locked:
        raise QueueError("not_held")
    if entry.attempt_id is not None:
        raise QueueError("dialled")
    if reason not in SKIP_REASONS:
        raise QueueError("reason")
    if reason == "other" and not note.strip():
        raise QueueError("note")
    event = SkipEvent(
        case_id=entry.case_id,
        vendor_id=entry.vendor_id,
        agent_id=agent_id,
        reason=reason,
        note=note.strip()[:500],
    )
    session.add(event)
    release(entry, due=now + SKIP_DELAY, now=now)
    session.add(entry)
    session.commit()
    return event


def release_stale_locks(session: Session, *, older_than: dt.timedelta, now: dt.datetime) -> int:
    """Return cases held longer than ``older_than`` without a call (an agent who left) to the
    queue; for the worker's periodic jobs. Commits; returns how many were released."""
    result = session.execute(
        update(QueueEntry)
        .where(
            col(QueueEntry.status) == QueueStatus.locked,
            col(QueueEntry.attempt_id).is_(None),
            col(QueueEntry.locked_at) < now - older_than,
        )
        .values(
            status=QueueStatus.waiting,
            locked_by=None,
            locked_at=None,
            step_shown_at=None,
            paused_at=None,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return int(result.rowcount)  # type: ignore[attr-defined]
