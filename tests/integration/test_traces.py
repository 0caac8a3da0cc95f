"""Traces carried through Kafka (docs/operations.md#traces), with the SDK's in-memory exporter:
a produce over HTTP continues its caller's trace (SERVER span, PRODUCER span, and the record's
`traceparent` header naming the PRODUCER span); a subscriber's delivery span links to the
record's producer, whether the gateway or a plain Kafka producer wrote it; on the shared path
a record makes one delivery span per group, not per subscriber."""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiokafka import AIOKafkaProducer
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind

from kafka_graphql.graphql.view import VIEW
from tests.clients import TRANSPORT_WS, GraphQLClient
from tests.integration.conftest import RunningGateway, TopicFactory, gateway_settings, run_gateway
from tests.integration.helpers import PRODUCE, PRODUCE_BATCH, SUBSCRIBE
from tests.integration.records import raw_records
from tests.spans import Spans, parse_traceparent, recording_sink, traceparent

VALUE_ONLY = "subscription($topic: String!) { messages(topic: $topic) { offset value } }"
PRODUCE_NAMED = """
mutation {name}($topic: String!, $value: JSON!) {{
  produce(topic: $topic, value: $value) {{ offset }}
}}"""


class Gateways:
    def __init__(self, shared: RunningGateway, normal: RunningGateway, spans: Spans) -> None:
        self.shared = shared
        self.normal = normal
        self.spans = spans


@pytest_asyncio.fixture(scope="module")
async def gateways(bootstrap: str) -> AsyncIterator[Gateways]:
    """Two gateways reporting to one in-memory exporter: shared execution on (the default; and
    batched HTTP requests) and off (every subscriber on the normal path)."""
    sink, spans = recording_sink()
    settings = gateway_settings(bootstrap)
    shared = settings.model_copy(
        update={"server": settings.server.model_copy(update={"batching": True})}
    )
    normal = settings.model_copy(
        update={"server": settings.server.model_copy(update={"shared_subscriptions": False})}
    )
    async with (
        run_gateway(shared, telemetry=sink) as fast,
        run_gateway(normal, telemetry=sink) as reference,
    ):
        yield Gateways(fast, reference, spans)


def new_ids() -> tuple[int, int]:
    return int.from_bytes(secrets.token_bytes(16)), int.from_bytes(secrets.token_bytes(8))


async def joined(gateway: RunningGateway, topic: str, count: int = 1) -> None:
    live = gateway.kafka.live
    await asyncio.wait_for(live.wait_until(lambda: live.subscriber_count(topic) >= count), 30)


async def produce_traced(
    http: aiohttp.ClientSession,
    gateway: RunningGateway,
    topic: str,
    headers: dict[str, str],
    **variables: Any,
) -> dict[str, Any]:
    async with http.post(
        gateway.url,
        json={"query": PRODUCE, "variables": {"topic": topic, "value": {"n": 1}, **variables}},
        headers=headers,
    ) as response:
        body: dict[str, Any] = await response.json()
    assert "errors" not in body, body
    written: dict[str, Any] = body["data"]["produce"]
    return written


def one(spans: list[ReadableSpan]) -> ReadableSpan:
    assert len(spans) == 1, [(s.name, s.context) for s in spans]
    return spans[0]


def in_trace(spans: Spans, trace_id: int, kind: SpanKind) -> ReadableSpan:
    return one(
        [s for s in spans.get_finished_spans() if s.context.trace_id == trace_id and s.kind == kind]
    )


def deliveries(spans: tuple[ReadableSpan, ...], topic: str) -> list[ReadableSpan]:
    return [s for s in spans if s.name == f"process {topic}"]


def delivery_attributes(topic: str, partition: int, offset: int) -> dict[str, Any]:
    return {
        "messaging.system": "kafka",
        "messaging.destination.name": topic,
        "messaging.destination.partition.id": str(partition),
        "messaging.kafka.offset": offset,
        "messaging.operation.type": "process",
        "messaging.operation.name": "process",
    }


