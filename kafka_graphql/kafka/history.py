"""Bounded history reads: one page of matching records from given positions, and where to go on.

A page merges the records of its partitions by timestamp and takes `limit` matches; each
partition contributes a contiguous prefix of what it holds, so the positions returned continue
the page exactly. The page is worked out while the records are read, keeping only what can still
be on it (page_order.py): memory is bounded by `limit` records, not by the records scanned, and
the scan gives the event loop back every few ms (slices.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from kafka_graphql.core.errors import KafkaUnavailable
from kafka_graphql.core.slices import Slices
from kafka_graphql.kafka.page_order import PageBuilder
from kafka_graphql.kafka.reader import PartitionReader
from kafka_graphql.kafka.reader_pool import ReaderPool
from kafka_graphql.kafka.records import Gaps, Page, Record
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
    owner: str = "",
) -> Page:
    """Read up to `limit` matching records between `start` and `end` (exclusive) per partition.

    Records of all partitions are merged by timestamp. Each partition contributes a contiguous
    prefix of what it holds, so the returned positions continue the page exactly: records that did
    not match the filter are passed over and never come back on the next page.
    """
    todo = {p for p, offset in start.items() if offset < end[p]}
    page = PageBuilder(start, todo, limit)
    gaps = Gaps()  # what was deleted after the read was planned, before the reader got to it
    if todo:
        matched = dict.fromkeys(todo, 0)
        scanned = 0
        slices = Slices()
        deadline = time.monotonic() + settings.request_timeout_s
        chosen = {p: start[p] for p in todo}
        async with PartitionReader(settings, topic, chosen, readers, owner, gaps) as reader:
            while todo and scanned < max_scan and time.monotonic() < deadline:
                for partition, records in (await reader.fetch(FETCH_WAIT_S)).items():
                    # Decoded one by one as the scan reaches them (none past the end).
                    for record in records:
                        if record.offset >= end[partition]:
                            break
                        scanned += 1
                        wanted = predicate(record)
                        matched[partition] += wanted
                        page.add(record, wanted)
                        if slices.due():
                            await slices.pause()
                for partition in list(todo):
                    position = await reader.position(partition)
                    if position >= end[partition] or matched[partition] >= limit:
                        # Enough from this partition alone, or its end is reached: stop fetching it.
                        todo.discard(partition)
                        reader.pause(partition)
                        page.reached(partition, min(position, end[partition]))
            if todo and scanned == 0 and time.monotonic() >= deadline:
                raise KafkaUnavailable(f"Kafka returned no records of {topic!r} in time")
    matches, positions = page.result()
    has_more = any(positions[p] < end[p] for p in positions)
    return Page(matches, positions, has_more, gaps)
