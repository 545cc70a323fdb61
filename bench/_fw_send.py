"""The providers and the worker of the send benchmark in ``bench/fieldwork_wave.py``, each its own process.

* :func:`provider_process`: an ``aiosmtpd`` SMTP server and a small HTTP server answering
  ``POST /2010-04-01/Accounts/<sid>/Messages.json`` the way Twilio's Messages create does (201 and
  a message resource with a fresh ``SM…`` sid). Both note the arrival time of every message: the
  send rate is measured where the provider sees it.
* :func:`worker_process`: the worker's sending jobs (``survey_app.fieldwork.tasks.send_email`` /
  ``send_sms``) in one thread each, as the worker's APScheduler runs them, with the app built
  from the environment (``scheduling.runner.worker_app``), i.e. the production code path.
"""

from __future__ import annotations

import json
import signal
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TWILIO_ACCOUNT_SID = "AC" + "0" * 31 + "1"
TWILIO_AUTH_TOKEN = "bench-twilio-auth-token-0123456789"
TWILIO_FROM = "+14155550100"


class _Arrivals:
    """Arrival times (``time.time()``) of messages, by channel."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.times: dict[str, list[float]] = {"email": [], "sms": []}
        self.rejected = 0

    def note(self, channel: str) -> None:
        stamp = time.time()
        with self.lock:
            self.times[channel].append(stamp)


def _twilio_handler(arrivals: _Arrivals) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as api.twilio.com

        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            if not self.path.endswith("/Messages.json"):
                arrivals.rejected += 1
                self._answer(404, {"code": 20404, "message": "not found", "status": 404})
                return
            arrivals.note("sms")
            sid = "SM" + uuid.uuid4().hex
            now = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime())
            self._answer(
                201,
                {
                    "sid": sid,
                    "account_sid": TWILIO_ACCOUNT_SID,
                    "status": "queued",
                    "direction": "outbound-api",
                    "from": TWILIO_FROM,
                    "num_segments": "1",
                    "date_created": now,
                    "date_updated": now,
                    "api_version": "2010-04-01",
                    "uri": f"/2010-04-01/Accounts/{TWILIO_ACCOUNT_SID}/Messages/{sid}.json",
                },
            )

        def _answer(self, status: int, payload: dict[str, Any]) -> None:
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            """Silent: one line per message would cost more than the answer."""

    return Handler


def provider_process(smtp_port: int, http_port: int, ready: Any, stop: Any, results: Any) -> None:
    """Serve SMTP and the Twilio stand-in until ``stop`` is set; put the arrival times on ``results``."""
    from aiosmtpd.controller import Controller

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    arrivals = _Arrivals()

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            arrivals.note("email")
            return "250 Message accepted for delivery"

    controller = Controller(Handler(), hostname="127.0.0.1", port=smtp_port)
    controller.start()
    httpd = ThreadingHTTPServer(("127.0.0.1", http_port), _twilio_handler(arrivals))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    ready.set()
    try:
        stop.wait()
    finally:
        httpd.shutdown()
        controller.stop()
    with arrivals.lock:
        results.put({"times": arrivals.times, "rejected": arrivals.rejected})


def statement_timer(engine: Any) -> dict[str, list[float]]:
    """Count statements and time spent executing them, by first keyword (engine events)."""
    from sqlalchemy import event

    stats: dict[str, list[float]] = {}

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        conn.info["bench_t0"] = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        kind = statement.lstrip().split(None, 1)[0].upper() + (" (executemany)" if many else "")
        entry = stats.setdefault(kind, [0, 0.0])
        entry[0] += 1
        entry[1] += time.perf_counter() - conn.info.pop("bench_t0", time.perf_counter())

    @event.listens_for(engine, "commit")
    def _commit(conn: Any) -> None:
        stats.setdefault("COMMIT", [0, 0.0])[0] += 1

    return stats


def worker_process(environ: dict[str, str], channels: list[str], results: Any) -> None:
    """Run the worker's send jobs for ``channels`` once each, in parallel threads, until nothing is due."""
    import logging
    import os

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ.update(environ)
    logging.basicConfig(level=logging.WARNING)
    from survey_app.db import get_engine
    from survey_app.fieldwork import tasks
    from survey_app.scheduling.runner import worker_app

    stats = statement_timer(get_engine(worker_app()))  # the app is built before the clock starts
    jobs = {"email": tasks.send_email, "sms": tasks.send_sms}
    spans: dict[str, tuple[float, float]] = {}
    failures: dict[str, str] = {}

    def run(channel: str) -> None:
        start = time.time()
        try:
            jobs[channel]()
        except Exception as exc:  # reported to the driver, which fails the run
            failures[channel] = f"{type(exc).__name__}: {exc}"
        spans[channel] = (start, time.time())

    cpu0 = time.process_time()
    threads = [threading.Thread(target=run, args=(channel,)) for channel in channels]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.put(
        {"spans": spans, "failures": failures, "cpu": time.process_time() - cpu0, "statements": stats}
    )
