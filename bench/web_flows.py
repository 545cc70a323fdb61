"""Web respondent flows per second under gunicorn, on PostgreSQL and SQLite, beside a bare-insert ceiling.

Run: ``.venv/bin/python bench/web_flows.py`` (``--backends sqlite,postgresql --levels 1,8,32
--seconds 10``; ``--write`` also updates the "Web respondent flows" section of ``bench/RESULTS.md``).

The run first copies the app's code to a temporary folder, so that edits others make to the work
tree during the run do not change what is measured. Each backend gets a fresh database (a SQLite
file in the temporary folder, a new PostgreSQL database ``survey_bench_<pid>``), migrated with
``survey_app.schema.upgrade``, holding one 3-page questionnaire version (``bench/_flow.py``: five
5-point ratings; NPS + comment; a 3-option multiple choice, all required), and per level one open
survey with enough personal links for every flow.

A *flow* is one respondent: GET ``/s/<token>``, then three page POSTs, each sending back the
``csrf_token`` and ``_step`` of the page it answers; the last must show the thank-you text.
Simulated respondents (``bench/_load.py``) are threads with one keep-alive connection each, spread
over two client processes, with no think time. Each level runs for ``--seconds``; flows running
at the deadline are finished; the stored complete interviews of the level's survey must equal the
completed flows.

The ceiling (``bench/_ceiling_app.py``) is one Flask endpoint that inserts one row per request with
SQLAlchemy Core, on the same database and engine settings, under the same gunicorn settings,
driven by the same load generator at each level right before the app: ceiling flows/s = req/s ÷ 4.
The app's share of the ceiling, measured minutes apart on the same machine, is the figure to
compare between runs; absolute figures move with whatever else the machine runs.

Queries per respondent request are counted in one process with Flask's test client and
SQLAlchemy events (``before_cursor_execute``, ``commit``, pool ``checkout``).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import shutil
import signal
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from _flow import DOCUMENT, REQUEST_KINDS, page_form, parse_page  # noqa: E402
from _load import client_process  # noqa: E402
from _report import (  # noqa: E402
    LevelResult,
    detail_table,
    goal_line,
    progress_line,
    queries_table,
    results_table,
)
from _servers import (  # noqa: E402
    SECRET_KEY,
    add_survey,
    cpu_by_pid,
    cpu_delta,
    database,
    database_pids,
    gunicorn,
    log_problems,
    machine_busy,
    process_tree,
    publish,
    snapshot_code,
    stored_completes,
    stored_hits,
    wait_for_quiet,
)

SECTION = "Web respondent flows"
DEFAULT_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
#: gunicorn settings for both the survey app and the ceiling: one worker per core of this 2-core
#: machine, each with threads to overlap database round trips. Trials at 32 concurrent on
#: PostgreSQL gave the app a larger share of the ceiling with 2 × 8 than with 4 × 4 or 3 × 4.
DEFAULT_WORKERS = 2
DEFAULT_THREADS = 8
#: Personal links seeded per level: more than any flow rate this machine can reach, times --seconds.
MAX_FLOWS_PER_SECOND = 400
QUERY_FLOWS = 5


def count_queries(database_url: str, tokens: list[str], workdir: Path) -> dict[str, Counter[str]]:
    """Statements, commits and pool checkouts per respondent request, over ``tokens[1:]`` flows."""
    from urllib.parse import urlencode

    from sqlalchemy import event

    from survey_app import create_app
    from survey_app.db import get_engine

    app = create_app(
        {"DATABASE_URL": database_url, "SECRET_KEY": SECRET_KEY, "SURVEY_INSTANCE_PATH": str(workdir / "qc")}
    )
    engine = get_engine(app)
    current: Counter[str] = Counter()

    @event.listens_for(engine, "before_cursor_execute")
    def _statement(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        current[statement.lstrip().split(None, 1)[0].upper()] += 1

    @event.listens_for(engine, "commit")
    def _commit(conn: Any) -> None:
        current["COMMIT"] += 1

    @event.listens_for(engine, "checkout")
    def _checkout(*args: Any) -> None:
        current["checkout"] += 1

    totals: dict[str, Counter[str]] = {kind: Counter() for kind in REQUEST_KINDS}
    rng = random.Random(7)
    app.test_client().get(f"/s/{tokens[0]}")  # the process's first request: schema check, parse
    for token in tokens[1:]:
        client = app.test_client()  # a new browser: its own session cookie
        current.clear()
        body = client.get(f"/s/{token}").get_data(as_text=True)
        totals[REQUEST_KINDS[0]].update(current)
        for number in range(3):
            current.clear()
            response = client.post(
                f"/s/{token}",
                data=urlencode(page_form(body, number, rng)),
                content_type="application/x-www-form-urlencoded",
            )
            body = response.get_data(as_text=True)
            totals[REQUEST_KINDS[number + 1]].update(current)
        if not parse_page(body).thank_you:
            raise RuntimeError("the query-count flow did not complete")
    engine.dispose()
    return totals


def run_level(
    *,
    backend: str,
    database_url: str,
    target: str,
    server: tuple[int, int, Path],
    concurrency: int,
    seconds: float,
    tokens: list[str] | None,
    client_procs: int,
    stored: Callable[[], int],
    client: Callable[..., None] = client_process,
) -> LevelResult:
    """Drive ``concurrency`` simulated respondents for ``seconds``; return what was measured.

    ``tokens`` (links, or whatever ``client`` works through) are dealt out to the client processes;
    ``client`` is the entry point of each spawned client process (the fieldwork bench passes its
    signed-SMS client).
    """
    port, server_pid, log_path = server
    procs = max(1, min(client_procs, concurrency))
    threads = [concurrency // procs + (1 if i < concurrency % procs else 0) for i in range(procs)]
    context = mp.get_context("spawn")
    barrier = context.Barrier(procs + 1)
    results = context.Queue()
    chunks = [tokens[i::procs] if tokens is not None else None for i in range(procs)]
    children = [
        context.Process(
            target=client,
            args=(target, port, chunks[i], threads[i], seconds, i + 1, barrier, results),
            daemon=True,
        )
        for i in range(procs)
    ]
    for child in children:
        child.start()
    log_offset = log_path.stat().st_size
    try:
        db_pids = database_pids(database_url)
        barrier.wait(timeout=60)
        server_cpu0, db_cpu0, busy = cpu_by_pid(process_tree(server_pid)), cpu_by_pid(db_pids), machine_busy()
        reports = [results.get(timeout=seconds + 120) for _ in children]
        server_cpu = cpu_delta(server_cpu0, cpu_by_pid(process_tree(server_pid)))
        db_cpu = cpu_delta(db_cpu0, cpu_by_pid(sorted(set(db_pids) | set(database_pids(database_url)))))
        busy_end = machine_busy()
    finally:
        for child in children:
            child.join(timeout=10)
            if child.is_alive():
                child.kill()
    latencies = [lat for report in reports for lat in report["latencies"]]
    errors: Counter[str] = Counter()
    for report in reports:
        errors.update(report["errors"])
    by_kind: dict[int, list[float]] = {}
    for kind, value in latencies:
        by_kind.setdefault(kind, []).append(value * 1000)
    requests = len(latencies)
    per = 1000 / requests if requests else 0.0
    client_cpu = sum(r["cpu"] for r in reports)
    ticks = os.sysconf("SC_CLK_TCK")
    capacity = max(1, busy_end[1] - busy[1]) / ticks  # CPU seconds all cores could have given
    other = (busy_end[0] - busy[0]) / ticks - (server_cpu + db_cpu + client_cpu)
    return LevelResult(
        backend=backend,
        target=target,
        concurrency=concurrency,
        elapsed=max(r["end"] for r in reports) - min(r["start"] for r in reports),
        flows=sum(r["flows"] for r in reports),
        requests=requests,
        errors=dict(errors),
        latencies_ms=[value * 1000 for _kind, value in latencies],
        by_kind_ms=by_kind,
        reconnects=sum(r["reconnects"] for r in reports),
        exhausted=any(r["exhausted"] for r in reports),
        stored=stored(),
        cpu={
            "server_ms_per_request": server_cpu * per,
            "db_ms_per_request": db_cpu * per,
            "client_ms_per_request": client_cpu * per,
            "machine_busy": (busy_end[0] - busy[0]) / ticks / capacity,
            # Everything else the machine did (other users' processes, the kernel's own threads).
            "other_share": max(0.0, other) / capacity,
        },
        log=dict(log_problems(log_path, log_offset)),
    )


def bench_backend(
    backend: str, args: argparse.Namespace, src: Path, workdir: Path
) -> tuple[list[LevelResult], dict[str, Counter[str]]]:
    """Ceiling and survey app level by level; a level is measured again while others load the CPU."""
    from _ceiling_app import ensure_table

    from survey_app.db import build_engine

    results: list[LevelResult] = []
    with database(backend, args.postgres_url, workdir) as url:
        version_id = publish(url, DOCUMENT)
        _survey, query_tokens = add_survey(url, version_id, "queries", QUERY_FLOWS + 1)
        counts = count_queries(url, query_tokens, workdir)
        engine = build_engine(url)
        ensure_table(engine)
        engine.dispose()
        print(f"{backend}: database ready", flush=True)
        settings = {"src": src, "database_url": url, "workdir": workdir}
        with (
            gunicorn("_ceiling_app:create_ceiling_app()", **settings, **args.gunicorn) as ceiling,
            gunicorn("survey_app:create_app()", **settings, **args.gunicorn) as app,
        ):
            servers = {"ceiling": ceiling, "app": app}

            def measure(target: str, level: int, seconds: float, name: str) -> LevelResult:
                if target == "app":
                    links = int(seconds * MAX_FLOWS_PER_SECOND) + 100
                    survey_id, tokens = add_survey(url, version_id, name, links)
                    stored: Callable[[], int] = lambda: stored_completes(url, survey_id)  # noqa: E731
                else:
                    hits_before = stored_hits(url)
                    tokens, stored = None, lambda: stored_hits(url) - hits_before  # noqa: E731
                return run_level(
                    backend=backend,
                    database_url=url,
                    target=target,
                    server=servers[target],
                    concurrency=level,
                    seconds=seconds,
                    tokens=tokens,
                    client_procs=args.client_procs,
                    stored=stored,
                )

            # Warm-up: every worker connects, parses the questionnaire and compiles its templates.
            for target in ("ceiling", "app"):
                measure(target, 16, 2.0, "warm-up")
            for level in args.levels:
                for target in ("ceiling", "app"):
                    attempts = []
                    for attempt in range(1, args.attempts + 1):
                        wait_for_quiet(args.max_other_load, args.quiet_wait)
                        result = measure(target, level, args.seconds, f"c{level} attempt {attempt}")
                        print(progress_line(result), flush=True)
                        attempts.append(result)
                        if result.cpu["other_share"] <= args.max_other_load or attempt == args.attempts:
                            break
                        print(f"    other processes used {result.cpu['other_share']:.0%} of the CPUs: again")
                    results.append(min(attempts, key=lambda r: r.cpu["other_share"]))
    return results, counts


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--levels", default="1,8,32")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS)
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS)
    parser.add_argument("--client-procs", type=int, default=2, help="load-generator processes")
    parser.add_argument(
        "--max-other-load",
        type=float,
        default=0.10,
        help="share of the CPUs other processes may use during a level before it is measured again",
    )
    parser.add_argument("--attempts", type=int, default=3, help="tries per level while other load is high")
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=120.0,
        help="seconds to wait at most for a quiet machine per level",
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("SURVEY_BENCH_POSTGRES_URL", DEFAULT_ADMIN_URL),
        help="a database to connect to for CREATE/DROP DATABASE",
    )
    parser.add_argument(
        "--code",
        type=Path,
        default=None,
        help="measure the app's packages copied from this folder instead of this work tree (before/after)",
    )
    parser.add_argument("--write", action="store_true", help=f"update the {SECTION!r} section of RESULTS.md")
    args = parser.parse_args(argv)
    args.backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = set(args.backends) - {"sqlite", "postgresql"}
    if unknown:
        parser.error(f"unknown backends: {', '.join(sorted(unknown))}")
    args.levels = [int(v) for v in args.levels.split(",")]
    args.gunicorn = {"workers": args.workers, "threads": args.threads}
    return args


def report(args: argparse.Namespace, results: list[LevelResult], counts: dict[str, Any]) -> str:
    """The Markdown of the RESULTS.md section."""
    load = " / ".join(f"{v:.2f}" for v in os.getloadavg())
    settings = (
        f"gunicorn `-w {args.workers} --worker-class gthread --threads {args.threads}` for both servers; "
        f"{os.cpu_count()} CPUs shared by server, database and load generator ({args.client_procs} client "
        f"processes, one keep-alive connection per simulated respondent, no think time); "
        f"{args.seconds:g} s per level; load average at the end of the run {load} (1 / 5 / 15 min)."
    )
    return "\n\n".join(
        [
            settings,
            results_table(results),
            goal_line(results),
            "Latency (ms) per request kind, and CPU per request (server = gunicorn workers; DB = the "
            "PostgreSQL backends of the bench database and its background writers; other load = CPU "
            "used by everything else on the machine during the level):",
            detail_table(results),
            f"Statements per respondent request (Flask test client, one process, mean of {QUERY_FLOWS} "
            "flows; on PostgreSQL `pool_pre_ping` also sends one ping per checkout, not counted here):",
            queries_table(counts, QUERY_FLOWS),
        ]
    )


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark; print the report; with ``--write`` store it in RESULTS.md."""
    args = parse_args(argv)

    def _terminate(signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, _terminate)
    workdir = Path(tempfile.mkdtemp(prefix="survey_bench_"))
    results: list[LevelResult] = []
    counts: dict[str, dict[str, Counter[str]]] = {}
    try:
        src = snapshot_code(workdir, args.code) if args.code else snapshot_code(workdir)
        sys.path.insert(0, str(src))  # before the first import of survey_app
        for backend in args.backends:
            backend_results, counts[backend] = bench_backend(backend, args, src, workdir)
            results += backend_results
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    text = report(args, results, counts)
    print()
    print(text)
    if args.write:
        from engine_steps import write_section

        write_section(SECTION, (__doc__ or "").splitlines()[0], text)


if __name__ == "__main__":
    main()
