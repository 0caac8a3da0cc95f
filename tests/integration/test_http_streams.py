"""GraphQL subscriptions over HTTP streams on the real broker, read byte for byte with a raw
streaming client: Server-Sent Events (graphql-sse, distinct connections) and multipart
(Apollo's protocol). The same gate, slots, shared path and cursors as over WebSocket; keep-alives
at `server.websocket_heartbeat_s`; a stream counted among its caller's connections and given
back when its client goes; the end of a stream whose token expires."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp

from kafka_graphql.core.auth.principal import Principal
from kafka_graphql.core.telemetry import Telemetry
from kafka_graphql.graphql.view import VIEW
from kafka_graphql.http.state import LIMITS
from kafka_graphql.settings import Settings
from tests.clients import GraphQLClient
from tests.integration.auth import auth_settings, key_files_fixture  # noqa: F401 (a fixture)
from tests.integration.conftest import RunningGateway, TopicFactory, gateway_settings, run_gateway
from tests.integration.helpers import SUBSCRIBE, produce
from tests.tokens import claims, rsa_pair

SSE_ACCEPT = "text/event-stream"
MULTIPART_ACCEPT = 'multipart/mixed; subscriptionSpec="1.0", application/json'
PART_HEAD = "\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: "
HEARTBEAT_S = 0.3
RSA = rsa_pair()


def stream_settings(bootstrap: str, **limits: Any) -> Settings:
    base = gateway_settings(bootstrap, **limits)
    server = base.server.model_copy(update={"websocket_heartbeat_s": HEARTBEAT_S})
    return base.model_copy(update={"server": server})


@asynccontextmanager
async def streaming(
    http: aiohttp.ClientSession,
    url: str,
    accept: str,
    variables: dict[str, Any],
    query: str = SUBSCRIBE,
    headers: dict[str, str] | None = None,
) -> AsyncIterator[aiohttp.ClientResponse]:
    body = {"query": query, "variables": variables}
    async with http.post(url, json=body, headers={"Accept": accept, **(headers or {})}) as response:
        yield response


class Wire:
    """What the server wrote, as it came: read until a marker is in it."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self.response = response
        self.text = ""

    async def until(self, marker: str, after: int = 0) -> int:
        while (found := self.text.find(marker, after)) < 0:
            chunk = await self.response.content.readany()
            assert chunk, f"the stream ended before {marker!r}: {self.text!r}"
            self.text += chunk.decode()
        return found

    async def events(self, count: int) -> list[tuple[str, str]]:
        """The first `count` SSE events, (event, data) each, every comment line skipped."""
        events: list[tuple[str, str]] = []
        start = 0
        while len(events) < count:
            end = await self.until("\r\n\r\n", start)
            block, start = self.text[start:end], end + 4
            if block.startswith(":"):
                continue  # a keep-alive
            lines = {}
            for line in block.split("\r\n"):
                name, _, value = line.partition(":")
                lines[name] = value.removeprefix(" ")
            events.append((lines["event"], lines["data"]))
        return events


class Recorded(Telemetry):
    """The streams that opened and closed, as the gateway reported them."""

    def __init__(self) -> None:
        self.opened: list[str] = []
        self.closed: list[str] = []
        self.changed = asyncio.Event()

    def connection_opened(self, transport: str, principal: str, source_ip: str | None) -> None:
        self.opened.append(transport)

    def connection_closed(
        self, transport: str, principal: str, close_code: int | None, duration_s: float
    ) -> None:
        self.closed.append(transport)
        self.changed.set()


async def released(gateway: RunningGateway, telemetry: Recorded, count: int) -> None:
    """Once `count` streams have closed: nothing of the caller's is held any more."""
    while len(telemetry.closed) < count:
        telemetry.changed.clear()
        await asyncio.wait_for(telemetry.changed.wait(), 10)
    await asyncio.sleep(0)  # the request's end, after its report
    state = gateway.app[LIMITS].state(Principal.anonymous("127.0.0.1").id)
    assert (state.connections, state.subscriptions) == (0, 0)


async def joined(gateway: RunningGateway, topic: str, count: int = 1) -> None:
    live = gateway.kafka.live
    await asyncio.wait_for(live.wait_until(lambda: live.subscriber_count(topic) >= count), 30)


