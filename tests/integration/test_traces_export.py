"""`[tracing] enabled = true` exports the standard way: OTLP over HTTP to where
`OTEL_EXPORTER_OTLP_ENDPOINT` says, as the service `OTEL_SERVICE_NAME` names, and a gateway that
stops sends what it still held (a collector stand-in on a local port receives it)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from kafka_graphql.settings.tracing import TracingSettings
from tests.clients import GraphQLClient
from tests.integration.conftest import TopicFactory, gateway_settings, run_gateway
from tests.integration.helpers import produce


class Collector:
    """Receives OTLP/HTTP trace exports (protobuf) on 127.0.0.1."""

    def __init__(self) -> None:
        self.requests: list[ExportTraceServiceRequest] = []
        self.url = ""

    async def receive(self, request: web.Request) -> web.Response:
        body = ExportTraceServiceRequest()
        body.ParseFromString(await request.read())
        self.requests.append(body)
        answer = ExportTraceServiceResponse().SerializeToString()
        return web.Response(body=answer, content_type="application/x-protobuf")

    def spans(self) -> list[tuple[str, str, str]]:
        """(service.name, scope, span name) of every span received."""
        found = []
        for request in self.requests:
            for resource in request.resource_spans:
                service = next(
                    a.value.string_value
                    for a in resource.resource.attributes
                    if a.key == "service.name"
                )
                for scope in resource.scope_spans:
                    found += [(service, scope.scope.name, span.name) for span in scope.spans]
        return found


@pytest_asyncio.fixture
async def collector() -> AsyncIterator[Collector]:
    app = web.Application()
    stand_in = Collector()
    app.router.add_post("/v1/traces", stand_in.receive)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    stand_in.url = f"http://{host}:{port}"
    try:
        yield stand_in
    finally:
        await runner.cleanup()


async def test_spans_go_where_the_standard_variables_say(
    bootstrap: str,
    http: aiohttp.ClientSession,
    new_topic: TopicFactory,
    collector: Collector,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.url)
    monkeypatch.setenv("OTEL_SERVICE_NAME", "orders-gateway")
    monkeypatch.setenv("OTEL_TRACES_SAMPLER", "always_on")
    # Held until the gateway stops (the default sends every 5 s).
    monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "600000")
    settings = gateway_settings(bootstrap).model_copy(
        update={"tracing": TracingSettings(enabled=True)}
    )
    topic = await new_topic()
    async with run_gateway(settings) as gateway:
        await produce(GraphQLClient(http, gateway.url), topic, {"n": 1})
        assert collector.requests == []
    # Stopped: what the gateway held was sent.
    assert sorted(collector.spans()) == [
        ("orders-gateway", "kafka_graphql", "mutation"),
        ("orders-gateway", "kafka_graphql", f"send {topic}"),
    ]
