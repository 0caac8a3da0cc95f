"""One subscriber's failure is its own (docs/limits.md#one-subscription-never-affects-another):
the feed goes on with the batch for every other subscriber, the filter index falls back to
every subscriber's own predicate, the delivery budget resumes a failing stream before what it
held back, and the error a client sees is coded, masked and carries the cursor."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator
from typing import Any, cast

import pytest
from graphql import GraphQLError

from kafka_graphql.core.cursor import CursorSealer
from kafka_graphql.core.errors import KafkaUnavailable, RateLimited, StreamFailed, StreamInterrupted
from kafka_graphql.core.limits.delivery import Matched, deliver
from kafka_graphql.core.limits.registry import LimitsRegistry
from kafka_graphql.graphql import schema  # noqa: F401 - before resolvers: they import each other
from kafka_graphql.graphql.event_execution import _unexpected
from kafka_graphql.graphql.resolvers.convert import to_message
from kafka_graphql.graphql.stream_failures import ended, message_error
from kafka_graphql.kafka.cluster import Cluster
from kafka_graphql.kafka.live_feed import TopicFeed
from kafka_graphql.kafka.live_index import IndexHint
from kafka_graphql.kafka.live_subscriber import LiveSubscriber
from kafka_graphql.kafka.records import Record
from kafka_graphql.settings import KafkaSettings
from kafka_graphql.settings.limits import LimitsSettings
from tests.clock import FakeClock

TOPIC = "t"
CURSORS = CursorSealer.ephemeral()


def record(offset: int, key: str | None = None, partition: int = 0) -> Record:
    return Record(TOPIC, partition, offset, 0, key, {"n": offset}, (), b'{"n":1}')


def feed() -> TopicFeed:
    return TopicFeed(KafkaSettings(), cast("Cluster", None), TOPIC, lambda: None)


def offsets(sub: LiveSubscriber) -> list[int]:
    return [r.offset for _, records, _, _ in sub._items or () for r in records]


def raises_at(offset: int) -> object:
    def predicate(r: Record) -> bool:
        if r.offset == offset:
            raise ValueError("boom")
        return True

    return predicate


async def test_a_predicate_that_raises_fails_its_subscriber_and_the_feed_goes_on() -> None:
    topic = feed()
    before, failing, after = (
        LiveSubscriber(None, lambda r: True, 10),
        LiveSubscriber(None, raises_at(3), 10),  # type: ignore[arg-type]
        LiveSubscriber(None, lambda r: True, 10),
    )
    keyed = LiveSubscriber(None, lambda r: r.key == "k", 10)
    for sub in (before, failing, after):
        topic.register(sub)
        topic.join(sub, {0: 0})
    topic.register(keyed, IndexHint("k"))
    topic.join(keyed, {0: 0})
    batch = [record(o, "k" if o % 2 else None) for o in range(6)]
    await topic._dispatch(0, batch)
    assert offsets(before) == offsets(after) == list(range(6))
    assert offsets(keyed) == [1, 3, 5]
    assert isinstance(failing.failure, ValueError)
    assert failing not in topic.subscribers and offsets(failing) == []
    # The next batch goes to everyone but the failed one, and the feed's position moves on.
    await topic._dispatch(0, [record(6)])
    assert offsets(before)[-1] == offsets(after)[-1] == 6 and offsets(failing) == []
    assert topic.positions[0] == 7


async def test_a_failed_subscriber_ends_its_wait() -> None:
    sub = LiveSubscriber(None, lambda r: True, 10)
    waiting = asyncio.ensure_future(sub.next())
    await asyncio.sleep(0)
    sub.fail(RuntimeError("cut"))
    assert await waiting is None and isinstance(sub.failure, RuntimeError)


async def test_a_filter_index_that_fails_offers_to_every_filed_subscriber(
    caplog: pytest.LogCaptureFixture,
) -> None:
    topic = feed()
    keyed = LiveSubscriber(None, lambda r: r.key == "a", 10)
    topic.register(keyed, IndexHint("a"))
    topic.join(keyed, {0: 0})

    def broken(records: object) -> dict[LiveSubscriber, list[Record]]:
        raise RuntimeError("index")

    topic._index.route = broken  # type: ignore[method-assign]
    with caplog.at_level(logging.ERROR):
        await topic._dispatch(0, [record(0, "a"), record(1, "b")])
        await topic._dispatch(0, [record(2, "a")])
    # Its own predicate decided; logged once for the feed.
    assert offsets(keyed) == [0, 2]
    assert sum("filter index failed" in r.getMessage() for r in caplog.records) == 1


async def source(items: list[Record], fail_after: int) -> AsyncGenerator[Matched]:
    for item in items:
        positions = {item.partition: item.offset + 1}
        yield item, positions, to_message(item, positions, CURSORS)
    raise StreamInterrupted(TOPIC, {0: fail_after}, ValueError("boom"))


async def test_a_failure_while_messages_wait_resumes_before_them() -> None:
    clock = FakeClock()
    limits = LimitsRegistry(LimitsSettings(delivery_messages_per_s=1), clock)
    items = [record(o, key) for o, key in enumerate("abc")]
    stream = deliver(limits, "caller", source(items, fail_after=3), CURSORS)
    assert (await anext(stream)).record.offset == 0
    # b and c wait for budget when the stream fails past them: resume at b.
    with pytest.raises(StreamInterrupted) as failed:
        await anext(stream)
    assert failed.value.positions == {0: 1}
    assert limits.holdings("caller").pending == 0 and limits.state("caller").held == 0


def test_the_error_a_client_sees() -> None:
    stopped = StreamInterrupted(TOPIC, {0: 5, 1: 2}, ValueError("secret detail"))
    error = ended(stopped, CURSORS)
    assert isinstance(error, StreamFailed) and error.code == "INTERNAL_SERVER_ERROR"
    assert "secret" not in error.message and "extensions.cursor" in error.message
    assert CURSORS.open(error.extensions["cursor"], TOPIC) == {0: 5, 1: 2}
    # One of the gateway's own errors keeps its code and gains the cursor.
    outage = ended(StreamInterrupted(TOPIC, {0: 1}, KafkaUnavailable("down")), CURSORS)
    assert outage.code == "KAFKA_UNAVAILABLE" and "cursor" in outage.extensions
    # A message that could not be sent resumes at itself, or where it was held back from.
    message: Any = to_message(record(9, partition=1), {0: 3, 1: 10}, CURSORS)
    at = message_error(message, ValueError("x"))
    assert CURSORS.open(at.extensions["cursor"], TOPIC) == {0: 3, 1: 9}
    message.resume_from = {0: 1, 1: 4}
    held = message_error(message, ValueError("x"))
    assert CURSORS.open(held.extensions["cursor"], TOPIC) == {0: 1, 1: 4}
    # One error ending many streams (a cut back) gives each its own cursor.
    cut = RateLimited("cut", retryAfter=1)
    first, second = (ended(StreamInterrupted(TOPIC, {0: n}, cut), CURSORS) for n in (1, 2))
    assert [CURSORS.open(e.extensions["cursor"], TOPIC) for e in (first, second)] == [
        {0: 1},
        {0: 2},
    ]
    assert first.code == "RATE_LIMITED" and "cursor" not in cut.extensions
    # Not a stream: no cursor.
    assert "cursor" not in message_error(None, ValueError("x")).extensions


def test_which_errors_of_a_selection_end_its_stream() -> None:
    assert _unexpected(GraphQLError("x", original_error=KafkaUnavailable("down"))) is None
    cause = ValueError("bug")
    assert _unexpected(GraphQLError("x", original_error=cause)) is cause
    wrapped = GraphQLError("x", original_error=GraphQLError("y", original_error=cause))
    assert _unexpected(wrapped) is cause
    plain = GraphQLError("Cannot return null for non-nullable field")
    assert _unexpected(plain) is plain


def test_a_sent_message_lets_go_of_its_record() -> None:
    message: Any = to_message(record(1), {0: 2}, CURSORS)
    message.release()
    assert not vars(message)