async def test_sse_subscription_wire_format_and_resume(
    bootstrap: str, http: aiohttp.ClientSession, new_topic: TopicFactory
) -> None:
    topic = await new_topic()
    telemetry = Recorded()
    async with run_gateway(stream_settings(bootstrap), telemetry=telemetry) as gateway:
        client = GraphQLClient(http, gateway.url)
        async with streaming(http, gateway.url, SSE_ACCEPT, {"topic": topic}) as response:
            assert response.status == 200
            assert response.headers["Content-Type"] == "text/event-stream"
            await joined(gateway, topic)
            await produce(client, topic, {"n": 1}, key="a")
            await produce(client, topic, {"n": 2}, key="b")
            wire = Wire(response)
            [(kind, data), (kind2, data2)] = await wire.events(2)
            assert (kind, kind2) == ("next", "next")
            first, second = json.loads(data), json.loads(data2)
            assert first["data"]["messages"]["value"] == {"n": 1}
            assert second["data"]["messages"]["value"] == {"n": 2}
            assert f"event: next\r\ndata: {data}\r\n\r\n" in wire.text
            # Idle: keep-alive comments at the period.
            await wire.until(": ping\r\n\r\n", len(wire.text))
        cursor = first["data"]["messages"]["cursor"]
        # Resumed from the first message's cursor: the second comes again, and nothing before.
        resume = {"topic": topic, "after": cursor}
        async with streaming(http, gateway.url, SSE_ACCEPT, resume) as response:
            [(_, again)] = await Wire(response).events(1)
            assert json.loads(again)["data"]["messages"]["value"] == {"n": 2}
        await released(gateway, telemetry, 2)


async def test_sse_query_is_one_result_then_complete(
    gateway: RunningGateway, http: aiohttp.ClientSession
) -> None:
    query = "{ __typename }"
    async with streaming(http, gateway.url, SSE_ACCEPT, {}, query=query) as response:
        wire = Wire(response)
        [(kind, data), end] = await wire.events(2)
        assert (kind, json.loads(data)["data"], end) == (
            "next",
            {"__typename": "Query"},
            ("complete", ""),
        )
        await response.content.read()  # ends there


async def test_refusals_come_before_the_stream(
    bootstrap: str, http: aiohttp.ClientSession, new_topic: TopicFactory
) -> None:
    topic = await new_topic()
    telemetry = Recorded()
    limited = stream_settings(bootstrap, max_connections_per_principal=1)
    async with run_gateway(limited, telemetry=telemetry) as gateway:
        url = gateway.url
        # A subscription over plain HTTP has nowhere to go; the answer names the streams.
        async with http.post(url, json={"query": SUBSCRIBE, "variables": {"topic": topic}}) as r:
            body = await r.json()
            assert "text/event-stream" in body["errors"][0]["message"]
        # One stream is the caller's one connection: a second is refused before it starts.
        async with streaming(http, url, SSE_ACCEPT, {"topic": topic}) as first:
            await joined(gateway, topic)
            async with streaming(http, url, MULTIPART_ACCEPT, {"topic": topic}) as second:
                assert second.status == 429
                refusal = await second.json()
                assert refusal["errors"][0]["extensions"]["code"] == "LIMIT_EXCEEDED"
            assert first.status == 200
        # The first stream's client went away: its connection is given back.
        await released(gateway, telemetry, 1)
        # A document the gate refuses: an error result, then the end.
        bad = "subscription { messages(topic: 1) { offset } }"
        async with streaming(http, url, SSE_ACCEPT, {}, query=bad) as response:
            [(kind, data), (end, _)] = await Wire(response).events(2)
            error = json.loads(data)["errors"][0]
            assert (kind, end) == ("next", "complete")
            assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_multipart_wire_format(
    bootstrap: str, http: aiohttp.ClientSession, new_topic: TopicFactory
) -> None:
    topic = await new_topic()
    async with run_gateway(stream_settings(bootstrap)) as gateway:
        client = GraphQLClient(http, gateway.url)
        async with streaming(http, gateway.url, MULTIPART_ACCEPT, {"topic": topic}) as response:
            assert response.status == 200
            assert response.headers["Content-Type"] == (
                "multipart/mixed;boundary=graphql;subscriptionSpec=1.0,application/json"
            )
            wire = Wire(response)
            # A keep-alive part first, at once, and again once idle for a period.
            keep_alive = f"{PART_HEAD}2\r\n\r\n{{}}\r\n--graphql"
            await wire.until("\r\n--graphql" + keep_alive + keep_alive)
            assert wire.text.startswith("\r\n--graphql" + keep_alive)
            await joined(gateway, topic)
            await produce(client, topic, {"n": 1})
            start = await wire.until('{"payload":')
            end = await wire.until("\r\n--graphql", start)
            body = wire.text[start:end]
            assert wire.text[:start].endswith(f"{PART_HEAD}{len(body.encode())}\r\n\r\n")
            part = json.loads(body)
            assert part["payload"]["data"]["messages"]["value"] == {"n": 1}
        query = "{ __typename }"
        async with streaming(http, gateway.url, MULTIPART_ACCEPT, {}, query=query) as response:
            # Multipart carries subscriptions only (Apollo Client sends queries as plain JSON).
            text = (await response.read()).decode()
            assert "BAD_REQUEST" in text or response.status == 400


