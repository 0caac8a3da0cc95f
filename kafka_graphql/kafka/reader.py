"""A short-lived, group-less reader over chosen partitions from chosen offsets.

Used for history pages and for the catch-up phase of a replaying subscription. It never commits
offsets and never joins a consumer group: the client's cursor is the only state.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import TracebackType
from typing import Any, Self

from aiokafka import TopicPartition
from aiokafka.errors import OffsetOutOfRangeError

from kafka_graphql.core.values import decode_text, decode_value

# Re-exported: the live feed and tests import the consumers' basics from here.
from kafka_graphql.kafka.consumers import new_consumer as new_consumer
from kafka_graphql.kafka.consumers import stop_consumer as stop_consumer
from kafka_graphql.kafka.errors import kafka_call
from kafka_graphql.kafka.reader_pool import ReaderPool
from kafka_graphql.kafka.records import Gaps, Header, Record
from kafka_graphql.settings import KafkaSettings, LimitsSettings

FETCH_MAX_RECORDS = 500
# limits.max_headers_per_record, for readers made without it (tests, tools).
MAX_HEADERS = LimitsSettings().max_headers_per_record


def to_record(raw: Any, max_headers: int) -> Record:
    """ConsumerRecord -> Record; the only place raw bytes are decoded. Never raises: whatever
    bytes a record holds, it is delivered (values.py). Only the first `max_headers` headers are
    decoded (another producer may write tens of thousands): they are what filters, record
    rules and clients see; `header_count` says how many the record holds."""
    value, value_error = decode_value(raw.value)
    key, binary_key = (None, None) if raw.key is None else decode_text(raw.key)
    headers = raw.headers
    return Record(
        topic=raw.topic,
        partition=raw.partition,
        offset=raw.offset,
        timestamp_ms=raw.timestamp,
        key=key,
        value=value,
        headers=tuple(_header(k, v) for k, v in headers[:max_headers]) if headers else (),
        raw_value=raw.value,
        binary_key=binary_key,
        value_error=value_error,
        header_count=len(headers) if headers else 0,
    )


def _header(name: str | bytes, raw: bytes | None) -> Header:
    # A name is bytes only when it is not UTF-8 (record_batches.py).
    value, binary_value = (None, None) if raw is None else decode_text(raw)
    if isinstance(name, str):
        return Header(name, value, None, binary_value)
    return Header(None, value, name, binary_value)


class PartitionReader:
    """Reads `start`'s partitions of `topic` from those offsets. With a `pool`, its consumer
    comes from the pool and goes back to it; without, it is started and stopped for this read.
    `owner` is the caller it reads for (the pool caps what one caller holds). A position that
    Kafka answers "out of range" (deleted, or past the end of a topic made again) goes on at the
    partition's earliest offset (or its end), and what was skipped is added to `gaps`."""

    def __init__(
        self,
        settings: KafkaSettings,
        topic: str,
        start: Mapping[int, int],
        pool: ReaderPool | None = None,
        owner: str = "",
        gaps: Gaps | None = None,
    ) -> None:
        self._settings = settings
        self._topic = topic
        self._start = dict(start)
        self._pool = pool if pool is not None else ReaderPool(settings, 0)
        self._owner = owner
        self.gaps = gaps if gaps is not None else Gaps()
        self._consumer: Any = None
        self._tps = {p: TopicPartition(topic, p) for p in self._start}

    async def __aenter__(self) -> Self:
        self._consumer = await self._pool.take(self._owner)
        try:
            self._consumer.assign(list(self._tps.values()))
            for partition, offset in self._start.items():
                self._consumer.seek(self._tps[partition], offset)
        except BaseException:
            await self._pool.give_back(self._consumer, reusable=False, owner=self._owner)
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._pool.give_back(self._consumer, reusable=exc is None, owner=self._owner)

    async def fetch(self, timeout_s: float) -> dict[int, Iterator[Record]]:
        """What arrives within `timeout_s` (maybe nothing), per partition, in offset order.

        Each record is decoded when the iteration reaches it: the caller decodes in slices, with
        its own work, and nothing it stops before (a page's end) is decoded at all."""
        gone: Mapping[Any, int] = {}
        # getmany's own timeout returns early when nothing is there; kafka_call bounds a hang.
        async with kafka_call("reading records", self._settings.request_timeout_s + timeout_s):
            try:
                batch = await self._consumer.getmany(
                    timeout_ms=int(timeout_s * 1000), max_records=FETCH_MAX_RECORDS
                )
            except OffsetOutOfRangeError as error:
                gone = error.args[0] if error.args else {}
                batch = {}
        if gone:
            await self._out_of_range(gone)
        most = self._pool.max_headers
        return {tp.partition: (to_record(r, most) for r in rs) for tp, rs in batch.items() if rs}

    async def _out_of_range(self, fetched: Mapping[Any, int]) -> None:
        """Kafka holds none of the offsets `fetched` asked for (per partition): go on at the
        earliest offset it holds (a gap) or, past its end, at the end (a reset)."""
        tps = [tp for tp in fetched if tp.partition in self._tps]
        if not tps:
            return
        async with kafka_call("reading offsets", self._settings.request_timeout_s):
            earliest = await self._consumer.beginning_offsets(tps)
            latest = await self._consumer.end_offsets(tps)
        for tp in tps:
            asked, first, end = fetched[tp], int(earliest[tp]), int(latest[tp])
            if asked < first:
                self.gaps.gone(tp.partition, asked, first)
                self._consumer.seek(tp, first)
            elif asked > end:
                self.gaps.reset(tp.partition, asked, end)
                self._consumer.seek(tp, end)
            else:  # in range again by now (a leader's log start moved back): read it
                self._consumer.seek(tp, asked)

    async def position(self, partition: int) -> int:
        async with kafka_call("reading a position", self._settings.request_timeout_s):
            return int(await self._consumer.position(self._tps[partition]))

    def pause(self, partition: int) -> None:
        self._consumer.pause(self._tps[partition])
