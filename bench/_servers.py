"""Servers, databases and CPU accounting for ``bench/web_flows.py``.

Everything runs on this machine: gunicorn listens on 127.0.0.1, PostgreSQL is the local server,
and every process started here is stopped by its PID when its ``with`` block ends.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
SECRET_KEY = "bench-secret-key-not-for-production-0123456789"
#: The packages the app imports from the work tree, and its migrations.
CODE = ("survey_app", "questionnaires", "channels", "migrations")


def snapshot_code(workdir: Path, root: Path = ROOT) -> Path:
    """Copy the app's code (from ``root``: default, this work tree) to ``workdir/src``; return that folder.

    A run takes minutes; other people may edit the work tree meanwhile (a new migration would
    make every worker refuse to serve the database migrated at the start). The servers and the
    driver all import this copy, so the whole run measures one version of the code.
    """
    src = workdir / "src"
    for name in CODE:
        shutil.copytree(root / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return src


# --- gunicorn -------------------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def gunicorn(
    app: str, *, src: Path, database_url: str, workdir: Path, workers: int, threads: int
) -> Iterator[tuple[int, int, Path]]:
    """Start gunicorn on a free port; yield (port, master pid, log file); stop it by its PID at the end."""
    port = free_port()
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        app,
        "--pythonpath",
        f"{src},{BENCH}",
        "-b",
        f"127.0.0.1:{port}",
        "-w",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(threads),
        "--no-control-socket",  # its default path under ~ would be shared by both servers
    ]
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY", "FLASK_DEBUG")},
        "DATABASE_URL": database_url,
        "SECRET_KEY": SECRET_KEY,
        "SURVEY_INSTANCE_PATH": str(workdir / "instance"),
    }
    log_path = workdir / f"gunicorn-{port}.log"
    with log_path.open("wb") as log:
        # Own session: a Ctrl-C in the terminal reaches the driver, which stops gunicorn itself.
        process = subprocess.Popen(
            command, cwd=src, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{log_path.read_text()}")
                with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn did not listen on {port} within 60 s")
                time.sleep(0.1)
            yield port, process.pid, log_path
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


_LOG_NOISE = re.compile(r"^\[[^]]+\] \[\d+\] \[INFO\]|^\s")


def log_problems(log_path: Path, offset: int) -> Counter[str]:
    """The distinct non-INFO lines gunicorn (and the app) logged after byte ``offset``, counted."""
    with log_path.open("rb") as log:
        log.seek(offset)
        lines = log.read().decode("utf-8", "replace").splitlines()
    return Counter(line[:200] for line in lines if line.strip() and not _LOG_NOISE.match(line))


# --- databases --------------------------------------------------------------------------------


@contextlib.contextmanager
def database(backend: str, admin_url: str, workdir: Path) -> Iterator[str]:
    """A fresh, empty database for ``backend``; dropped (or deleted with ``workdir``) afterwards."""
    if backend == "sqlite":
        from survey_app.config import sqlite_url

        yield sqlite_url(workdir / "bench.db")
        return
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    name = f"survey_bench_{os.getpid()}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def publish(database_url: str, document: dict[str, Any]) -> int:
    """Migrate the empty database, store ``document`` as a published version; return the version id."""
    from sqlmodel import Session

    from survey_app import schema
    from survey_app.db import build_engine
    from survey_app.designs.models import QuestionnaireRecord, QuestionnaireVersion

    engine = build_engine(database_url)
    try:
        schema.upgrade(engine)
        with Session(engine, expire_on_commit=False) as session:
            record = QuestionnaireRecord(
                key=document["id"], title="Bench", stakeholder_group="end_customer", draft=document
            )
            session.add(record)
            session.flush()
            version = QuestionnaireVersion(questionnaire_id=record.id, number=1, document=document)
            session.add(version)
            session.commit()
            return int(version.id)  # type: ignore[arg-type]
    finally:
        engine.dispose()


def add_survey(database_url: str, version_id: int, name: str, links: int) -> tuple[int, list[str]]:
    """An open survey of the version with ``links`` personal links; return its id and the tokens."""
    import sqlalchemy as sa
    from sqlmodel import Session

    from survey_app.db import build_engine
    from survey_app.surveys.models import Case, Survey
    from survey_app.surveys.tokens import new_token, token_hash

    engine = build_engine(database_url)
    try:
        with Session(engine, expire_on_commit=False) as session:
            survey = Survey(
                name=f"Bench {name}",
                version_id=version_id,
                stakeholder_group="end_customer",
                languages=["en"],
                default_language="en",
            )
            session.add(survey)
            session.commit()
            survey_id = int(survey.id)  # type: ignore[arg-type]
        tokens = [new_token() for _ in range(links)]
        now = dt.datetime.now(dt.UTC)
        # Only the columns a link needs (fast bulk insert): the rest keep their server defaults.
        model = Case.__table__.c  # type: ignore[attr-defined]
        cases = sa.table(
            "cases",
            *(sa.column(n, model[n].type) for n in ("survey_id", "token_hash", "context", "created_at")),
        )
        with engine.begin() as connection:
            connection.execute(
                sa.insert(cases),
                [
                    {"survey_id": survey_id, "token_hash": token_hash(t), "context": {}, "created_at": now}
                    for t in tokens
                ],
            )
        return survey_id, tokens
    finally:
        engine.dispose()


def scalar(database_url: str, sql: str, **params: Any) -> int:
    """One integer from the database (counts of what the servers stored)."""
    import sqlalchemy as sa

    engine = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            return int(connection.execute(sa.text(sql), params).scalar_one())
    finally:
        engine.dispose()


def stored_completes(database_url: str, survey_id: int) -> int:
    """Complete interviews of a survey, as stored."""
    return scalar(
        database_url,
        "SELECT count(*) FROM interviews WHERE survey_id = :s AND status = 'complete' "
        "AND completed_at IS NOT NULL",
        s=survey_id,
    )


def stored_hits(database_url: str) -> int:
    """Rows the ceiling app inserted so far."""
    return scalar(database_url, "SELECT count(*) FROM bench_ceiling_hits")


# --- CPU accounting (Linux /proc) -------------------------------------------------------------


def cpu_by_pid(pids: list[int]) -> dict[int, float]:
    """User + system CPU seconds of each of ``pids`` still alive."""
    ticks = os.sysconf("SC_CLK_TCK")
    found = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[pid] = (int(fields[11]) + int(fields[12])) / ticks  # utime, stime (stat fields 14, 15)
    return found


def cpu_delta(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU used between two snapshots; processes born in between count from zero."""
    return sum(value - before.get(pid, 0.0) for pid, value in after.items())


