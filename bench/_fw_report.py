"""Markdown of the "Fieldwork delivery" section of ``bench/RESULTS.md`` (``bench/fieldwork_wave.py``)."""

from __future__ import annotations

import pstats
from dataclasses import dataclass, field
from typing import Any

from _report import LevelResult

GOAL_SCHEDULE_S, GOAL_RATE_SHARE, GOAL_INBOUND_SHARE, GOAL_P99_MS = 10.0, 0.95, 0.5, 50.0


@dataclass
class ScheduleResult:
    """One backend's wave: ``plan_waves`` and the Core baseline on the same number of cases."""

    backend: str
    cases: int
    attempts: int
    seconds: float
    baseline_attempts: int
    baseline_seconds: float
    setup_seconds: float
    #: (what, seconds, share) rows of the profiled run, and its total; empty when not profiled.
    profile: list[tuple[str, float]] = field(default_factory=list)
    profile_total: float = 0.0
    statements: dict[str, tuple[int, float]] = field(default_factory=dict)
    profile_cases: int = 0
    #: (function, own s, cumulative s) of the profiled run, by own time.
    top: list[tuple[str, float, float]] = field(default_factory=list)
    baseline_phases: dict[str, float] = field(default_factory=dict)
    #: (plan_waves s, baseline s) of each round.
    rounds: list[tuple[float, float]] = field(default_factory=list)


