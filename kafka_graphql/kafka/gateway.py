"""The Kafka layer's front door: the only object the rest of the gateway talks to about Kafka.

It owns every aiokafka object (admin client, offsets consumer, producer, live feeds, readers);
`start()` and `close()` bound their lives.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Collection, Iterable, Mapping, Sequence

from kafka_graphql.core.errors import GatewayError
from kafka_graphql.kafka.cluster import Cluster
from kafka_graphql.kafka.group_consumer import GroupConsumer, GroupOptions
from kafka_graphql.kafka.held import Holder
from kafka_graphql.kafka.history import read_page
from kafka_graphql.kafka.live import LiveHub
from kafka_graphql.kafka.live_index import IndexHint
from kafka_graphql.kafka.producer import Producer
from kafka_graphql.kafka.reader import MAX_HEADERS
from kafka_graphql.kafka.reader_pool import ReaderPool
from kafka_graphql.kafka.records import (
    Gaps,
    KafkaFigures,
    OutgoingRecord,
    Page,
    PartitionDetails,
    PartitionOffsets,
    ProduceAck,
    Record,
)
from kafka_graphql.kafka.stream import Positioned, stream_records
from kafka_graphql.kafka.topic_configs import CleanupPolicies, topic_configs
from kafka_graphql.settings import KafkaSettings


class KafkaGateway:
    def __init__(
        self,
        settings: KafkaSettings,
        max_headers: int = MAX_HEADERS,
        readers_per_caller: int | None = None,
    ) -> None:
        """`max_headers`: how many headers of a record are read (limits.max_headers_per_record);
        `readers_per_caller`: history readers one caller may hold at once
        (limits.max_readers_per_principal)."""
        self.settings = settings
        self._cluster = Cluster(settings)
        self._producer = Producer(settings, reachable=self._cluster.ping)
        self.live = LiveHub(settings, self._cluster, max_headers)
        self.readers = ReaderPool(
            settings,
            settings.reader_pool_size,
            per_owner=readers_per_caller,
            max_headers=max_headers,
        )
        self._max_headers = max_headers
        self._policies = CleanupPolicies(self._cluster.admin, settings)
        self._names: Sequence[str] = ()
        self._names_of: object = None

    async def start(self) -> None:
        try:
            await self._cluster.start()
            await self._producer.start()
        except BaseException:
            # aiokafka objects warn when never closed, started or not.
            await self._producer.close()
            await self._cluster.close()
            raise

    async def close_streams(self, grace_s: float) -> None:
        """Complete every live subscription and wait up to `grace_s` for them to finish."""
        await self.live.close(grace_s)

    async def close(self) -> None:
        await self.live.close()
        await self.readers.close()
        await self._producer.close()
        await self._cluster.close()

    async def topic_names(self) -> Sequence[str]:
        """Every topic's name, sorted; the same object until the metadata is refreshed, so that
        what callers work out from it can be kept as long (graphql/resolvers/topics.py)."""
        topics = await self._cluster.topics()
        if self._names_of is not topics:
            self._names, self._names_of = tuple(sorted(topics)), topics
        return self._names

    async def partitions(self, topic: str) -> tuple[int, ...]:
        """Partition ids of `topic`; NotFound if it does not exist."""
        return await self._cluster.partitions(topic)

    async def partition_counts(self) -> Mapping[str, int]:
        return {topic: len(ids) for topic, ids in (await self._cluster.topics()).items()}

    async def offsets(self, topic: str, partitions: Iterable[int]) -> dict[int, PartitionOffsets]:
        return await self._cluster.offsets(topic, partitions)

    async def partition_details(self, topic: str) -> tuple[PartitionDetails, ...]:
        """Leader and replicas of each partition of `topic`; NotFound if it does not exist."""
        return await self._cluster.partition_details(topic)

    async def brokers(self) -> tuple[int, ...]:
        return await self._cluster.brokers()

    async def cluster_id(self) -> str:
        return await self._cluster.cluster_id()

    async def topic_configs(self, topic: str) -> dict[str, str | None]:
        return await topic_configs(self._cluster.admin, self.settings, topic)

    async def topic_offsets(
        self, topics: Collection[str]
    ) -> dict[str, dict[int, PartitionOffsets]]:
        """Partition offsets of several topics at once; topics that do not exist are left out."""
        return await self._cluster.topic_offsets(topics)

    async def offsets_for_time(
        self, topic: str, partitions: Iterable[int], timestamp_ms: int
    ) -> dict[int, int | None]:
        return await self._cluster.offsets_for_time(topic, partitions, timestamp_ms)

    async def cleanup_policies(self, topics: Collection[str]) -> dict[str, str]:
        """The `cleanup.policy` of each of `topics` that exists (kept for metadata_max_age_s)."""
        return await self._policies.of(topics)

    async def ensure_topics(self, wanted: Mapping[str, int]) -> None:
        await self._cluster.ensure_topics(wanted)

    async def ping(self) -> None:
        await self._cluster.ping()

    async def readiness(self) -> str | None:
        """None when the gateway can write and read; otherwise why not (raises nothing)."""
        checks = await self.readiness_checks()
        return next((problem for problem in checks.values() if problem is not None), None)

    async def readiness_checks(self) -> dict[str, str | None]:
        """The cluster answers a metadata request in time, the producer makes progress, no
        live feed is stuck: None for each that holds, else why not (raises nothing)."""
        try:
            await self._cluster.ping()
            cluster = None
        except GatewayError as error:
            cluster = error.message
        return {
            "cluster": cluster,
            "producer": self._producer.health(),
            "feeds": self.live.health(),
        }

    @property
    def producer_replacements(self) -> int:
        """How often a wedged producer was replaced (for operators and tests)."""
        return self._producer.replacements

    def figures(self) -> KafkaFigures:
        """The live feeds' lag and restarts and the producer's replacements (no Kafka request:
        what the clients last heard)."""
        return KafkaFigures(
            feed_lag=self.live.lag(),
            feed_restarts=self.live.restarts(),
            producer_replacements=self._producer.replacements,
        )

    async def produce(self, topic: str, records: Sequence[OutgoingRecord]) -> list[ProduceAck]:
        return await self._producer.send_many(topic, records)

    async def produce_each(
        self, topic: str, records: Sequence[OutgoingRecord]
    ) -> list[ProduceAck | GatewayError]:
        return await self._producer.send_each(topic, records)

    def group_consumer(self, options: GroupOptions) -> GroupConsumer:
        return GroupConsumer(self.settings, options, self._max_headers)

    async def read_page(
        self,
        topic: str,
        start: Mapping[int, int],
        end: Mapping[int, int],
        limit: int,
        predicate: Callable[[Record], bool],
        max_scan: int,
        owner: str = "",
    ) -> Page:
        """`owner`: the caller the page is read for (readers are capped per caller)."""
        return await read_page(
            self.settings, topic, start, end, limit, predicate, max_scan, self.readers, owner
        )

    def stream(
        self,
        topic: str,
        start: Mapping[int, int] | None,
        partitions: frozenset[int] | None,
        predicate: Callable[[Record], bool],
        max_batches: int,
        hint: IndexHint | None = None,
        owner: str = "",
        holder: Holder | None = None,
        gaps: Gaps | None = None,
    ) -> AsyncIterator[Positioned]:
        """Records matching `predicate`; `hint` (equalities `predicate` requires of every record
        it accepts) lets the shared feed offer a record only to the subscribers it may be for;
        `owner` is the caller a catch-up reads for (readers are capped per caller); `holder` is
        the caller's account of the bytes its streams hold; `gaps` gets what the stream finds
        deleted before it reads it."""
        return stream_records(
            self.settings,
            self.live,
            topic,
            start,
            partitions,
            predicate,
            max_batches,
            self.readers,
            hint,
            owner,
            holder,
            gaps,
        )
