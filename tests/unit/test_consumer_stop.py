"""Stopping a consumer neither swallows the caller's cancellation nor is cut short by it."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from kafka_graphql.kafka.reader import stop_consumer


class StopsLikeAiokafka:
    """What AIOKafkaConsumer.stop() does: cancel its fetch task, then await it with
    CancelledError suppressed, so a cancellation of the caller arriving then is swallowed."""

    def __init__(self) -> None:
        self.stopping = asyncio.Event()
        self.fetch_ended = asyncio.Event()
        self.closed = False

    async def stop(self) -> None:
        fetch_task = asyncio.ensure_future(self.fetch_ended.wait())
        self.stopping.set()
        with contextlib.suppress(asyncio.CancelledError):
            await fetch_task
        self.closed = True


async def test_the_library_stop_swallows_a_cancellation() -> None:
    """Why stop_consumer exists."""
    consumer = StopsLikeAiokafka()
    task = asyncio.create_task(consumer.stop())
    await consumer.stopping.wait()
    task.cancel()
    await task  # returns as if nothing happened
    assert not task.cancelled()


async def test_stop_consumer_finishes_the_stop_then_passes_the_cancellation_on() -> None:
    consumer = StopsLikeAiokafka()
    task = asyncio.create_task(stop_consumer(consumer))
    await consumer.stopping.wait()
    task.cancel()
    assert not consumer.closed
    consumer.fetch_ended.set()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert consumer.closed


async def test_stop_consumer_without_cancellation_just_stops() -> None:
    consumer = StopsLikeAiokafka()
    consumer.fetch_ended.set()
    await stop_consumer(consumer)
    assert consumer.closed
