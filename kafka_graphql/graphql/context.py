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
    settings: Settings
    kafka: KafkaLayer
    topics: TopicRegistry
    # Seals the cursors the API hands out and opens those it is given (core/cursor.py).
    cursors: CursorSealer
    # Typed topics by name: every API that reads or writes them goes through their codec.
    typed: Mapping[str, TypedRecords] = field(default_factory=dict)
    # Made by the transport: from the HTTP request's token, or (WebSocket) from the
    # connection_init payload once it is accepted. Anonymous until then, which reads nothing
    # when [auth] is on.
    principal: Principal = field(default_factory=lambda: Principal.anonymous(None))
    # Every caller's budgets (one registry per gateway process; a fresh one has the defaults).
    limits: LimitsRegistry = field(default_factory=LimitsRegistry)
    # The HTTP response, when there is one (queries and mutations over HTTP).
    response: web.StreamResponse | None = None
    # The caller's subscription slots held by streams on this connection (a WebSocket's context
    # lives as long as it does; graphql/resolvers/slots.py).
    subscription_slots: set[SubscriptionSlot] = field(default_factory=set)
    # Whether this WebSocket holds one of its caller's connection slots (released on close).
    connection_slot: bool = False
    # The connection_init payload, while `on_ws_connect` reads it (Strawberry sets it).
    connection_params: dict[str, Any] | None = None
    # An HTTP request that carries a batch of operations (answered with 429 only as a whole).
    in_batch: bool = False
    # The cluster's names the caller may read, and the names they came from
    # (graphql/resolvers/access.py).
    readable_topics: tuple[object, Sequence[str]] = (None, ())
    # Batches `topics { partitions }` into one offsets request (graphql/resolvers/topics.py).
    topic_offsets: DataLoader[str, dict[int, PartitionOffsets]] | None = None


Info = StrawberryInfo[Context, None]
