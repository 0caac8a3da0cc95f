"""HTTP and WebSocket transport, before any Kafka call: GraphiQL, health, CORS, the document's
limits, subscriptions refused over plain HTTP (readiness, GET rules, shutdown, outages, over the
real broker: tests/integration/test_transport.py)."""

from __future__ import annotations

import base64
import hashlib
import re

import aiohttp
import pytest

from kafka_graphql.graphql.graphiql import cdn_assets
from tests.clients import GraphQLClient
from tests.gateways import RunningGateway
from tests.kafka_stand_in import NotReached
from tests.unit.transport.serving import serve, settings_without_kafka


async def test_graphiql_is_served_to_browsers_with_its_own_files(
    gateway: RunningGateway, http: aiohttp.ClientSession
) -> None:
    """`make test` fetches GraphiQL's files first; the page must then need no CDN, and every
    file it loads must be served with the content its integrity hash names."""
    async with http.get(gateway.url, headers={"Accept": "text/html"}) as response:
        assert response.status == 200
        assert response.content_type == "text/html"
        page = await response.text()
    assert "graphiql" in page.lower()
    assert "unpkg.com" not in page
    base = gateway.url.removesuffix("/graphql")
    assets = re.findall(
        r'(?:src|href)="(/graphiql-assets/[^"]+)"\s+integrity="sha384-([^"]+)"', page
    )
    assert len(assets) == len(cdn_assets()) >= 5
    for path, digest in assets:
        async with http.get(base + path) as response:
            assert response.status == 200, path
            body = await response.read()
        assert base64.b64encode(hashlib.sha384(body).digest()).decode() == digest, path


async def test_health(gateway: RunningGateway, http: aiohttp.ClientSession) -> None:
    """`/healthz` says only that the process serves HTTP: it asks nothing of Kafka (`/readyz`
    does: tests/integration/test_transport.py)."""
    base = gateway.url.removesuffix("/graphql")
    async with http.get(f"{base}/healthz") as response:
        assert response.status == 200 and (await response.json())["status"] == "ok"


async def test_query_depth_aliases_and_size_are_limited(client: GraphQLClient) -> None:
    deep = (
        "{ topics { partitions { id } } "
        + "".join(f"a{i}: topics {{ name }} " for i in range(40))
        + "}"
    )
    assert await client.error_codes(deep) == ["GRAPHQL_VALIDATION_FAILED"]
    huge = "{ " + " ".join("topics { name }" for _ in range(2000)) + " }"
    assert await client.error_codes(huge) == ["GRAPHQL_PARSE_FAILED"]


async def test_query_depth_is_limited(http: aiohttp.ClientSession, kafka: NotReached) -> None:
    async with serve(settings_without_kafka(limits={"max_query_depth": 1}), kafka) as running:
        client = GraphQLClient(http, running.url)
        # Served: over the stand-in, from the metadata of a cluster without topics.
        with kafka.empty_cluster():
            assert await client.data("{ topics { name } }") is not None
        deep = "{ topics { partitions { id } } }"
        assert await client.error_codes(deep) == ["GRAPHQL_VALIDATION_FAILED"]


async def test_cors_allows_only_configured_origins(
    http: aiohttp.ClientSession, kafka: NotReached
) -> None:
    settings = settings_without_kafka(server={"cors_allow_origins": ["https://app.example"]})
    async with serve(settings, kafka) as running:
        preflight = {
            "Origin": "https://app.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        }
        async with http.options(running.url, headers=preflight) as response:
            assert response.status == 204
            assert response.headers["Access-Control-Allow-Origin"] == "https://app.example"
            assert "POST" in response.headers["Access-Control-Allow-Methods"]
        # Served: over the stand-in, from the metadata of a cluster without topics.
        with kafka.empty_cluster():
            async with http.post(
                running.url,
                json={"query": "{ topics { name } }"},
                headers={"Origin": "https://app.example"},
            ) as response:
                assert response.headers["Access-Control-Allow-Origin"] == "https://app.example"
            async with http.post(
                running.url,
                json={"query": "{ topics { name } }"},
                headers={"Origin": "https://evil.example"},
            ) as response:
                assert "Access-Control-Allow-Origin" not in response.headers
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(
                running.url,
                protocols=["graphql-transport-ws"],
                headers={"Origin": "https://evil.example"},
            )
        assert refused.value.status == 403
        async with http.ws_connect(
            running.url,
            protocols=["graphql-transport-ws"],
            headers={"Origin": "https://app.example"},
        ) as ws:
            await ws.send_json({"type": "connection_init"})
            assert (await ws.receive_json(timeout=10))["type"] == "connection_ack"


async def test_a_subscription_over_plain_http_is_refused_clearly(client: GraphQLClient) -> None:
    for accept in ("application/json", "application/json, multipart/mixed"):
        async with client.session.post(
            client.url,
            json={"query": 'subscription { messages(topic: "test-x") { offset } }'},
            headers={"Accept": accept},
        ) as response:
            body = await response.json()
        assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_REQUEST"]
        assert "WebSocket" in body["errors"][0]["message"]
