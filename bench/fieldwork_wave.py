"""Fieldwork delivery: scheduling a 100k wave, the sustained send rate, and inbound SMS replies per second.

Run: ``.venv/bin/python bench/fieldwork_wave.py`` (``--backends postgresql,sqlite --cases 100000``;
``--parts schedule,send,inbound``; ``--write`` also updates the "Fieldwork delivery" section of
``bench/RESULTS.md``). Like ``bench/web_flows.py`` the run works on a copy of the app's code and
on a fresh database per backend (``bench/_servers.py``), and each figure is set beside a baseline
measured in the same run, minutes apart on the same machine.

1. **Schedule.** A launched survey with a 3-step plan (e-mail invite day 0, e-mail reminder day 3,
   SMS reminder day 5; calling hours 08:00-21:00 Mon-Sat, six time zones) and ``--cases`` cases
   with delivery details (bulk Core inserts, untimed). Timed: ``fieldwork.operations.plan_waves``,
   the worker's planning job, until every case is planned (it writes on the driver, through
   ``fieldwork.bulk``: ``COPY`` and array ``UPDATE`` on PostgreSQL, DBAPI ``executemany`` on
   SQLite; the profile's statement table counts only SQLAlchemy's statements, so not those).
   Baseline: the same rows (due times, issued links) for another survey of the same size, computed
   in one loop and written with three Core statements (``_fw_setup.bulk_schedule``).
2. **Send rate** (PostgreSQL). The worker's send jobs (``fieldwork.tasks.send_email`` /
   ``send_sms``: ``fieldwork.sending``, the rate limiter, SMTP, the Twilio SDK), in one process,
   one thread per channel as the worker's scheduler runs them, against a local aiosmtpd server and
   a local HTTP server answering like Twilio's Messages create (``SURVEY_TWILIO_API_BASE_URL``;
   ``bench/_fw_send.py``). First unlimited (the capacity of the code path), then at the configured
   rates for ``--send-seconds``. Rates are measured at the provider, over the middle 90 % of
   arrivals.
3. **Inbound** (PostgreSQL). Signed SMS replies through the real webhook under gunicorn, each
   answering the current question of an SMS interview, beside a bare Flask endpoint under the same
   gunicorn settings that only validates the signature and answers TwiML (``bench/_fw_inbound.py``,
   the load generator of ``bench/_load.py``).
"""

from __future__ import annotations

import argparse
import cProfile
import math
import multiprocessing as mp
import os
import platform
import pstats
import shutil
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import _fw_setup as setup  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from _fw_inbound import PUBLIC_BASE_URL, TURNS_ENV  # noqa: E402
from _fw_levels import bench_inbound, profile_webhook  # noqa: E402
from _fw_report import ScheduleResult, SendResult, classify, section, top_functions  # noqa: E402
from _fw_send import (  # noqa: E402
    TWILIO_ACCOUNT_SID,
    TWILIO_AUTH_TOKEN,
    TWILIO_FROM,
    provider_process,
    statement_timer,
    worker_process,
)  # noqa: E402
from _report import LevelResult  # noqa: E402
from _servers import (  # noqa: E402
    SECRET_KEY,
    database,
    free_port,
    publish,
    snapshot_code,
)

SECTION = "Fieldwork delivery"
DEFAULT_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def time_plan_waves(engine: Any, version_id: int, cases: int) -> tuple[float, int]:
    """Seed a wave of ``cases`` (untimed), launch it; time ``plan_waves``; check; pause it. (s, attempts)"""
    from sqlmodel import Session

    from survey_app.db import utcnow
    from survey_app.fieldwork import operations

    wave = setup.new_survey(engine, version_id, "wave", setup.WAVE_PLAN, launch=False)
    setup.add_cases(engine, wave, cases, phone_prefix=80, zones=setup.ZONES)
    setup.launch(engine, wave)
    with Session(engine) as session:
        start = time.perf_counter()
        planned = operations.plan_waves(session, secret_key=SECRET_KEY, now=utcnow())
        seconds = time.perf_counter() - start
    setup.pause(engine, wave)
    stored = setup.count(engine, "SELECT count(*) FROM contact_attempts WHERE survey_id = :s", s=wave)
    issued = setup.count(
        engine,
        "SELECT count(*) FROM fieldwork_cases WHERE survey_id = :s AND link_issued_at IS NOT NULL",
        s=wave,
    )
    if not (planned == stored == 3 * cases and issued == cases):
        raise RuntimeError(f"plan_waves planned {planned}, stored {stored}, links {issued}")
    return seconds, stored


