"""The cluster as a caller may see it, for every face: the topics it may read, their partitions
(leader, replicas, offsets) and, for `kafka:admin` only, the topics' configs and the brokers.

A topic the caller may not read answers exactly as one that does not exist (core/access.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from kafka_graphql.core.access import readable_topic, readable_topics
from kafka_graphql.core.auth.principal import Principal
from kafka_graphql.core.auth.scopes import ADMIN
from kafka_graphql.core.errors import Forbidden, NoSuchPartition
from kafka_graphql.core.gateway import Core
from kafka_graphql.core.telemetry import Refusal
from kafka_graphql.kafka import PartitionDetails, PartitionOffsets


@dataclass(frozen=True, slots=True)
class TopicMetadata:
    name: str
    # Every config entry by name; empty unless the caller has `kafka:admin`.
    configs: Mapping[str, str | None]
    partitions: tuple[PartitionDetails, ...]


def is_admin(principal: Principal) -> bool:
    """`kafka:admin`: the cluster's own details (configs, brokers) are for operators only, also
    on a gateway without `[auth]` (where no caller has a scope)."""
    return ADMIN in principal.scopes


async def topic_names(core: Core, principal: Principal) -> list[str]:
    """The names of the existing, exposed topics the caller may read, sorted."""
    return readable_topics(core, principal, await core.kafka.topic_names())


async def topic_partition_counts(core: Core, principal: Principal) -> dict[str, int]:
    """The existing, exposed topics the caller may read, sorted, each with its partition count,
    from one read of the cluster's metadata (never a request per topic)."""
    counts = await core.kafka.partition_counts()
    return {name: counts[name] for name in readable_topics(core, principal, sorted(counts))}


async def describe_topic(core: Core, principal: Principal, topic: str) -> TopicMetadata:
    topic = readable_topic(core, principal, topic)
    partitions = await core.kafka.partition_details(topic)
    configs = await core.kafka.topic_configs(topic) if is_admin(principal) else {}
    return TopicMetadata(topic, configs, partitions)


async def topic_partitions(
    core: Core, principal: Principal, topic: str
) -> tuple[PartitionDetails, ...]:
    """Every partition of a topic the caller may read."""
    return await core.kafka.partition_details(readable_topic(core, principal, topic))


async def partition_details(
    core: Core, principal: Principal, topic: str, partition: int
) -> PartitionDetails:
    """One partition of a topic the caller may read; NoSuchPartition if the topic lacks it."""
    for details in await topic_partitions(core, principal, topic):
        if details.partition == partition:
            return details
    raise NoSuchPartition(f"topic {topic!r} has no partition {partition}")


async def partition_offsets(
    core: Core, principal: Principal, topic: str, partition: int
) -> PartitionOffsets:
    """The first offset still held and the next one to be written, of one partition."""
    details = await partition_details(core, principal, topic, partition)
    offsets = await core.kafka.offsets(topic, [details.partition])
    return offsets[details.partition]


async def brokers(core: Core, principal: Principal) -> tuple[int, ...]:
    """The cluster's broker ids, for `kafka:admin` only (FORBIDDEN for anyone else)."""
    if not is_admin(principal):
        who = principal.subject or "anonymous"
        core.telemetry.refused(Refusal("authorization", Forbidden.code, "forbidden", who))
        raise Forbidden(f"listing the cluster's brokers needs the scope {ADMIN}")
    return await core.kafka.brokers()


async def cluster_id(core: Core, principal: Principal) -> str:
    """The cluster's id, for any caller (a v3 produce names it in its path)."""
    del principal  # every caller may name the cluster it writes to
    return await core.kafka.cluster_id()
