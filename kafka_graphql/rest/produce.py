"""`POST /topics/{topic}` and `POST /topics/{topic}/partitions/{partition}`: a v2 produce
request, written through the core's one write path with Kafka's outcome told record by
record (Confluent's per-record `error_code`)."""

from __future__ import annotations

from aiohttp import hdrs, web

from kafka_graphql.core.access import writable_topic
from kafka_graphql.core.produce import produce_each
from kafka_graphql.http.requests import json_body
from kafka_graphql.rest.call import rest_call
from kafka_graphql.rest.content_types import embedded_format
from kafka_graphql.rest.records import Schemas, produce_records
from kafka_graphql.rest.registry import SCHEMAS
from kafka_graphql.rest.responses import answer
from kafka_graphql.rest.shapes import produce_answer


async def produce_to_topic(request: web.Request) -> web.Response:
    return await _produce(request, None)


async def produce_to_partition(request: web.Request) -> web.Response:
    return await _produce(request, int(request.match_info["partition"]))


async def _produce(request: web.Request, partition: int | None) -> web.Response:
    call = rest_call(request)
    embedded = embedded_format(request.headers.get(hdrs.CONTENT_TYPE))
    body = json_body(await request.read())
    topic = request.match_info["topic"]
    schemas: Schemas = (None, None)
    if embedded.has_schemas and isinstance(body, dict):
        # Only a caller who may write the topic has the registry asked anything.
        topic = writable_topic(call.core, call.principal, topic)
        schemas = await request.app[SCHEMAS].of(body, embedded, topic)
    records = produce_records(body, embedded, partition, schemas)
    outcomes = await produce_each(call.core, call.principal, topic, records, batch="records")
    key, value = (schema.id if schema is not None else None for schema in schemas)
    return answer(produce_answer(outcomes, key, value))
