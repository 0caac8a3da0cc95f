"""The subscriber inbox of the live fan-out: skipping, filtering, bounding."""

from __future__ import annotations

import asyncio

from kafka_graphql.kafka.live_subscriber import LiveSubscriber
from kafka_graphql.kafka.records import Record


def records(partition: int, offsets: range) -> list[Record]:
    return [Record("t", partition, o, 0, None, {"n": o}, ()) for o in offsets]


async def test_skips_what_the_catch_up_already_delivered() -> None:
    inbox = LiveSubscriber(None, lambda r: True, max_batches=10)
    inbox.accept_from({0: 5, 1: 0})
    inbox.offer(0, records(0, range(2, 5)), 5)  # wholly below: dropped
    inbox.offer(0, records(0, range(3, 8)), 8)  # partly below: trimmed
    inbox.offer(1, records(1, range(0, 2)), 2)
    first = await inbox.next()
    second = await inbox.next()
    assert first is not None and second is not None
    assert [r.offset for r in first[1]] == [5, 6, 7] and first[2] == 8
    assert (second[0], [r.offset for r in second[1]]) == (1, [0, 1])


async def test_filters_and_partitions_before_queueing() -> None:
    inbox = LiveSubscriber(frozenset({0}), lambda r: r.offset % 2 == 0, max_batches=10)
    inbox.accept_from({0: 0})
    inbox.offer(1, records(1, range(0, 4)), 4)  # partition not followed
    inbox.offer(0, records(0, range(1, 2)), 2)  # nothing matches: nothing queued
    inbox.offer(0, records(0, range(2, 5)), 5)
    delivery = await inbox.next()
    assert delivery is not None and [r.offset for r in delivery[1]] == [2, 4]
    waiting = asyncio.ensure_future(inbox.next())
    await asyncio.sleep(0)
    assert not waiting.done()  # nothing else was queued
    inbox.close()
    assert await waiting is None


async def test_overflow_drains_then_reports_none() -> None:
    inbox = LiveSubscriber(None, lambda r: True, max_batches=2)
    inbox.accept_from({0: 0})
    for start in range(0, 6, 2):
        inbox.offer(0, records(0, range(start, start + 2)), start + 2)
    assert inbox.overflowed
    assert (await inbox.next()) is not None
    assert (await inbox.next()) is not None
    assert (await inbox.next()) is None  # the caller now catches up on its own
    inbox.accept_from({0: 4})  # re-joined: usable again
    assert not inbox.overflowed
