"""The token-bucket rate limiter, on a fake clock: never above ``rate × t + burst``, and it catches up.

The previous limiter spaced sends ``1 / rate`` apart from ``max(now, next)``: a send that overran
its slot lost that time for good (82 % of 20 e-mails/s sustained under load). These tests run on a
fake clock that only moves when the code sleeps or a simulated provider call takes time.
"""

from __future__ import annotations

import random

import pytest

from survey_app.fieldwork.ratelimit import RateLimiter


class FakeClock:
    """A monotonic clock moved only by ``sleep`` and by ``work`` (simulated provider calls)."""

    def __init__(self) -> None:
        self.now = 500.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds > 0
        self.now += seconds

    work = sleep


def run(limiter: RateLimiter, clock: FakeClock, durations: list[float]) -> list[float]:
    """Send once per entry of ``durations`` (each send's provider call takes that long); start times."""
    starts = []
    for duration in durations:
        limiter.wait()
        starts.append(clock.now)
        if duration:
            clock.work(duration)
    return starts


def most_in_any_window_exceeds(starts: list[float], rate: float, burst: float) -> list[tuple[int, int]]:
    """Pairs (i, j) whose window [starts[i], starts[j]] holds more than ``rate × t + burst`` sends."""
    tolerance = 1e-9
    return [
        (i, j)
        for i in range(len(starts))
        for j in range(i, len(starts))
        if j - i + 1 > rate * (starts[j] - starts[i]) + burst + tolerance
    ]


def test_the_default_burst_is_one_second_of_sends_and_at_least_one() -> None:
    assert RateLimiter(20.0).capacity == 20
    assert RateLimiter(5.0).capacity == 5
    assert RateLimiter(0.5).capacity == 1


@pytest.mark.parametrize("rate", [1.0, 5.0, 20.0])
def test_never_more_than_rate_times_t_plus_burst_in_any_window(rate: float) -> None:
    clock = FakeClock()
    limiter = RateLimiter(rate, clock=clock, sleep=clock.sleep)
    randomly = random.Random(7)
    # Fast sends, slow ones (overruns of several slots) and idle pauses, mixed.
    durations = [randomly.choice([0.0, 0.2, 1.0, 3.0, 30.0]) / rate for _ in range(300)]
    durations[: int(limiter.capacity)] = [0.0] * int(limiter.capacity)  # a full bucket's burst first
    starts = run(limiter, clock, durations)
    assert most_in_any_window_exceeds(starts, rate, limiter.capacity) == []
    # And the burst is really used (the bound is tight, not a slow limiter passing trivially).
    assert sum(1 for s in starts if s == starts[0]) == limiter.capacity


def test_an_overrun_is_made_up_so_the_long_run_rate_is_the_configured_one() -> None:
    rate, sends = 20.0, 400
    steady_clock, stalled_clock = FakeClock(), FakeClock()
    steady = run(RateLimiter(rate, clock=steady_clock, sleep=steady_clock.sleep), steady_clock, [0.0] * sends)
    # The same sends, but the 50th provider call takes half a second (10 slots) instead of none.
    durations = [0.0] * sends
    durations[49] = 0.5
    stalled = run(RateLimiter(rate, clock=stalled_clock, sleep=stalled_clock.sleep), stalled_clock, durations)
    # The stall is shorter than the bucket's one second: the sends after it catch up completely.
    assert stalled[-1] - stalled[0] == pytest.approx(steady[-1] - steady[0])
    # Beyond the initial burst, the steady rate is exactly the configured one.
    assert (sends - 1 - (20 - 1)) / (steady[-1] - steady[0]) == pytest.approx(rate)


def test_sends_slower_than_the_rate_are_never_delayed() -> None:
    clock = FakeClock()
    limiter = RateLimiter(10.0, clock=clock, sleep=clock.sleep)
    sleeps: list[float] = []
    limiter.sleep = lambda seconds: sleeps.append(seconds) or clock.sleep(seconds)
    run(limiter, clock, [0.15] * 50)  # each call takes 1.5 slots
    assert sleeps == []


def test_every_call_takes_one_token_even_when_callers_queue() -> None:
    clock = FakeClock()
    limiter = RateLimiter(4.0, clock=clock, sleep=lambda seconds: sleeps.append(seconds), capacity=1)
    sleeps: list[float] = []
    for _ in range(4):  # four callers arriving together (the clock does not move meanwhile)
        limiter.wait()
    # The first goes at once; the others are given slots one interval apart, not the same slot.
    assert sleeps == [pytest.approx(0.25), pytest.approx(0.5), pytest.approx(0.75)]


@pytest.mark.parametrize(
    ("rate", "capacity", "message"),
    [
        (0.0, None, "the rate must be a positive number of sends per second, got 0.0"),
        (-2.0, None, "the rate must be a positive number of sends per second, got -2.0"),
        (5.0, 0.5, "the bucket must hold at least one send, got a capacity of 0.5"),
    ],
)
def test_impossible_limits_are_refused_with_a_clear_error(
    rate: float, capacity: float | None, message: str
) -> None:
    with pytest.raises(ValueError) as error:
        RateLimiter(rate, capacity=capacity)
    assert str(error.value) == message
