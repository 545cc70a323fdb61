"""The simulated agents of ``bench/agent_queue.py``: one process of agent threads, as one web worker.

Each process has its own engine (a pool of ``pool`` connections, pre-ping on as in the app) and
serves its agents' requests first come, first served through a gate of as many permits as pooled
connections - a gunicorn worker with ``pool`` threads, its listen queue in front. Every console
action is one request: it queues at the gate, opens a session, does its work and gives the
connection back; an agent's next request queues again behind the others'.

Per "next case" request three instants are taken: asked (queued at the gate), served (the
connection checked out: a pool checkout with its pre-ping) and answered (the claim returned).
"""

from __future__ import annotations

import os
import random
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SECRET_KEY = "bench-secret-key-not-for-production-0123456789"
#: The ceiling's pop: the bare queue primitive, one statement in one round trip, as the claim is.
CEILING_SQL = (
    "UPDATE bench_ceiling SET status = 'locked', locked_by = %(agent)s, locked_at = %(now)s"
    " WHERE id = (SELECT id FROM bench_ceiling WHERE status = 'waiting'"
    " ORDER BY priority DESC, sort_key DESC LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING id"
)
#: The keys an agent types, one script step at a time.
ANSWERS = ({"sat": ["4"]}, {"channel": ["2"]}, {"note": ["fine"]})


class FifoGate:
    """A first-come-first-served semaphore with one permit per pooled connection.

    SQLAlchemy's pool is not fair: under saturation a thread giving a connection back usually
    takes it again at once, and some agents starve for a whole phase. Web servers queue requests
    first come, first served; so does this gate, in front of the pool (whose checkout then never
    blocks)."""

    def __init__(self, permits: int) -> None:
        self._lock = threading.Lock()
        self._free = permits
        self._waiting: deque[threading.Event] = deque()

    def acquire(self) -> None:
        with self._lock:
            if self._free and not self._waiting:
                self._free -= 1
                return
            turn = threading.Event()
            self._waiting.append(turn)
        turn.wait()  # the permit is handed over by release()

    def release(self) -> None:
        with self._lock:
            if self._waiting:
                self._waiting.popleft().set()
            else:
                self._free += 1


