"""One worker per database: a lock the ``survey worker`` process holds for its whole life.

Two schedulers on one database would run every job twice and compete for the same attempts
(sends stay exactly-once thanks to idempotency keys, but the work and the logs double). So the
worker takes a lock before it touches its job store and refuses to start when another holds it:

* PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) on a dedicated
  autocommit connection, named after the worker (``application_name``) so a refused worker can
  say which process holds it;
* SQLite: an exclusive ``flock`` on ``<database file>-worker.lock``, which records the holder.

Both are released by the operating system or the server when the process dies, SIGKILL
included: there is never a stale lock to clean up by hand. :meth:`WorkerLock.check` notices a
lock that was lost while running (a PostgreSQL restart ended the session, the lock file was
deleted) and takes it again when nobody else did, so the runner can stop rather than run beside
a second worker.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import logging
import os
import re
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

log = logging.getLogger(__name__)

#: The advisory lock key of the worker (any fixed bigint; advisory locks are per database).
ADVISORY_KEY = 0x5355_5256_4559_574B  # "SURVEYWK"
#: How the lock's session is named (``application_name``), so a refused worker can name the holder.
_APPLICATION_NAME = re.compile(r"survey worker (?P<pid>\d+)@(?P<host>.*)")
LOCK_SUFFIX = "-worker.lock"


class WorkerAlreadyRunning(RuntimeError):
    """Another worker holds the lock of this database (the message names it and says what to do)."""


@dataclass(frozen=True)
class Holder:
    """The worker process that holds the lock, as far as it is known."""

    pid: int | None = None
    host: str | None = None
    since: dt.datetime | None = None
    #: PostgreSQL only: the server process of the lock's session (for ``pg_terminate_backend``).
    backend_pid: int | None = None

    def describe(self) -> str:
        """``pid 123 on host, since 2026-12-03 10:00 UTC`` (the parts that are known)."""
        who = " ".join(
            part
            for part in (
                f"pid {self.pid}" if self.pid is not None else "",
                f"on {self.host}" if self.host else "",
            )
            if part
        )
        when = f"since {self.since.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC" if self.since else ""
        return ", ".join(part for part in (who, when) if part) or "holder unknown"


def already_running_message(holder: Holder, database: str) -> str:
    """The refusal of a second worker: who holds the lock and what the operator can do."""
    message = (
        f"a worker is already running on {database} ({holder.describe()}); run exactly one "
        "`survey worker` per database: leave that one running, or stop it (SIGTERM"
        + (f", e.g. `kill {holder.pid}` on {holder.host}" if holder.pid and holder.host else "")
        + ") before starting another"
    )
    if holder.backend_pid is not None:
        message += (
            ". If that process is gone but its database session lingers (a lost network), end the "
            f"session: SELECT pg_terminate_backend({holder.backend_pid});"
        )
    return message


class WorkerLock(Protocol):
    """A lock held by this process until :meth:`release` or the process ends."""

    def check(self) -> bool:
        """Whether this process still holds the lock (taken again if it was lost and is free)."""
        ...

    def release(self) -> None:
        """Release the lock (idempotent)."""
        ...


def acquire_worker_lock(engine: Engine) -> WorkerLock:
    """Take the worker lock of ``engine``'s database, or refuse.

    :raises WorkerAlreadyRunning: another process holds it.
    """
    backend = engine.url.get_backend_name()
    if backend == "postgresql":
        return AdvisoryLock.acquire(engine)
    database = engine.url.database
    if backend == "sqlite" and database not in (None, "", ":memory:"):
        return FileLock.acquire(lock_file_of(Path(database)))
    # An in-memory SQLite database lives in one process: no other worker can share it.
    return _NoLock()


def lock_file_of(database: Path) -> Path:
    """The lock file of a SQLite database file: beside it, so every app using that file finds it."""
    database = database.resolve()
    return database.with_name(database.name + LOCK_SUFFIX)


def _this_worker() -> tuple[int, str]:
    return os.getpid(), socket.gethostname()


class _NoLock:
    def check(self) -> bool:
        return True

    def release(self) -> None:
        pass


class FileLock:
    """An exclusive ``flock`` on a file next to the SQLite database; the file records the holder.

    The file is never deleted: removing a lock file while another process opens it is a race
    that would let two processes lock two different files.
    """

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd: int | None = fd

    @classmethod
    def acquire(cls, path: Path) -> FileLock:
        """Lock ``path`` (created when missing) and write this process into it.

        :raises WorkerAlreadyRunning: another process holds it.
        """
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)  # not inherited by child processes
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            database = str(path)[: -len(LOCK_SUFFIX)] if str(path).endswith(LOCK_SUFFIX) else str(path)
            raise WorkerAlreadyRunning(already_running_message(holder, database)) from None
        except BaseException:
            os.close(fd)
            raise
        pid, host = _this_worker()
        record = json.dumps({"pid": pid, "host": host, "since": dt.datetime.now(dt.UTC).isoformat()})
        os.ftruncate(fd, 0)
        os.pwrite(fd, record.encode() + b"\n", 0)
        return cls(path, fd)

    def check(self) -> bool:
        """Whether the lock file is still the one locked (someone may have deleted it)."""
        if self._fd is None:
            return False
        try:
            same = os.stat(self.path).st_ino == os.fstat(self._fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return True
        log.error("the worker lock file %s was removed or replaced", self.path)
        self.release()
        try:
            retaken = FileLock.acquire(self.path)
        except WorkerAlreadyRunning as exc:
            log.error("%s", exc)
            return False
        self._fd, retaken._fd = retaken._fd, None
        return True

    def release(self) -> None:
        """Unlock (closing the descriptor releases the flock)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _read_holder(fd: int) -> Holder:
    try:
        record = json.loads(os.pread(fd, 4096, 0).decode())
        return Holder(
            pid=int(record["pid"]), host=str(record["host"]), since=dt.datetime.fromisoformat(record["since"])
        )
    except (ValueError, KeyError, TypeError, OSError):
        # Written between our open and the holder's write, or by something else: still locked.
        return Holder()


