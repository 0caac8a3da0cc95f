"""A short-lived, group-less reader over chosen partitions from chosen offsets.

Used for history pages and for the catch-up phase of a replaying subscription. It never commits
offsets and never joins a consumer group: the client's cursor is the only state.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Mapping
from types import TracebackType
from typing import Any, Self

from aiokafka import AIOKafkaConsumer, TopicPartition

from kafka_graphql.kafka.errors import kafka_call
from kafka_graphql.kafka.records import Header, Record
from kafka_graphql.kafka.security import client_options
from kafka_graphql.settings import KafkaSettings
from kafka_graphql.values import decode_text, decode_value

FETCH_MAX_RECORDS = 500


def to_record(raw: Any) -> Record:
    """ConsumerRecord -> Record; the only place raw bytes are decoded."""
    return Record(
        topic=raw.topic,
        partition=raw.partition,
        offset=raw.offset,
        timestamp_ms=raw.timestamp,
        key=decode_text(raw.key),
        value=decode_value(raw.value),
        headers=tuple(Header(k, decode_text(v)) for k, v in (raw.headers or ())),
        raw_value=raw.value,
    )


def new_consumer(settings: KafkaSettings, role: str) -> Any:
    return AIOKafkaConsumer(
        **client_options(settings, role),
        group_id=None,
        enable_auto_commit=False,
        # Only reached when a position fell out of retention: continue with what still exists.
        auto_offset_reset="earliest",
        fetch_max_wait_ms=100,
    )


async def stop_consumer(consumer: Any) -> None:
    """Stop `consumer` to the end, then let through a cancellation of the caller that came
    meanwhile.

    aiokafka's stop() suppresses CancelledError while it awaits its own fetch task, so it swallows
    a cancellation of the caller that arrives then: a subscription whose client left would carry
    on as if nothing happened. Interrupted elsewhere, it would leave connections open. So it runs
    in a task of its own, which no cancellation of ours reaches.

    The other way round, stop() stopped during a broker outage can raise a CancelledError of its
    own; that is not passed on."""
    stopping = asyncio.ensure_future(consumer.stop())
    cancelled = False
    while not stopping.done():
        try:
            await asyncio.wait([stopping])
        except asyncio.CancelledError:
            cancelled = True
    if stopping.cancelled():
        # Nothing of ours cancels `stopping`: this is aiokafka's fetcher letting out the
        # cancellation of a fetch it was retrying after a broker error (its close() cancels and
        # awaits it), before the consumer closed its connections. Close them here.
        await consumer._client.close()
    else:
        stopping.result()
    if cancelled:
        raise asyncio.CancelledError


class ReaderPool:
    """Started, group-less consumers kept between history pages and catch-ups, so that a page
    does not pay for a new connection, a metadata round trip and a stop each time.

    At most `size` idle readers are kept; more may be in use at once (each page or catch-up needs
    its own), and those are stopped when given back to a full pool. A reader whose use ended in
    an error (a broker fault, a timeout, a cancellation) is stopped, not kept: its state is
    unknown.
    """

    def __init__(self, settings: KafkaSettings, size: int) -> None:
        self._settings = settings
        self._size = size
        self._idle: list[Any] = []
        self._closed = False

    @property
    def idle(self) -> int:
        return len(self._idle)

    async def take(self) -> Any:
        """An idle started consumer with no assignment, or a new one."""
        if self._idle:
            return self._idle.pop()
        consumer = new_consumer(self._settings, "reader")
        try:
            async with kafka_call("starting a reader", self._settings.request_timeout_s):
                await consumer.start()
        except BaseException:
            await stop_consumer(consumer)
            raise
        return consumer

    async def give_back(self, consumer: Any, *, reusable: bool) -> None:
        if reusable and not self._closed and len(self._idle) < self._size:
            # No assignment: an idle reader fetches nothing and buffers nothing.
            consumer.unsubscribe()
            self._idle.append(consumer)
        else:
            await stop_consumer(consumer)

    async def close(self) -> None:
        self._closed = True
        while self._idle:
            await stop_consumer(self._idle.pop())


class PartitionReader:
    """Reads `start`'s partitions of `topic` from those offsets. With a `pool`, its consumer
    comes from the pool and goes back to it; without, it is started and stopped for this read."""

    def __init__(
        self,
        settings: KafkaSettings,
        topic: str,
        start: Mapping[int, int],
        pool: ReaderPool | None = None,
    ) -> None:
        self._settings = settings
        self._topic = topic
        self._start = dict(start)
        self._pool = pool if pool is not None else ReaderPool(settings, 0)
        self._consumer: Any = None
        self._tps = {p: TopicPartition(topic, p) for p in self._start}

    async def __aenter__(self) -> Self:
        self._consumer = await self._pool.take()
        try:
            self._consumer.assign(list(self._tps.values()))
            for partition, offset in self._start.items():
                self._consumer.seek(self._tps[partition], offset)
        except BaseException:
            await self._pool.give_back(self._consumer, reusable=False)
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._pool.give_back(self._consumer, reusable=exc is None)

    async def fetch(self, timeout_s: float) -> dict[int, Iterator[Record]]:
        """What arrives within `timeout_s` (maybe nothing), per partition, in offset order.

        Each record is decoded when the iteration reaches it: the caller decodes in slices, with
        its own work, and nothing it stops before (a page's end) is decoded at all."""
        # getmany's own timeout returns early when nothing is there; kafka_call bounds a hang.
        async with kafka_call("reading records", self._settings.request_timeout_s + timeout_s):
            batch = await self._consumer.getmany(
                timeout_ms=int(timeout_s * 1000), max_records=FETCH_MAX_RECORDS
            )
        return {tp.partition: map(to_record, rs) for tp, rs in batch.items() if rs}

    async def position(self, partition: int) -> int:
        async with kafka_call("reading a position", self._settings.request_timeout_s):
            return int(await self._consumer.position(self._tps[partition]))

    def pause(self, partition: int) -> None:
        self._consumer.pause(self._tps[partition])
