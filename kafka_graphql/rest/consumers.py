"""The v2 consumer API: `POST /consumers/{group}` makes an instance (a member of the Kafka
consumer group, core/consumer_instances.py) that its caller subscribes or assigns, reads
records with, moves and commits through `/consumers/{group}/instances/{instance}/...`, and
deletes. Each handler reads the request, makes one core call and answers in Confluent's shape."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import suppress
from urllib.parse import quote

from aiohttp import hdrs, web

from kafka_graphql.core import consumer_reads
from kafka_graphql.core.consumer_instances import ConsumerInstances, Instance
from kafka_graphql.core.telemetry import CURRENT_OPERATION
from kafka_graphql.http.requests import json_body
from kafka_graphql.http.state import SETTINGS
from kafka_graphql.rest.call import Call, rest_call
from kafka_graphql.rest.consumer_records import check_accept, records_response
from kafka_graphql.rest.consumer_requests import (
    instance_request,
    offsets_request,
    partitions_request,
    records_parameters,
    subscription_request,
)
from kafka_graphql.rest.registry import WIRE
from kafka_graphql.rest.responses import answer, public_base

CONSUMERS = web.AppKey("consumers", ConsumerInstances)
INSTANCE = "/consumers/{group}/instances/{instance}"
Handler = Callable[[web.Request], Awaitable[web.Response]]


async def consumer_instances(app: web.Application) -> AsyncIterator[None]:
    """The app's instances: the idle ones closed as they expire, every one at shutdown."""
    instances = app[CONSUMERS] = ConsumerInstances()
    reaper = asyncio.create_task(
        instances.run_reaper(app[SETTINGS].rest.consumer_instance_timeout_s)
    )
    try:
        yield
    finally:
        reaper.cancel()
        with suppress(asyncio.CancelledError):
            await reaper
        await instances.close()


def _instance(request: web.Request) -> tuple[Call, Instance]:
    call = rest_call(request)
    found = request.app[CONSUMERS].get(
        call.principal, request.match_info["group"], request.match_info["instance"]
    )
    return call, found


async def _body(request: web.Request) -> object:
    raw = await request.read()
    return json_body(raw) if raw.strip() else None


def _done() -> web.Response:
    return web.Response(status=204)


def _about(topics: Iterable[str]) -> None:
    """The topics the request is about, for telemetry (the seam knows only a path's topic)."""
    operation = CURRENT_OPERATION.get(None)
    if operation is not None:
        operation.topics.update(topics)


async def create_instance(request: web.Request) -> web.Response:
    call = rest_call(request)
    group = request.match_info["group"]
    settings = request.app[SETTINGS]
    has_registry = settings.schema_registry.url is not None
    options, spec = instance_request(group, await _body(request), has_registry)
    instance = await request.app[CONSUMERS].create(call.core, call.principal, options, spec)
    path = f"/consumers/{quote(group, safe='')}/instances/{quote(instance.name, safe='')}"
    return answer({"instance_id": instance.name, "base_uri": public_base(request) + path})


async def delete_instance(request: web.Request) -> web.Response:
    call = rest_call(request)
    await request.app[CONSUMERS].delete(
        call.principal, request.match_info["group"], request.match_info["instance"]
    )
    return _done()


async def subscribe(request: web.Request) -> web.Response:
    call, instance = _instance(request)
    topics, pattern = subscription_request(await _body(request))
    await consumer_reads.subscribe(call.core, call.principal, instance, topics, pattern)
    _about(instance.consumer.subscription())
    return _done()


async def get_subscription(request: web.Request) -> web.Response:
    _, instance = _instance(request)
    return answer({"topics": sorted(instance.consumer.subscription())})


async def unsubscribe(request: web.Request) -> web.Response:
    _, instance = _instance(request)
    await consumer_reads.unsubscribe(instance)
    return _done()


