"""Groups of subscribers that receive the same bytes for the same record.

Two live subscriptions of one topic get the same `next` payload for a record when everything
that shapes it is equal: the document and operation (selection set, aliases, fragments,
directives), the variables, and what the caller may see (its scopes, which decide the field
masks of a typed topic's values, the view itself, and its value of the topic's record-rule
claim). That tuple is the group key. Which records a subscriber receives stays its own business
(its filter and record rule run in its own stream, before anything is queued); the key holds
the filter anyway (it is in the document or the variables), so a group never mixes filters.

The payload of a record also holds the subscriber's cursor, which is its stream's positions
just after the record: subscribers level with each other have the same, one that joined from a
cursor of its own may differ for a while. A payload is therefore kept per record *and*
positions, and a member whose positions differ gets a payload of its own.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from inspect import isawaitable
from typing import Any

from graphql import DocumentNode, ExecutionResult, Executor, execute_subscription_event

from kafka_graphql.core.auth.field_masks import FieldView
from kafka_graphql.core.delivery_spans import delivering
from kafka_graphql.core.errors import LimitExceeded
from kafka_graphql.core.limits.ledger import Ledger
from kafka_graphql.core.telemetry import NO_TELEMETRY, Telemetry
from kafka_graphql.graphql.frame_size import check_frame
from kafka_graphql.settings.limits import LimitsSettings

log = logging.getLogger(__name__)

# What one kept payload costs beyond its characters: the string object, its entry, its key.
PAYLOAD_OVERHEAD = 200

Encode = Callable[[Any], str | bytes]


@dataclass(frozen=True, slots=True)
class GroupKey:
    topic: str
    query: str
    operation_name: str | None
    # Every variable, as canonical JSON: those that only steer the stream (`after`) split
    # groups needlessly, but a variable that shapes the result can never be missed.
    variables: str
    scopes: frozenset[str]
    view: FieldView
    # None when no record rule binds the caller; else (the caller's claim value,).
    record_claim: tuple[str | None] | None


def group_key(
    *,
    topic: str,
    query: str,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
    scopes: frozenset[str],
    view: FieldView,
    record_claim: tuple[str | None] | None,
) -> GroupKey:
    canonical = json.dumps(variables or {}, sort_keys=True, separators=(",", ":"))
    return GroupKey(topic, query, operation_name, canonical, scopes, view, record_claim)


class SharedGroup:
    """One group: its operation, executed once per record (and positions) for all members.

    Its payload cache is bounded in bytes: `limits.shared_cache_bytes_per_member` for each
    member beyond the first (a group of one keeps nothing: no one could use it), at most
    `limits.max_shared_cache_bytes`; the oldest payloads leave first, and a payload larger than
    the bound is not kept. What it keeps counts towards `limits.max_buffered_bytes`.

    When the group's own work fails (its execution raises, or its encoding), the group is
    broken: from then on every member takes the normal path, where each stream's own selection
    and encoding decide for that stream alone (graphql/stream_failures.py). Logged once per
    group."""

    def __init__(
        self,
        executor: Executor[Any],
        encode: Encode,
        budget: CacheBudget,
        topic: str = "",
        telemetry: Telemetry = NO_TELEMETRY,
    ) -> None:
        self.members = 0
        # Delivery spans: one per record for the group (not per member), when a sink traces.
        self._telemetry = telemetry if telemetry.traces_deliveries else None
        self._traced: dict[int, int] = {}
        self._executor = executor
        self._encode = encode
        self._budget = budget
        self._topic = topic
        self._payloads: dict[tuple[int, int], tuple[Mapping[int, int], str | bytes, int]] = {}
        self.cached_bytes = 0
        self.executions = 0
        self.broken = False

    async def payload(self, message: Any) -> str | bytes | None:
        """The encoded `{"data": ...}` of `message` (a RecordFields message), or None when the
        member must take the normal path: its execution has errors (the normal path then
        answers, with the errors in their public shape), or the group is broken."""
        if self.broken:
            return None
        record = (message.partition, message.offset)
        kept = self._payloads.get(record)
        if kept is not None and kept[0] == message.positions:
            return kept[1]
        if self._telemetry is not None and self._first_time(message.partition, message.offset):
            with delivering(self._telemetry, message.record):
                return await self._made(message, record, kept)
        return await self._made(message, record, kept)

    def _first_time(self, partition: int, offset: int) -> bool:
        """Whether the group executes this record for the first time (members behind the
        others, which joined from a cursor, execute older records again)."""
        if offset <= self._traced.get(partition, -1):
            return False
        self._traced[partition] = offset
        return True

    async def _made(
        self,
        message: Any,
        record: tuple[int, int],
        kept: tuple[Mapping[int, int], str | bytes, int] | None,
    ) -> str | bytes | None:
        try:
            result = execute_subscription_event(self._executor.build_per_event_executor(message))
            if isawaitable(result):
                result = await result
            assert isinstance(result, ExecutionResult)
            self.executions += 1
            if result.errors:
                return None
            limits, source = self._budget.limits, getattr(message, "record", None)
            if limits is not None and source is not None:
                # Too large to send: the normal path refuses it for each member, with a cursor.
                try:
                    check_frame(limits, source, len(message.positions), result.data)
                except LimitExceeded:
                    return None
            payload = self._encode({"data": result.data})
        except Exception:
            self.broken = True
            self.trim(0)
            log.exception(
                "a shared subscription group of %s failed; its members take the normal path",
                self._topic,
            )
            return None
        self._keep(record, message.positions, payload, kept)
        return payload

    def _keep(
        self,
        record: tuple[int, int],
        positions: Mapping[int, int],
        payload: str | bytes,
        kept: tuple[Mapping[int, int], str | bytes, int] | None,
    ) -> None:
        limit = self._budget.limit(self.members)
        cost = len(payload) + PAYLOAD_OVERHEAD
        if kept is not None:
            del self._payloads[record]
            self._forget(kept[2])
        if cost > limit:
            return
        self.trim(limit - cost)
        self._payloads[record] = (positions, payload, cost)
        self.cached_bytes += cost
        self._budget.ledger.add(cost)

    def trim(self, limit: int) -> None:
        """Forgets the oldest payloads until the cache holds at most `limit` bytes."""
        payloads = self._payloads
        while self.cached_bytes > limit and payloads:
            self._forget(payloads.pop(next(iter(payloads)))[2])

    def _forget(self, cost: int) -> None:
        self.cached_bytes -= cost
        self._budget.ledger.sub(cost)


@dataclass(frozen=True, slots=True)
class CacheBudget:
    """How much one group's payload cache may hold, and the account it counts towards."""

    per_member: int
    most: int
    ledger: Ledger
    # For the bound on a message's size (graphql/frame_size.py).
    limits: LimitsSettings | None = None

    def limit(self, members: int) -> int:
        return min(self.most, max(0, members - 1) * self.per_member)


