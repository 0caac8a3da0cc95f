"""Subscription and connection limits per caller, across sockets, on both subprotocols: the
opening cost, the subscription and connection caps, and the connection_init timeout."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest

from kafka_graphql.http.state import LIMITS
from tests.clients import LEGACY_WS, TRANSPORT_WS, GraphQLClient, Subscription
from tests.clock import FakeClock
from tests.integration.conftest import RunningGateway, TopicFactory, gateway_settings, run_gateway
from tests.integration.helpers import SUBSCRIBE, poll_until

CALLER = "ip:127.0.0.1"
PROTOCOLS = pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])


def error_codes(event: dict[str, Any]) -> list[str]:
    """The codes of an `error` (either subprotocol) or of a payload's `errors`."""
    payload = event["payload"]
    errors = payload if isinstance(payload, list) else payload.get("errors", [payload])
    return [error["extensions"]["code"] for error in errors]


async def live_count(running: RunningGateway, topic: str, count: int) -> None:
    live = running.kafka.live
    await live.wait_until(lambda: live.subscriber_count(topic) == count)


async def state_is(running: RunningGateway, subscriptions: int, connections: int) -> None:
    async def reached() -> bool:
        state = running.app[LIMITS].state(CALLER)
        return (state.subscriptions, state.connections) == (subscriptions, connections)

    await poll_until(reached, 10, 0.01)


@PROTOCOLS
async def test_subscriptions_per_caller_are_capped_across_sockets(
    bootstrap: str, http: aiohttp.ClientSession, new_topic: TopicFactory, protocol: str
) -> None:
    topic = await new_topic()
    settings = gateway_settings(bootstrap, max_subscriptions_per_principal=2)
    async with run_gateway(settings) as running:
        client = GraphQLClient(http, running.url)

        def subscription() -> Subscription:
            return client.subscribe(SUBSCRIBE, {"topic": topic}, protocol)

        async with subscription() as first, subscription():
            await live_count(running, topic, 2)
            async with subscription() as third:
                refused = await third.next_event()
                assert refused["type"] in ("error", "data", "next"), refused
                assert error_codes(refused) == ["LIMIT_EXCEEDED"]
                assert "max_subscriptions_per_principal" in str(refused["payload"])
            # However a stream ends (here: its socket closes), its slot is released.
            await first.__aexit__(None, None, None)
            await live_count(running, topic, 1)
            async with subscription():
                await live_count(running, topic, 2)
        await state_is(running, 0, 0)


@PROTOCOLS
async def test_subscribes_sent_at_once_on_several_sockets_cannot_pass_the_caller_cap(
    bootstrap: str, http: aiohttp.ClientSession, new_topic: TopicFactory, protocol: str
) -> None:
    topic = await new_topic()
    settings = gateway_settings(bootstrap, max_subscriptions_per_principal=3)
    legacy = protocol == LEGACY_WS
    # From an offset: each resolver asks Kafka for offsets before its stream can start, which
    # leaves the others time to pass a check that only counted started streams.
    payload = {"query": SUBSCRIBE, "variables": {"topic": topic, "fromOffset": 0}}
    async with run_gateway(settings) as running:
        sockets = [await http.ws_connect(running.url, protocols=[protocol]) for _ in range(3)]
        try:
            for ws in sockets:
                await ws.send_json({"type": "connection_init"})
                assert (await ws.receive_json(timeout=10))["type"] == "connection_ack"
            # Six subscribes, two per socket, all sent before any stream can have started.
            await asyncio.gather(
                *(
                    ws.send_json(
                        {"id": n, "type": "start" if legacy else "subscribe", "payload": payload}
                    )
                    for ws in sockets
                    for n in ("a", "b")
                )
            )

            # Three are refused (which three depends on the order they arrive in) and three
            # are live: all six accounted for, however they were interleaved.
            refused: list[list[str]] = []
            errors = asyncio.Queue[list[str]]()

            async def read(ws: aiohttp.ClientWebSocketResponse) -> None:
                async for message in ws:
                    event = message.json()
                    if event["type"] == "error":
                        await errors.put(error_codes(event))

            readers = [asyncio.create_task(read(ws)) for ws in sockets]
            try:
                for _ in range(3):
                    refused.append(await asyncio.wait_for(errors.get(), 30))
            finally:
                for reader in readers:
                    reader.cancel()
            assert refused == [["LIMIT_EXCEEDED"]] * 3
            await live_count(running, topic, 3)
            await state_is(running, 3, 3)
        finally:
            for ws in sockets:
                await ws.close()
        await state_is(running, 0, 0)