async def test_a_produce_continues_the_callers_trace_in_the_records_headers(
    gateways: Gateways, http: aiohttp.ClientSession, bootstrap: str, new_topic: TopicFactory
) -> None:
    topic = await new_topic()
    trace_id, caller_span = new_ids()
    written = await produce_traced(
        http,
        gateways.shared,
        topic,
        {"traceparent": traceparent(trace_id, caller_span), "tracestate": "vendor=abc"},
    )
    server = in_trace(gateways.spans, trace_id, SpanKind.SERVER)
    send = in_trace(gateways.spans, trace_id, SpanKind.PRODUCER)

    assert server.parent is not None and server.parent.is_remote
    assert server.parent.span_id == caller_span
    assert server.name == "mutation"
    assert dict(server.attributes or {}) == {"graphql.operation.type": "mutation"}
    assert send.parent is not None and send.parent.span_id == server.context.span_id
    assert send.name == f"send {topic}"
    assert dict(send.attributes or {}) == {
        "messaging.system": "kafka",
        "messaging.destination.name": topic,
        "messaging.operation.type": "send",
        "messaging.operation.name": "send",
        "messaging.destination.partition.id": "0",
        "messaging.kafka.offset": written["offset"],
    }
    [record] = await raw_records(bootstrap, topic)
    assert [key for key, _ in record.headers] == ["traceparent", "tracestate"]
    headers = dict(record.headers)
    carried = parse_traceparent(headers["traceparent"])
    assert (carried.trace_id, carried.span_id, carried.sampled) == (
        trace_id,
        send.context.span_id,
        True,
    )
    assert headers["tracestate"] == b"vendor=abc"


async def test_a_batch_carries_its_send_span_and_a_callers_own_header_is_kept(
    gateways: Gateways, http: aiohttp.ClientSession, bootstrap: str, new_topic: TopicFactory
) -> None:
    topic = await new_topic()
    trace_id, caller_span = new_ids()
    own = traceparent(*new_ids())
    messages = [
        {"value": 1, "headers": [{"key": "traceparent", "value": own}]},
        {"value": 2, "headers": [{"key": "app", "value": "x"}]},
    ]
    async with http.post(
        gateways.shared.url,
        json={"query": PRODUCE_BATCH, "variables": {"topic": topic, "messages": messages}},
        headers={"traceparent": traceparent(trace_id, caller_span)},
    ) as response:
        assert "errors" not in await response.json()
    send = in_trace(gateways.spans, trace_id, SpanKind.PRODUCER)
    assert dict(send.attributes or {}) == {
        "messaging.system": "kafka",
        "messaging.destination.name": topic,
        "messaging.operation.type": "send",
        "messaging.operation.name": "send",
        "messaging.destination.partition.id": "0",
        "messaging.batch.message_count": 2,
    }
    first, second = await raw_records(bootstrap, topic)
    assert first.headers == [("traceparent", own.encode())]
    assert [key for key, _ in second.headers] == ["app", "traceparent"]
    carried = parse_traceparent(dict(second.headers)["traceparent"])
    assert (carried.trace_id, carried.span_id) == (trace_id, send.context.span_id)


async def test_a_request_refused_before_its_operation_began_has_its_span(
    gateways: Gateways, http: aiohttp.ClientSession
) -> None:
    trace_id, caller_span = new_ids()
    async with http.post(
        gateways.shared.url,
        data=b"{not json",
        headers={
            "traceparent": traceparent(trace_id, caller_span),
            "content-type": "application/json",
        },
    ) as response:
        code = (await response.json())["errors"][0]["extensions"]["code"]
    server = in_trace(gateways.spans, trace_id, SpanKind.SERVER)
    assert server.name == "GraphQL Operation"
    assert server.parent is not None and server.parent.span_id == caller_span
    assert dict(server.attributes or {}) == {"error.type": code}


async def test_requests_on_one_connection_each_start_their_own_trace(
    gateways: Gateways, http: aiohttp.ClientSession, new_topic: TopicFactory
) -> None:
    """Nothing of one request's context is left for the next on the same connection."""
    topics = [await new_topic(), await new_topic()]
    for topic in topics:
        await produce_traced(http, gateways.shared, topic, {})
    sends = [one(gateways.spans.named(f"send {topic}")) for topic in topics]
    servers = []
    for send in sends:
        assert send.parent is not None
        servers.append(
            one(
                [
                    s
                    for s in gateways.spans.get_finished_spans()
                    if s.context.span_id == send.parent.span_id
                ]
            )
        )
    assert [server.kind for server in servers] == [SpanKind.SERVER, SpanKind.SERVER]
    assert [server.parent for server in servers] == [None, None]
    assert servers[0].context.trace_id != servers[1].context.trace_id


