"""One worker per database: a second ``survey worker`` is refused, a dead one (even SIGKILLed) frees the lock.

The lock is a PostgreSQL advisory lock on a dedicated session, or an ``flock`` on a file beside
the SQLite database; both are released by the server or the kernel when the process dies.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from survey_app.cli import worker_command
from survey_app.db import get_engine
from survey_app.scheduling import runner
from survey_app.scheduling.jobs import JobSpec
from survey_app.scheduling.lock import (
    ADVISORY_KEY,
    WorkerAlreadyRunning,
    WorkerLock,
    acquire_worker_lock,
    lock_file_of,
)
from survey_app.scheduling.runner import WorkerError, run_worker

SURVEY = Path(sys.executable).with_name("survey")
HOST = socket.gethostname()


def start_worker(database_url: str, tmp_path: Path, log_name: str) -> subprocess.Popen[bytes]:
    env = {
        **{
            k: v for k, v in os.environ.items() if not k.startswith("SURVEY_") or k.startswith("SURVEY_TEST_")
        },
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "SURVEY_INSTANCE_PATH": str(tmp_path / "worker-instance"),
    }
    log = (tmp_path / log_name).open("wb")
    return subprocess.Popen([str(SURVEY), "worker"], env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_for(condition: Callable[[], object], what: str, tmp_path: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            logs = "\n".join(
                p.read_text(errors="replace")[-3000:] for p in sorted(tmp_path.glob("worker-*.log"))
            )
            raise AssertionError(f"timed out waiting for {what}\n{logs}")
        time.sleep(0.05)


def started(tmp_path: Path, log_name: str) -> Callable[[], bool]:
    """Whether the worker logged its start (it holds the lock from before that line)."""
    return lambda: "worker started with jobs" in (tmp_path / log_name).read_text(errors="replace")


def try_lock(app) -> WorkerLock | None:
    try:
        return acquire_worker_lock(get_engine(app))
    except WorkerAlreadyRunning:
        return None


def test_a_second_worker_is_refused_and_a_killed_one_leaves_no_lock_behind(app, database_url, tmp_path):
    first = start_worker(database_url, tmp_path, "worker-1.log")
    second: subprocess.Popen[bytes] | None = None
    try:
        wait_for(started(tmp_path, "worker-1.log"), "the first worker to start", tmp_path)
        refused = app.test_cli_runner().invoke(worker_command)
        assert refused.exit_code == 1
        assert "a worker is already running on" in refused.output
        assert f"pid {first.pid} on {HOST}" in refused.output
        assert "run exactly one `survey worker` per database" in refused.output
        assert f"kill {first.pid}" in refused.output

        first.send_signal(signal.SIGKILL)
        assert first.wait(timeout=30) == -signal.SIGKILL
        # The kernel closes the killed process's files and sockets: the lock is free again (on
        # PostgreSQL once the server has seen the connection close, hence the wait).
        second = start_worker(database_url, tmp_path, "worker-2.log")
        wait_for(started(tmp_path, "worker-2.log"), "a new worker to take over", tmp_path)
        refused = app.test_cli_runner().invoke(worker_command)
        assert refused.exit_code == 1
        assert f"pid {second.pid} on {HOST}" in refused.output

        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=30) == 0
        lock = try_lock(app)
        assert lock is not None, "a worker that stopped normally kept its lock"
        lock.release()
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait()


def test_the_lock_is_held_until_released(app) -> None:
    engine = get_engine(app)
    lock = acquire_worker_lock(engine)
    try:
        with pytest.raises(WorkerAlreadyRunning) as refused:
            acquire_worker_lock(engine)
        message = str(refused.value)
        assert f"a worker is already running on {_database_of(engine)}" in message
        assert f"pid {os.getpid()} on {HOST}, since " in message
        assert lock.check()
    finally:
        lock.release()
    lock.release()  # twice is harmless
    again = acquire_worker_lock(engine)
    again.release()


def _database_of(engine: sa.Engine) -> str:
    if engine.url.get_backend_name() == "sqlite":
        return str(Path(str(engine.url.database)).resolve())
    return engine.url.render_as_string(hide_password=True)


def test_a_lost_lock_is_taken_again_when_free_and_reported_when_not(app) -> None:
    """A PostgreSQL restart (or idle timeout) ends the lock's session; someone deletes the lock file."""
    engine = get_engine(app)
    lock = acquire_worker_lock(engine)
    other: WorkerLock | None = None
    try:
        _lose(engine)
        # Nobody took it in between: the worker takes it again.
        assert lock.check()
        assert try_lock(app) is None

        _lose(engine)
        other = acquire_worker_lock(engine)  # another worker was quicker
        assert not lock.check()
    finally:
        lock.release()
        if other is not None:
            other.release()
    assert (free := try_lock(app)) is not None, "released locks are free"
    free.release()


def _lose(engine: sa.Engine) -> None:
    if engine.url.get_backend_name() == "sqlite":
        lock_file_of(Path(str(engine.url.database))).unlink()
        return
    with engine.connect() as connection:
        ended = connection.execute(
            sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' "
                "AND granted AND classid::bigint = :high AND objid::bigint = :low"
            ),
            {"high": ADVISORY_KEY >> 32, "low": ADVISORY_KEY & 0xFFFF_FFFF},
        ).all()
        assert ended == [(True,)]
        # pg_terminate_backend only signals: wait until the session (and its lock) is gone.
        deadline = time.monotonic() + 30
        while (
            time.monotonic() < deadline
            and connection.execute(
                sa.text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")
            ).scalar_one()
        ):
            time.sleep(0.02)


@pytest.mark.postgresql_only("the hint names the server session holding the advisory lock")
def test_on_postgresql_the_refusal_names_the_session_to_end_if_the_worker_is_gone(app) -> None:
    engine = get_engine(app)
    lock = acquire_worker_lock(engine)
    try:
        with engine.connect() as connection:
            backend_pid = connection.execute(
                sa.text("SELECT pid FROM pg_stat_activity WHERE application_name = :name"),
                {"name": f"survey worker {os.getpid()}@{HOST}"[:63]},
            ).scalar_one()
        with pytest.raises(WorkerAlreadyRunning) as refused:
            acquire_worker_lock(engine)
        assert f"end the session: SELECT pg_terminate_backend({backend_pid});" in str(refused.value)
    finally:
        lock.release()


def noop() -> None:
    """A job that does nothing."""


class LostLock:
    def __init__(self) -> None:
        self.released = False

    def check(self) -> bool:
        return False

    def release(self) -> None:
        self.released = True


def test_a_worker_that_loses_its_lock_stops_with_an_error(app, monkeypatch) -> None:
    lost = LostLock()
    monkeypatch.setattr(runner, "acquire_worker_lock", lambda engine: lost)
    monkeypatch.setattr(runner, "LOCK_CHECK_SECONDS", 0.01)
    # Nothing runs on the test database meanwhile.
    monkeypatch.setattr(runner, "JOBS", (JobSpec("noop", f"{__name__}:noop", seconds=3600),))
    monkeypatch.setattr(runner.signal, "signal", lambda signum, handler: None)  # keep pytest's
    with pytest.raises(WorkerError, match="the worker lost its database lock .* so it stopped"):
        run_worker(app)
    assert lost.released
    # Stopped for good: jobs run later in this process (other tests, CLI commands) are not told to stop.
    assert not runner.STOPPING.is_set()
