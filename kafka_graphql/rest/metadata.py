"""`GET /topics`, `/topics/{topic}`, `/topics/{topic}/partitions[/{partition}[/offsets]]` and
`/brokers`: the cluster as the caller may see it (core/metadata.py)."""

from __future__ import annotations

from aiohttp import web

from kafka_graphql.core import metadata
from kafka_graphql.rest.call import rest_call
from kafka_graphql.rest.responses import answer
from kafka_graphql.rest.shapes import (
    brokers_answer,
    offsets_answer,
    partition_answer,
    topic_answer,
)


async def list_topics(request: web.Request) -> web.Response:
    call = rest_call(request)
    return answer(await metadata.topic_names(call.core, call.principal))


async def get_topic(request: web.Request) -> web.Response:
    call = rest_call(request)
    topic = await metadata.describe_topic(call.core, call.principal, request.match_info["topic"])
    return answer(topic_answer(topic))


async def list_partitions(request: web.Request) -> web.Response:
    call = rest_call(request)
    topic = request.match_info["topic"]
    partitions = await metadata.topic_partitions(call.core, call.principal, topic)
    return answer([partition_answer(p) for p in partitions])


async def get_partition(request: web.Request) -> web.Response:
    call = rest_call(request)
    topic, partition = _partition(request)
    details = await metadata.partition_details(call.core, call.principal, topic, partition)
    return answer(partition_answer(details))


async def partition_offsets(request: web.Request) -> web.Response:
    call = rest_call(request)
    topic, partition = _partition(request)
    offsets = await metadata.partition_offsets(call.core, call.principal, topic, partition)
    return answer(offsets_answer(offsets))


async def list_brokers(request: web.Request) -> web.Response:
    call = rest_call(request)
    return answer(brokers_answer(await metadata.brokers(call.core, call.principal)))


def _partition(request: web.Request) -> tuple[str, int]:
    return request.match_info["topic"], int(request.match_info["partition"])
