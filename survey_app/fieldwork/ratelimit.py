"""Per-sender rate limits: at most N messages (or calls) per second from one sender on one channel.

One worker process sends (``survey worker``), so an in-memory limiter per (channel, sender) is
enough; the limit is the provider's (Twilio's per-number throughput, the SMTP relay's quota).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class RateLimiter:
    """At most ``per_second`` sends from one sender (one worker process sends, so memory suffices)."""

    def __init__(
        self,
        per_second: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = 1.0 / per_second
        self.clock, self.sleep = clock, sleep
        self.next_at = 0.0
        self.lock = threading.Lock()

    def wait(self) -> None:
        """Block until the next send is allowed: sends are spaced ``1 / per_second`` apart."""
        with self.lock:
            now = self.clock()
            delay = self.next_at - now
            self.next_at = max(now, self.next_at) + self.interval
        if delay > 0:
            self.sleep(delay)


_LIMITERS: dict[tuple[str, str, float], RateLimiter] = {}


def limiter_for(channel: str, sender: str, per_second: float) -> RateLimiter:
    """Return the process-wide limiter of one sender on one channel."""
    key = (channel, sender, per_second)
    if key not in _LIMITERS:
        _LIMITERS[key] = RateLimiter(per_second)
    return _LIMITERS[key]
