"""Topic listing and partition details."""

from __future__ import annotations

from typing import Protocol

from kafka_graphql.context import Info
from kafka_graphql.errors import NotFound
from kafka_graphql.resolvers.access import readable_topic, readable_topics
from kafka_graphql.schema.scalars import Long
from kafka_graphql.schema.types import Partition


class Named(Protocol):
    name: str


async def resolve_partitions(root: Named, info: Info) -> list[Partition]:
    topic = root.name
    kafka = info.context.kafka
    offsets = await kafka.offsets(topic, await kafka.partitions(topic))
    return [
        Partition(id=p, earliest_offset=Long(o.earliest), latest_offset=Long(o.latest))
        for p, o in sorted(offsets.items())
    ]


async def resolve_topic_names(info: Info) -> list[str]:
    return readable_topics(info.context, await info.context.kafka.topic_names())


async def resolve_topic_name(info: Info, name: str) -> str | None:
    """`name` if it is an exposed, existing topic the caller may read; None otherwise (never
    an error)."""
    try:
        topic = readable_topic(info.context, name)
        await info.context.kafka.partitions(topic)
    except NotFound:
        return None
    return topic
