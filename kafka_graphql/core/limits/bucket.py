"""A leaky bucket read on a clock the gateway chooses, and never waited on.

The gateway refuses a caller whose bucket is empty and says when to retry, rather than holding
the request open (which would let a client park work on the server for free): it only asks
whether capacity is there, and takes or gives back points. `clock` is injected so that tests
drive time without sleeping. The level is what has been taken and is leaking away at
`refill_per_s`; what is available is the rest.

(The arithmetic is aiolimiter's `AsyncLimiter`, without its waiting, which the gateway never
uses: an own class rather than a subclass that reads its private level and leak rate.)
"""

from __future__ import annotations

import math
from collections.abc import Callable

Clock = Callable[[], float]


class LeakyBucket:
    """`capacity` points, taken by use and restored at `refill_per_s`."""

    # A gateway holds up to 5 of these per caller it remembers (limits/registry.py).
    __slots__ = ("_clock", "_last_check", "_level", "max_rate", "refill_per_s")

    def __init__(self, capacity: float, refill_per_s: float, clock: Clock) -> None:
        self.max_rate = capacity
        self.refill_per_s = refill_per_s
        self._clock = clock
        self._level = 0.0
        self._last_check = clock()

    def _leak(self) -> None:
        now = self._clock()
        if self._level:
            elapsed = now - self._last_check
            self._level = max(self._level - elapsed * self.refill_per_s, 0.0)
        self._last_check = now

    def has_capacity(self, amount: float = 1) -> bool:
        """Whether `amount` points are available now."""
        self._leak()
        return self._level + amount <= self.max_rate

    def available(self) -> float:
        self._leak()
        return self.max_rate - self._level

    def wait_for(self, amount: float) -> float:
        """Seconds until `amount` points are available: 0 when they are now."""
        if self.has_capacity(amount):
            return 0.0
        return (self._level + amount - self.max_rate) / self.refill_per_s

    def take(self, amount: float) -> None:
        """Takes `amount` points; the caller checked `wait_for` first."""
        self._leak()
        self._level += amount

    def give_back(self, amount: float) -> None:
        self._leak()
        self._level = max(self._level - amount, 0.0)

    def full_in(self) -> float:
        """Seconds until the bucket is full again."""
        self._leak()
        return self._level / self.refill_per_s

    def at_rest(self) -> bool:
        """Full: forgetting it would lose nothing."""
        self._leak()
        return self._level == 0


def retry_after(seconds: float) -> int:
    """Whole seconds, as HTTP's Retry-After counts them; never 0 for a refusal."""
    return max(1, math.ceil(seconds))
