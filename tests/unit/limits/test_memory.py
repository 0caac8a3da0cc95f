"""Memory held for subscribers, in bytes (docs/limits.md#memory-held-per-caller): the estimate
of a record's footprint against what decoding really takes, a caller's account (batches counted
once, its caps), the process's ledger and its cut back of the caller holding the most, and the
shared groups' payload caches."""

from __future__ import annotations

import asyncio
import json
import tracemalloc
from typing import Any

import pytest
from graphql import build_schema, parse

from kafka_graphql.core.errors import RateLimited
from kafka_graphql.core.limits.ledger import Ledger
from kafka_graphql.core.limits.memory import FRAME_COPIES, CutBack, Holdings
from kafka_graphql.core.values import decode_value
from kafka_graphql.graphql.shared import SharedGroups, group_key
from kafka_graphql.kafka.held import Batch, footprint
from kafka_graphql.kafka.records import Header, Record
from kafka_graphql.settings import SettingsError
from kafka_graphql.settings.limits import LimitsSettings, validate_limits

KIB = 1024


def record(raw: bytes, offset: int = 0, key: str | None = "k") -> Record:
    return Record("t", 0, offset, 0, key, decode_value(raw)[0], (Header("h", "v"),), raw)


SHAPES = {
    "empty lists": b"[" + b",".join([b"[]"] * 50_000) + b"]",
    "empty objects": b"[" + b",".join([b"{}"] * 50_000) + b"]",
    "numbers": b"[" + b",".join([b"1.5"] * 50_000) + b"]",
    "short strings": b"[" + b",".join([b'"ab"'] * 50_000) + b"]",
    "objects": json.dumps([{"id": i, "name": f"n{i}"} for i in range(5_000)]).encode(),
    "one long string": json.dumps("x" * 200_000).encode(),
    "wide characters": json.dumps("\U0001f600" + "x" * 200_000, ensure_ascii=False).encode(),
    "escaped wide": json.dumps("\U0001f600" + "x" * 200_000).encode(),
    "not json": b"\x01" * 200_000,
    "not utf-8": b"\xff" * 200_000,
}


@pytest.mark.parametrize("shape", SHAPES)
def test_a_footprint_is_never_below_what_decoding_takes(shape: str) -> None:
    raw = SHAPES[shape]
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        held = record(bytes(raw))
        taken = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert held.value is not None
    assert footprint(held) >= taken
    # ...and not absurdly above it for values that are mostly text.
    if shape == "one long string":
        assert footprint(held) < 3 * taken


def settings(**limits: Any) -> LimitsSettings:
    values = LimitsSettings(**limits)
    validate_limits(values)
    return values


def test_a_batch_is_charged_once_per_caller_and_once_for_the_process() -> None:
    ledger = Ledger(settings())
    alice, bob = Holdings(ledger), Holdings(ledger)
    batch = Batch([record(b'{"n":1}', o) for o in range(10)])
    size = batch.size
    for _ in range(3):  # three streams of alice hold it
        assert alice.hold(batch)
    assert bob.hold(batch)
    assert (alice.buffered, bob.buffered, ledger.total) == (size, size, size)
    alice.drop(batch)
    alice.drop(batch)
    assert alice.buffered == size
    alice.drop(batch)
    assert alice.buffered == 0 and ledger.total == size
    bob.drop(batch)
    assert ledger.total == 0


def test_batches_held_across_each_other_are_counted_exactly() -> None:
    ledger = Ledger(settings())
    caller = Holdings(ledger)
    first, second, third = (Batch([record(b'{"n":1}', o)]) for o in range(3))
    sizes = first.size + second.size + third.size
    for batch in (first, second, first, third, second, first):
        assert caller.hold(batch)
    assert caller.buffered == ledger.total == sizes
    for batch in (first, first, second, third, second):
        caller.drop(batch)
    assert caller.buffered == first.size
    caller.drop(first)
    assert caller.buffered == ledger.total == 0


def test_a_caller_holds_at_most_its_cap_and_always_one_batch() -> None:
    ledger = Ledger(settings(max_buffered_bytes_per_principal=100 * KIB))
    caller = Holdings(ledger)
    big = Batch([record(b"x" * 200 * KIB)])
    assert caller.hold(big)  # one batch always fits, however large
    assert not caller.hold(Batch([record(b"y")]))  # nothing more while it is held
    caller.drop(big)
    small = [Batch([record(b"z" * 20 * KIB, o)]) for o in range(10)]
    held = [b for b in small if caller.hold(b)]
    assert 0 < len(held) < 10 and caller.buffered <= 100 * KIB


async def test_catch_up_fetches_take_turns_and_wait_for_room() -> None:
    ledger = Ledger(settings(max_buffered_bytes_per_principal=100 * KIB))
    caller = Holdings(ledger)
    await caller.fetch_turn(lambda: False)
    second = asyncio.ensure_future(caller.fetch_turn(lambda: False))
    await asyncio.sleep(0)
    assert not second.done()  # one fetch of a caller at a time
    caller.fetched(150 * KIB)  # over the cap
    await asyncio.sleep(0)
    assert not second.done()  # no room
    caller.release(150 * KIB)
    await second
    caller.fetched(0)
    stopped = asyncio.ensure_future(caller.fetch_turn(lambda: True))
    await stopped  # a stream that is ending does not wait
    assert ledger.total == 0


