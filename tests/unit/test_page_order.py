"""A history page built while reading (page_order.py) is the page the buffered merge made:
every record of every partition buffered, merged with heapq.merge by (timestamp, partition), and
consumed until `limit` matches. Compared on random pages, with timestamps that go back within a
partition, gaps between offsets, and partitions read to their end or cut off."""

from __future__ import annotations

import heapq
import random
import tracemalloc
from collections.abc import Callable, Mapping

import pytest

from kafka_graphql.kafka.page_order import PageBuilder
from kafka_graphql.kafka.records import Record


def buffered_page(
    start: Mapping[int, int],
    buffers: Mapping[int, list[Record]],
    reached: Mapping[int, int],
    limit: int,
    predicate: Callable[[Record], bool],
) -> tuple[list[Record], dict[int, int]]:
    """What kafka/history.py did before it kept only matches: the reference."""
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
        if taken[partition] == len(buffers[partition]):
            positions[partition] = max(positions[partition], position)
    return out, positions


def random_case(
    rng: random.Random,
) -> tuple[dict[int, int], dict[int, list[Record]], dict[int, int], int, float]:
    partitions = rng.sample(range(6), rng.randint(1, 4))
    start: dict[int, int] = {}
    buffers: dict[int, list[Record]] = {}
    reached: dict[int, int] = {}
    for partition in partitions:
        offset = start[partition] = rng.randint(0, 50)
        clock = rng.randint(0, 30)
        records = []
        for _ in range(rng.randint(0, 40)):
            offset += rng.choice((1, 1, 1, 2, 5))  # gaps: markers, compaction
            # Mostly growing, sometimes equal, sometimes going back (producer-set timestamps).
            clock = max(0, clock + rng.choice((0, 0, 1, 2, 3, -2, -7)))
            records.append(Record("t", partition, offset, clock, None, rng.random(), ()))
        buffers[partition] = records
        if rng.random() < 0.7:
            last = records[-1].offset + 1 if records else start[partition]
            reached[partition] = last + rng.choice((0, 0, 1, 3))
    return start, buffers, reached, rng.randint(1, 12), rng.choice((0.0, 0.2, 0.5, 0.9, 1.0))


def built_page(
    start: Mapping[int, int],
    buffers: Mapping[int, list[Record]],
    reached: Mapping[int, int],
    limit: int,
    predicate: Callable[[Record], bool],
    rng: random.Random,
) -> tuple[list[Record], dict[int, int]]:
    page = PageBuilder(start, buffers, limit)
    # Partitions interleaved in a random order, each in its own offset order (as fetches come).
    queues = {p: list(records) for p, records in buffers.items()}
    while any(queues.values()):
        partition = rng.choice([p for p, q in queues.items() if q])
        for _ in range(rng.randint(1, 5)):
            if queues[partition]:
                record = queues[partition].pop(0)
                page.add(record, predicate(record))
    for partition, position in reached.items():
        page.reached(partition, position)
    return page.result()


@pytest.mark.parametrize("seed", range(40))
def test_the_page_is_the_buffered_merge(seed: int) -> None:
    rng = random.Random(seed)  # noqa: S311 - seeded test data, not secrets
    for _ in range(100):
        start, buffers, reached, limit, share = random_case(rng)

        def predicate(record: Record, share: float = share) -> bool:
            return bool(record.value < share)

        expected = buffered_page(start, buffers, reached, limit, predicate)
        assert built_page(start, buffers, reached, limit, predicate, rng) == expected


def test_timestamps_going_back_follow_their_predecessor() -> None:
    """Partition 0 holds [t=5, t=1]: the merge compares 5 with partition 1's 3 first, so the
    record at t=1 comes out after the one at t=3, not before."""
    records = {
        0: [Record("t", 0, 0, 5, None, "a", ()), Record("t", 0, 1, 1, None, "b", ())],
        1: [Record("t", 1, 0, 3, None, "c", ())],
    }
    page = PageBuilder({0: 0, 1: 0}, records, limit=2)
    for record in (*records[0], *records[1]):
        page.add(record, True)
    out, positions = page.result()
    assert [r.value for r in out] == ["c", "a"]
    # Partition 0's "b" is the third match: the page stops before it, and the next page
    # starts with it.
    assert positions == {0: 1, 1: 1}


def test_memory_is_bounded_by_the_page_not_the_scan() -> None:
    """10,000 scanned records of 10 KB, of which none match: what the page holds is the
    scan's timestamps, not the records."""
    page = PageBuilder({0: 0}, [0], limit=200)
    tracemalloc.start()
    try:
        for offset in range(10_000):
            record = Record("t", 0, offset, offset, None, "x" * 10_000, ())
            page.add(record, offset % 1000 == 0)
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # 10 matches of ~10 KB, plus 16 bytes per distinct timestamp: far below the 100 MB scanned.
    assert held < 10 * 10_000 + 10_000 * 16 + 100_000
    out, positions = page.result()
    assert [r.offset for r in out] == list(range(0, 10_000, 1000))
    assert positions == {0: 10_000}
