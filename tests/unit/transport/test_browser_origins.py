"""Browser safety, refused before any Kafka call: past the CSRF check a body still has to be JSON,
a CORS preflight allows the CSRF headers, and WebSocket upgrades from origins outside
`server.cors_allow_origins` are refused before the upgrade. Clients that are not browsers (no
Origin header) are not affected. (CSRF refusals of writes, checked against the topic:
tests/integration/test_browser_safety.py.)"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from tests.clients import LEGACY_WS, TRANSPORT_WS, GraphQLClient
from tests.gateways import RunningGateway
from tests.kafka_stand_in import NotReached
from tests.unit.transport.serving import serve, settings_without_kafka

APP = "https://app.example"


@pytest.mark.parametrize(
    "header", [{"Apollo-Require-Preflight": "true"}, {"X-Apollo-Operation-Name": "Produce"}]
)
async def test_a_preflight_forcing_header_lets_the_post_through_the_csrf_check(
    header: dict[str, str], gateway: RunningGateway, http: aiohttp.ClientSession
) -> None:
    """Past the CSRF check, the body still has to be JSON (415 otherwise)."""
    async with http.post(
        gateway.url,
        data=json.dumps({"query": "{ topics { name } }"}).encode(),
        headers={"Content-Type": "text/plain", **header},
    ) as response:
        assert response.status == 415
        (error,) = (await response.json())["errors"]
        assert error["extensions"]["code"] == "BAD_REQUEST"


async def test_json_posts_need_no_extra_header(client: GraphQLClient, kafka: NotReached) -> None:
    # Served: over the stand-in, from the metadata of a cluster without topics.
    with kafka.empty_cluster():
        assert isinstance((await client.data("{ topics { name } }"))["topics"], list)


@pytest_asyncio.fixture(scope="module")
async def browser_gateway(kafka: NotReached) -> AsyncIterator[RunningGateway]:
    settings = settings_without_kafka(server={"cors_allow_origins": [APP], "shutdown_grace_s": 1})
    async with serve(settings, kafka) as running:
        yield running


async def test_cors_preflight_allows_the_csrf_headers(
    browser_gateway: RunningGateway, http: aiohttp.ClientSession
) -> None:
    preflight = {
        "Origin": APP,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,apollo-require-preflight",
    }
    async with http.options(browser_gateway.url, headers=preflight) as response:
        assert response.status == 204
        allowed = response.headers["Access-Control-Allow-Headers"].lower()
    assert "apollo-require-preflight" in allowed and "x-apollo-operation-name" in allowed
    # A page may send its own request id, and read the one answered.
    assert "x-request-id" in allowed
    async with http.post(
        browser_gateway.url,
        json={"query": "{ __typename }"},
        headers={"Origin": APP, "X-Request-ID": "page-1"},
    ) as answered:
        assert answered.headers["Access-Control-Expose-Headers"] == "X-Request-ID"
        assert answered.headers["X-Request-ID"] == "page-1"


def _upgrade_headers(protocol: str, origin: str | None) -> dict[str, str]:
    headers = {
        "Connection": "Upgrade",
        "Upgrade": "websocket",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode(),
        "Sec-WebSocket-Protocol": protocol,
    }
    if origin is not None:
        headers["Origin"] = origin
    return headers


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
@pytest.mark.parametrize("origin", ["https://evil.example", "null", "https://app.example:8443"])
async def test_websocket_from_another_origin_is_refused_before_the_upgrade(
    protocol: str, origin: str, browser_gateway: RunningGateway, http: aiohttp.ClientSession
) -> None:
    async with http.get(
        browser_gateway.url, headers=_upgrade_headers(protocol, origin)
    ) as response:
        assert response.status == 403
        assert "Upgrade" not in response.headers
        body: dict[str, Any] = await response.json()
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert "origin" in error["message"]


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_websocket_from_an_allowed_origin_or_without_one_is_served(
    protocol: str, browser_gateway: RunningGateway, http: aiohttp.ClientSession
) -> None:
    # No Origin: not a browser. The gateway's own origin: its GraphiQL page.
    own = browser_gateway.url.removesuffix("/graphql")
    for origin in (APP, None, own):
        headers = {"Origin": origin} if origin else {}
        async with http.ws_connect(
            browser_gateway.url, protocols=[protocol], headers=headers
        ) as ws:
            assert ws.protocol == protocol
            await ws.send_json({"type": "connection_init", "payload": {}})
            assert (await ws.receive_json(timeout=10))["type"] == "connection_ack"