async def test_frames_wait_for_room_and_a_cut_back_ends_the_wait() -> None:
    ledger = Ledger(settings(max_buffered_bytes_per_principal=100 * KIB))
    caller = Holdings(ledger)
    held = caller.charge_frame(50 * KIB)  # one frame always goes
    assert held == FRAME_COPIES * 50 * KIB and caller.frames_full()
    waiting = asyncio.ensure_future(caller.frame_room())
    await asyncio.sleep(0)
    assert not waiting.done()
    caller.frame_done(held)
    await waiting
    caller.charge_frame(50 * KIB)
    cut = asyncio.ensure_future(caller.frame_room())
    await asyncio.sleep(0)
    caller.cut(RateLimited("cut", retryAfter=1))
    with pytest.raises(CutBack):
        await cut


class Stream:
    def __init__(self) -> None:
        self.failure: BaseException | None = None

    def fail(self, error: BaseException) -> None:
        self.failure = error


async def test_beyond_the_process_bound_the_caller_holding_the_most_is_cut_back() -> None:
    ledger = Ledger(
        settings(
            max_pending_bytes=100 * KIB,
            max_buffered_bytes_per_principal=100 * KIB,
            max_buffered_bytes=150 * KIB,
        )
    )
    small, big = Holdings(ledger), Holdings(ledger)
    small_streams, big_streams = [Stream(), Stream()], [Stream()]
    for stream in small_streams:
        small.enter(stream)
    big.enter(big_streams[0])
    assert small.pend(60 * KIB) and big.pend(85 * KIB)
    assert not ledger.over()
    assert small.pend(10 * KIB)  # over the bound: the cut back is scheduled
    assert ledger.over()
    await asyncio.sleep(0)
    assert all(s.failure is None for s in small_streams)
    failure = big_streams[0].failure
    assert isinstance(failure, RateLimited) and "limits.max_buffered_bytes" in failure.message
    # It is being cut: not cut again, and nobody else either, until its streams are gone.
    assert big.cutting
    big.unpend(85 * KIB)
    big.leave(big_streams[0])
    assert not big.cutting and not ledger.over()


def test_conflation_holds_at_most_its_pending_bytes() -> None:
    caller = Holdings(Ledger(settings(max_pending_bytes=100 * KIB)))
    assert caller.pend(150 * KIB)  # one message always
    assert not caller.pend(1)
    assert caller.pend(-50 * KIB)  # a smaller message replacing it
    caller.unpend(100 * KIB)
    assert caller.pend(60 * KIB) and not caller.pend(60 * KIB)


def test_per_caller_bounds_fit_in_the_process_bound() -> None:
    with pytest.raises(SettingsError, match=r"limits\.max_pending_bytes"):
        validate_limits(LimitsSettings(max_pending_bytes=2, max_buffered_bytes=1))
    with pytest.raises(SettingsError, match=r"limits\.max_buffered_bytes_per_principal"):
        validate_limits(
            LimitsSettings(
                max_pending_bytes=1, max_buffered_bytes_per_principal=2, max_buffered_bytes=1
            )
        )
    with pytest.raises(SettingsError, match=r"limits\.max_shared_cache_bytes"):
        validate_limits(LimitsSettings.model_construct(max_shared_cache_bytes=0))


SCHEMA = build_schema("""
type Query { x: Int }
type Subscription { messages(topic: String!): Message! }
type Message { offset: Int! value: String cursor: String! }
""")


class Event:
    def __init__(self, offset: int, value: str) -> None:
        self.partition, self.offset, self.positions, self.skipped = 0, offset, {0: offset + 1}, 0
        self.value, self.cursor = value, f"c{offset}"
        self.messages = self


async def test_a_group_keeps_payloads_bounded_in_bytes_and_a_group_of_one_keeps_none() -> None:
    limits = settings(shared_cache_bytes_per_member=4 * KIB, max_shared_cache_bytes=10 * KIB)
    ledger = Ledger(limits)
    groups = SharedGroups(json.dumps, limits, ledger)
    document = parse('subscription { messages(topic: "t") { offset value cursor } }')
    key = group_key(
        topic="t",
        query="q",
        operation_name=None,
        variables=None,
        scopes=frozenset(),
        view=None,  # type: ignore[arg-type]
        record_claim=None,
    )
    with groups.member(key, SCHEMA, document, None, None) as alone:
        assert alone is not None
        await alone.payload(Event(0, "v" * 100))
        assert alone.cached_bytes == 0 and ledger.total == 0
        with groups.member(key, SCHEMA, document, None, None) as second:
            assert second is alone
            for offset in range(20):
                await alone.payload(Event(offset, "v" * 1000))
            # Two members: 4 KiB (one member beyond the first), the newest kept.
            assert 0 < alone.cached_bytes <= 4 * KIB and ledger.total == alone.cached_bytes
            executions = alone.executions
            await second.payload(Event(19, "v" * 1000))
            assert alone.executions == executions
            assert await alone.payload(Event(30, "v" * 20 * KIB)) is not None
            assert alone.cached_bytes <= 4 * KIB  # too large to keep
        # Alone again: it keeps nothing.
        assert alone.cached_bytes == 0 and ledger.total == 0
    assert len(groups) == 0
