"""What ``bench/web_flows.py`` measured per level, and its Markdown tables."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field

from _flow import REQUEST_KINDS

GOAL_SHARE, GOAL_P99_MS, GOAL_LEVEL = 0.5, 50.0, 32


@dataclass
class LevelResult:
    """One target (survey app or ceiling) at one concurrency level on one backend."""

    backend: str
    target: str
    concurrency: int
    elapsed: float
    flows: int
    requests: int
    errors: dict[str, int]
    latencies_ms: list[float]
    by_kind_ms: dict[int, list[float]]
    reconnects: int
    exhausted: bool
    #: Complete interviews stored (app) or rows inserted (ceiling) during the level.
    stored: int
    cpu: dict[str, float] = field(default_factory=dict)
    #: Distinct problem lines of the server log during the level (tracebacks' last lines...).
    log: dict[str, int] = field(default_factory=dict)

    @property
    def flows_per_s(self) -> float:
        """Completed flows per second; the ceiling's flows are its requests / 4."""
        if not self.elapsed:
            return 0.0
        return (self.flows if self.target == "app" else self.requests / 4) / self.elapsed

    @property
    def requests_per_s(self) -> float:
        return self.requests / self.elapsed if self.elapsed else 0.0

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def expected_stored(self) -> int:
        """What must be stored: one complete interview per flow, one row per ceiling request."""
        return self.flows if self.target == "app" else self.requests

    def percentile(self, q: float, values: list[float] | None = None) -> float:
        data = sorted(self.latencies_ms if values is None else values)
        if not data:
            return float("nan")
        if len(data) == 1:
            return data[0]
        return statistics.quantiles(data, n=1000, method="inclusive")[int(q * 1000) - 1]


def _order(r: LevelResult) -> tuple[bool, int, bool]:
    return (r.backend != "postgresql", r.concurrency, r.target != "ceiling")


def results_table(results: list[LevelResult]) -> str:
    """The main table: throughput, share of the ceiling, latency percentiles, errors, stored check."""
    ceiling = {(r.backend, r.concurrency): r for r in results if r.target == "ceiling"}
    rows = [
        "| backend | concurrency | server | flows/s | % of ceiling | req/s | p50 ms | p95 ms | p99 ms "
        "| errors | stored / expected | server CPU ms/req |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |",
    ]
    for r in sorted(results, key=_order):
        base = ceiling.get((r.backend, r.concurrency))
        share = f"**{100 * r.flows_per_s / base.flows_per_s:.0f} %**" if base and r.target == "app" else ""
        label = "survey app" if r.target == "app" else "ceiling (1 insert/req; flows = req / 4)"
        check = f"{r.stored} / {r.expected_stored}" + ("" if r.stored == r.expected_stored else " ✗")
        rows.append(
            f"| {r.backend} | {r.concurrency} | {label} | {r.flows_per_s:,.1f} | {share} "
            f"| {r.requests_per_s:,.0f} "
            f"| {r.percentile(0.5):.1f} | {r.percentile(0.95):.1f} | {r.percentile(0.99):.1f} "
            f"| {r.error_count} | {check} | {r.cpu['server_ms_per_request']:.2f} |"
        )
    return "\n".join(rows)


