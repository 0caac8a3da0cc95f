"""The history readers' caps (kafka/reader_pool.py): at most `max_readers` open, at most
`per_owner` held by one caller, a bounded queue beyond, LIMIT_EXCEEDED past it. Stand-in
consumers: these tests are about the accounting, which reaches no broker."""

from __future__ import annotations

import asyncio

import pytest

from kafka_graphql.core.errors import LimitExceeded
from kafka_graphql.kafka import reader_pool
from kafka_graphql.kafka.reader_pool import ReaderPool
from kafka_graphql.settings import KafkaSettings


class StandIn:
    """What the pool calls of a consumer."""

    started = 0
    stopped = 0

    async def start(self) -> None:
        StandIn.started += 1

    async def stop(self) -> None:
        StandIn.stopped += 1

    def assignment(self) -> set[object]:
        return set()

    def pause(self, *partitions: object) -> None:
        pass

    def seek(self, partition: object, offset: int) -> None:
        pass


@pytest.fixture(autouse=True)
def stand_ins(monkeypatch: pytest.MonkeyPatch) -> None:
    StandIn.started = StandIn.stopped = 0
    monkeypatch.setattr(reader_pool, "new_consumer", lambda *_: StandIn())


def pool(
    size: int = 0, max_readers: int = 2, per_owner: int = 2, queue: int = 8, wait_s: float = 30
) -> ReaderPool:
    settings = KafkaSettings(reader_queue_length=queue, reader_wait_s=wait_s)
    return ReaderPool(settings, size, max_readers=max_readers, per_owner=per_owner)


def open_now() -> int:
    return StandIn.started - StandIn.stopped


async def waiting(readers: ReaderPool, count: int) -> None:
    """Lets the waiting takes queue up (each needs one turn of the loop to get there)."""
    for _ in range(10):
        if readers.waiting == count:
            return
        await asyncio.sleep(0)
    assert readers.waiting == count


async def test_beyond_max_readers_a_take_waits_for_one_given_back() -> None:
    readers = pool(size=1, max_readers=2, per_owner=2)
    first, second = await readers.take("a"), await readers.take("b")
    third = asyncio.ensure_future(readers.take("c"))
    await waiting(readers, 1)
    assert not third.done() and open_now() == 2
    await readers.give_back(first, reusable=True, owner="a")
    assert await third is first  # handed over, not a new consumer
    assert open_now() == 2 and readers.open == 2
    await readers.give_back(second, reusable=True, owner="b")
    await readers.give_back(first, reusable=True, owner="c")
    assert readers.idle == 1 and open_now() == 1  # the pool keeps one, stops the other
    await readers.close()
    assert open_now() == 0 and readers.open == 0


async def test_one_caller_holds_at_most_its_share_and_others_are_served() -> None:
    readers = pool(max_readers=4, per_owner=2)
    held = [await readers.take("hog"), await readers.take("hog")]
    third = asyncio.ensure_future(readers.take("hog"))
    await waiting(readers, 1)
    # Readers are free, but not for the caller at its cap: another caller takes one at once.
    other = await asyncio.wait_for(readers.take("other"), 5)
    assert not third.done() and open_now() == 3
    await readers.give_back(other, reusable=False, owner="other")
    assert not third.done()  # still the hog's own cap that holds it back
    await readers.give_back(held[0], reusable=False, owner="hog")
    held[0] = await third  # a place, in which it started a reader of its own
    assert open_now() == 2
    for consumer in held:
        await readers.give_back(consumer, reusable=False, owner="hog")
    assert readers.open == 0 and open_now() == 0


async def test_a_full_queue_is_limit_exceeded_at_once() -> None:
    readers = pool(max_readers=1, per_owner=1, queue=1)
    held = await readers.take("a")
    queued = asyncio.ensure_future(readers.take("b"))
    await waiting(readers, 1)
    with pytest.raises(LimitExceeded) as refused:
        await readers.take("c")
    assert refused.value.code == "LIMIT_EXCEEDED"
    await readers.give_back(held, reusable=True, owner="a")
    assert await queued is held


async def test_one_caller_queues_at_most_its_share() -> None:
    readers = pool(max_readers=2, per_owner=1, queue=10)
    held = await readers.take("hog")
    queued = asyncio.ensure_future(readers.take("hog"))
    await waiting(readers, 1)
    with pytest.raises(LimitExceeded):
        await readers.take("hog")  # its one queued take is its share of the queue
    # The queue still has room for others.
    other = await asyncio.wait_for(readers.take("other"), 5)
    await readers.give_back(other, reusable=False, owner="other")
    await readers.give_back(held, reusable=False, owner="hog")
    await readers.give_back(await queued, reusable=False, owner="hog")
    assert readers.open == 0 and open_now() == 0


async def test_a_wait_is_bounded_in_time() -> None:
    readers = pool(max_readers=1, per_owner=1, wait_s=0.05)
    held = await readers.take("a")
    with pytest.raises(LimitExceeded) as refused:
        await readers.take("b")
    assert "0.05 s" in refused.value.message
    assert readers.waiting == 0
    await readers.give_back(held, reusable=False, owner="a")


async def test_a_cancelled_wait_leaves_the_queue_and_passes_its_grant_on() -> None:
    readers = pool(max_readers=1, per_owner=1)
    held = await readers.take("a")
    gone = asyncio.ensure_future(readers.take("b"))
    after = asyncio.ensure_future(readers.take("c"))
    await waiting(readers, 2)
    gone.cancel()
    await asyncio.gather(gone, return_exceptions=True)
    assert readers.waiting == 1
    await readers.give_back(held, reusable=True, owner="a")
    assert await after is held


async def test_a_grant_that_meets_a_cancellation_is_not_lost() -> None:
    readers = pool(max_readers=1, per_owner=1)
    held = await readers.take("a")
    late = asyncio.ensure_future(readers.take("b"))
    after = asyncio.ensure_future(readers.take("c"))
    await waiting(readers, 2)
    # Granted and cancelled in the same turn: the reader goes on to the next waiter.
    await readers.give_back(held, reusable=True, owner="a")
    late.cancel()
    results = await asyncio.gather(late, return_exceptions=True)
    assert isinstance(results[0], asyncio.CancelledError)
    assert await asyncio.wait_for(after, 5) is held
    await readers.give_back(held, reusable=False, owner="c")
    assert readers.open == 0 and open_now() == 0