class SharedGroups:
    """The groups of this process, each alive while it has members."""

    def __init__(
        self,
        encode: Encode,
        limits: LimitsSettings,
        ledger: Ledger,
        telemetry: Telemetry = NO_TELEMETRY,
    ) -> None:
        self._groups: dict[GroupKey, SharedGroup] = {}
        self._encode = encode
        self._telemetry = telemetry
        self._budget = CacheBudget(
            limits.shared_cache_bytes_per_member, limits.max_shared_cache_bytes, ledger, limits
        )

    def __len__(self) -> int:
        return len(self._groups)

    @property
    def executions(self) -> int:
        """Executions of the groups alive now (for tests and operations tooling)."""
        return sum(group.executions for group in self._groups.values())

    def join(
        self,
        key: GroupKey,
        schema: Any,
        document: Callable[[], DocumentNode],
        context: Any,
        variables: Any,
    ) -> SharedGroup | None:
        """Membership of the group for `key`, made on first use with an executor for the
        operation (`document()`, asked for only then); None when the operation cannot be
        prepared again (the normal path then serves it). A member that joined must `leave`."""
        group = self._groups.get(key)
        if group is None:
            executor = Executor.build(
                schema, document(), context_value=context, raw_variable_values=variables
            )
            if not isinstance(executor, Executor):
                return None
            group = SharedGroup(executor, self._encode, self._budget, key.topic, self._telemetry)
            self._groups[key] = group
            self._telemetry.subscription_groups_changed(len(self._groups))
        group.members += 1
        return group

    def leave(self, key: GroupKey, group: SharedGroup) -> None:
        group.members -= 1
        group.trim(self._budget.limit(group.members))
        if group.members == 0 and self._groups.get(key) is group:
            del self._groups[key]
            self._telemetry.subscription_groups_changed(len(self._groups))

    @contextmanager
    def member(
        self, key: GroupKey, schema: Any, document: DocumentNode, context: Any, variables: Any
    ) -> Iterator[SharedGroup | None]:
        """`join` and `leave` around a block."""
        group = self.join(key, schema, lambda: document, context, variables)
        try:
            yield group
        finally:
            if group is not None:
                self.leave(key, group)
