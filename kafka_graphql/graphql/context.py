"""The typed request context every resolver receives (never a dict)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web
from strawberry.dataloader import DataLoader
from strawberry.types import Info as StrawberryInfo

from kafka_graphql.core.auth.principal import Principal
from kafka_graphql.core.cursor import CursorSealer
from kafka_graphql.core.gateway import Core
from kafka_graphql.core.kafka_layer import KafkaLayer
from kafka_graphql.core.limits.registry import LimitsRegistry
from kafka_graphql.core.topics import TopicRegistry
from kafka_graphql.core.typed.records import TypedRecords
from kafka_graphql.kafka import PartitionOffsets
from kafka_graphql.settings import Settings

if TYPE_CHECKING:
    from kafka_graphql.graphql.resolvers.slots import SubscriptionSlot


@dataclass(slots=True)
class Context:
    request: web.Request
    # What every call into the core needs (core/gateway.py); resolvers pass it to the core's
    # entry points with the caller.
    core: Core
    # Made by the transport: from the HTTP request's token, or (WebSocket) from the
    # connection_init payload once it is accepted. Anonymous until then, which reads nothing
    # when [auth] is on.
    principal: Principal = field(default_factory=lambda: Principal.anonymous(None))
    # The HTTP response, when there is one (queries and mutations over HTTP).
    response: web.StreamResponse | None = None
    # The caller's subscription slots held by streams on this connection (a WebSocket's context
    # lives as long as it does; graphql/resolvers/slots.py).
    subscription_slots: set[SubscriptionSlot] = field(default_factory=set)
    # Whether this WebSocket holds one of its caller's connection slots (released on close).
    connection_slot: bool = False
    # The connection_init payload, while `on_ws_connect` reads it (Strawberry sets it).
    connection_params: dict[str, Any] | None = None
    # The HTTP stream an operation is written to ("graphql-sse", "multipart-subscription";
    # graphql/streams.py), None otherwise.
    stream: str | None = None
    # An HTTP request that carries a batch of operations (answered with 429 only as a whole).
    in_batch: bool = False
    # The cluster's names the caller may read, and the names they came from
    # (graphql/resolvers/topics.py).
    readable_topics: tuple[object, Sequence[str]] = (None, ())
    # Batches `topics { partitions }` into one offsets request (graphql/resolvers/topics.py).
    topic_offsets: DataLoader[str, dict[int, PartitionOffsets]] | None = None

    @property
    def settings(self) -> Settings:
        return self.core.settings

    @property
    def kafka(self) -> KafkaLayer:
        return self.core.kafka

    @property
    def topics(self) -> TopicRegistry:
        return self.core.topics

    @property
    def cursors(self) -> CursorSealer:
        return self.core.cursors

    @property
    def typed(self) -> Mapping[str, TypedRecords]:
        return self.core.typed

    @property
    def limits(self) -> LimitsRegistry:
        return self.core.limits


Info = StrawberryInfo[Context, None]