def time_baseline(engine: Any, version_id: int, cases: int) -> tuple[float, int, dict[str, float]]:
    """Seed another wave (untimed); time the Core baseline on it. (s, attempts, phases)"""
    baseline = setup.new_survey(engine, version_id, "baseline", setup.WAVE_PLAN, launch=False)
    setup.add_cases(engine, baseline, cases, phone_prefix=81, zones=setup.ZONES)
    start = time.perf_counter()
    written, phases = setup.bulk_schedule(engine, baseline, setup.WAVE_PLAN, SECRET_KEY)
    seconds = time.perf_counter() - start
    setup.pause(engine, baseline)  # never launched, but the send jobs only look at "paused"
    return seconds, written, phases


def bench_schedule(backend: str, url: str, version_id: int, args: argparse.Namespace) -> ScheduleResult:
    """Time ``plan_waves`` and the Core baseline, interleaved, ``--rounds`` times; profile one more wave."""
    from sqlmodel import Session

    from survey_app.db import build_engine, utcnow
    from survey_app.fieldwork import operations

    engine = build_engine(url)
    rounds: list[tuple[float, float]] = []
    for number in range(args.rounds):
        # Alternate the order, so that drift in the machine's load favours neither.
        if number % 2 == 0:
            seconds, stored = time_plan_waves(engine, version_id, args.cases)
            baseline_seconds, written, phases = time_baseline(engine, version_id, args.cases)
        else:
            baseline_seconds, written, phases = time_baseline(engine, version_id, args.cases)
            seconds, stored = time_plan_waves(engine, version_id, args.cases)
        rounds.append((seconds, baseline_seconds))
        print(
            f"{backend}: round {number + 1}: plan_waves {stored:,} attempts in {seconds:.1f} s, "
            f"baseline {written:,} in {baseline_seconds:.1f} s",
            flush=True,
        )
    seconds = statistics.median(r[0] for r in rounds)
    baseline_seconds = statistics.median(r[1] for r in rounds)
    result = ScheduleResult(backend, args.cases, stored, seconds, written, baseline_seconds, 0.0)
    result.baseline_phases, result.rounds = phases, rounds

    if args.profile and (seconds >= 10.0 or args.profile == "always"):
        profiled = setup.new_survey(engine, version_id, "profiled", setup.WAVE_PLAN, launch=False)
        setup.add_cases(engine, profiled, args.profile_cases, phone_prefix=84, zones=setup.ZONES)
        setup.launch(engine, profiled)
        profiler, stats = cProfile.Profile(), statement_timer(engine)
        with Session(engine) as session:
            start = time.perf_counter()
            profiler.runcall(operations.plan_waves, session, secret_key=SECRET_KEY, now=utcnow())
            result.profile_total = time.perf_counter() - start
        setup.pause(engine, profiled)
        profile = pstats.Stats(profiler)
        result.profile = classify(profile)
        result.statements = {k: (int(n), float(s)) for k, (n, s) in stats.items()}
        result.profile_cases = args.profile_cases
        result.top = top_functions(profile)
        print(f"{backend}: profiled run {result.profile_total:.1f} s", flush=True)
        profile.sort_stats("cumulative").print_stats(r"survey_app|orm/session|orm/unitofwork|engine/base", 25)
        profile.sort_stats("tottime").print_stats(20)
    engine.dispose()
    return result


