"""Cluster metadata (topics, partitions) and offset look-ups, with a short-lived metadata cache."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Collection, Iterable, Mapping

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from kafka_graphql.core.errors import NotFound
from kafka_graphql.kafka.errors import kafka_call
from kafka_graphql.kafka.records import PartitionDetails, PartitionOffsets
from kafka_graphql.kafka.security import check_connection, client_options
from kafka_graphql.settings import KafkaSettings

log = logging.getLogger(__name__)


class Cluster:
    def __init__(self, settings: KafkaSettings) -> None:
        self._settings = settings
        self._admin = AIOKafkaAdminClient(**client_options(settings, "admin"))
        # A group-less consumer used only to ask for offsets; it is never assigned partitions.
        self._offsets = AIOKafkaConsumer(
            **client_options(settings, "offsets"), group_id=None, enable_auto_commit=False
        )
        self._topics: dict[str, tuple[int, ...]] = {}
        # Each topic's partitions' leader and replicas, from the same metadata as `_topics`.
        self._details: dict[str, tuple[PartitionDetails, ...]] = {}
        self._fetched_at = float("-inf")
        self._refresh_lock = asyncio.Lock()

    @property
    def admin(self) -> AIOKafkaAdminClient:
        """The admin client, for other readers of the cluster's state (topic_configs.py)."""
        return self._admin

    async def start(self) -> None:
        # A wrong address, protocol, CA or password fails here, with its reason.
        await check_connection(self._settings)
        async with kafka_call("connecting", self._settings.request_timeout_s):
            await self._admin.start()
            await self._offsets.start()

    async def close(self) -> None:
        await self._offsets.stop()
        await self._admin.close()

    async def topics(self, *, fresh: bool = False) -> Mapping[str, tuple[int, ...]]:
        """Topic name -> sorted partition ids, cached for `metadata_max_age_s`."""
        if fresh or time.monotonic() - self._fetched_at > self._settings.metadata_max_age_s:
            await self._refresh()
        return self._topics

    async def partitions(self, topic: str) -> tuple[int, ...]:
        """Partition ids of `topic` in the cached metadata; NotFound if it is not there.

        A name the metadata does not hold is not looked up again: any caller may ask for as
        many names as it can invent under an exposed pattern, and each would cost a metadata
        request of the whole cluster. A topic created since the last refresh is found after
        the next one, within `metadata_max_age_s`."""
        partitions = (await self.topics()).get(topic)
        if partitions is None:
            raise NotFound.topic(topic)
        return partitions

    async def _refresh(self) -> None:
        started = time.monotonic()
        async with self._refresh_lock:
            if self._fetched_at >= started:
                return  # another caller refreshed while we waited
            async with kafka_call("reading cluster metadata", self._settings.request_timeout_s):
                described = await self._admin.describe_topics()
            served = [t for t in described if t["error_code"] == 0 and not t["is_internal"]]
            self._details = {
                t["topic"]: tuple(
                    sorted(
                        (
                            PartitionDetails(
                                p["partition"], p["leader"], tuple(p["replicas"]), tuple(p["isr"])
                            )
                            for p in t["partitions"]
                        ),
                        key=lambda d: d.partition,
                    )
                )
                for t in served
            }
            self._topics = {
                name: tuple(d.partition for d in details) for name, details in self._details.items()
            }
            self._fetched_at = time.monotonic()

    async def partition_details(self, topic: str) -> tuple[PartitionDetails, ...]:
        """Leader and replicas of each partition of `topic` (the cached metadata, as
        `partitions`); NotFound if it is not there."""
        await self.partitions(topic)
        return self._details[topic]

    async def brokers(self) -> tuple[int, ...]:
        """The ids of the cluster's brokers, sorted (asked of Kafka on every call)."""
        async with kafka_call("reading cluster metadata", self._settings.request_timeout_s):
            described = await self._admin.describe_cluster()
        return tuple(sorted(b["node_id"] for b in described["brokers"]))

    async def cluster_id(self) -> str:
        """The cluster's id, as Kafka reports it (asked of Kafka on every call)."""
        async with kafka_call("reading cluster metadata", self._settings.request_timeout_s):
            described = await self._admin.describe_cluster()
        cluster_id: str = described["cluster_id"]
        return cluster_id

    async def offsets(self, topic: str, partitions: Iterable[int]) -> dict[int, PartitionOffsets]:
        tps = [TopicPartition(topic, p) for p in partitions]
        async with kafka_call("reading offsets", self._settings.request_timeout_s):
            earliest = await self._offsets.beginning_offsets(tps)
            latest = await self._offsets.end_offsets(tps)
        return {
            tp.partition: PartitionOffsets(tp.partition, earliest[tp], latest[tp]) for tp in tps
        }

    async def topic_offsets(
        self, topics: Collection[str]
    ) -> dict[str, dict[int, PartitionOffsets]]:
        """Offsets of every partition of each of `topics` in one earliest and one latest request
        (not two per topic); topics that do not exist are left out."""
        known = await self.topics()
        tps = [TopicPartition(t, p) for t in dict.fromkeys(topics) if t in known for p in known[t]]
        found: dict[str, dict[int, PartitionOffsets]] = {t: {} for t in topics if t in known}
        if tps:
            async with kafka_call("reading offsets", self._settings.request_timeout_s):
                earliest = await self._offsets.beginning_offsets(tps)
                latest = await self._offsets.end_offsets(tps)
            for tp in tps:
                found[tp.topic][tp.partition] = PartitionOffsets(
                    tp.partition, earliest[tp], latest[tp]
                )
        return found

    async def offsets_for_time(
        self, topic: str, partitions: Iterable[int], timestamp_ms: int
    ) -> dict[int, int | None]:
        """First offset at or after `timestamp_ms` per partition; None when there is none yet."""
        query = {TopicPartition(topic, p): timestamp_ms for p in partitions}
        async with kafka_call("looking up offsets by time", self._settings.request_timeout_s):
            found = await self._offsets.offsets_for_times(query)
        return {tp.partition: (o.offset if o is not None else None) for tp, o in found.items()}

    async def ensure_topics(self, wanted: Mapping[str, int]) -> None:
        existing = await self.topics(fresh=True)
        missing = [NewTopic(name, n, 1) for name, n in wanted.items() if name not in existing]
        if not missing:
            return
        log.info("creating topics %s", ", ".join(t.name for t in missing))
        async with kafka_call("creating topics", self._settings.request_timeout_s):
            # Another gateway instance may have created it first.
            with contextlib.suppress(TopicAlreadyExistsError):
                await self._admin.create_topics(missing)
        # The controller has the topics now; the broker's metadata shows them a moment later.
        # Until it does, `topics` would list none of them and reads would say NOT_FOUND, so
        # start-up waits (polling metadata: there is no event for it) within the request timeout.
        deadline = time.monotonic() + self._settings.request_timeout_s
        while True:
            served = await self.topics(fresh=True)
            if all(len(served.get(t.name, ())) == t.num_partitions for t in missing):
                return
            if time.monotonic() > deadline:
                log.warning("created topics are not in the cluster metadata yet; going on")
                return
            await asyncio.sleep(0.05)

    async def ping(self) -> None:
        """Raise KafkaUnavailable unless the cluster answers a metadata request in time.

        A request for no topic, answered with the brokers only: the metadata of every topic is
        what `topics` fetches once per `metadata_max_age_s`, and decoding it holds the loop
        ~60 ms on a cluster of 2,600 topics; `/readyz` may be asked for as often as anyone
        likes."""
        async with kafka_call("reading cluster metadata", self._settings.request_timeout_s):
            await self._admin.describe_topics([])
