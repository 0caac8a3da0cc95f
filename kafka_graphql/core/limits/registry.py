"""What the gateway remembers per caller (principal id), bounded in memory.

One registry holds every per-principal limit's state, so that a caller's budgets live and are
forgotten together. Entries are kept in least-recently-seen order. An entry whose buckets are all
full again holds nothing worth keeping and is dropped as newer callers arrive; beyond
`limits.max_tracked_principals` the least recently seen entry is dropped even if it is not full
(that caller starts afresh if it comes back): 100,000 callers, or a million, cost no more
memory than that bound. An entry that holds open subscriptions or connections is never dropped
(its counts would be lost and the caps with them): the registry holds at most the bound plus the
callers with an open WebSocket.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from kafka_graphql.core.errors import BadUserInput, LimitExceeded, RateLimited
from kafka_graphql.core.limits.bucket import Clock, LeakyBucket, retry_after
from kafka_graphql.core.limits.ledger import Ledger
from kafka_graphql.core.limits.memory import Holdings
from kafka_graphql.settings.limits import LimitsSettings

# Entries looked at per new caller for being at rest: bounded work per request, and enough to
# keep up (each new caller adds one entry and may remove this many).
SWEEP = 2


class PrincipalState:
    """One caller's buckets, each made when first used, and its open streams and sockets."""

    __slots__ = (
        "connections",
        "cost",
        "delivery_bytes",
        "delivery_messages",
        "held",
        "holdings",
        "produce_bytes",
        "produce_messages",
        "subscriptions",
    )

    def __init__(self) -> None:
        self.cost: LeakyBucket | None = None
        self.produce_messages: LeakyBucket | None = None
        self.produce_bytes: LeakyBucket | None = None
        self.delivery_messages: LeakyBucket | None = None
        self.delivery_bytes: LeakyBucket | None = None
        self.subscriptions = 0
        self.connections = 0
        # Matching messages the caller's conflating streams hold back now: those waiting for
        # budget and those they replaced (the `skipped` still to be reported).
        self.held = 0
        # The bytes its streams hold (memory.py), made with its first stream.
        self.holdings: Holdings | None = None

    def buckets(self) -> Iterator[LeakyBucket]:
        for bucket in (
            self.cost,
            self.produce_messages,
            self.produce_bytes,
            self.delivery_messages,
            self.delivery_bytes,
        ):
            if bucket is not None:
                yield bucket

    def busy(self) -> bool:
        return self.subscriptions > 0 or self.connections > 0

    def at_rest(self) -> bool:
        return not self.busy() and all(bucket.at_rest() for bucket in self.buckets())


@dataclass(frozen=True, slots=True)
class BudgetStatus:
    """A caller's cost budget at one moment."""

    maximum: int
    available: float
    restore_rate: float
    # Wall-clock time (seconds since the epoch) at which the budget is full again.
    full_at: float


