"""Bounded history reads: one page of matching records from given positions, and where to go on."""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable, Mapping

from kafka_graphql.errors import KafkaUnavailable
from kafka_graphql.kafka.reader import PartitionReader, ReaderPool
from kafka_graphql.kafka.records import Page, Record
from kafka_graphql.settings import KafkaSettings

FETCH_WAIT_S = 0.2


async def read_page(
    settings: KafkaSettings,
    topic: str,
    start: Mapping[int, int],
    end: Mapping[int, int],
    limit: int,
    predicate: Callable[[Record], bool],
    max_scan: int,
    readers: ReaderPool | None = None,
) -> Page:
    """Read up to `limit` matching records between `start` and `end` (exclusive) per partition.

    Records of all partitions are merged by timestamp. Each partition contributes a contiguous
    prefix of what it holds, so the returned positions continue the page exactly: records that did
    not match the filter are passed over and never come back on the next page.
    """
    todo = {p for p, offset in start.items() if offset < end[p]}
    buffers: dict[int, list[Record]] = {p: [] for p in todo}
    reached: dict[int, int] = {}
    if todo:
        matched = dict.fromkeys(todo, 0)
        scanned = 0
        deadline = time.monotonic() + settings.request_timeout_s
        async with PartitionReader(settings, topic, {p: start[p] for p in todo}, readers) as reader:
            while todo and scanned < max_scan and time.monotonic() < deadline:
                for partition, records in (await reader.fetch(FETCH_WAIT_S)).items():
                    for record in records:
                        if record.offset >= end[partition]:
                            break
                        buffers[partition].append(record)
                        scanned += 1
                        matched[partition] += predicate(record)
                for partition in list(todo):
                    position = await reader.position(partition)
                    if position >= end[partition] or matched[partition] >= limit:
                        # Enough from this partition alone, or its end is reached: stop fetching it.
                        todo.discard(partition)
                        reader.pause(partition)
                        reached[partition] = min(position, end[partition])
            if todo and scanned == 0 and time.monotonic() >= deadline:
                raise KafkaUnavailable(f"Kafka returned no records of {topic!r} in time")

    positions = dict(start)
    taken = dict.fromkeys(buffers, 0)
    out: list[Record] = []
    for record in heapq.merge(*buffers.values(), key=lambda r: (r.timestamp_ms, r.partition)):
        matches = predicate(record)
        if matches and len(out) >= limit:
            break
        positions[record.partition] = record.offset + 1
        taken[record.partition] += 1
        if matches:
            out.append(record)
    for partition, position in reached.items():
        # Every record read from this partition was used, so the gaps after the last one
        # (transaction markers, compacted offsets) can be passed over too.
        if taken[partition] == len(buffers[partition]):
            positions[partition] = max(positions[partition], position)
    has_more = any(positions[p] < end[p] for p in positions)
    return Page(out, positions, has_more)
