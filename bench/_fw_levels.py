"""The inbound levels of ``bench/fieldwork_wave.py``: the bare endpoint and the webhook under gunicorn.

Shaped like ``bench/web_flows.py``'s ``run_level``, with the signed-SMS client processes of
``bench/_fw_inbound.py``; each level of the webhook gets a new survey whose cases each have an
SMS interview waiting for its first answer, on phone numbers no earlier level used.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import _fw_setup as setup
from _fw_inbound import client_entry
from _report import LevelResult
from _servers import (
    SECRET_KEY,
    gunicorn,
)
from web_flows import run_level

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

    The web bench's level runner (spawned clients, a barrier, CPU of the server, the database and
    the rest of the machine measured around the level) with the signed-SMS client.
    """
    return run_level(
        backend=backend,
        database_url=url,
        target=target,
        server=server,
        concurrency=concurrency,
        seconds=seconds,
        tokens=phones,
        client_procs=client_procs,
        stored=stored,
        client=client_entry,
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