async def test_a_stream_ends_when_its_token_expires(
    bootstrap: str,
    http: aiohttp.ClientSession,
    new_topic: TopicFactory,
    key_files: tuple[Path, Path],
) -> None:
    topic = await new_topic()
    base = auth_settings(bootstrap, key_files[0], auth={"leeway_s": 0})
    server = base.server.model_copy(update={"websocket_heartbeat_s": HEARTBEAT_S})
    async with run_gateway(base.model_copy(update={"server": server})) as gateway:
        variables = {"topic": topic}
        # No token: refused before anything streams.
        async with streaming(http, gateway.url, MULTIPART_ACCEPT, variables) as refused:
            assert refused.status == 401
        token = {"Authorization": f"Bearer {RSA.sign(claims(ttl_s=2))}"}
        async with streaming(
            http, gateway.url, MULTIPART_ACCEPT, variables, headers=token
        ) as response:
            assert response.status == 200
            text = (await response.read()).decode()  # the server ends it
        fatal = text.split("\r\n--graphql")[-2].split("\r\n\r\n", 1)[1]
        assert text.endswith("\r\n--graphql--\r\n")
        body = json.loads(fatal)
        assert body["payload"] is None
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_the_shared_path_writes_the_same_bytes(
    bootstrap: str, http: aiohttp.ClientSession, new_topic: TopicFactory
) -> None:
    """SSE and multipart subscribers of one document share one execution per record (one group
    across both transports), and write what the normal path writes."""
    topic = await new_topic()
    variables = {"topic": topic}
    plain = stream_settings(bootstrap)
    unshared = plain.model_copy(
        update={"server": plain.server.model_copy(update={"shared_subscriptions": False})}
    )
    async with (
        run_gateway(plain) as fast,
        run_gateway(unshared) as reference,
        streaming(http, fast.url, SSE_ACCEPT, variables) as sse1,
        streaming(http, fast.url, SSE_ACCEPT, variables) as sse2,
        streaming(http, fast.url, MULTIPART_ACCEPT, variables) as part1,
        streaming(http, fast.url, MULTIPART_ACCEPT, variables) as part2,
        streaming(http, reference.url, SSE_ACCEPT, variables) as sse_ref,
        streaming(http, reference.url, MULTIPART_ACCEPT, variables) as part_ref,
    ):
        await joined(fast, topic, 4)
        await joined(reference, topic, 1)
        groups = fast.app[VIEW].shared_groups
        assert groups is not None and len(groups) == 1
        writer = GraphQLClient(http, fast.url)
        for n in range(2):
            await produce(writer, topic, {"n": n}, key=f"k{n}", partition=0)

        async def results(response: aiohttp.ClientResponse, marker: str) -> list[str]:
            wire, found, at = Wire(response), [], 0
            for _ in range(2):
                start = await wire.until(marker, at)
                at = await wire.until("\r\n--graphql" if "payload" in marker else "\r\n\r\n", start)
                found.append(wire.text[start:at])
            return found

        sse_marker, part_marker = "event: next\r\n", '{"payload":'
        expected_sse = await results(sse_ref, sse_marker)
        expected_parts = await results(part_ref, part_marker)
        assert [json.loads(p)["payload"]["data"]["messages"]["value"] for p in expected_parts] == [
            {"n": 0},
            {"n": 1},
        ]
        for response in (sse1, sse2):
            assert await results(response, sse_marker) == expected_sse
        for response in (part1, part2):
            assert await results(response, part_marker) == expected_parts
        assert groups.executions == 2