def agents_process(spec: dict[str, Any], barrier: Any, results: Any) -> None:
    """Entry point of one spawned process: run ``spec["agents"]`` as threads; put the log on ``results``.

    ``spec``: src (the copy of the code to import), url, phase (ceiling, claims, interviews),
    agents (ids), pool, warmup and seconds (the measured window follows the warm-up), think (mean
    seconds between an agent's operations; 0: none), seed.
    """
    sys.path.insert(0, spec["src"])  # before the first import of survey_app
    from sqlmodel import Session

    from survey_app import create_app
    from survey_app.callcentre.models import AgentProfile
    from survey_app.callcentre.queue import _Claim, claim_next_case
    from survey_app.db import utcnow

    app = create_app({"DATABASE_URL": spec["url"], "SECRET_KEY": SECRET_KEY})
    engine = sa.create_engine(
        spec["url"], pool_size=spec["pool"], max_overflow=0, pool_timeout=300, pool_pre_ping=True
    )
    with Session(engine, expire_on_commit=False) as session:
        profiles = {a: session.get(AgentProfile, a) for a in spec["agents"]}
    gate = FifoGate(spec["pool"])
    phase = spec["phase"]
    # The ceiling runs through the claim's own one-round-trip execution, with its bare SQL.
    ceiling = (
        {a: _Claim(engine.dialect, CEILING_SQL, {"agent": a}) for a in profiles}
        if phase == "ceiling"
        else None
    )
    lock = threading.Lock()
    turns: list[tuple[float, float, float, int, int]] = []  # asked, served, answered, case, agent
    done: list[float] = []  # when each operation (claim + its follow-up requests) finished
    answered_at: list[float] = []  # when each request was answered
    errors: Counter[str] = Counter()
    empty = [0]
    start = threading.Barrier(len(profiles) + 1)
    t0 = [0.0]
    stop_at = [0.0]

    def request(work: Callable[[Session], Any]) -> Any:
        """One request of the agent: queue, take a connection, work, give it back."""
        gate.acquire()
        try:
            with Session(engine, expire_on_commit=False) as session:
                result = work(session)
        finally:
            gate.release()
        with lock:
            answered_at.append(time.monotonic() - t0[0])
        return result

    def next_case(agent_id: int) -> tuple[float, float, float, int | None]:
        asked = time.monotonic()
        gate.acquire()
        try:
            with Session(engine, expire_on_commit=False) as session:
                session.connection()  # the pool checkout (and its pre-ping): part of the wait
                served = time.monotonic()
                if ceiling is not None:
                    case_id = ceiling[agent_id].run(session, utcnow())
                else:
                    case_id = claim_next_case(session, profiles[agent_id], now=utcnow())  # type: ignore[arg-type]
                answered = time.monotonic()
        finally:
            gate.release()
        return asked, served, answered, case_id

    def follow_up(agent_id: int, case_id: int) -> None:
        if phase == "interviews":
            interview(request, agent_id)
            return
        table = (
            "bench_ceiling SET status = 'final', locked_by = NULL WHERE id"
            if ceiling
            else ("call_queue SET status = 'final', locked_by = NULL WHERE case_id")
        )

        def finish(session: Session) -> None:
            session.execute(sa.text(f"UPDATE {table} = :case"), {"case": case_id})
            session.commit()

        request(finish)

    def work(agent_id: int) -> None:
        rng = random.Random(spec["seed"] * 100_003 + agent_id)
        with app.app_context():
            start.wait()
            # Agents start at random moments of the warm-up, not in step (with think time, the
            # first pause does this).
            time.sleep(
                rng.expovariate(1 / spec["think"]) if spec["think"] else rng.uniform(0, spec["warmup"])
            )
            while time.monotonic() < stop_at[0]:
                try:
                    asked, served, answered, case_id = next_case(agent_id)
                    if case_id is None:
                        with lock:
                            empty[0] += 1
                        return
                    with lock:
                        turns.append((asked - t0[0], served - t0[0], answered - t0[0], case_id, agent_id))
                        answered_at.append(answered - t0[0])
                    follow_up(agent_id, case_id)
                    with lock:
                        done.append(time.monotonic() - t0[0])
                except Exception as exc:  # counted and reported: a benchmark must not hide failures
                    with lock:
                        errors[f"{type(exc).__name__}: {str(exc)[:120]}"] += 1
                if spec["think"]:
                    time.sleep(rng.expovariate(1 / spec["think"]))

    threads = [threading.Thread(target=work, args=(a,), daemon=True) for a in profiles]
    for thread in threads:
        thread.start()
    barrier.wait(timeout=300)  # every process ready: all start together
    cpu0 = time.process_time()
    t0[0] = time.monotonic()
    stop_at[0] = t0[0] + spec["warmup"] + spec["seconds"]
    start.wait()
    for thread in threads:
        thread.join(timeout=spec["warmup"] + spec["seconds"] + 120)
    results.put(
        {
            "pid": os.getpid(),
            "turns": turns,
            "done": done,
            "requests": answered_at,
            "errors": dict(errors),
            "empty": empty[0],
            "cpu": time.process_time() - cpu0,
        }
    )
    barrier.wait(timeout=300)  # the parent has read the database's CPU time: close the pool
    engine.dispose()


def interview(request: Callable[[Callable[[Any], Any]], Any], agent_id: int) -> None:
    """The rest of a completed interview, one request per console action, each reading the held
    case as the console does: dial, start, one answer per script step, the outcome."""
    from survey_app.callcentre import console
    from survey_app.callcentre.outcomes import record_outcome
    from survey_app.callcentre.queue import current_case
    from survey_app.callcentre.script import load_survey
    from survey_app.db import utcnow
    from survey_app.surveys.models import Interview

    def held(session: Any) -> Any:
        entry = current_case(session, agent_id)
        if entry is None:
            raise RuntimeError("the agent holds no case")
        return entry

    def start(session: Any) -> None:
        entry = held(session)
        console.start_or_resume(session, entry, agent_id, *load_survey(session, entry), now=utcnow())

    request(lambda s: console.dial(s, held(s), agent_id, now=utcnow()))
    request(start)
    for keys in ANSWERS:

        def answer(session: Any, keys: dict[str, list[str]] = keys) -> None:
            entry = held(session)
            survey, questionnaire = load_survey(session, entry)
            found = session.get(Interview, entry.interview_id)
            result = console.answer_step(
                session,
                entry,
                agent_id,
                survey,
                found,
                questionnaire,
                step_key=str(found.step_key),
                form=keys,
                now=utcnow(),
            )
            if result.errors or result.unknown_keys or result.stale:
                raise RuntimeError(f"answer refused: {result}")

        request(answer)
    request(lambda s: record_outcome(s, held(s), agent_id, outcome="complete", now=utcnow()))
