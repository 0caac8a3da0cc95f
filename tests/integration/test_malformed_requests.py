"""Malformed requests whose refusal is checked against the topic itself: nothing was written
(the refusals alone run without a broker: tests/unit/transport/test_malformed_*.py)."""

from __future__ import annotations

import asyncio
import json

import aiohttp

from tests.clients import TRANSPORT_WS, GraphQLClient
from tests.integration.conftest import RunningGateway, TopicFactory
from tests.integration.helpers import PRODUCE
from tests.unit.transport.answers import (
    assert_request_error,
    assert_still_serving,
    next_frame,
    ws_message,
)


async def _latest_offset(client: GraphQLClient, topic: str) -> int:
    data = await client.data(
        "query($n: String!) { topic(name: $n) { partitions { latestOffset } } }", {"n": topic}
    )
    return int(data["topic"]["partitions"][0]["latestOffset"])


async def test_nan_and_infinity_never_reach_the_topic(
    client: GraphQLClient, new_topic: TopicFactory, http: aiohttp.ClientSession
) -> None:
    topic = await new_topic()
    for value in (b"NaN", b"Infinity", b"-Infinity", b"1e999", b'{"nested": [NaN]}'):
        body = (
            b'{"query": '
            + json.dumps(PRODUCE).encode()
            + b', "variables": {"topic": "'
            + topic.encode()
            + b'", "value": '
            + value
            + b"}}"
        )
        async with http.post(
            client.url, data=body, headers={"Content-Type": "application/json"}
        ) as r:
            assert r.status == 400
            assert_request_error(await r.json(), "")
    # A literal in the document is valid GraphQL syntax; a float beyond the largest double is
    # refused while validating (graphql/limits/structure.py), before anything runs.
    literal = f'mutation {{ produce(topic: "{topic}", value: {{a: 1e999}}) {{ offset }} }}'
    assert await client.error_codes(literal) == ["GRAPHQL_VALIDATION_FAILED"]
    assert await _latest_offset(client, topic) == 0
    # The topic itself is fine: a finite value is written and read back.
    await client.data(PRODUCE, {"topic": topic, "value": 1.5})
    assert await _latest_offset(client, topic) == 1


async def test_several_operations_need_an_operation_name(
    client: GraphQLClient, new_topic: TopicFactory, http: aiohttp.ClientSession
) -> None:
    topic = await new_topic()
    document = (
        "query Topics { topics { name } } "
        "mutation Write($topic: String!) { produce(topic: $topic, value: 1) { offset } }"
    )
    async with http.post(client.url, json={"query": document, "variables": {"topic": topic}}) as r:
        assert r.status == 400
        assert_request_error(await r.json(), "operationName")
    assert await _latest_offset(client, topic) == 0
    for name, expected in (("Write", {"produce": {"offset": 0}}), ("Topics", None)):
        body = {"query": document, "variables": {"topic": topic}, "operationName": name}
        async with http.post(client.url, json=body) as r:
            assert r.status == 200
            result = await r.json()
        assert "errors" not in result, result
        if expected is not None:
            assert result["data"] == expected
        else:
            assert list(result["data"]) == ["topics"]
    assert await _latest_offset(client, topic) == 1


async def test_a_subscription_id_in_use_closes_with_4409(
    gateway: RunningGateway, http: aiohttp.ClientSession, new_topic: TopicFactory
) -> None:
    topic = await new_topic()
    live = {"query": f'subscription {{ messages(topic: "{topic}") {{ offset }} }}'}
    async with http.ws_connect(gateway.url, protocols=[TRANSPORT_WS]) as ws:
        await ws.send_str('{"type": "connection_init"}')
        assert json.loads((await next_frame(ws)).data)["type"] == "connection_ack"
        await ws.send_str(ws_message("subscribe", id="1", payload=live))
        feeds = gateway.kafka.live
        await asyncio.wait_for(feeds.wait_until(lambda: feeds.subscriber_count(topic) == 1), 30)
        await ws.send_str(ws_message("subscribe", id="1", payload=live))
        answer = await next_frame(ws)
        assert answer.type is aiohttp.WSMsgType.CLOSE and answer.data == 4409
    await assert_still_serving(gateway, http)
