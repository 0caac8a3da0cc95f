"""A read's plan, for a page or a stream: the topic checked, its partitions, where the read starts
(from a cursor, an offset, a time, or the topic's start or end) and the predicate it runs (the
client's filter and the caller's record rule)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from kafka_graphql.core.access import readable_topic
from kafka_graphql.core.auth.principal import Principal
from kafka_graphql.core.cursor import CursorSealer
from kafka_graphql.core.errors import BadUserInput, CursorExpired
from kafka_graphql.core.filters.predicates import (
    Predicate,
    match_all,
)
from kafka_graphql.core.gateway import Core
from kafka_graphql.core.kafka_layer import KafkaLayer
from kafka_graphql.core.record_access import read_guard
from kafka_graphql.kafka import Gaps, IndexHint, PartitionOffsets
from kafka_graphql.kafka.live_index import both


async def select_partitions(
    kafka: KafkaLayer, topic: str, partitions: Sequence[int] | None
) -> tuple[tuple[int, ...], bool]:
    """The partitions a request reads, and whether the client chose them itself."""
    existing = await kafka.partitions(topic)
    if partitions is None:
        return existing, False
    if not partitions:
        raise BadUserInput("partitions must not be empty (omit it to read all partitions)")
    unknown = sorted(set(partitions) - set(existing))
    if unknown:
        raise BadUserInput(
            f"topic {topic!r} has no partition {unknown[0]} (it has {len(existing)})"
        )
    return tuple(sorted(set(partitions))), True


async def start_positions(
    kafka: KafkaLayer,
    topic: str,
    partitions: Sequence[int],
    offsets: dict[int, PartitionOffsets],
    cursors: CursorSealer,
    *,
    after: str | None,
    from_offset: int | None,
    from_timestamp: datetime | None,
    default: Literal["earliest", "latest"],
) -> tuple[dict[int, int], Gaps]:
    """Next offset to read per partition, clamped to what the partitions still hold; and what
    the clamping left out: offsets below the earliest (gone) and positions past the end (reset
    to it), which the read reports (docs/api.md#when-records-are-gone)."""
    if sum(x is not None for x in (after, from_offset, from_timestamp)) > 1:
        raise BadUserInput("give at most one of after, fromOffset and fromTimestamp")
    if after is not None:
        resumed = cursors.open(after, topic)
        unknown = sorted(set(resumed) - set(await kafka.partitions(topic)))
        if unknown:
            raise BadUserInput(f"cursor names partition {unknown[0]}, which topic {topic!r} lacks")
        # A partition missing from the cursor was added to the topic later: all of it is new.
        wanted = {p: resumed.get(p, offsets[p].earliest) for p in partitions}
    elif from_offset is not None:
        if from_offset < 0:
            raise BadUserInput("fromOffset must not be negative")
        wanted = dict.fromkeys(partitions, from_offset)
    elif from_timestamp is not None:
        found = await kafka.offsets_for_time(
            # Kafka reads -1 and -2 as "latest" and "earliest": before 1970 is from the start.
            topic,
            partitions,
            max(0, int(from_timestamp.timestamp() * 1000)),
        )
        wanted = {p: o if o is not None else offsets[p].latest for p, o in found.items()}
    elif default == "earliest":
        wanted = {p: offsets[p].earliest for p in partitions}
    else:
        wanted = {p: offsets[p].latest for p in partitions}
    return clamped(wanted, offsets)


def clamped(
    wanted: dict[int, int], offsets: dict[int, PartitionOffsets]
) -> tuple[dict[int, int], Gaps]:
    """`wanted` within what each partition holds, and what that left out. Positions before the
    earliest were removed (retention, deleteRecords); past the end, the partition's offsets
    started over (the topic was made again) or the position is another cluster's."""
    gaps, positions = Gaps(), {}
    for partition, offset in wanted.items():
        earliest, latest = offsets[partition].earliest, offsets[partition].latest
        if offset < earliest:
            gaps.gone(partition, offset, earliest)
            offset = earliest
        elif offset > latest:
            gaps.reset(partition, offset, latest)
            offset = latest
        positions[partition] = offset
    return positions, gaps


OnGap = Literal["REPORT", "FAIL"]


def expired(offsets: dict[int, PartitionOffsets], gaps: Gaps) -> CursorExpired:
    """The refusal of a read that asked to fail (`onGap: FAIL`) rather than skip `gaps`."""
    gone = [{"partition": g.partition, "from": g.start, "to": g.end} for g in gaps.gaps]
    resets = [
        {"partition": r.partition, "requested": r.requested, "resumedAt": r.resumed}
        for r in gaps.resets
    ]
    what = "records it would read are gone" if gone else "its position is past the log end"
    return CursorExpired(
        f"the read cannot continue where it was asked to: {what} (onGap: FAIL); read again "
        "from extensions.earliest, or with onGap: REPORT to be told what was skipped",
        earliest=[{"partition": p, "offset": o.earliest} for p, o in sorted(offsets.items())],
        gaps=gone,
        resets=resets,
    )


@dataclass(frozen=True, slots=True)
class Start:
    """Where a read starts, and which partitions it reads (None: all, new ones included). At
    most one of `after` (a sealed cursor), `from_offset` and `from_timestamp`; none: a page
    starts at the earliest offsets, a stream at the end."""

    after: str | None = None
    from_offset: int | None = None
    from_timestamp: datetime | None = None
    partitions: Sequence[int] | None = None
    # What the read does when records it would start with are gone, or its position is past
    # the end: report it (the page's `gaps`/`resets`, the messages' `expired`/`reset`) or fail
    # with CURSOR_EXPIRED before anything is sent.
    on_gap: OnGap = "REPORT"
    # A stream from each partition's earliest offset still stored, whatever it is (REST's
    # `from=beginning`): nothing before it is a gap.
    beginning: bool = False

    @property
    def given(self) -> bool:
        return (
            self.beginning
            or self.after is not None
            or self.from_offset is not None
            or self.from_timestamp is not None
        )


@dataclass(frozen=True, slots=True)
class ReadPlan:
    """What a history read or a subscription reads, checked and resolved before it starts."""

    topic: str
    predicate: Predicate
    partitions: tuple[int, ...]
    # Whether the client named the partitions itself (a stream then ignores new ones).
    chosen: bool
    # Offsets of the selected partitions when they were needed to resolve the start.
    offsets: dict[int, PartitionOffsets]
    # Next offset per partition; None for a live stream that starts at the end.
    start: dict[int, int] | None
    # The record-level rule, exact once a record's value is decoded: a resolver checks it
    # again before it answers with a record (`predicate` already holds it, but on a typed
    # topic it lets through values not decodable yet).
    visible: Predicate = match_all
    # Equalities `predicate` requires (the filter's and the record rule's), for the live feed.
    hint: IndexHint | None = None
    # What the start left out (below the earliest, past the end), and what a stream finds gone
    # as it reads (filled by its readers): reported on the page, or on the next message of
    # each partition.
    gaps: Gaps = field(default_factory=Gaps)
    fail_on_gap: bool = False


async def plan_read(
    core: Core,
    principal: Principal,
    topic: str,
    start: Start,
    predicate: Predicate,
    hint: IndexHint | None,
    *,
    live: bool,
) -> ReadPlan:
    """Validate a read's arguments and work out where it starts. History reads start at the
    earliest offsets by default, live streams at the end (resolved by the live feed itself).

    `predicate` is the client's filter, `hint` the equalities it requires. The topic's
    record-level rule, if it binds the caller, is ANDed with it."""
    topic = readable_topic(core, principal, topic)
    guard = read_guard(core, principal, topic)
    visible: Predicate = match_all
    if guard is not None:
        predicate, visible = _both(guard.prefilter, predicate), guard.visible
        hint = both(hint, guard.hint)
    kafka = core.kafka
    selected, chosen = await select_partitions(kafka, topic, start.partitions)
    fail = start.on_gap == "FAIL"
    if live and not start.given:
        return ReadPlan(
            topic, predicate, selected, chosen, {}, None, visible, hint, fail_on_gap=fail
        )
    offsets = await kafka.offsets(topic, selected)
    positions, gaps = await start_positions(
        kafka,
        topic,
        selected,
        offsets,
        core.cursors,
        after=start.after,
        from_offset=start.from_offset,
        from_timestamp=start.from_timestamp,
        default="latest" if live and not start.beginning else "earliest",
    )
    if fail and gaps.waiting:
        raise expired(offsets, gaps)
    return ReadPlan(
        topic, predicate, selected, chosen, offsets, positions, visible, hint, gaps, fail
    )


def _both(first: Predicate, second: Predicate) -> Predicate:
    if second is match_all:
        return first
    return lambda record: first(record) and second(record)