class AdvisoryLock:
    """A PostgreSQL session-level advisory lock on a dedicated connection.

    Autocommit, so the session sits ``idle`` rather than ``idle in transaction`` for days (an
    open transaction would hold back vacuum). TCP keepalives on the session let the server end it,
    and free the lock, within minutes when the worker's machine vanishes without closing it.
    """

    def __init__(self, engine: Engine, connection: Connection) -> None:
        self._engine = engine
        self._connection: Connection | None = connection

    @classmethod
    def acquire(cls, app_engine: Engine) -> AdvisoryLock:
        """Take the lock on a new connection to ``app_engine``'s database.

        :raises WorkerAlreadyRunning: another session holds it.
        """
        pid, host = _this_worker()
        engine = create_engine(app_engine.url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
        connection = engine.connect()
        try:
            # Named before locking, so a worker refused at any moment can read who holds it.
            session_settings = {
                "application_name": f"survey worker {pid}@{host}"[:63],  # PostgreSQL keeps 63 bytes
                "tcp_keepalives_idle": "60",
                "tcp_keepalives_interval": "10",
            }
            for name, value in session_settings.items():
                connection.execute(
                    text("SELECT set_config(:name, :value, false)"), {"name": name, "value": value}
                )
            got = connection.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_KEY}
            ).scalar()
            if not got:
                holder = _advisory_holder(connection)
                database = app_engine.url.render_as_string(hide_password=True)
                raise WorkerAlreadyRunning(already_running_message(holder, database))
        except BaseException:
            connection.close()
            engine.dispose()
            raise
        return cls(engine, connection)

    def check(self) -> bool:
        """Whether the lock's session is alive; after a lost session, take the lock again if free."""
        if self._connection is not None:
            try:
                self._connection.execute(text("SELECT 1"))
                return True
            except SQLAlchemyError as exc:
                log.error("the worker lock's database session was lost: %s", exc)
                self.release()
        try:
            retaken = AdvisoryLock.acquire(self._engine)
        except WorkerAlreadyRunning as exc:
            log.error("%s", exc)
            return False
        except SQLAlchemyError as exc:
            log.error("cannot take the worker lock again: %s", exc)
            return False
        self._engine, self._connection = retaken._engine, retaken._connection
        return True

    def release(self) -> None:
        """End the lock's session (the server releases the lock with it)."""
        if self._connection is not None:
            try:
                self._connection.close()
            except SQLAlchemyError:
                pass  # the session is gone already, and the lock with it
            self._connection = None
        self._engine.dispose()


def _advisory_holder(connection: Connection) -> Holder:
    """Who holds the worker's advisory lock in this database (read from ``pg_locks``)."""
    row = connection.execute(
        text(
            "SELECT a.pid, a.application_name, a.backend_start FROM pg_locks l "
            "JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
            "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
            "AND l.classid::bigint = :high AND l.objid::bigint = :low"
        ),
        {"high": ADVISORY_KEY >> 32, "low": ADVISORY_KEY & 0xFFFF_FFFF},
    ).first()
    if row is None:
        return Holder()  # released in the meantime: the next start will get it
    backend_pid, application_name, since = row
    match = _APPLICATION_NAME.fullmatch(application_name or "")
    if match is None:
        return Holder(since=since, backend_pid=backend_pid)
    return Holder(pid=int(match["pid"]), host=match["host"], since=since, backend_pid=backend_pid)
