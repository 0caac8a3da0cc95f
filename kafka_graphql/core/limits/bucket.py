"""aiolimiter's leaky bucket, read on a clock the gateway chooses, and never waited on.

The gateway refuses a caller whose bucket is empty and says when to retry, rather than holding
the request open (which would let a client park work on the server for free): it only asks
whether capacity is there, and takes or gives back points. aiolimiter reads the event loop's
time; here the leak reads `clock` instead, so that tests drive time without sleeping. The level
is aiolimiter's: what has been taken and is leaking away; what is available is the rest.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from aiolimiter import AsyncLimiter

Clock = Callable[[], float]


class LeakyBucket(AsyncLimiter):
    """`capacity` points, taken by use and restored at `refill_per_s`."""

    __slots__ = ("_clock",)

    def __init__(self, capacity: float, refill_per_s: float, clock: Clock) -> None:
        super().__init__(capacity, capacity / refill_per_s)
        self._clock = clock
        self._last_check = clock()

    def _leak(self) -> None:
        # AsyncLimiter._leak (aiolimiter 1.2 and 1.3), with the injected clock.
        now = self._clock()
        if self._level:
            elapsed = now - self._last_check
            self._level = max(self._level - elapsed * self._rate_per_sec, 0.0)
        self._last_check = now

    @property
    def refill_per_s(self) -> float:
        return self._rate_per_sec

    def available(self) -> float:
        self._leak()
        return self.max_rate - self._level

    def wait_for(self, amount: float) -> float:
        """Seconds until `amount` points are available: 0 when they are now."""
        if self.has_capacity(amount):
            return 0.0
        return (self._level + amount - self.max_rate) / self._rate_per_sec

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
        return self._level / self._rate_per_sec

    def at_rest(self) -> bool:
        """Full: forgetting it would lose nothing."""
        self._leak()
        return self._level == 0


def retry_after(seconds: float) -> int:
    """Whole seconds, as HTTP's Retry-After counts them; never 0 for a refusal."""
    return max(1, math.ceil(seconds))
