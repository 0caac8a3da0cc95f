"""What the gateway needs from Kafka, as a protocol: the seam between the rules every face shares
and the Kafka layer that serves them.

`kafka/gateway.py`'s `KafkaGateway` is the real one (`server.create_app` makes it by default);
tests give the app a stand-in that records every call (`tests/kafka_stand_in.py`), so that the
transport's suites run without a broker and prove that a refusal reached no Kafka at all.
Everything named here comes back as the Kafka layer's frozen dataclasses, never an aiokafka
object.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Collection, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Protocol

# For the annotations only: the protocol itself loads nothing of the Kafka layer (and so no
# aiokafka), so a stand-in is made without it.
if TYPE_CHECKING:
    from kafka_graphql.core.errors import GatewayError
    from kafka_graphql.kafka.group_consumer import GroupConsumer, GroupOptions
    from kafka_graphql.kafka.held import Holder
    from kafka_graphql.kafka.live_index import IndexHint
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
    from kafka_graphql.kafka.stream import Positioned


class KafkaLayer(Protocol):
    """Metadata, writes, history pages and live streams of the cluster, and its readiness.

    Its life (start, close) is its maker's: `create_app` starts and closes the `KafkaGateway` it
    makes; a layer given to it is the caller's to start, prepare (topics to create) and close."""

    async def topic_names(self) -> Sequence[str]:
        """Every topic's name, sorted; the same object until the metadata is refreshed."""
        ...

    async def partitions(self, topic: str) -> tuple[int, ...]:
        """Partition ids of `topic`; NotFound if it does not exist."""
        ...

    async def partition_counts(self) -> Mapping[str, int]:
        """Every topic's partition count, from one read of the cluster's metadata (the one
        `topic_names` and `partitions` read), never a request per topic."""
        ...

    async def offsets(
        self, topic: str, partitions: Iterable[int]
    ) -> dict[int, PartitionOffsets]: ...

    async def partition_details(self, topic: str) -> tuple[PartitionDetails, ...]:
        """Leader and replicas of each partition of `topic`; NotFound if it does not exist."""
        ...

    async def brokers(self) -> tuple[int, ...]:
        """The ids of the cluster's brokers, sorted."""
        ...

    async def cluster_id(self) -> str:
        """The cluster's id (Kafka's, as its metadata reports it)."""
        ...

    async def topic_configs(self, topic: str) -> dict[str, str | None]:
        """Every configuration entry of `topic` by name (None: a value Kafka hides); NotFound
        if it does not exist."""
        ...

    async def topic_offsets(
        self, topics: Collection[str]
    ) -> dict[str, dict[int, PartitionOffsets]]:
        """Partition offsets of several topics at once; topics that do not exist are left out."""
        ...

    async def offsets_for_time(
        self, topic: str, partitions: Iterable[int], timestamp_ms: int
    ) -> dict[int, int | None]: ...

    async def cleanup_policies(self, topics: Collection[str]) -> dict[str, str]:
        """The `cleanup.policy` of each of `topics` that exists."""
        ...

    async def readiness(self) -> str | None:
        """None when the gateway can write and read; otherwise why not (raises nothing)."""
        ...

    async def readiness_checks(self) -> dict[str, str | None]:
        """Each of readiness's checks by name (`cluster`, `producer`, `feeds`): None when it
        passes, otherwise why not (raises nothing). Ready when all pass."""
        ...

    def figures(self) -> KafkaFigures:
        """The live feeds' lag and restarts and the producer's replacements, for the metrics
        (cheap and synchronous: what the clients last heard, no request to Kafka)."""
        ...

    async def produce(self, topic: str, records: Sequence[OutgoingRecord]) -> list[ProduceAck]:
        """Every record acknowledged, in order; or the error that says what is known (its
        extensions: the indices `written`, and `unknown` for KAFKA_TIMEOUT)."""
        ...

    async def produce_each(
        self, topic: str, records: Sequence[OutgoingRecord]
    ) -> list[ProduceAck | GatewayError]:
        """`produce` answered record by record: each record's acknowledgement, or its own
        error (KAFKA_TIMEOUT: it may be written; any other: it is not). Raises nothing of
        Kafka's."""
        ...

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
        ...

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
        """Records matching `predicate` with the positions after each, from `start` (None: the
        end) and then live; what it finds deleted before it reads it is added to `gaps`."""
        ...

    def group_consumer(self, options: GroupOptions) -> GroupConsumer:
        """A new member of a consumer group (not started: the caller starts and closes it)."""
        ...

    async def close_streams(self, grace_s: float) -> None:
        """Shutdown: complete every live subscription, waiting up to `grace_s`."""
        ...