def send_run(
    url: str, version_id: int, label: str, rates: dict[str, float], counts: dict[str, int], workdir: Path
) -> list[SendResult]:
    """Plan ``counts`` due attempts per channel in a new survey; let the worker send them at ``rates``."""
    from sqlmodel import Session

    from survey_app.db import build_engine, utcnow
    from survey_app.fieldwork import operations

    engine = build_engine(url)
    survey = setup.new_survey(engine, version_id, f"send {label}", setup.SEND_PLAN, launch=True)
    for prefix, channel in ((82, "email"), (83, "sms")):
        setup.add_cases(
            engine,
            survey,
            counts[channel],
            phone_prefix=prefix + (label != "configured") * 4,
            preferred=(channel,),
        )
    with Session(engine) as session:
        operations.plan_waves(session, secret_key=SECRET_KEY, now=utcnow())
    smtp_port, http_port = free_port(), free_port()
    environ = {
        "DATABASE_URL": url,
        "SECRET_KEY": SECRET_KEY,
        "SURVEY_INSTANCE_PATH": str(workdir / "worker"),
        "SURVEY_SMTP_HOST": "127.0.0.1",
        "SURVEY_SMTP_PORT": str(smtp_port),
        "SURVEY_SMTP_SECURITY": "none",
        "SURVEY_TWILIO_API_BASE_URL": f"http://127.0.0.1:{http_port}",
        "SURVEY_EMAIL_PER_SECOND": str(rates["email"]),
        "SURVEY_SMS_PER_SECOND": str(rates["sms"]),
    }
    context = mp.get_context("spawn")
    ready, stop, arrivals_queue, worker_queue = (
        context.Event(),
        context.Event(),
        context.Queue(),
        context.Queue(),
    )
    provider = context.Process(
        target=provider_process, args=(smtp_port, http_port, ready, stop, arrivals_queue)
    )
    provider.start()
    try:
        if not ready.wait(30):
            raise RuntimeError("the SMTP / Twilio stand-ins did not start")
        worker = context.Process(target=worker_process, args=(environ, ["email", "sms"], worker_queue))
        worker.start()
        report = worker_queue.get(timeout=3600)
        worker.join(30)
    finally:
        stop.set()
        arrivals = arrivals_queue.get(timeout=60)
        provider.join(30)
        if provider.is_alive():
            provider.kill()
    results = []
    messages = max(1, sum(len(v) for v in arrivals["times"].values()))
    statements = {k: (n / messages, 1000 * t / messages) for k, (n, t) in report["statements"].items()}
    for channel in ("email", "sms"):
        with engine.connect() as connection:
            states = connection.execute(
                sa.text(
                    "SELECT state, count(*) FROM contact_attempts WHERE survey_id = :s AND channel = :c "
                    "GROUP BY state"
                ),
                {"s": survey, "c": channel},
            ).all()
        times = arrivals["times"][channel]
        result = SendResult(
            label,
            channel,
            rates[channel],
            times,
            {str(state): int(n) for state, n in states},
            report["cpu"] * 1000 / messages,
            report["failures"].get(channel, ""),
            statements,
        )
        results.append(result)
        print(
            f"  send {label} {channel}: {len(times)} at {result.steady_rate:.1f}/s, {result.states}",
            flush=True,
        )
    engine.dispose()
    return results


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--backends", default="postgresql,sqlite", help="for the schedule part")
    parser.add_argument("--parts", default="schedule,send,inbound")
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument(
        "--profile",
        choices=("missed", "always", ""),
        default="missed",
        help="profile one more wave with cProfile when the goal is missed (or always)",
    )
    parser.add_argument("--rounds", type=int, default=3, help="timed waves per backend (medians reported)")
    parser.add_argument("--profile-cases", type=int, default=100_000, help="size of the profiled wave")
    parser.add_argument(
        "--rates",
        default="5:1,20:10",
        help="configured e-mail:SMS rates per second, one send run each (5:1 is the settings' default)",
    )
    parser.add_argument("--send-seconds", type=float, default=40.0, help="length of each configured-rate run")
    parser.add_argument("--capacity-messages", type=int, default=300, help="per channel, unlimited run")
    parser.add_argument("--turns", type=int, default=8, help="questions (SMS replies) per respondent")
    parser.add_argument("--levels", default="1,8")
    parser.add_argument("--seconds", type=float, default=10.0, help="per inbound level")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--client-procs", type=int, default=2)
    parser.add_argument(
        "--postgres-url", default=os.environ.get("SURVEY_BENCH_POSTGRES_URL", DEFAULT_ADMIN_URL)
    )
    parser.add_argument("--write", action="store_true", help=f"update the {SECTION!r} section of RESULTS.md")
    args = parser.parse_args(argv)
    args.backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    args.parts = {p.strip() for p in args.parts.split(",") if p.strip()}
    args.levels = [int(v) for v in args.levels.split(",")]
    args.rates = [tuple(float(v) for v in pair.split(":")) for pair in args.rates.split(",") if pair]
    args.gunicorn = {"workers": args.workers, "threads": args.threads}
    return args


