"""A stream's messages waiting for delivery budget (core/limits/delivery.py): the newest per
key while the caller's budget refills, and the refusal when they cannot wait."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any

from kafka_graphql.core.cursor import CursorSealer
from kafka_graphql.core.errors import RateLimited
from kafka_graphql.core.limits.registry import LimitsRegistry
from kafka_graphql.core.telemetry import Subscription
from kafka_graphql.kafka import Record
from kafka_graphql.kafka.held import footprint

# The longest a waiting stream sleeps before it looks at its budget again: the budget is shared
# with the caller's other streams and refills on the registry's clock, not the event loop's.
RECHECK_S = 0.05

# What a stream yields before its delivery budget: a matching record, its positions, the
# message built for it (which has a `skipped` field).
Matched = tuple[Record, Mapping[int, int], Any]


@dataclass(slots=True)
class _Waiting:
    record: Record
    message: Any
    skipped: int
    # Its footprint, charged to the caller's pending bytes (memory.py).
    size: int


def value_size(record: Record) -> int:
    """The bytes a delivery spends: the record's value as written (0 for a null value)."""
    if record.raw_value is not None:
        return len(record.raw_value)
    return 0


def _slot(record: Record) -> Hashable:
    # A key that is not UTF-8 is a key too (its bytes; no text key equals bytes).
    key = record.key if record.binary_key is None else record.binary_key
    return ("key", key) if key is not None else ("partition", record.partition)


def _at(record: Record, positions: Mapping[int, int]) -> dict[int, int]:
    """Positions that resume at `record` itself."""
    return {**positions, record.partition: record.offset}


def _limited(registry: LimitsRegistry, reason: str, cursor: str, wait: float) -> RateLimited:
    limits = registry.settings
    return RateLimited(
        f"{reason}: this caller may receive {limits.delivery_messages_per_s} messages and "
        f"{limits.delivery_bytes_per_s} bytes per second across its subscriptions "
        "(limits.delivery_messages_per_s, limits.delivery_bytes_per_s); resubscribe with "
        "`after` set to extensions.cursor to continue where this stream ended",
        cursor=cursor,
        retryAfter=max(1, int(wait + 0.999)),
    )


def _over_budget(
    registry: LimitsRegistry,
    principal: str,
    cursors: CursorSealer,
    refused: tuple[Record, Mapping[int, int]],
    last: Mapping[int, int] | None,
) -> RateLimited:
    """A closing stream's error: it resumes after the last delivered message, or (before any
    delivery) at the refused one."""
    record, positions = refused
    wait = registry.delivery_wait(principal, value_size(record))
    cursor = (
        cursors.seal(record.topic, last)
        if last is not None
        else _cursor_at(cursors, record, positions)
    )
    return _limited(registry, "delivery budget exceeded", cursor, wait)


class Pending:
    """A conflating stream's messages waiting for budget: the newest per key, in the order their
    newest message arrived."""

    __slots__ = (
        "_conflate",
        "_holdings",
        "_principal",
        "_registry",
        "_state",
        "_tally",
        "backlog",
        "waiting",
    )

    def __init__(
        self, registry: LimitsRegistry, principal: str, tally: Subscription | None = None
    ) -> None:
        self._registry = registry
        self._principal = principal
        self._conflate = registry.settings.subscription_overflow == "conflate"
        self._tally = tally
        self._state = registry.state(principal)
        self._holdings = registry.holdings(principal)
        self.waiting: OrderedDict[Hashable, _Waiting] = OrderedDict()
        # Where to resume from if the stream must close or fails: at the first message that had
        # to wait since the stream last caught up.
        self.backlog: dict[int, int] | None = None

    def ready(self) -> Any:
        """The first waiting message, when the budget holds it now (spent), else None."""
        if not self.waiting:
            return None
        entry = next(iter(self.waiting.values()))
        size = value_size(entry.record)
        if not self._registry.try_deliver(self._principal, size):
            return None
        self.count(size, entry.skipped)
        self.waiting.popitem(last=False)
        self._state.held -= 1 + entry.skipped
        self._holdings.unpend(entry.size)
        message = entry.message
        message.skipped = entry.skipped
        message.resume_from = self.backlog
        return message

    def recheck_in(self) -> float | None:
        """How long to wait before the budget is asked again (None: nothing waits)."""
        if not self.waiting:
            return None
        first = next(iter(self.waiting.values())).record
        wait = self._registry.delivery_wait(self._principal, value_size(first))
        return min(max(wait, 0.001), RECHECK_S)

    def count(self, size: int, skipped: int = 0) -> None:
        """A message of `size` value bytes is delivered (having replaced `skipped` others)."""
        tally = self._tally
        if tally is not None:
            tally.deliveries += 1
            tally.delivered_bytes += size
            tally.skipped += skipped

    def hold(
        self,
        record: Record,
        positions: Mapping[int, int],
        message: Any,
        cursors: CursorSealer,
        last: Mapping[int, int] | None,
    ) -> None:
        """A message the budget does not hold now: RateLimited (closing the stream after `last`,
        the last delivered message's positions), or, conflating, it waits, replacing the one of
        its key (RateLimited when it cannot)."""
        registry, waiting = self._registry, self.waiting
        if not self._conflate:
            raise _over_budget(registry, self._principal, cursors, (record, positions), last)
        max_pending = registry.settings.max_pending_keys
        slot = _slot(record)
        previous = waiting.pop(slot, None)
        size = footprint(record)
        too_many = previous is None and len(waiting) >= max_pending
        if too_many or not self._holdings.pend(size - (previous.size if previous else 0)):
            if previous is not None:
                waiting[slot] = previous  # given back by release(), with the others
            reason = (
                f"more than {max_pending} keys are waiting for delivery (limits.max_pending_keys)"
                if too_many
                else "this caller's subscriptions keep more than "
                f"{registry.settings.max_pending_bytes} bytes of messages waiting for "
                "delivery (limits.max_pending_bytes)"
            )
            raise _limited(
                registry,
                reason,
                _cursor_at(cursors, record, positions)
                if self.backlog is None
                else cursors.seal(record.topic, self.backlog),
                registry.delivery_wait(self._principal, value_size(record)),
            )
        if self.backlog is None:
            self.backlog = _at(record, positions)
        skipped = previous.skipped + 1 if previous is not None else 0
        if previous is not None:
            _carry_gap(previous.message, message)
        # The newest message of its key goes last: deliveries keep the order of arrival.
        waiting[slot] = _Waiting(record, message, skipped, size)
        self._state.held += 1

    def release(self) -> None:
        """What still waits when the stream ends is given back to the caller's counts."""
        self._state.held -= sum(1 + entry.skipped for entry in self.waiting.values())
        self._holdings.unpend(sum(entry.size for entry in self.waiting.values()))


def _carry_gap(replaced: Any, message: Any) -> None:
    """A conflated message's report of a gap or reset (core/streams.py) goes on with the
    message that replaces it: the count is never dropped."""
    count, reset = getattr(replaced, "expired", 0), getattr(replaced, "reset", False)
    if count:
        message.expired = getattr(message, "expired", 0) + count
    if reset:
        message.reset = True


def _cursor_at(cursors: CursorSealer, record: Record, positions: Mapping[int, int]) -> str:
    return cursors.seal(record.topic, _at(record, positions))