def process_tree(root: int) -> list[int]:
    """``root`` and its children (gunicorn's master and workers)."""
    pids = [root]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError):
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == root:
                    pids.append(int(entry.name))
    return pids


def database_pids(database_url: str) -> list[int]:
    """PostgreSQL processes working for the benchmark: its database's backends and the background
    writers (WAL, checkpoints); other databases' backends (other users of the server) are left out."""
    if not database_url.startswith("postgresql"):
        return []  # SQLite runs inside the server processes
    import sqlalchemy as sa

    engine = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text(
                    "SELECT pid FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
                    "AND (datname = current_database() OR backend_type <> 'client backend')"
                )
            )
            return [int(pid) for (pid,) in rows]
    finally:
        engine.dispose()


def machine_busy() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs so far."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def wait_for_quiet(threshold: float, max_wait: float = 120.0) -> float:
    """Wait (up to ``max_wait`` s) until the machine is less than ``threshold`` busy for 2 s in a row.

    Our own servers idle between levels, so what keeps the machine busy is someone else's work
    (a test run on the same machine); measuring during it would not measure the survey app.
    Returns the busy share of the last second.
    """
    deadline, quiet, busy = time.monotonic() + max_wait, 0, 1.0
    while time.monotonic() < deadline:
        start = machine_busy()
        time.sleep(1.0)
        end = machine_busy()
        busy = (end[0] - start[0]) / max(1, end[1] - start[1])
        quiet = quiet + 1 if busy < threshold else 0
        if quiet >= 2:
            break
    return busy
