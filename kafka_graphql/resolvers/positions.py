"""Where a read starts: from a cursor, an offset, a time, or the topic's start or end."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from kafka_graphql.cursor import decode_cursor
from kafka_graphql.errors import BadUserInput
from kafka_graphql.kafka import KafkaGateway, PartitionOffsets


async def select_partitions(
    kafka: KafkaGateway, topic: str, partitions: Sequence[int] | None
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
    kafka: KafkaGateway,
    topic: str,
    partitions: Sequence[int],
    offsets: dict[int, PartitionOffsets],
    *,
    after: str | None,
    from_offset: int | None,
    from_timestamp: datetime | None,
    default: Literal["earliest", "latest"],
) -> dict[int, int]:
    """Next offset to read per partition, clamped to what the partitions still hold."""
    if sum(x is not None for x in (after, from_offset, from_timestamp)) > 1:
        raise BadUserInput("give at most one of after, fromOffset and fromTimestamp")
    if after is not None:
        cursor = decode_cursor(after, topic)
        unknown = sorted(set(cursor.positions) - set(await kafka.partitions(topic)))
        if unknown:
            raise BadUserInput(f"cursor names partition {unknown[0]}, which topic {topic!r} lacks")
        # A partition missing from the cursor was added to the topic later: all of it is new.
        wanted = {p: cursor.positions.get(p, offsets[p].earliest) for p in partitions}
    elif from_offset is not None:
        if from_offset < 0:
            raise BadUserInput("fromOffset must not be negative")
        wanted = dict.fromkeys(partitions, from_offset)
    elif from_timestamp is not None:
        found = await kafka.offsets_for_time(
            topic, partitions, int(from_timestamp.timestamp() * 1000)
        )
        wanted = {p: o if o is not None else offsets[p].latest for p, o in found.items()}
    elif default == "earliest":
        wanted = {p: offsets[p].earliest for p in partitions}
    else:
        wanted = {p: offsets[p].latest for p in partitions}
    # Positions before the earliest were removed by retention; past the end do not exist yet.
    return {p: min(max(o, offsets[p].earliest), offsets[p].latest) for p, o in wanted.items()}
