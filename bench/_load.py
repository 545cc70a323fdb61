"""The load generator of ``bench/web_flows.py``: simulated respondents in client processes.

Each simulated respondent is a thread with one keep-alive ``http.client`` connection to
127.0.0.1; every flow starts with an empty cookie jar (a new person). Loops are bounded by a
deadline and by the tokens handed out, so a run always stops by itself.
"""

from __future__ import annotations

import http.client
import itertools
import os
import random
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from _flow import FlowError, page_form, parse_page


class Client:
    """One simulated browser's keep-alive connection; cookies are per flow (``new_respondent``)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn: http.client.HTTPConnection | None = None
        self.cookies: dict[str, str] = {}
        #: (request kind 0-3, seconds) of every answered request.
        self.latencies: list[tuple[int, float]] = []
        self.reconnects = 0

    def new_respondent(self) -> None:
        """Forget the cookies: the next request is a new person's."""
        self.cookies = {}

    def close(self) -> None:
        """Close the connection (the next request opens a new one)."""
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(self, kind: int, method: str, path: str, body: str | None = None) -> str:
        """Send one request and return the body of its 200 response; FlowError otherwise."""
        headers = {"Accept-Language": "en"}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (1, 2):
            reused = self.conn is not None
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            start = time.perf_counter()
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as exc:
                # A keep-alive connection the server closed while idle: browsers retry once on a
                # fresh connection. Anything else (or a second failure) is an error.
                self.close()
                if reused and attempt == 1:
                    self.reconnects += 1
                    continue
                raise FlowError(f"connection: {type(exc).__name__}") from None
            except (OSError, http.client.HTTPException) as exc:
                self.close()
                raise FlowError(f"connection: {type(exc).__name__}") from None
            self.latencies.append((kind, time.perf_counter() - start))
            for header, value in response.getheaders():
                if header.lower() == "set-cookie":
                    name, _, rest = value.partition("=")
                    self.cookies[name.strip()] = rest.split(";", 1)[0]
            if response.status != 200:
                raise FlowError(f"HTTP {response.status}")
            return data.decode("utf-8")
        raise AssertionError("unreachable")


def respondent_flow(client: Client, token: str, rng: random.Random) -> None:
    """Open the link and answer the three pages; raises FlowError on any unexpected response."""
    client.new_respondent()
    path = f"/s/{token}"
    body = client.request(0, "GET", path)
    for number in range(3):
        body = client.request(number + 1, "POST", path, urlencode(page_form(body, number, rng)))
    if not parse_page(body).thank_you:
        raise FlowError("no thank-you page")


def ceiling_flow(client: Client, token: str, rng: random.Random) -> None:
    """Four inserts, the ceiling's stand-in for one respondent's four requests."""
    for kind in range(4):
        body = client.request(kind, "POST", "/hit", f"v={token[:8]}")
        if not body.startswith("ok "):
            raise FlowError("unexpected body")


FLOWS: dict[str, Callable[[Client, str, random.Random], None]] = {
    "app": respondent_flow,
    "ceiling": ceiling_flow,
}


def client_process(
    target: str,
    port: int,
    tokens: list[str] | None,
    threads: int,
    seconds: float,
    seed: int,
    barrier: Any,
    results: Any,
) -> None:
    """Run ``threads`` simulated respondents until the deadline; put the stats on ``results``.

    ``tokens``: the personal links to use, each once; None for the ceiling, which needs none.
    Flows running at the deadline are finished (their requests count), none starts after it.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the driver stops us; its Ctrl-C is its own
    sys.setswitchinterval(0.0005)  # a thread whose response arrived should not wait 5 ms for the GIL
    flow = FLOWS[target]
    pending = iter(tokens) if tokens is not None else itertools.repeat("ceiling")
    lock = threading.Lock()
    clients = [Client(port) for _ in range(threads)]
    completed = 0
    errors: Counter[str] = Counter()
    exhausted = threading.Event()

    def next_token() -> str | None:
        with lock:
            token = next(pending, None)
        if token is None:
            exhausted.set()
        return token

    def run(client: Client, rng: random.Random, deadline: float) -> None:
        nonlocal completed
        while time.perf_counter() < deadline:
            token = next_token()
            if token is None:
                return
            try:
                flow(client, token, rng)
            except FlowError as exc:
                with lock:
                    errors[exc.kind] += 1
                client.close()
                continue
            with lock:
                completed += 1
        client.close()

    barrier.wait()
    cpu_start, start, wall_start = os.times(), time.perf_counter(), time.time()
    workers = [
        threading.Thread(target=run, args=(c, random.Random(seed * 1000 + i), start + seconds))
        for i, c in enumerate(clients)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    cpu_end = os.times()
    results.put(
        {
            "start": wall_start,
            "end": wall_start + (time.perf_counter() - start),
            "flows": completed,
            "errors": dict(errors),
            "latencies": [lat for c in clients for lat in c.latencies],
            "reconnects": sum(c.reconnects for c in clients),
            "exhausted": exhausted.is_set(),
            "cpu": (cpu_end.user - cpu_start.user) + (cpu_end.system - cpu_start.system),
        }
    )