async def records(request: web.Request) -> web.Response:
    call, instance = _instance(request)
    check_accept(request.headers.get(hdrs.ACCEPT), instance.spec.format)
    timeout_s, max_bytes = records_parameters(request.query, instance.spec.fetch_timeout_s)
    wire = request.app[WIRE]
    shown = await consumer_reads.fetch(
        call.core, call.principal, instance, timeout_s, max_bytes, wire
    )
    _about(record.record.topic for record in shown)
    return records_response(shown, instance.spec.format)


async def commit_offsets(request: web.Request) -> web.Response:
    call, instance = _instance(request)
    given = offsets_request(await _body(request), empty=True)
    # Confluent's offsets are of the last record read: Kafka's are of the next to read.
    offsets = None if given is None else {p: o + 1 for p, o in given.items()}
    await consumer_reads.commit(call.core, call.principal, instance, offsets)
    return _done()


async def committed_offsets(request: web.Request) -> web.Response:
    call, instance = _instance(request)
    partitions = partitions_request(await _body(request))
    found = await consumer_reads.committed(call.core, call.principal, instance, partitions)
    offsets = [
        {"topic": t, "partition": p, "offset": o, "metadata": ""} for (t, p), o in found.items()
    ]
    return answer({"offsets": offsets})


async def assign(request: web.Request) -> web.Response:
    call, instance = _instance(request)
    partitions = partitions_request(await _body(request))
    await consumer_reads.assign(call.core, call.principal, instance, partitions)
    _about(topic for topic, _ in partitions)
    return _done()


async def assignments(request: web.Request) -> web.Response:
    _, instance = _instance(request)
    partitions = instance.consumer.assignment()
    return answer({"partitions": [{"topic": t, "partition": p} for t, p in partitions]})


async def seek(request: web.Request) -> web.Response:
    call, instance = _instance(request)
    offsets = offsets_request(await _body(request), empty=False)
    assert offsets is not None
    await consumer_reads.seek(call.core, call.principal, instance, offsets)
    return _done()


async def seek_to_beginning(request: web.Request) -> web.Response:
    return await _seek_to(request, end=False)


async def seek_to_end(request: web.Request) -> web.Response:
    return await _seek_to(request, end=True)


async def _seek_to(request: web.Request, end: bool) -> web.Response:
    call, instance = _instance(request)
    partitions = partitions_request(await _body(request))
    await consumer_reads.seek_to(call.core, call.principal, instance, partitions, end)
    return _done()


# (method, path, handler, operation name, operation type): rest/routes.py's endpoints.
CONSUMER_ROUTES: tuple[tuple[str, str, Handler, str, str], ...] = (
    ("POST", "/consumers/{group}", create_instance, "create_consumer", "mutation"),
    ("DELETE", INSTANCE, delete_instance, "delete_consumer", "mutation"),
    ("POST", f"{INSTANCE}/subscription", subscribe, "subscribe", "mutation"),
    ("GET", f"{INSTANCE}/subscription", get_subscription, "get_subscription", "query"),
    ("DELETE", f"{INSTANCE}/subscription", unsubscribe, "unsubscribe", "mutation"),
    ("GET", f"{INSTANCE}/records", records, "consume_records", "query"),
    ("POST", f"{INSTANCE}/offsets", commit_offsets, "commit_offsets", "mutation"),
    ("GET", f"{INSTANCE}/offsets", committed_offsets, "committed_offsets", "query"),
    ("POST", f"{INSTANCE}/assignments", assign, "assign", "mutation"),
    ("GET", f"{INSTANCE}/assignments", assignments, "assignments", "query"),
    ("POST", f"{INSTANCE}/positions", seek, "seek", "mutation"),
    ("POST", f"{INSTANCE}/positions/beginning", seek_to_beginning, "seek_beginning", "mutation"),
    ("POST", f"{INSTANCE}/positions/end", seek_to_end, "seek_end", "mutation"),
)
