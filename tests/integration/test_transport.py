"""HTTP and WebSocket transport over the real broker: readiness, GET rules, limits, shutdown,
Kafka outages (what needs no Kafka, GraphiQL, health, CORS, document limits:
tests/unit/transport/test_transport.py)."""

from __future__ import annotations

import asyncio
import io
import json
import signal
import socket
import sys
from pathlib import Path

import aiohttp
import pytest

from kafka_graphql.core.errors import KafkaUnavailable
from kafka_graphql.settings import settings_from_mapping
from tests.clients import GraphQLClient
from tests.integration.conftest import RunningGateway, TopicFactory, gateway_settings, run_gateway
from tests.integration.helpers import PRODUCE_BATCH, SUBSCRIBE, poll_until, produce


async def test_readiness(gateway: RunningGateway, http: aiohttp.ClientSession) -> None:
    """Ready: the real cluster answers, and the producer and live feeds are well (`/healthz`,
    which asks nothing of Kafka: tests/unit/transport/test_transport.py)."""
    base = gateway.url.removesuffix("/graphql")
    async with http.get(f"{base}/readyz") as response:
        assert response.status == 200 and (await response.json())["status"] == "ready"


async def test_get_serves_queries_but_not_mutations(
    gateway: RunningGateway, http: aiohttp.ClientSession, new_topic: TopicFactory
) -> None:
    topic = await new_topic()
    query = "query($n: String!) { topic(name: $n) { name } }"
    async with http.get(
        gateway.url, params={"query": query, "variables": f'{{"n": "{topic}"}}'}
    ) as r:
        assert r.status == 200
        assert (await r.json())["data"]["topic"]["name"] == topic
    mutation = f'mutation {{ produce(topic: "{topic}", value: 1) {{ offset }} }}'
    async with http.get(gateway.url, params={"query": mutation}) as r:
        assert r.status in (400, 405)
    # Nothing was written by the refused GET.
    async with http.get(
        gateway.url,
        params={
            "query": "query($n: String!) { topic(name: $n) { partitions { latestOffset } } }",
            "variables": f'{{"n": "{topic}"}}',
        },
    ) as r:
        assert (await r.json())["data"]["topic"]["partitions"][0]["latestOffset"] == 0


async def test_oversized_request_and_batch_are_refused(
    client: GraphQLClient, new_topic: TopicFactory, http: aiohttp.ClientSession
) -> None:
    topic = await new_topic()
    too_many = [{"value": i} for i in range(501)]
    assert await client.error_codes(PRODUCE_BATCH, {"topic": topic, "messages": too_many}) == [
        "BAD_USER_INPUT"
    ]
    body = json.dumps({"query": "{ topics { name } }", "variables": {"x": "y" * 2_000_000}})
    async with http.post(
        client.url, data=io.BytesIO(body.encode()), headers={"Content-Type": "application/json"}
    ) as response:
        assert response.status == 413


async def test_shutdown_completes_open_subscriptions(
    bootstrap: str, http: aiohttp.ClientSession, new_topic: TopicFactory
) -> None:
    topic = await new_topic()
    async with run_gateway(gateway_settings(bootstrap)) as running:
        client = GraphQLClient(http, running.url)
        async with client.subscribe(SUBSCRIBE, {"topic": topic, "fromOffset": 0}) as sub:
            await produce(client, topic, "before shutdown")
            assert (await sub.next_message())["value"] == "before shutdown"
            stopping = asyncio.create_task(running.stop())
            event = await sub.next_event()
            assert event["type"] == "complete"
            await stopping
            assert running.kafka.live.feed_count() == 0


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_unreachable_kafka_fails_start_up_with_a_clear_error() -> None:
    settings = settings_from_mapping(
        {
            "kafka": {"bootstrap_servers": f"127.0.0.1:{_closed_port()}", "request_timeout_s": 2},
        }
    )
    with pytest.raises(KafkaUnavailable):
        async with run_gateway(settings):
            pass


async def test_sigterm_completes_subscriptions_and_exits_cleanly(
    bootstrap: str, http: aiohttp.ClientSession, new_topic: TopicFactory, tmp_path: Path
) -> None:
    """The real command line: `kafka-graphql --config ...`, stopped with SIGTERM."""
    topic = await new_topic()
    port = _closed_port()
    config = tmp_path / "gateway.toml"
    config.write_text(
        f'[kafka]\nbootstrap_servers = "{bootstrap}"\n'
        f"[server]\nport = {port}\nshutdown_grace_s = 5\n"
        '[[topics]]\nname = "test-*"\n'
    )
    log = tmp_path / "gateway.log"
    with log.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "kafka_graphql",
            "--config",
            str(config),
            stdout=output,
            stderr=asyncio.subprocess.STDOUT,
        )
    try:

        async def ready() -> bool:
            if process.returncode is not None:
                pytest.fail(f"the gateway exited during start-up: {log.read_text()}")
            try:
                async with http.get(f"http://127.0.0.1:{port}/readyz") as response:
                    return response.status == 200
            except aiohttp.ClientConnectionError:
                return False  # not listening yet

        await poll_until(ready, timeout_s=30, interval_s=0.1)
        client = GraphQLClient(http, f"http://127.0.0.1:{port}/graphql")
        async with client.subscribe(SUBSCRIBE, {"topic": topic, "fromOffset": 0}) as sub:
            await produce(client, topic, "hello")
            assert (await sub.next_message())["value"] == "hello"
            process.send_signal(signal.SIGTERM)
            assert (await sub.next_event())["type"] == "complete"
        async with asyncio.timeout(30):
            assert await process.wait() == 0
        text = log.read_text()
        assert "GraphiQL: http://127.0.0.1" in text
        assert "Traceback" not in text
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws"])
async def test_subscriptions_per_connection_are_limited_even_when_sent_at_once(
    bootstrap: str, http: aiohttp.ClientSession, new_topic: TopicFactory, protocol: str
) -> None:
    topic = await new_topic()
    settings = gateway_settings(bootstrap, max_subscriptions_per_connection=2)
    legacy = protocol == "graphql-ws"
    async with (
        run_gateway(settings) as running,
        http.ws_connect(running.url, protocols=[protocol]) as ws,
    ):
        await ws.send_json({"type": "connection_init"})
        assert (await ws.receive_json(timeout=10))["type"] == "connection_ack"
        payload = {"query": SUBSCRIBE, "variables": {"topic": topic}}
        # Four in one go: none of the streams has started when the last arrives.
        await asyncio.gather(
            *(
                ws.send_json(
                    {"id": n, "type": "start" if legacy else "subscribe", "payload": payload}
                )
                for n in ("1", "2", "3", "4")
            )
        )
        refused: dict[str, list[str]] = {}
        while len(refused) < 2:
            message = await ws.receive_json(timeout=10)
            if message["type"] == "ka":
                continue
            assert message["type"] == "error", message
            errors = [message["payload"]] if legacy else message["payload"]
            refused[message["id"]] = [e["extensions"]["code"] for e in errors]
            assert "limits.max_subscriptions_per_connection" in errors[0]["message"]
        assert refused == {"3": ["LIMIT_EXCEEDED"], "4": ["LIMIT_EXCEEDED"]}
        # The two accepted subscriptions are live, and no more.
        live = running.kafka.live
        await asyncio.wait_for(live.wait_until(lambda: live.subscriber_count(topic) == 2), 30)