@PROTOCOLS
async def test_connections_per_caller_are_capped_with_4429(
    bootstrap: str, http: aiohttp.ClientSession, protocol: str
) -> None:
    settings = gateway_settings(bootstrap, max_connections_per_principal=2)
    async with run_gateway(settings) as running:
        client = GraphQLClient(http, running.url)
        sockets = [await http.ws_connect(running.url, protocols=[protocol]) for _ in range(2)]
        try:
            for ws in sockets:
                await ws.send_json({"type": "connection_init"})
                assert (await ws.receive_json(timeout=10))["type"] == "connection_ack"
            received, closed = await client.connection_init(None, protocol)
            assert closed is not None
            assert closed.code == 4429
            assert "limits.max_connections_per_principal is 2" in closed.reason
            if protocol == LEGACY_WS:
                assert [m["type"] for m in received] == ["connection_error"]
                assert received[0]["payload"]["extensions"]["code"] == "LIMIT_EXCEEDED"
            else:
                assert received == []
            await sockets.pop().close()
            await state_is(running, 0, 1)
            received, closed = await client.connection_init(None, protocol)
            assert closed is None and received[-1]["type"] == "connection_ack"
        finally:
            for ws in sockets:
                await ws.close()
        await state_is(running, 0, 0)


@PROTOCOLS
async def test_a_socket_without_connection_init_is_closed_with_4408(
    bootstrap: str, http: aiohttp.ClientSession, protocol: str
) -> None:
    settings = gateway_settings(bootstrap, connection_init_timeout_s=0.2)
    async with (
        run_gateway(settings) as running,
        http.ws_connect(running.url, protocols=[protocol]) as ws,
    ):
        closing = await ws.receive(timeout=10)
        assert closing.type == aiohttp.WSMsgType.CLOSE
        assert (closing.data, closing.extra) == (4408, "Connection initialisation timeout")


@PROTOCOLS
async def test_opening_a_subscription_spends_its_opening_cost(
    bootstrap: str, http: aiohttp.ClientSession, new_topic: TopicFactory, protocol: str
) -> None:
    topic = await new_topic()
    # 27 points that never refill (the clock stands still); opening a stream costs 10 (and
    # asks for 27 with a message's selection, its headers 16).
    settings = gateway_settings(bootstrap, cost_budget=27, max_query_cost=27)
    async with run_gateway(settings, limits_clock=FakeClock()) as running:
        client = GraphQLClient(http, running.url)
        limits = running.app[LIMITS]
        async with client.subscribe(SUBSCRIBE, {"topic": topic}, protocol):
            await live_count(running, topic, 1)
            assert limits.budget(CALLER).available == 17
            async with client.subscribe(SUBSCRIBE, {"topic": topic}, protocol):
                await live_count(running, topic, 2)
                assert limits.budget(CALLER).available == 7
                async with client.subscribe(SUBSCRIBE, {"topic": topic}, protocol) as third:
                    refused = await third.next_event()
                    assert error_codes(refused) == ["RATE_LIMITED"]
                    errors = refused["payload"]
                    errors = errors if isinstance(errors, list) else errors.get("errors", [errors])
                    assert errors[0]["extensions"]["retryAfter"] >= 1
        # The stream was opened: closing it gives nothing back.
        assert limits.budget(CALLER).available == 7
