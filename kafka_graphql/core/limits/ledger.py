"""Memory held for subscribers by the whole process (docs/limits.md#memory-held-per-caller).

The `Ledger` adds up every caller's holdings (memory.py; a batch counted once however many
callers hold it) and the shared groups' payload caches. Beyond `limits.max_buffered_bytes`, new
subscriptions are refused with LIMIT_EXCEEDED (registry.py) and the caller holding the most is
cut back: each of its streams ends with RATE_LIMITED and the cursor to resume from.
"""

from __future__ import annotations

import asyncio

from kafka_graphql.core.errors import RateLimited
from kafka_graphql.core.limits.memory import Holdings
from kafka_graphql.settings.limits import LimitsSettings


class Ledger:
    """What the process holds for subscribers, and who holds the most."""

    def __init__(self, settings: LimitsSettings) -> None:
        self.settings = settings
        self.limit = settings.max_buffered_bytes
        self.total = 0
        self._holdings: set[Holdings] = set()
        self._scheduled = False

    def holdings(self) -> Holdings:
        return Holdings(self)

    def over(self) -> bool:
        return self.total > self.limit

    def add(self, size: int) -> None:
        self.total += size
        if self.total > self.limit and not self._scheduled:
            # Not from inside the feed's offer loop or a stream's step: soon, on its own.
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._cut_back)

    def sub(self, size: int) -> None:
        self.total -= size

    def track(self, holdings: Holdings, active: bool) -> None:
        if active:
            self._holdings.add(holdings)
        else:
            self._holdings.discard(holdings)

    def _cut_back(self) -> None:
        self._scheduled = False
        if not self.over() or not self._holdings:
            return
        top = max(self._holdings, key=Holdings.total)
        if top.cutting:
            return  # its streams are ending; what they hold is given back as they do
        top.cut(
            RateLimited(
                f"the gateway holds more than {self.limit} bytes for its subscribers "
                "(limits.max_buffered_bytes) and this caller held the most "
                f"({top.total()} bytes); resubscribe with `after` set to extensions.cursor "
                "to continue where this stream ended",
                retryAfter=1,
            )
        )