def detail_table(results: list[LevelResult]) -> str:
    """Latency per request kind of the app, and where the CPU went."""
    rows = [
        "| backend | concurrency | server | GET p50/p99 | POST 1 p50/p99 | POST 2 p50/p99 | POST 3 p50/p99 "
        "| DB CPU ms/req | client CPU ms/req | machine busy | other load |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in sorted(results, key=_order):
        kinds = [r.by_kind_ms.get(k, []) for k in range(4)]
        cells = [f"{r.percentile(0.5, values):.1f} / {r.percentile(0.99, values):.1f}" for values in kinds]
        if r.target != "app":
            cells = ["(4 × POST /hit)", "", "", ""]
        db = f"{r.cpu['db_ms_per_request']:.2f}" if r.backend == "postgresql" else "(in server)"
        rows.append(
            f"| {r.backend} | {r.concurrency} | {'survey app' if r.target == 'app' else 'ceiling'} | "
            + " | ".join(cells)
            + f" | {db} "
            f"| {r.cpu['client_ms_per_request']:.2f} | {100 * r.cpu['machine_busy']:.0f} % "
            f"| {100 * r.cpu['other_share']:.0f} % |"
        )
    return "\n".join(rows)


def queries_table(counts: dict[str, dict[str, Counter[str]]], flows: int) -> str:
    """Statements per respondent request, per backend (means over ``flows`` flows)."""
    rows = [
        "| backend | request | SELECT | INSERT | UPDATE | COMMIT | connection checkouts |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for backend, totals in counts.items():
        for kind in REQUEST_KINDS:
            c = totals[kind]
            cells = [f"{c[name] / flows:g}" for name in ("SELECT", "INSERT", "UPDATE", "COMMIT", "checkout")]
            rows.append(f"| {backend} | {kind} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def goal_line(results: list[LevelResult]) -> str:
    """Whether the issue's goal is met at 32 concurrent on PostgreSQL, with the figures."""
    pick = {r.target: r for r in results if r.backend == "postgresql" and r.concurrency == GOAL_LEVEL}
    if "app" not in pick or "ceiling" not in pick:
        return f"Goal (PostgreSQL, {GOAL_LEVEL} concurrent) not measured in this run."
    a, c = pick["app"], pick["ceiling"]
    share = a.flows_per_s / c.flows_per_s if c.flows_per_s else 0.0
    p99 = a.percentile(0.99)
    parts = {
        f"≥ {GOAL_SHARE:.0%} of the ceiling's flows/s": share >= GOAL_SHARE,
        f"p99 < {GOAL_P99_MS:.0f} ms": p99 < GOAL_P99_MS,
        "zero errors": a.error_count == 0,
        "stored completes = completed flows": a.stored == a.flows,
    }
    verdicts = "; ".join(f"{name}: {'met' if ok else '**missed**'}" for name, ok in parts.items())
    return (
        f"Goal at {GOAL_LEVEL} concurrent on PostgreSQL — {verdicts}. Figures: {share:.0%} of the ceiling, "
        f"p99 {p99:.1f} ms, {a.error_count} errors, {a.stored} / {a.flows} stored. "
        f"With no think time, mean latency = concurrency ÷ throughput (Little's law): at "
        f"{a.requests_per_s:,.0f} req/s that is {1000 * GOAL_LEVEL / max(a.requests_per_s, 1e-9):.0f} ms "
        f"for the app and {1000 * GOAL_LEVEL / max(c.requests_per_s, 1e-9):.0f} ms for the ceiling."
    )


def progress_line(result: LevelResult) -> str:
    """One line per measured level, printed as the run goes."""
    notes = []
    if result.errors:
        notes.append(f"errors {result.errors}")
    if result.log:
        top = sorted(result.log.items(), key=lambda item: -item[1])[:3]
        notes.append("server log: " + " | ".join(f"{n}× {line}" for line, n in top))
    if result.reconnects:
        notes.append(f"{result.reconnects} keep-alive reconnects")
    if result.exhausted:
        notes.append("TOKENS EXHAUSTED: raise MAX_FLOWS_PER_SECOND")
    if result.stored != result.expected_stored:
        notes.append(f"STORED {result.stored} != {result.expected_stored}")
    if result.cpu["other_share"] > 0.05:
        notes.append(f"other load {result.cpu['other_share']:.0%} of the machine")
    return (
        f"  {result.target:7} c={result.concurrency:<3} {result.flows_per_s:7.1f} flows/s  "
        f"{result.requests_per_s:7.0f} req/s  "
        f"p50 {result.percentile(0.5):6.1f}  p99 {result.percentile(0.99):6.1f} ms  "
        f"{result.elapsed:5.1f} s  server CPU {result.cpu['server_ms_per_request']:.2f} ms/req  "
        + "; ".join(notes)
    )
