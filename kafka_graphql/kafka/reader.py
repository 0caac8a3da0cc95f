"""A short-lived, group-less reader over chosen partitions from chosen offsets.

Used for history pages and for the catch-up phase of a replaying subscription. It never commits
offsets and never joins a consumer group: the client's cursor is the only state.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
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
    in a task of its own, which no cancellation of ours reaches."""
    stopping = asyncio.ensure_future(consumer.stop())
    cancelled = False
    while not stopping.done():
        try:
            await asyncio.wait([stopping])
        except asyncio.CancelledError:
            cancelled = True
    stopping.result()
    if cancelled:
        raise asyncio.CancelledError


class PartitionReader:
    def __init__(self, settings: KafkaSettings, topic: str, start: Mapping[int, int]) -> None:
        self._settings = settings
        self._topic = topic
        self._start = dict(start)
        self._consumer = new_consumer(settings, "reader")
        self._tps = {p: TopicPartition(topic, p) for p in self._start}

    async def __aenter__(self) -> Self:
        async with kafka_call("starting a reader", self._settings.request_timeout_s):
            await self._consumer.start()
        self._consumer.assign(list(self._tps.values()))
        for partition, offset in self._start.items():
            self._consumer.seek(self._tps[partition], offset)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await stop_consumer(self._consumer)

    async def fetch(self, timeout_s: float) -> dict[int, list[Record]]:
        """What arrives within `timeout_s` (maybe nothing), per partition, in offset order."""
        # getmany's own timeout returns early when nothing is there; kafka_call bounds a hang.
        async with kafka_call("reading records", self._settings.request_timeout_s + timeout_s):
            batch = await self._consumer.getmany(
                timeout_ms=int(timeout_s * 1000), max_records=FETCH_MAX_RECORDS
            )
        return {tp.partition: [to_record(r) for r in rs] for tp, rs in batch.items() if rs}

    async def position(self, partition: int) -> int:
        async with kafka_call("reading a position", self._settings.request_timeout_s):
            return int(await self._consumer.position(self._tps[partition]))

    def pause(self, partition: int) -> None:
        self._consumer.pause(self._tps[partition])