def run(args: argparse.Namespace, src: Path, workdir: Path) -> tuple[list[Any], ...]:
    """Every part on every backend asked for; send and inbound on PostgreSQL only."""
    schedule: list[ScheduleResult] = []
    send: list[SendResult] = []
    inbound: list[LevelResult] = []
    profiles: list[dict[str, Any]] = []
    for backend in args.backends:
        with database(backend, args.postgres_url, workdir) as url:
            version_id = publish(url, setup.sms_document(args.turns))
            if "schedule" in args.parts:
                schedule.append(bench_schedule(backend, url, version_id, args))
            if backend != "postgresql":
                continue
            if "send" in args.parts:
                unlimited = {"email": 10_000.0, "sms": 10_000.0}
                counts = {"email": args.capacity_messages, "sms": args.capacity_messages}
                send += send_run(url, version_id, "unlimited", unlimited, counts, workdir)
                for email_rate, sms_rate in args.rates:
                    rates = {"email": email_rate, "sms": sms_rate}
                    counts = {c: math.ceil(r * args.send_seconds) for c, r in rates.items()}
                    send += send_run(url, version_id, "configured", rates, counts, workdir)
            if "inbound" in args.parts:
                inbound += bench_inbound(backend, url, version_id, args, src, workdir)
                profiles.append(profile_webhook(url, version_id, args.turns, workdir))
    return schedule, send, inbound, profiles


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark; print the report; with ``--write`` store it in RESULTS.md."""
    args = parse_args(argv)

    def _terminate(signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, _terminate)
    # The app's settings for the servers and the worker (gunicorn and spawned children inherit them).
    os.environ.update(
        {
            "SURVEY_PUBLIC_BASE_URL": PUBLIC_BASE_URL,
            "SURVEY_TWILIO_ACCOUNT_SID": TWILIO_ACCOUNT_SID,
            "SURVEY_TWILIO_AUTH_TOKEN": TWILIO_AUTH_TOKEN,
            "SURVEY_TWILIO_FROM_NUMBER": TWILIO_FROM,
            "SURVEY_MAIL_FROM": "Bench Survey <survey@bench.example>",
            TURNS_ENV: str(args.turns),
        }
    )
    load_start = os.getloadavg()
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    workdir = Path(tempfile.mkdtemp(prefix="survey_fw_bench_"))
    try:
        src = snapshot_code(workdir)
        sys.path.insert(0, str(src))  # before the first import of survey_app
        schedule, send, inbound, profiles = run(args, src, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    load_end = os.getloadavg()
    settings = (
        f"`bench/fieldwork_wave.py` — {started}, {platform.machine()}, {os.cpu_count()} CPUs shared "
        "with other "
        f"engineers' work, Python {platform.python_version()}. `uptime` load average (1 / 5 / 15 min) at the "
        f"start {' / '.join(f'{v:.1f}' for v in load_start)}, at the end "
        f"{' / '.join(f'{v:.1f}' for v in load_end)}: absolute figures move with that load; the ratios to "
        "the baselines measured in the same run are what to compare between runs."
    )
    send_note = (
        "The worker's two send jobs in one process, one thread each (as its APScheduler runs them), "
        "each sending until nothing is due; `unlimited` sets the rates to 10,000/s to show what the "
        "code path can do, `configured` uses the rates below "
        f"(`SURVEY_EMAIL_PER_SECOND` / `SURVEY_SMS_PER_SECOND`; the settings' defaults are 5 and 1; "
        f"{args.send_seconds:g} s of messages per run). E-mail: invitations with the one-click unsubscribe "
        "headers to aiosmtpd; SMS: the link invitation through the Twilio SDK to the local stand-in. "
        "Worker CPU is the sending process's, per message of both channels."
    )
    inbound_note = (
        f"gunicorn `-w {args.workers} --worker-class gthread --threads {args.threads}` for both servers; "
        f"{args.client_procs} client processes (`bench/_load.py`), one keep-alive connection per texting "
        f"respondent, no think time; {args.seconds:g} s per level after a warm-up. A respondent answers the "
        f"{args.turns} questions of an SMS interview (5-point ratings, one per message) in a row; each "
        "request is a new `MessageSid`, signed with `RequestValidator.compute_signature` on the public "
        "URL; the webhook's reply must be the next question (the last: the thank-you). The bare endpoint "
        "gets the same signed requests. Other load = CPU used by processes outside the benchmark."
    )
    text = section(settings, schedule, send, send_note, inbound, inbound_note, profiles)
    print()
    print(text)
    if args.write:
        from engine_steps import write_section

        write_section(SECTION, (__doc__ or "").splitlines()[0], text)


if __name__ == "__main__":
    main()
