"""Per-sender rate limits: at most N messages (or calls) per second from one sender on one channel.

One worker process sends (``survey worker``), so an in-memory limiter per (channel, sender) is
enough; the limit is the provider's (Twilio's per-number throughput, the SMTP relay's quota).

A token bucket, not fixed spacing: a send that overran its slot (a slow SMTP reply, a busy
machine) leaves unused time behind, and the bucket lets the next sends make it up, so the long-run
rate reaches the configured one. The burst is capped at ``capacity`` (by default one second of
sends), so in any window of ``t`` seconds at most ``rate × t + capacity`` sends start.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

#: Seconds of sends the bucket may save up by default (its capacity is ``rate × BURST_SECONDS``).
BURST_SECONDS = 1.0


class RateLimiter:
    """At most ``per_second`` sends from one sender over time, with bursts of at most ``capacity``.

    :param capacity: tokens the bucket holds (sends that may start back to back after idle time);
        default ``max(1, per_second × BURST_SECONDS)``. The bucket starts full.
    """

    def __init__(
        self,
        per_second: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        *,
        capacity: float | None = None,
    ) -> None:
        if not per_second > 0:
            raise ValueError(f"the rate must be a positive number of sends per second, got {per_second!r}")
        self.rate = float(per_second)
        self.capacity = max(1.0, self.rate * BURST_SECONDS) if capacity is None else float(capacity)
        if self.capacity < 1:
            raise ValueError(f"the bucket must hold at least one send, got a capacity of {capacity!r}")
        self.clock, self.sleep = clock, sleep
        self.tokens = self.capacity
        self.updated_at: float | None = None
        self.lock = threading.Lock()

    def wait(self) -> None:
        """Block until the next send is allowed (take one token; sleep until it has accrued)."""
        with self.lock:
            now = self.clock()
            if self.updated_at is not None:
                self.tokens = min(self.capacity, self.tokens + (now - self.updated_at) * self.rate)
            self.updated_at = now
            # Taken now even when not yet there: a negative balance reserves the caller's slot, so
            # concurrent callers queue one interval apart instead of all waking at once.
            self.tokens -= 1.0
            delay = -self.tokens / self.rate if self.tokens < 0 else 0.0
        if delay > 0:
            self.sleep(delay)


_LIMITERS: dict[tuple[str, str, float], RateLimiter] = {}


def limiter_for(channel: str, sender: str, per_second: float) -> RateLimiter:
    """Return the process-wide limiter of one sender on one channel."""
    key = (channel, sender, per_second)
    if key not in _LIMITERS:
        _LIMITERS[key] = RateLimiter(per_second)
    return _LIMITERS[key]