class LimitsRegistry:
    def __init__(
        self,
        settings: LimitsSettings | None = None,
        clock: Clock = time.monotonic,
        wall_clock: Clock = time.time,
    ) -> None:
        self.settings = settings or LimitsSettings()
        self._clock = clock
        self._wall_clock = wall_clock
        self._states: OrderedDict[str, PrincipalState] = OrderedDict()
        # What the process holds for subscribers (memory.py).
        self.memory = Ledger(self.settings)

    def __len__(self) -> int:
        return len(self._states)

    def state(self, principal: str) -> PrincipalState:
        """`principal`'s state, made if new; it becomes the most recently seen."""
        state = self._states.get(principal)
        if state is not None:
            self._states.move_to_end(principal)
            return state
        self._forget_some()
        state = self._states[principal] = PrincipalState()
        return state

    def _forget_some(self) -> None:
        for _ in range(SWEEP):
            oldest = next(iter(self._states.values()), None)
            if oldest is None or not oldest.at_rest():
                break
            self._states.popitem(last=False)
        # Full: the least recently seen entry goes, unless it is busy (then it counts as seen).
        busy = 0
        while len(self._states) - busy >= self.settings.max_tracked_principals:
            principal, oldest = next(iter(self._states.items()))
            if oldest.busy():
                self._states.move_to_end(principal)
                busy += 1
            else:
                self._states.popitem(last=False)

    def _bucket(self, capacity: float, refill_per_s: float) -> LeakyBucket:
        return LeakyBucket(capacity, refill_per_s, self._clock)

    # The cost budget.

    def _cost_bucket(self, principal: str) -> LeakyBucket:
        state = self.state(principal)
        if state.cost is None:
            state.cost = self._bucket(self.settings.cost_budget, self.settings.cost_refill_per_s)
        return state.cost

    def spend(self, principal: str, points: int) -> None:
        """Takes `points` from the caller's budget, or raises RateLimited and takes nothing."""
        if points <= 0:
            return
        bucket = self._cost_bucket(principal)
        wait = bucket.wait_for(points)
        if wait > 0:
            seconds = retry_after(wait)
            raise RateLimited(
                f"this operation costs {points} points and {int(bucket.available())} of the "
                f"{self.settings.cost_budget} in your budget are left; it refills at "
                f"{self.settings.cost_refill_per_s:g} points per second: retry in {seconds} s",
                retryAfter=seconds,
            )
        bucket.take(points)

    def refund(self, principal: str, points: int) -> None:
        """Gives back what an operation was charged but did not use."""
        state = self._states.get(principal)
        if points > 0 and state is not None and state.cost is not None:
            state.cost.give_back(points)

    def budget(self, principal: str) -> BudgetStatus:
        """The caller's cost budget now (a caller not seen yet has all of it)."""
        state = self._states.get(principal)
        bucket = state.cost if state is not None else None
        available = bucket.available() if bucket is not None else self.settings.cost_budget
        full_in = bucket.full_in() if bucket is not None else 0.0
        return BudgetStatus(
            maximum=self.settings.cost_budget,
            available=available,
            restore_rate=self.settings.cost_refill_per_s,
            full_at=self._wall_clock() + full_in,
        )

    # Produce.

    def admit_produce(self, principal: str, sizes: Sequence[int]) -> None:
        """Before messages of these sizes (bytes) are written: BAD_USER_INPUT for a message, or
        a batch, that no rate would ever let through; RATE_LIMITED when the caller must wait.
        Nothing is taken from either budget unless both allow it."""
        limits = self.settings
        for index, size in enumerate(sizes):
            if size > limits.max_message_bytes:
                which = f"message {index}" if len(sizes) > 1 else "the message"
                raise BadUserInput(
                    f"{which} is {size} bytes (key, value and headers); at most "
                    f"{limits.max_message_bytes} are allowed",
                    index=index,
                )
        total = sum(sizes)
        if total > limits.produce_bytes_per_s:
            raise BadUserInput(
                f"these messages hold {total} bytes, more than the {limits.produce_bytes_per_s} "
                "one caller may write per second: send them in smaller batches"
            )
        state = self.state(principal)
        if state.produce_messages is None or state.produce_bytes is None:
            rate, byte_rate = limits.produce_messages_per_s, limits.produce_bytes_per_s
            state.produce_messages = self._bucket(rate, rate)
            state.produce_bytes = self._bucket(byte_rate, byte_rate)
        wait = max(state.produce_messages.wait_for(len(sizes)), state.produce_bytes.wait_for(total))
        if wait > 0:
            seconds = retry_after(wait)
            raise RateLimited(
                f"writing {len(sizes)} message(s) of {total} bytes now would exceed "
                f"{limits.produce_messages_per_s} messages or {limits.produce_bytes_per_s} "
                f"bytes per second: retry in {seconds} s",
                retryAfter=seconds,
            )
        state.produce_messages.take(len(sizes))
        state.produce_bytes.take(total)

    # Delivery to subscribers, shared by all of a caller's streams.

    def _delivery_buckets(self, principal: str) -> tuple[LeakyBucket, LeakyBucket]:
        state = self.state(principal)
        if state.delivery_messages is None or state.delivery_bytes is None:
            limits = self.settings
            rate, byte_rate = limits.delivery_messages_per_s, limits.delivery_bytes_per_s
            state.delivery_messages = self._bucket(rate, rate)
            state.delivery_bytes = self._bucket(byte_rate, byte_rate)
        return state.delivery_messages, state.delivery_bytes

    def delivery_wait(self, principal: str, size: int) -> float:
        """Seconds until a message of `size` value bytes may be delivered to the caller: 0 now.
        A value larger than a second's worth of bytes counts as a second's worth (it waits for
        a full bucket rather than forever)."""
        messages, byte_bucket = self._delivery_buckets(principal)
        size = min(size, self.settings.delivery_bytes_per_s)
        return max(messages.wait_for(1), byte_bucket.wait_for(size))

    def try_deliver(self, principal: str, size: int) -> bool:
        """Takes one message of `size` value bytes from the caller's delivery budget if both
        buckets allow it now; False (and nothing taken) otherwise."""
        if self.delivery_wait(principal, size) > 0:
            return False
        messages, byte_bucket = self._delivery_buckets(principal)
        messages.take(1)
        byte_bucket.take(min(size, self.settings.delivery_bytes_per_s))
        return True

    # Subscriptions and connections across all of a caller's sockets.

    def holdings(self, principal: str) -> Holdings:
        """The account of the bytes `principal`'s streams hold."""
        state = self.state(principal)
        if state.holdings is None:
            state.holdings = self.memory.holdings()
        return state.holdings

    def check_subscription(self, principal: str) -> None:
        """Raises LimitExceeded when the caller holds as many subscriptions as it may, or the
        process holds more for its subscribers than it may."""
        if self.memory.over():
            raise LimitExceeded(
                f"the gateway holds more than {self.settings.max_buffered_bytes} bytes for its "
                "subscribers (limits.max_buffered_bytes); retry later"
            )
        state = self._states.get(principal)
        limit = self.settings.max_subscriptions_per_principal
        if state is not None and state.subscriptions >= limit:
            raise LimitExceeded(
                f"at most {limit} subscriptions per caller across all of its connections "
                "(limits.max_subscriptions_per_principal)"
            )

    def open_subscription(self, principal: str) -> None:
        self.state(principal).subscriptions += 1

    def close_subscription(self, principal: str) -> None:
        state = self._states.get(principal)
        if state is not None and state.subscriptions > 0:
            state.subscriptions -= 1

    def open_connection(self, principal: str) -> bool:
        """Counts a connection for the caller; False (and nothing counted) when it holds as many
        as it may."""
        state = self.state(principal)
        if state.connections >= self.settings.max_connections_per_principal:
            return False
        state.connections += 1
        return True

    def close_connection(self, principal: str) -> None:
        state = self._states.get(principal)
        if state is not None and state.connections > 0:
            state.connections -= 1
