"""The inbound levels of ``bench/fieldwork_wave.py``: the bare endpoint and the webhook under gunicorn.

Shaped like ``bench/web_flows.py``'s ``run_level``, with the signed-SMS client processes of
``bench/_fw_inbound.py``; each level of the webhook gets a new survey whose cases each have an
SMS interview waiting for its first answer, on phone numbers no earlier level used.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
from collections import Counter
from pathlib import Path
from typing import Any

import _fw_setup as setup
from _fw_inbound import client_entry
from _report import LevelResult
from _servers import (
    SECRET_KEY,
    cpu_by_pid,
    cpu_delta,
    database_pids,
    gunicorn,
    log_problems,
    machine_busy,
    process_tree,
)

#: Replies per second no target exceeds on this machine: sizes the phones seeded per level.
MAX_REPLIES_PER_SECOND = {"sms": 400, "bare": 5000}


def run_inbound_level(
    backend: str,
    url: str,
    target: str,
    server: tuple[int, int, Path],
    concurrency: int,
    seconds: float,
    phones: list[str],
    client_procs: int,
    stored: Any,
) -> LevelResult:
    """Drive ``concurrency`` texting respondents at one server for ``seconds``.

    The shape of ``web_flows.run_level``: spawned client processes, a barrier, CPU of the server,
    the database and everything else on the machine measured around the level.
    """
    port, server_pid, log_path = server
    procs = max(1, min(client_procs, concurrency))
    threads = [concurrency // procs + (1 if i < concurrency % procs else 0) for i in range(procs)]
    context = mp.get_context("spawn")
    barrier, results = context.Barrier(procs + 1), context.Queue()
    children = [
        context.Process(
            target=client_entry,
            args=(target, port, phones[i::procs], threads[i], seconds, i + 1, barrier, results),
            daemon=True,
        )
        for i in range(procs)
    ]
    for child in children:
        child.start()
    offset = log_path.stat().st_size
    try:
        db_pids = database_pids(url)
        barrier.wait(timeout=60)
        server0, db0, busy0 = cpu_by_pid(process_tree(server_pid)), cpu_by_pid(db_pids), machine_busy()
        reports = [results.get(timeout=seconds + 120) for _ in children]
        server_cpu = cpu_delta(server0, cpu_by_pid(process_tree(server_pid)))
        db_cpu = cpu_delta(db0, cpu_by_pid(db_pids))
        busy1 = machine_busy()
    finally:
        for child in children:
            child.join(timeout=10)
            if child.is_alive():
                child.kill()
    latencies = [lat for report in reports for lat in report["latencies"]]
    errors: Counter[str] = Counter()
    for report in reports:
        errors.update(report["errors"])
    requests = len(latencies)
    per = 1000 / requests if requests else 0.0
    client_cpu = sum(r["cpu"] for r in reports)
    ticks = os.sysconf("SC_CLK_TCK")
    capacity = max(1, busy1[1] - busy0[1]) / ticks
    other = (busy1[0] - busy0[0]) / ticks - (server_cpu + db_cpu + client_cpu)
    return LevelResult(
        backend=backend,
        target=target,
        concurrency=concurrency,
        elapsed=max(r["end"] for r in reports) - min(r["start"] for r in reports),
        flows=sum(r["flows"] for r in reports),
        requests=requests,
        errors=dict(errors),
        latencies_ms=[v * 1000 for _k, v in latencies],
        by_kind_ms={},
        reconnects=sum(r["reconnects"] for r in reports),
        exhausted=any(r["exhausted"] for r in reports),
        stored=stored(),
        cpu={
            "server_ms_per_request": server_cpu * per,
            "db_ms_per_request": db_cpu * per,
            "other_share": max(0.0, other) / capacity,
        },
        log=dict(log_problems(log_path, offset)),
    )


def bench_inbound(
    backend: str, url: str, version_id: int, args: argparse.Namespace, src: Path, workdir: Path
) -> list[LevelResult]:
    """Bare endpoint and webhook, level by level (the bare one first at each level)."""
    from survey_app.db import build_engine

    engine = build_engine(url)

    def phones_for(target: str, level_seconds: float, name: str) -> tuple[list[str], Any]:
        needed = int(level_seconds * MAX_REPLIES_PER_SECOND[target] / args.turns) + 50
        if target == "bare":
            return [setup.phone(99, n) for n in range(needed)], lambda: 0
        survey = setup.new_survey(engine, version_id, f"inbound {name}", setup.SEND_PLAN, launch=False)
        prefixes.append(90 + len(prefixes))  # fresh numbers: an unfinished earlier interview must not answer
        pairs = setup.add_cases(engine, survey, needed, phone_prefix=prefixes[-1], zones=(None,))
        setup.add_sms_interviews(engine, survey, version_id, pairs)
        sql = "SELECT count(*) FROM interviews WHERE survey_id = :s AND completed_at IS NOT NULL"
        return [p for _c, p in pairs], lambda: setup.count(engine, sql, s=survey)

    results: list[LevelResult] = []
    prefixes: list[int] = []
    settings = {"src": src, "database_url": url, "workdir": workdir, **args.gunicorn}
    with (
        gunicorn("_fw_inbound:create_bare_app()", **settings) as bare,
        gunicorn("survey_app:create_app()", **settings) as app,
    ):
        servers = {"bare": bare, "sms": app}
        for target in ("bare", "sms"):  # warm-up: every worker connects and loads the questionnaire
            phones, stored = phones_for(target, 2.0, "warm-up")
            run_inbound_level(
                backend, url, target, servers[target], 8, 2.0, phones, args.client_procs, stored
            )
        for level in args.levels:
            for target in ("bare", "sms"):
                phones, stored = phones_for(target, args.seconds, f"c{level}")
                result = run_inbound_level(
                    backend,
                    url,
                    target,
                    servers[target],
                    level,
                    args.seconds,
                    phones,
                    args.client_procs,
                    stored,
                )
                print(
                    f"  {target:4} c={level:<3} {result.requests_per_s:7.1f} replies/s  p50 "
                    f"{result.percentile(0.5):.1f} p99 {result.percentile(0.99):.1f} ms  "
                    f"errors {result.errors} "
                    f"stored {result.stored}/{result.flows} log {list(result.log)[:2]}",
                    flush=True,
                )
                results.append(result)
    engine.dispose()
    return results


def profile_webhook(
    url: str, version_id: int, turns: int, workdir: Path, respondents: int = 40
) -> dict[str, Any]:
    """The webhook in one process (Flask test client) under cProfile: time by layer, statements/request."""
    import cProfile
    import pstats
    import random
    import time

    from _fw_inbound import WEBHOOK_PATH, SignedClient, signed_body
    from _fw_report import classify
    from _fw_send import statement_timer

    from survey_app import create_app
    from survey_app.db import build_engine, get_engine
    from survey_app.fieldwork.conversation import handle_inbound_sms  # noqa: F401  (imported before timing)

    engine = build_engine(url)
    survey = setup.new_survey(engine, version_id, "profiled inbound", setup.SEND_PLAN, launch=False)
    pairs = setup.add_cases(engine, survey, respondents + 1, phone_prefix=89, zones=(None,))
    setup.add_sms_interviews(engine, survey, version_id, pairs)
    engine.dispose()
    app = create_app(
        {"DATABASE_URL": url, "SECRET_KEY": SECRET_KEY, "SURVEY_INSTANCE_PATH": str(workdir / "profile")}
    )
    client, signer, rng = app.test_client(), SignedClient(0), random.Random(5)

    def reply(phone: str) -> None:
        body = signed_body(signer, phone, str(rng.randint(1, 5)))
        response = client.post(
            WEBHOOK_PATH,
            data=body,
            content_type="application/x-www-form-urlencoded",
            headers={"X-Twilio-Signature": signer.signature},
        )
        if response.status_code != 200 or b"<Message>" not in response.data:
            raise RuntimeError(f"webhook answered {response.status_code}: {response.data[:200]!r}")

    reply(pairs[0][1])  # the process's first request: schema check, questionnaire parse
    stats, profiler = statement_timer(get_engine(app)), cProfile.Profile()
    stats.clear()
    start = time.perf_counter()
    profiler.enable()
    for _case, phone in pairs[1:]:
        for _turn in range(turns):
            reply(phone)
    profiler.disable()
    requests = respondents * turns
    return {
        "requests": requests,
        "ms_per_request": 1000 * (time.perf_counter() - start) / requests,
        "statements": {k: (n / requests, 1000 * t / requests) for k, (n, t) in stats.items()},
        "layers": classify(pstats.Stats(profiler)),
    }
