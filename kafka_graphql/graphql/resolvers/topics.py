"""Topic listing and partition details."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from strawberry.dataloader import DataLoader

from kafka_graphql.core import access
from kafka_graphql.core.errors import NotFound
from kafka_graphql.core.kafka_layer import KafkaLayer
from kafka_graphql.graphql.context import Context, Info
from kafka_graphql.graphql.schema.scalars import Long
from kafka_graphql.graphql.schema.types import Partition
from kafka_graphql.kafka import PartitionOffsets

TopicOffsets = DataLoader[str, dict[int, PartitionOffsets]]


class Named(Protocol):
    name: str


def _topic_offsets(context: Context) -> TopicOffsets:
    """The request's batcher: `topics { partitions }` asks Kafka once for all topics, not once
    per topic. No cache: offsets move, and a subscription's context lives long."""
    if context.topic_offsets is None:
        kafka: KafkaLayer = context.kafka

        async def load(topics: list[str]) -> list[dict[int, PartitionOffsets] | BaseException]:
            found = await kafka.topic_offsets(topics)
            return [found[t] if t in found else NotFound.topic(t) for t in topics]

        context.topic_offsets = DataLoader(load, cache=False)
    return context.topic_offsets


async def resolve_partitions(root: Named, info: Info) -> list[Partition]:
    offsets = await _topic_offsets(info.context).load(root.name)
    return [
        Partition(id=p, earliest_offset=Long(o.earliest), latest_offset=Long(o.latest))
        for p, o in sorted(offsets.items())
    ]


async def resolve_topic_names(info: Info) -> list[str]:
    return readable_topics(info.context, await info.context.kafka.topic_names())


def readable_topics(context: Context, topics: Sequence[str]) -> list[str]:
    """The topics of `topics` the caller may read; worked out once per request and `topics`
    object (the cluster's names, kafka/gateway.py), however many aliases ask."""
    asked, answer = context.readable_topics
    if asked is not topics:
        answer = access.readable_topics(context.core, context.principal, topics)
        context.readable_topics = (topics, answer)
    return list(answer)


async def resolve_topic_name(info: Info, name: str) -> str | None:
    """`name` if it is an exposed, existing topic the caller may read; None otherwise (never
    an error)."""
    try:
        topic = access.readable_topic(info.context.core, info.context.principal, name)
        await info.context.kafka.partitions(topic)
    except NotFound:
        return None
    return topic
