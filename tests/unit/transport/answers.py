"""What the transport's suites check of every refusal: its coded answer, and that the gateway
still serves afterwards (tests/integration/test_malformed_requests.py uses them too)."""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from kafka_graphql.http.state import KAFKA
from tests.clients import GraphQLClient
from tests.gateways import RunningGateway
from tests.kafka_stand_in import NotReached


async def assert_still_serving(gateway: RunningGateway, http: aiohttp.ClientSession) -> None:
    async with http.get(gateway.url.removesuffix("/graphql") + "/healthz") as response:
        assert response.status == 200
    # A query that reaches the cluster's metadata, and costs one point of the budget every test
    # of this module shares (listing every topic costs a page: limits.md). Over the stand-in for
    # Kafka, the metadata of a cluster without topics, and only for this query.
    kafka = gateway.app[KAFKA]
    if isinstance(kafka, NotReached):
        with kafka.empty_cluster():
            data = await GraphQLClient(http, gateway.url).data(
                '{ topic(name: "test-none") { name } }'
            )
    else:
        data = await GraphQLClient(http, gateway.url).data('{ topic(name: "test-none") { name } }')
    assert data == {"topic": None}


def assert_request_error(body: dict[str, Any], message_part: str) -> None:
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_REQUEST", error
    assert message_part in error["message"], error
    assert len(error["message"]) < 200
    assert "Traceback" not in json.dumps(body) and "Error:" not in error["message"]


async def next_frame(ws: aiohttp.ClientWebSocketResponse) -> aiohttp.WSMessage:
    while True:
        message = await ws.receive(timeout=30)
        if message.type is aiohttp.WSMsgType.TEXT and json.loads(message.data)["type"] == "ka":
            continue  # the legacy protocol's keep-alive
        return message


def ws_message(kind: str, **message: Any) -> str:
    return json.dumps({"type": kind, **message})
