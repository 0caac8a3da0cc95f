"""What a consumer instance may read, and how its reads are shown: subscriptions and assignments
only of topics the caller may read (a pattern matches only those), offsets and positions only
of those topics' partitions, and records under the caller's record rules (another tenant's
record is passed over, so the offsets still advance past it) and field masks; in the schema
formats, keys and values read from Confluent's wire format (core/wire_records.py)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from kafka_graphql.core.access import may_read, readable_topic, readable_topics
from kafka_graphql.core.auth.principal import Principal
from kafka_graphql.core.consumer_instances import AlreadySubscribed, Instance
from kafka_graphql.core.errors import BadUserInput, GatewayError, NoSuchPartition
from kafka_graphql.core.gateway import Core
from kafka_graphql.core.record_access import read_guard
from kafka_graphql.core.typed.generic import caller_view, decoded_record
from kafka_graphql.core.typed.wire import WireValues
from kafka_graphql.core.wire_records import WireReader, wire_reader
from kafka_graphql.kafka import Record

Partition = tuple[str, int]
# A record's size for `max_bytes`: its key's and value's bytes as stored.
Sizer = Callable[[Record], int]


def record_size(record: Record) -> int:
    key = record.binary_key or (record.key or "").encode()
    return len(key) + len(record.raw_value or b"")


async def subscribe(
    core: Core,
    principal: Principal,
    instance: Instance,
    topics: Sequence[str] | None,
    pattern: str | None,
) -> None:
    """Subscribes to `topics`, or to the readable topics whose names `pattern` matches whole."""
    if instance.assigned:
        raise AlreadySubscribed(
            "Consumer cannot subscribe the the specified target because it has already "
            "subscribed to other topics."
        )
    if pattern is not None:
        try:
            compiled = re.compile(pattern)
        except re.error as error:
            raise BadUserInput(f"topic_pattern is not a regular expression: {error}") from None
        names = await core.kafka.topic_names()
        chosen = [t for t in readable_topics(core, principal, names) if compiled.fullmatch(t)]
    else:
        assert topics is not None
        chosen = [readable_topic(core, principal, t) for t in topics]
    async with instance.lock:
        instance.consumer.subscribe(chosen)
        instance.pattern = pattern


async def unsubscribe(instance: Instance) -> None:
    async with instance.lock:
        instance.consumer.unsubscribe()
        instance.pattern = None
        instance.assigned = False


async def assign(
    core: Core, principal: Principal, instance: Instance, partitions: Sequence[Partition]
) -> None:
    if instance.consumer.subscription():
        raise AlreadySubscribed(
            "Consumer cannot be assigned partitions because it has subscribed to topics."
        )
    checked = await checked_partitions(core, principal, partitions)
    async with instance.lock:
        instance.consumer.assign(checked)
        instance.assigned = bool(checked)


async def checked_partitions(
    core: Core, principal: Principal, partitions: Sequence[Partition]
) -> list[Partition]:
    """`partitions` if every one is of a topic the caller may read, and exists."""
    existing: dict[str, tuple[int, ...]] = {}
    for topic, partition in partitions:
        if topic not in existing:
            existing[topic] = await core.kafka.partitions(readable_topic(core, principal, topic))
        if partition not in existing[topic]:
            raise NoSuchPartition(f"partition {partition} of topic {topic!r} not found")
    return list(dict.fromkeys(partitions))


async def commit(
    core: Core, principal: Principal, instance: Instance, offsets: Mapping[Partition, int] | None
) -> None:
    """Commits `offsets` (the next offset per partition, as Kafka counts), or None: every
    position the instance reached."""
    if offsets is not None:
        await checked_partitions(core, principal, list(offsets))
    async with instance.lock:
        await instance.consumer.commit(offsets)


async def committed(
    core: Core, principal: Principal, instance: Instance, partitions: Sequence[Partition]
) -> dict[Partition, int]:
    checked = await checked_partitions(core, principal, partitions)
    async with instance.lock:
        return await instance.consumer.committed(checked)


async def seek(
    core: Core, principal: Principal, instance: Instance, offsets: Mapping[Partition, int]
) -> None:
    await checked_partitions(core, principal, list(offsets))
    async with instance.lock:
        for partition, offset in offsets.items():
            instance.consumer.seek(partition, offset)


async def seek_to(
    core: Core, principal: Principal, instance: Instance, partitions: Sequence[Partition], end: bool
) -> None:
    checked = await checked_partitions(core, principal, partitions)
    async with instance.lock:
        await instance.consumer.seek_to(checked, end)


@dataclass(frozen=True, slots=True)
class Shown:
    """A record as the caller sees it (its value masked on a typed topic); `whole` when the
    caller may see every field, so that its bytes as stored may be shown too (binary);
    `read` its key and value read from the wire format (the schema formats), else None."""

    record: Record
    whole: bool
    read: tuple[object, object] | None = None
    # On the first record shown of its partition after records that were gone (deleted before
    # the instance read them: how many offsets) or a position past the end (`reset`).
    expired: int = 0
    reset: bool = False


async def fetch(
    core: Core,
    principal: Principal,
    instance: Instance,
    timeout_s: float,
    max_bytes: int,
    wire: WireValues | None = None,
) -> list[Shown]:
    """The records the instance reads within `timeout_s`, at least one and otherwise at most
    `max_bytes` of them; those past it are read again next time (the instance seeks back to
    them), those the caller may not see are passed over for good. In a schema format (`wire`
    reads it) the read stops at a record that does not read: the records before it are
    answered, or, when there are none, its error; the instance stays at it."""
    reader = wire_reader(instance.spec.format, wire)
    async with instance.lock:
        records = await instance.consumer.fetch(timeout_s)
        shown: list[Shown] = []
        used, cut = 0, set[Partition]()
        stopped: GatewayError | None = None
        for record in records:
            where = (record.topic, record.partition)
            if where in cut:
                continue
            seen = None
            if stopped is None:
                try:
                    seen = await _as_seen(core, principal, record, reader)
                except GatewayError as error:
                    stopped = error
            size = record_size(record)
            if stopped or (seen is not None and shown and used + size > max_bytes):
                cut.add(where)
                instance.consumer.seek(where, record.offset)
                continue
            if seen is not None:
                used += size
                shown.append(seen)
        if stopped and not shown:
            raise stopped
        gaps = instance.consumer.gaps
        if gaps.pending:  # once per partition per gap, never per record
            shown = [_gone(s, *gaps.take(s.record.topic, s.record.partition)) for s in shown]
        return shown


def _gone(shown: Shown, expired: int, reset: bool) -> Shown:
    return replace(shown, expired=expired, reset=reset) if expired or reset else shown


async def _as_seen(
    core: Core, principal: Principal, record: Record, reader: WireReader | None
) -> Shown | None:
    """`record` as the caller sees it; None when its record rule hides it, or when this call's
    token may no longer read its topic (an instance is its subject's, whichever token)."""
    if not core.topics.is_exposed(record.topic) or not may_read(core, principal, record.topic):
        return None
    typed = core.typed.get(record.topic)
    view = caller_view(typed, principal.scopes)
    seen = await decoded_record(typed, view, record)
    guard = read_guard(core, principal, record.topic)
    if guard is not None and not guard.visible(record):
        return None
    if reader is None:
        return Shown(seen, view.full)
    return Shown(seen, view.full, await reader.key_and_value(record, typed, view))
