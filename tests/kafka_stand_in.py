"""A stand-in for the Kafka layer (`kafka_graphql.core.kafka_layer.KafkaLayer`), for the suites
that must never reach Kafka (tests/unit/transport): refusals of the transport (malformed
requests, CORS, CSRF, Origin, Host, WebSocket protocol errors, authentication) come before any
Kafka call, and these suites prove it without a broker.

Every call is recorded in `calls` and raises `KafkaReached`. The gateway masks an unexpected
error as an internal one, so the raise alone may not fail a test: the suites' fixture asserts at
each test's end that `calls` is empty.

Some tests then check that the gateway still serves (a query that asks for a topic's metadata,
answered NOT_FOUND or `null`). Inside `empty_cluster()`, and only there, the metadata calls are
answered as by a cluster without topics and recorded in `probes` instead; reads and writes are
never answered.
"""

from __future__ import annotations

from collections.abc import (
    AsyncIterator,
    Callable,
    Collection,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, NoReturn

from kafka_graphql.core.errors import GatewayError, NotFound
from kafka_graphql.kafka import (
    Gaps,
    IndexHint,
    KafkaFigures,
    OutgoingRecord,
    Page,
    PartitionDetails,
    PartitionOffsets,
    ProduceAck,
    Record,
)
from kafka_graphql.kafka.group_consumer import GroupConsumer, GroupOptions
from kafka_graphql.kafka.held import Holder
from kafka_graphql.kafka.stream import Positioned


class KafkaReached(AssertionError):
    """A call reached the stand-in of a suite that must never reach Kafka."""


@dataclass(frozen=True)
class Call:
    method: str
    args: tuple[Any, ...]


class NotReached:
    """Satisfies `KafkaLayer`; any call is recorded and fails (see the module's docstring)."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.probes: list[Call] = []
        self._empty_cluster = False
        # What `figures()` answers (no Kafka is reached for them: a test sets them).
        self.kafka_figures = KafkaFigures(feed_lag={}, feed_restarts={}, producer_replacements=0)

    @contextmanager
    def empty_cluster(self) -> Iterator[None]:
        """While open, metadata is answered as by a cluster with no topics (`probes`)."""
        self._empty_cluster = True
        try:
            yield
        finally:
            self._empty_cluster = False

    def _probe(self, method: str, *args: Any) -> bool:
        if not self._empty_cluster:
            return False
        self.probes.append(Call(method, args))
        return True

    def _reached(self, method: str, *args: Any) -> NoReturn:
        self.calls.append(Call(method, args))
        raise KafkaReached(f"{method}{args!r} reached Kafka")

    async def topic_names(self) -> Sequence[str]:
        if self._probe("topic_names"):
            return ()
        self._reached("topic_names")

    async def partitions(self, topic: str) -> tuple[int, ...]:
        if self._probe("partitions", topic):
            raise NotFound.topic(topic)
        self._reached("partitions", topic)

    async def partition_counts(self) -> Mapping[str, int]:
        if self._probe("partition_counts"):
            return {}
        self._reached("partition_counts")

    async def offsets(self, topic: str, partitions: Iterable[int]) -> dict[int, PartitionOffsets]:
        self._reached("offsets", topic, tuple(partitions))

    async def partition_details(self, topic: str) -> tuple[PartitionDetails, ...]:
        if self._probe("partition_details", topic):
            raise NotFound.topic(topic)
        self._reached("partition_details", topic)

    async def brokers(self) -> tuple[int, ...]:
        self._reached("brokers")

    async def cluster_id(self) -> str:
        self._reached("cluster_id")

    async def topic_configs(self, topic: str) -> dict[str, str | None]:
        self._reached("topic_configs", topic)

    async def topic_offsets(
        self, topics: Collection[str]
    ) -> dict[str, dict[int, PartitionOffsets]]:
        if self._probe("topic_offsets", tuple(topics)):
            return {}
        self._reached("topic_offsets", tuple(topics))

    async def offsets_for_time(
        self, topic: str, partitions: Iterable[int], timestamp_ms: int
    ) -> dict[int, int | None]:
        self._reached("offsets_for_time", topic, tuple(partitions), timestamp_ms)

    async def cleanup_policies(self, topics: Collection[str]) -> dict[str, str]:
        if self._probe("cleanup_policies", tuple(topics)):
            return {}
        self._reached("cleanup_policies", tuple(topics))

    async def readiness(self) -> str | None:
        self._reached("readiness")

    async def readiness_checks(self) -> dict[str, str | None]:
        self._reached("readiness_checks")

    def figures(self) -> KafkaFigures:
        return self.kafka_figures

    async def produce(self, topic: str, records: Sequence[OutgoingRecord]) -> list[ProduceAck]:
        self._reached("produce", topic, len(records))

    async def produce_each(
        self, topic: str, records: Sequence[OutgoingRecord]
    ) -> list[ProduceAck | GatewayError]:
        self._reached("produce_each", topic, len(records))

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
        self._reached("read_page", topic, dict(start), dict(end), limit)

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
        self._reached("stream", topic, start, partitions)

    def group_consumer(self, options: GroupOptions) -> GroupConsumer:
        self._reached("group_consumer", options.group)

    async def close_streams(self, grace_s: float) -> None:
        """Shutdown's notice, to every layer: a stand-in that opened no stream has none to
        complete, and nothing of Kafka is reached, so it is neither recorded nor refused."""
