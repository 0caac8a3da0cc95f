"""The delivery budget on one stream, on a clock the test moves: conflation per key (with the
`skipped` counts), closing with the cursor to resume from, and the bound on waiting keys."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass

import pytest

from kafka_graphql.core.cursor import CursorSealer
from kafka_graphql.core.errors import RateLimited
from kafka_graphql.core.limits.delivery import Matched, deliver
from kafka_graphql.core.limits.registry import LimitsRegistry
from kafka_graphql.kafka import Record
from kafka_graphql.settings import SettingsError
from kafka_graphql.settings.limits import LimitsSettings, validate_limits
from tests.clock import FakeClock

TOPIC = "test-delivery"
CALLER = "ip:127.0.0.1"
CURSORS = CursorSealer.ephemeral()


@dataclass
class Sent:
    record: Record
    cursor: str
    positions: dict[int, int]
    skipped: int = 0


def record(offset: int, key: str | None, partition: int = 0, size: int = 1) -> Record:
    return Record(TOPIC, partition, offset, 0, key, offset, (), b"x" * size)


async def source(records: Sequence[Record], drained: asyncio.Event) -> AsyncGenerator[Matched]:
    """A live stream: these records, then nothing more (it never ends)."""
    for item in records:
        positions = {item.partition: item.offset + 1}
        yield item, positions, Sent(item, CURSORS.seal(TOPIC, positions), positions)
    drained.set()
    await asyncio.Event().wait()


def registry(clock: FakeClock, **limits: object) -> LimitsRegistry:
    settings = LimitsSettings(**limits)  # type: ignore[arg-type]
    validate_limits(settings)
    return LimitsRegistry(settings, clock)


async def test_conflate_delivers_the_newest_message_per_key_when_budget_returns() -> None:
    clock, drained = FakeClock(), asyncio.Event()
    limits = registry(clock, delivery_messages_per_s=2)
    # a0 b0 a1 b1 ... a4 b4, and a null key on two partitions: a slot per partition.
    records = [record(i, key) for i in range(5) for key in ("a", "b")]
    records += [record(0, None, partition=1), record(1, None, partition=1), record(0, None, 2)]
    stream = deliver(limits, CALLER, source(records, drained), CURSORS)
    first = [await anext(stream), await anext(stream)]
    assert [(m.record.key, m.record.offset, m.skipped) for m in first] == [("a", 0, 0), ("b", 0, 0)]
    waiting = asyncio.ensure_future(anext(stream))
    await drained.wait()
    assert not waiting.done()
    clock.advance(1)  # two more
    later = [await waiting, await anext(stream)]
    clock.advance(1)
    later += [await anext(stream), await anext(stream)]
    assert [(m.record.key, m.record.partition, m.record.offset, m.skipped) for m in later] == [
        ("a", 0, 4, 3),
        ("b", 0, 4, 3),
        (None, 1, 1, 1),
        (None, 2, 0, 0),
    ]
    assert len(first) + len(later) + sum(m.skipped for m in first + later) == len(records)
    await stream.aclose()


async def test_close_ends_the_stream_with_the_last_delivered_cursor() -> None:
    clock, drained = FakeClock(), asyncio.Event()
    limits = registry(clock, delivery_messages_per_s=2, subscription_overflow="close")
    stream = deliver(limits, CALLER, source([record(i, "a") for i in range(5)], drained), CURSORS)
    delivered = [await anext(stream), await anext(stream)]
    with pytest.raises(RateLimited) as refused:
        await anext(stream)
    cursor = refused.value.extensions["cursor"]
    assert cursor == delivered[-1].cursor
    assert CURSORS.open(cursor, TOPIC) == {0: 2}
    assert refused.value.extensions["retryAfter"] >= 1


async def test_close_before_any_delivery_resumes_at_the_refused_message() -> None:
    clock, drained = FakeClock(), asyncio.Event()
    limits = registry(clock, delivery_bytes_per_s=10, subscription_overflow="close")
    stream = deliver(
        limits, CALLER, source([record(7, "a", size=10), record(8, "a")], drained), CURSORS
    )
    assert (await anext(stream)).record.offset == 7
    with pytest.raises(RateLimited) as refused:
        await anext(stream)
    assert CURSORS.open(refused.value.extensions["cursor"], TOPIC) == {0: 8}


async def test_too_many_waiting_keys_close_the_stream_at_the_start_of_the_backlog() -> None:
    clock, drained = FakeClock(), asyncio.Event()
    limits = registry(clock, delivery_messages_per_s=1, max_pending_keys=2)
    records = [record(i, key) for i, key in enumerate("abcd")]
    stream = deliver(limits, CALLER, source(records, drained), CURSORS)
    assert (await anext(stream)).record.key == "a"
    with pytest.raises(RateLimited) as refused:
        await anext(stream)
    # b and c waited, d was one key too many: resuming at b loses nothing.
    assert CURSORS.open(refused.value.extensions["cursor"], TOPIC) == {0: 1}
    assert "limits.max_pending_keys" in refused.value.message


async def test_the_budget_is_shared_by_the_callers_streams() -> None:
    clock = FakeClock()
    limits = registry(clock, delivery_messages_per_s=3)
    first = deliver(
        limits, CALLER, source([record(i, "a") for i in range(2)], asyncio.Event()), CURSORS
    )
    second = deliver(
        limits, CALLER, source([record(i, "b") for i in range(2)], asyncio.Event()), CURSORS
    )
    assert (await anext(first)).record.offset == 0
    assert (await anext(second)).record.offset == 0
    assert (await anext(first)).record.offset == 1
    # The budget is spent: the other stream waits, and the first is not held up by it.
    waiting = asyncio.ensure_future(anext(second))
    await asyncio.sleep(0)
    assert not waiting.done()
    clock.advance(1)
    assert (await waiting).record.offset == 1
    # Another caller has a budget of its own.
    other = deliver(limits, "sub:other", source([record(0, "c")], asyncio.Event()), CURSORS)
    assert (await anext(other)).record.key == "c"
    for stream in (first, second, other):
        await stream.aclose()


def test_the_overflow_policy_is_checked() -> None:
    with pytest.raises(SettingsError, match=r"limits\.subscription_overflow"):
        validate_limits(LimitsSettings.model_construct(subscription_overflow="drop"))
