"""The Topic type. Its partitions (with live offsets) are fetched only when asked for."""

from __future__ import annotations

import strawberry

from kafka_graphql.graphql.resolvers.topics import resolve_partitions
from kafka_graphql.graphql.schema.types import Partition


@strawberry.type(description="A Kafka topic exposed by this gateway.")
class Topic:
    name: str
    partitions: list[Partition] = strawberry.field(
        resolver=resolve_partitions,
        description="The topic's partitions with their current offsets.",
    )
