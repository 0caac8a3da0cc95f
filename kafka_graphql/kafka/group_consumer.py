"""A consumer in a Kafka consumer group, for the REST face's consumer instances: it subscribes
(the group balances the partitions) or is assigned partitions, fetches, seeks and commits its
offsets in Kafka. Partitions are `(topic, partition)` pairs; records are the layer's `Record`."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import IllegalStateError

from kafka_graphql.core.errors import Conflict
from kafka_graphql.kafka import record_batches
from kafka_graphql.kafka.consumers import stop_consumer
from kafka_graphql.kafka.errors import kafka_call
from kafka_graphql.kafka.group_gaps import GroupGaps
from kafka_graphql.kafka.reader import FETCH_MAX_RECORDS, to_record
from kafka_graphql.kafka.records import Record
from kafka_graphql.kafka.security import client_options
from kafka_graphql.settings import KafkaSettings

TopicPartitionId = tuple[str, int]
# How often a member tells the group it is alive: a member that leaves or joins is noticed
# within this much by the others.
HEARTBEAT_MS = 1000


@dataclass(frozen=True, slots=True)
class GroupOptions:
    group: str
    # "earliest" or "latest": where a partition without a committed offset is read from.
    auto_offset_reset: str = "latest"
    auto_commit: bool = True
    fetch_min_bytes: int = 1


class GroupConsumer:
    """One member of `options.group`; `start()` before use and `close()` after, always."""

    def __init__(self, settings: KafkaSettings, options: GroupOptions, max_headers: int) -> None:
        record_batches.install()
        self._settings = settings
        self._max_headers = max_headers
        self._consumer: Any = AIOKafkaConsumer(
            **client_options(settings, "group"),
            group_id=options.group,
            enable_auto_commit=options.auto_commit,
            auto_offset_reset=options.auto_offset_reset,
            fetch_min_bytes=options.fetch_min_bytes,
            fetch_max_wait_ms=100,
            heartbeat_interval_ms=HEARTBEAT_MS,
        )
        self._closed = False
        # What its fetches skipped (records deleted, positions past the end): `gone`.
        self.gaps = GroupGaps()

    async def start(self) -> None:
        try:
            async with kafka_call("joining a consumer group", self._settings.request_timeout_s):
                await self._consumer.start()
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        """Leaves the group (its partitions go to the others at once); idempotent."""
        if self._closed:
            return
        self._closed = True
        await stop_consumer(self._consumer)

    @property
    def closed(self) -> bool:
        return self._closed

    def subscribe(self, topics: Collection[str]) -> None:
        """Subscribes to `topics` (none: unsubscribes)."""
        if not topics:
            self._consumer.unsubscribe()
            return
        try:
            self._consumer.subscribe(topics=list(topics), listener=_Rebalanced(self.gaps))
        except IllegalStateError:
            raise Conflict("Illegal state: the consumer has partitions assigned by hand") from None

    def unsubscribe(self) -> None:
        self._consumer.unsubscribe()
        self.gaps.forget()

    def subscription(self) -> frozenset[str]:
        return frozenset(self._consumer.subscription())

    def assign(self, partitions: Iterable[TopicPartitionId]) -> None:
        try:
            self._consumer.assign([TopicPartition(t, p) for t, p in partitions])
        except IllegalStateError:
            raise Conflict("Illegal state: the consumer is subscribed to topics") from None
        self.gaps.forget()

    def assignment(self) -> list[TopicPartitionId]:
        return sorted((tp.topic, tp.partition) for tp in self._consumer.assignment())

    async def fetch(self, timeout_s: float) -> list[Record]:
        """What arrives within `timeout_s` (maybe nothing), in offset order per partition."""
        async with kafka_call("reading records", self._settings.request_timeout_s + timeout_s):
            batch = await self._consumer.getmany(
                timeout_ms=int(timeout_s * 1000), max_records=FETCH_MAX_RECORDS
            )
        if batch:  # once per partition per fetch; a request only when a partition jumped
            async with kafka_call("reading offsets", self._settings.request_timeout_s):
                await self.gaps.check(self._consumer, batch)
        return [to_record(r, self._max_headers) for rs in batch.values() for r in rs]

    def seek(self, partition: TopicPartitionId, offset: int) -> None:
        """The next record `fetch` gives of an assigned `partition` is at `offset`."""
        with _assigned():
            self._consumer.seek(TopicPartition(*partition), offset)
        self.gaps.moved(TopicPartition(*partition), offset)

    async def seek_to(self, partitions: Iterable[TopicPartitionId], end: bool) -> None:
        tps = [TopicPartition(t, p) for t, p in partitions]
        async with kafka_call("seeking", self._settings.request_timeout_s):
            with _assigned():
                await self._seek_to(tps, end)
        for tp in tps:
            self.gaps.moved(tp, None)

    async def _seek_to(self, tps: list[TopicPartition], end: bool) -> None:
        if end:
            await self._consumer.seek_to_end(*tps)
        else:
            await self._consumer.seek_to_beginning(*tps)

    async def commit(self, offsets: Mapping[TopicPartitionId, int] | None) -> None:
        """Commits `offsets` (the next offset to read per partition), or with None the
        positions of every assigned partition."""
        given = None if offsets is None else {TopicPartition(*k): o for k, o in offsets.items()}
        if given is None and not self._consumer.assignment():
            return
        async with kafka_call("committing offsets", self._settings.request_timeout_s):
            with _assigned():
                await self._consumer.commit(given)

    async def committed(
        self, partitions: Iterable[TopicPartitionId]
    ) -> dict[TopicPartitionId, int]:
        """The group's committed offset of each of `partitions` that has one."""
        found: dict[TopicPartitionId, int] = {}
        async with kafka_call("reading committed offsets", self._settings.request_timeout_s):
            for topic, partition in partitions:
                offset = await self._consumer.committed(TopicPartition(topic, partition))
                if offset is not None:
                    found[(topic, partition)] = int(offset)
        return found


class _Rebalanced(ConsumerRebalanceListener):  # type: ignore[misc]
    """Partitions taken away or given anew continue from the group's committed offsets."""

    def __init__(self, gaps: GroupGaps) -> None:
        self._gaps = gaps

    def on_partitions_revoked(self, revoked: Any) -> None:
        self._gaps.forget(revoked)

    def on_partitions_assigned(self, assigned: Any) -> None:
        self._gaps.forget(assigned)


@contextmanager
def _assigned() -> Iterator[None]:
    try:
        yield
    except IllegalStateError:
        raise Conflict("Illegal state: the consumer is not assigned that partition") from None