async def test_each_operation_of_a_batch_has_its_own_span_under_the_callers(
    gateways: Gateways,
    http: aiohttp.ClientSession,
    bootstrap: str,
    new_topic: TopicFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    topics = [await new_topic(), await new_topic()]
    trace_id, caller_span = new_ids()
    batch = [
        {"query": PRODUCE_NAMED.format(name=f"Write{i}"), "variables": {"topic": t, "value": i}}
        for i, t in enumerate(topics)
    ]
    async with http.post(
        gateways.shared.url, json=batch, headers={"traceparent": traceparent(trace_id, caller_span)}
    ) as response:
        assert [("errors" in answer) for answer in await response.json()] == [False, False]
    servers = {
        s.name: s
        for s in gateways.spans.get_finished_spans()
        if s.context.trace_id == trace_id and s.kind == SpanKind.SERVER
    }
    assert sorted(servers) == ["mutation Write0", "mutation Write1"]
    for i, topic in enumerate(topics):
        server = servers[f"mutation Write{i}"]
        assert server.parent is not None and server.parent.span_id == caller_span
        send = one(gateways.spans.named(f"send {topic}"))
        assert send.parent is not None and send.parent.span_id == server.context.span_id
        [record] = await raw_records(bootstrap, topic)
        carried = parse_traceparent(dict(record.headers)["traceparent"])
        assert (carried.trace_id, carried.span_id) == (trace_id, send.context.span_id)
    assert [r.getMessage() for r in caplog.records if r.name.startswith("opentelemetry")] == []


async def test_a_subscription_is_a_server_span_from_its_start_to_its_end(
    gateways: Gateways, http: aiohttp.ClientSession, new_topic: TopicFactory
) -> None:
    """Over WebSocket the caller's context is the upgrade request's."""
    topic = await new_topic()
    trace_id, caller_span = new_ids()
    query = "subscription Watch($t: String!) { messages(topic: $t) { offset } }"
    async with http.ws_connect(
        gateways.shared.url,
        protocols=[TRANSPORT_WS],
        headers={"traceparent": traceparent(trace_id, caller_span)},
    ) as ws:
        await ws.send_json({"type": "connection_init", "payload": {}})
        assert (await ws.receive_json(timeout=30))["type"] == "connection_ack"
        payload = {"query": query, "variables": {"t": topic}}
        await ws.send_json({"id": "1", "type": "subscribe", "payload": payload})
        await joined(gateways.shared, topic)
        # Still running: its span has not ended.
        assert [
            s for s in gateways.spans.get_finished_spans() if s.context.trace_id == trace_id
        ] == []
    server = await gateways.spans.wait_for(
        lambda found: next((s for s in found if s.context.trace_id == trace_id), None)
    )
    assert (server.name, server.kind) == ("subscription Watch", SpanKind.SERVER)
    assert server.parent is not None and server.parent.span_id == caller_span
    assert dict(server.attributes or {}) == {
        "graphql.operation.type": "subscription",
        "graphql.operation.name": "Watch",
    }


@pytest.mark.parametrize("path", ["normal", "shared"])
async def test_a_subscribers_delivery_span_links_to_the_records_producer(
    gateways: Gateways, http: aiohttp.ClientSession, new_topic: TopicFactory, path: str
) -> None:
    gateway = gateways.normal if path == "normal" else gateways.shared
    client = GraphQLClient(http, gateway.url)
    topic = await new_topic()
    trace_id, caller_span = new_ids()
    async with client.subscribe(SUBSCRIBE, {"topic": topic}) as sub:
        await joined(gateway, topic)
        written = await produce_traced(
            http, gateway, topic, {"traceparent": traceparent(trace_id, caller_span)}
        )
        message = await sub.next_message()
        assert message["offset"] == written["offset"]
    spans = gateways.spans
    delivered = one(await spans.wait_for(lambda found: deliveries(found, topic) or None))
    send = in_trace(spans, trace_id, SpanKind.PRODUCER)

    assert delivered.kind == SpanKind.CONSUMER
    assert delivered.parent is None  # a root: the producer is a link
    assert delivered.context.trace_id != trace_id
    assert [(link.context.trace_id, link.context.span_id) for link in delivered.links] == [
        (trace_id, send.context.span_id)
    ]
    assert dict(delivered.attributes or {}) == delivery_attributes(topic, 0, written["offset"])


@pytest.mark.parametrize("path", ["normal", "shared"])
async def test_a_record_from_a_plain_kafka_producer_links_to_its_own_traceparent(
    gateways: Gateways,
    http: aiohttp.ClientSession,
    raw_producer: AIOKafkaProducer,
    new_topic: TopicFactory,
    path: str,
) -> None:
    gateway = gateways.normal if path == "normal" else gateways.shared
    client = GraphQLClient(http, gateway.url)
    topic = await new_topic()
    trace_id, producer_span = new_ids()
    async with client.subscribe(VALUE_ONLY, {"topic": topic}) as sub:
        await joined(gateway, topic)
        sent = await raw_producer.send_and_wait(
            topic,
            json.dumps({"from": "elsewhere"}).encode(),
            headers=[("traceparent", traceparent(trace_id, producer_span).encode())],
        )
        assert await sub.next_message() == {"offset": sent.offset, "value": {"from": "elsewhere"}}
    delivered = one(await gateways.spans.wait_for(lambda found: deliveries(found, topic) or None))
    assert [(link.context.trace_id, link.context.span_id) for link in delivered.links] == [
        (trace_id, producer_span)
    ]
    assert dict(delivered.attributes or {}) == delivery_attributes(topic, 0, sent.offset)


async def test_a_record_without_trace_context_is_delivered_with_an_unlinked_span(
    gateways: Gateways,
    http: aiohttp.ClientSession,
    raw_producer: AIOKafkaProducer,
    new_topic: TopicFactory,
) -> None:
    client = GraphQLClient(http, gateways.normal.url)
    topic = await new_topic()
    async with client.subscribe(VALUE_ONLY, {"topic": topic}) as sub:
        await joined(gateways.normal, topic)
        await raw_producer.send_and_wait(topic, b"1", headers=[("traceparent", b"garbage")])
        await sub.next_message()
    delivered = one(await gateways.spans.wait_for(lambda found: deliveries(found, topic) or None))
    assert list(delivered.links) == []


async def test_the_shared_path_makes_one_delivery_span_per_record_per_group(
    gateways: Gateways, http: aiohttp.ClientSession, new_topic: TopicFactory
) -> None:
    gateway = gateways.shared
    client = GraphQLClient(http, gateway.url)
    topic = await new_topic()
    groups = gateway.app[VIEW].shared_groups
    assert groups is not None
    async with (
        client.subscribe(SUBSCRIBE, {"topic": topic}) as a1,
        client.subscribe(SUBSCRIBE, {"topic": topic}) as a2,
        client.subscribe(SUBSCRIBE, {"topic": topic}) as a3,
        client.subscribe(VALUE_ONLY, {"topic": topic}) as b1,
        client.subscribe(VALUE_ONLY, {"topic": topic}) as b2,
    ):
        await joined(gateway, topic, 5)
        traces = [new_ids() for _ in range(2)]
        written = [
            await produce_traced(http, gateway, topic, {"traceparent": traceparent(*ids)})
            for ids in traces
        ]
        for sub in (a1, a2, a3, b1, b2):
            got = await sub.take(2)
            assert [m["offset"] for m in got] == [w["offset"] for w in written]
        assert len(groups) == 2
        # Both groups executed both records (each group's span ends with its execution).
        found = await gateway_spans(gateways.spans, topic, 4)
    sends = [in_trace(gateways.spans, trace_id, SpanKind.PRODUCER) for trace_id, _ in traces]
    for w, send in zip(written, sends, strict=True):
        spans = [
            s for s in found if dict(s.attributes or {})["messaging.kafka.offset"] == w["offset"]
        ]
        assert len(spans) == 2
        for span in spans:
            assert [(link.context.trace_id, link.context.span_id) for link in span.links] == [
                (send.context.trace_id, send.context.span_id)
            ]
    # The subscribers have gone: no span was left to end per socket.
    assert len(deliveries(gateways.spans.get_finished_spans(), topic)) == 4


async def gateway_spans(spans: Spans, topic: str, count: int) -> list[ReadableSpan]:
    return await spans.wait_for(
        lambda found: d if len(d := deliveries(found, topic)) >= count else None
    )