@dataclass
class SendResult:
    """One send run of one channel: the provider's arrival times and the attempts' final states."""

    label: str
    channel: str
    configured: float
    arrivals: list[float]
    states: dict[str, int]
    worker_cpu_ms: float
    failures: str = ""
    #: Statements of the worker process per message of both channels: kind -> (count, ms in execute).
    statements: dict[str, tuple[float, float]] = field(default_factory=dict)

    @property
    def steady_rate(self) -> float:
        """Messages per second over the middle 90 % of arrivals (start-up and the tail left out)."""
        times = sorted(self.arrivals)
        cut = len(times) // 20
        inner = times[cut : len(times) - cut]
        return (len(inner) - 1) / (inner[-1] - inner[0]) if len(inner) > 1 and inner[-1] > inner[0] else 0.0

    @property
    def late_gaps(self) -> int:
        """Gaps between consecutive arrivals longer than 1.5 send slots (``1 / configured``)."""
        times = sorted(self.arrivals)
        return sum(1 for a, b in zip(times, times[1:], strict=False) if b - a > 1.5 / self.configured)

    @property
    def overall_rate(self) -> float:
        times = sorted(self.arrivals)
        return (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 and times[-1] > times[0] else 0.0


def top_functions(profile: pstats.Stats, limit: int = 10) -> list[tuple[str, float, float]]:
    """The ``limit`` functions with the most own time: (``module:line(function)``, own s, cumulative s)."""
    rows = []
    for (filename, line, name), values in profile.stats.items():  # type: ignore[attr-defined]
        short = filename.split("site-packages/")[-1].split("/src/")[-1]
        rows.append((f"`{short}:{line}({name})`", values[2], values[3]))
    return sorted(rows, key=lambda row: -row[1])[:limit]


def classify(profile: pstats.Stats) -> list[tuple[str, float]]:
    """Own (``tottime``) seconds of the profiled run by layer, largest first."""
    layers = {
        "database driver (psycopg / sqlite3: statement execution and network waits)": (
            "psycopg",
            "sqlite3",
            "socket",
            "selectors",
        ),
        "SQLAlchemy ORM (unit of work, identity map, object loading)": ("sqlalchemy/orm",),
        "SQLAlchemy Core (compilation, parameter processing, result rows)": ("sqlalchemy",),
        "app code (survey_app: fieldwork, respond, surveys)": ("survey_app",),
        "time zones and dates (zoneinfo, datetime)": ("zoneinfo", "datetime", "_strptime"),
        "SQLModel / pydantic (model construction)": ("sqlmodel", "pydantic"),
        "interview engine (questionnaires) and channels": ("questionnaires", "channels"),
        "Twilio SDK (signature check, TwiML)": ("twilio",),
        "Flask, Werkzeug, Babel": ("flask", "werkzeug", "babel", "jinja2"),
        "JSON": ("json",),
    }
    totals: dict[str, float] = {}
    for (filename, _line, name), values in profile.stats.items():  # type: ignore[attr-defined]
        tottime = values[2]
        where = f"{filename}:{name}"
        label = "other (builtins, hashing, interpreter)"
        for layer, markers in layers.items():
            if any(marker in where for marker in markers):
                label = layer
                break
        totals[label] = totals.get(label, 0.0) + tottime
    return sorted(totals.items(), key=lambda item: -item[1])


def schedule_section(results: list[ScheduleResult]) -> str:
    rows = [
        "| backend | cases | attempts | `plan_waves` s | attempts/s | Core bulk baseline s | ratio "
        "| goal < 10 s |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in results:
        met = "met" if r.seconds < GOAL_SCHEDULE_S else "**NOT met**"
        rows.append(
            f"| {r.backend} | {r.cases:,} | {r.attempts:,} | **{r.seconds:.1f}** | "
            f"{r.attempts / r.seconds:,.0f} | "
            f"{r.baseline_seconds:.1f} | {r.seconds / r.baseline_seconds:.1f}× | {met} |"
        )
    parts = ["\n".join(rows)]
    for r in results:
        if r.rounds:
            each = "; ".join(f"{p:.1f} s vs {b:.1f} s" for p, b in r.rounds)
            parts.append(
                f"{r.backend}: medians of {len(r.rounds)} rounds, each a new wave of {r.cases:,} cases "
                f"(`plan_waves` vs baseline, in alternating order): {each}."
            )
    for r in results:
        if not r.profile:
            continue
        lines = [
            f"Where the time of `plan_waves` goes ({r.backend}, one more wave of {r.profile_cases:,} cases "
            "under "
            f"cProfile: {r.profile_total:.1f} s with the profiler's overhead; own time by layer):",
            "",
            "| layer | s | share |",
            "| --- | ---: | ---: |",
        ]
        own = sum(s for _l, s in r.profile) or 1.0
        lines += [f"| {label} | {seconds:.1f} | {seconds / own:.0%} |" for label, seconds in r.profile]
        if r.statements:
            lines += ["", "| SQL statements of that run | count | s in execute |", "| --- | ---: | ---: |"]
            lines += [
                f"| {kind} | {n:,} | {s:.1f} |"
                for kind, (n, s) in sorted(r.statements.items(), key=lambda i: -i[1][1])
            ]
        if r.top:
            lines += [
                "",
                "| functions with the most own time | own s | cumulative s |",
                "| --- | ---: | ---: |",
            ]
            lines += [f"| {name} | {own:.1f} | {cumulative:.1f} |" for name, own, cumulative in r.top]
        parts.append("\n".join(lines))
    for r in results:
        if r.baseline_phases:
            phases = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in r.baseline_phases.items())
            parts.append(f"The Core baseline's phases ({r.backend}): {phases}.")
    return "\n\n".join(parts)


def send_section(results: list[SendResult]) -> str:
    rows = [
        "| run | channel | configured /s | messages | steady /s (middle 90 %) | share | whole run /s | "
        "gaps > 1.5 slots | worker CPU ms/msg | statements/msg (ms in execute) | final states |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for r in results:
        share = f"**{r.steady_rate / r.configured:.1%}**" if r.label == "configured" else "—"
        configured = f"{r.configured:g}" if r.label == "configured" else "unlimited"
        states = ", ".join(f"{k} {v:,}" for k, v in sorted(r.states.items()))
        rows.append(
            f"| {r.label} | {r.channel} | {configured} | {len(r.arrivals):,} | {r.steady_rate:.1f} | "
            f"{share} | {r.overall_rate:.1f} | {r.late_gaps if r.label == 'configured' else '—'} | "
            f"{r.worker_cpu_ms:.1f} | {per_message(r.statements)} | "
            f"{states}{' ' + r.failures if r.failures else ''} |"
        )
    return "\n".join(rows)


def per_message(statements: dict[str, tuple[float, float]]) -> str:
    """``SELECT 4.0, UPDATE 2.0, COMMIT 2.0 (9.1 ms)``: counts and execute time per message."""
    if not statements:
        return "—"
    counts = ", ".join(f"{k} {n:.1f}" for k, (n, _ms) in sorted(statements.items(), key=lambda i: -i[1][0]))
    return f"{counts} ({sum(ms for _n, ms in statements.values()):.1f} ms)"


def webhook_profile(profile: dict[str, Any]) -> str:
    """The in-process profile of the webhook: time per request by layer, statements per request."""
    lines = [
        f"Where a webhook request's time goes (one process, Flask test client, no concurrency, "
        f"{profile['requests']} signed replies under cProfile: {profile['ms_per_request']:.1f} ms per "
        f"request with the profiler's overhead; statements per request "
        f"{per_message(profile['statements'])}):",
        "",
        "| layer | ms per request | share |",
        "| --- | ---: | ---: |",
    ]
    own = sum(s for _l, s in profile["layers"]) or 1.0
    lines += [
        f"| {label} | {1000 * seconds / profile['requests']:.2f} | {seconds / own:.0%} |"
        for label, seconds in profile["layers"]
    ]
    return "\n".join(lines)


def inbound_section(results: list[LevelResult]) -> str:
    rows = [
        "| backend | concurrency | endpoint | replies/s | share of bare | p50 ms | p95 ms | p99 ms "
        "| errors | "
        "server CPU ms/req | other load | stored check |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    bare = {(r.backend, r.concurrency): r for r in results if r.target == "bare"}
    for r in results:
        base = bare.get((r.backend, r.concurrency))
        share = f"**{r.requests_per_s / base.requests_per_s:.0%}**" if r.target == "sms" and base else "1.00"
        if r.target == "sms":
            check = (
                f"{r.stored:,} completed = {r.flows:,} flows"
                if r.stored == r.flows
                else f"**{r.stored} ≠ {r.flows}**"
            )
        else:
            check = "—"
        errors = ", ".join(f"{k} {v}" for k, v in r.errors.items()) or "0"
        rows.append(
            f"| {r.backend} | {r.concurrency} | {'webhook (app)' if r.target == 'sms' else 'bare'} | "
            f"{r.requests_per_s:,.0f} | {share} | {r.percentile(0.5):.1f} | {r.percentile(0.95):.1f} | "
            f"{r.percentile(0.99):.1f} | {errors} | {r.cpu['server_ms_per_request']:.2f} | "
            f"{r.cpu['other_share']:.0%} | {check} |"
        )
    return "\n".join(rows)


def goal_lines(
    schedule: list[ScheduleResult], send: list[SendResult], inbound: list[LevelResult]
) -> list[str]:
    """One line per goal, per backend / channel / level measured."""
    lines = []
    for wave in schedule:
        verdict = "met" if wave.seconds < GOAL_SCHEDULE_S else "NOT met"
        lines.append(
            f"- Schedule 100k in < 10 s ({wave.backend}, {wave.cases:,} cases): {wave.seconds:.1f} s "
            f"— {verdict}."
        )
    for s in send:
        if s.label == "configured":
            share = s.steady_rate / s.configured
            verdict = "met" if share >= GOAL_RATE_SHARE else "NOT met"
            lines.append(
                f"- Sustain ≥ 95 % of the configured {s.channel} rate ({s.configured:g}/s): {share:.1%} "
                f"— {verdict}."
            )
    bare = {(r.backend, r.concurrency): r for r in inbound if r.target == "bare"}
    for r in inbound:
        base = bare.get((r.backend, r.concurrency))
        if r.target != "sms" or base is None:
            continue
        share, p99 = r.requests_per_s / base.requests_per_s, r.percentile(0.99)
        ok = share >= GOAL_INBOUND_SHARE and p99 < GOAL_P99_MS and not r.errors
        lines.append(
            f"- Inbound ≥ 50 % of bare with p99 < 50 ms ({r.backend}, concurrency {r.concurrency}): "
            f"{share:.0%}, "
            f"p99 {p99:.1f} ms — {'met' if ok else 'NOT met'}."
        )
    return lines


def section(
    settings: str,
    schedule: list[ScheduleResult],
    send: list[SendResult],
    send_note: str,
    inbound: list[LevelResult],
    inbound_note: str,
    profiles: list[dict[str, Any]],
) -> str:
    """The whole section body."""
    parts = [settings]
    if schedule:
        parts += ["### Launching a wave: scheduling the attempts", schedule_section(schedule)]
    if send:
        parts += ["### Sustained send rate", send_note, send_section(send)]
    if inbound:
        parts += ["### Inbound SMS replies", inbound_note, inbound_section(inbound)]
        parts += [webhook_profile(p) for p in profiles]
    parts += ["### Goals", "\n".join(goal_lines(schedule, send, inbound))]
    return "\n\n".join(p for p in parts if p)
