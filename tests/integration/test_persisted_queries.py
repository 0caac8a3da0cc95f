"""Persisted queries: Apollo's automatic persisted queries over HTTP (GET and POST) and both
WebSocket subprotocols, answered in Apollo Server's words, and trusted documents from Apollo's
manifest. Apollo Client's own PersistedQueryLink drives both modes (tests/js/), its manifest
generated from the repository's client documents (tests/js/manifest.mjs)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiokafka.admin import AIOKafkaAdminClient

from kafka_graphql.dev.cursor_key import DEV_CURSOR_KEYS_ENV
from kafka_graphql.settings import settings_from_mapping
from tests.clients import LEGACY_WS, TRANSPORT_WS, GraphQLClient
from tests.integration.conftest import RunningGateway, TopicFactory, run_gateway
from tests.integration.helpers import SUBSCRIBE, produce
from tests.integration.test_apollo_client import JS, WAIT_S, node, order
from tests.integration.typed import SCHEMAS, create_topic

NOT_FOUND = {
    "errors": [
        {"message": "PersistedQueryNotFound", "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}
    ]
}
PRODUCE_ORDERS = """
mutation($messages: [OrderMessageInput!]!) { produceOrders(messages: $messages) { offset } }"""


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def hashed(text: str, version: int = 1) -> dict[str, Any]:
    return {"persistedQuery": {"version": version, "sha256Hash": sha(text)}}


async def post(http: aiohttp.ClientSession, url: str, body: dict[str, Any]) -> tuple[int, Any]:
    async with http.post(url, json=body) as response:
        return response.status, await response.json()


async def get(
    http: aiohttp.ClientSession, url: str, params: dict[str, str]
) -> tuple[int, dict[str, str], Any]:
    headers = {"Accept": "application/graphql-response+json"}
    async with http.get(url, params=params, headers=headers) as response:
        return response.status, dict(response.headers), await response.json()


async def test_apq_over_http_as_apollo_server_answers(
    gateway: RunningGateway, http: aiohttp.ClientSession
) -> None:
    # A document of its own, so that no other test has sent its hash.
    query = f"query Q{uuid.uuid4().hex} {{ __typename }}"
    extensions = hashed(query)
    params = {"extensions": json.dumps(extensions)}
    status, headers, body = await get(http, gateway.url, params)
    assert (status, body) == (200, NOT_FOUND)
    assert headers["Cache-Control"] == "private, no-cache, must-revalidate"
    wrong = {"query": query + " ", "extensions": extensions}
    status, body = await post(http, gateway.url, wrong)
    assert status == 400
    assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    status, body = await post(http, gateway.url, {"query": query, "extensions": extensions})
    assert (status, body["data"]) == (200, {"__typename": "Query"})
    # Now known: by GET (cacheable) and by POST, without the document.
    status, _, body = await get(http, gateway.url, params)
    assert (status, body["data"]) == (200, {"__typename": "Query"})
    status, body = await post(http, gateway.url, {"extensions": extensions})
    assert (status, body["data"]) == (200, {"__typename": "Query"})
    # Apollo Server keeps a document only once it has validated.
    invalid = f"{{ nope{uuid.uuid4().hex} }}"
    status, body = await post(http, gateway.url, {"query": invalid, "extensions": hashed(invalid)})
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert await post(http, gateway.url, {"extensions": hashed(invalid)}) == (200, NOT_FOUND)
    status, body = await post(http, gateway.url, {"extensions": hashed(query, version=2)})
    assert status == 400
    assert body["errors"][0]["message"] == "Unsupported persisted query version"


async def test_a_hashed_mutation_is_never_run_over_get(
    gateway: RunningGateway, http: aiohttp.ClientSession, new_topic: TopicFactory
) -> None:
    topic = await new_topic()
    mutation = f'mutation {{ produce(topic: "{topic}", value: 1) {{ offset }} }}'
    extensions = hashed(mutation)
    status, body = await post(http, gateway.url, {"query": mutation, "extensions": extensions})
    assert status == 200, body
    status, headers, body = await get(http, gateway.url, {"extensions": json.dumps(extensions)})
    assert status == 405
    assert headers["Allow"] == "POST"


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_apq_over_websockets(
    gateway: RunningGateway, http: aiohttp.ClientSession, new_topic: TopicFactory, protocol: str
) -> None:
    topic = await new_topic()
    client = GraphQLClient(http, gateway.url)
    await produce(client, topic, {"n": 1})
    # A hash never sent: refused before anything parses it.
    unknown = {"extensions": hashed(f"subscription S{uuid.uuid4().hex} {{ __typename }}")}
    async with client.subscribe("", protocol=protocol) as sub:
        await sub.ws.send_json(subscribe_message(protocol, "2", unknown))  # type: ignore[union-attr]
        errors = [await sub.next_event() for _ in range(2)]
    refusal = next(e for e in errors if e.get("id") == "2")
    payload = refusal["payload"]
    first = payload[0] if isinstance(payload, list) else payload
    assert first == NOT_FOUND["errors"][0], refusal
    # The document with its hash (as Apollo's link sends it over a WebSocket), then the hash alone.
    query = SUBSCRIBE + f"\n# {uuid.uuid4().hex}"
    variables = {"topic": topic, "fromOffset": 0}
    for payload in ({"query": query}, {}):
        sent = {**payload, "variables": variables, "extensions": hashed(query)}
        async with client.subscribe("", protocol=protocol) as sub:
            await sub.ws.send_json(subscribe_message(protocol, "2", sent))  # type: ignore[union-attr]
            event = await next_with_id(sub, "2")
            assert event["payload"]["data"]["messages"]["value"] == {"n": 1}, event


def subscribe_message(protocol: str, id_: str, payload: dict[str, Any]) -> dict[str, Any]:
    kind = "subscribe" if protocol == TRANSPORT_WS else "start"
    return {"id": id_, "type": kind, "payload": payload}


async def next_with_id(sub: Any, id_: str) -> dict[str, Any]:
    while True:
        event: dict[str, Any] = await sub.next_event()
        if event.get("id") == id_:
            return event


async def test_persisted_documents_off_answers_not_supported(
    bootstrap: str, http: aiohttp.ClientSession
) -> None:
    settings = gateway_with(bootstrap, {"persisted_documents": "off"})
    async with run_gateway(settings) as running:
        query = "{ __typename }"
        status, body = await post(http, running.url, {"query": query, "extensions": hashed(query)})
    assert (status, body["errors"][0]) == (
        200,
        {
            "message": "PersistedQueryNotSupported",
            "extensions": {"code": "PERSISTED_QUERY_NOT_SUPPORTED"},
        },
    )


def gateway_with(bootstrap: str, server: dict[str, Any], topics: list[Any] | None = None) -> Any:
    return settings_from_mapping(
        {
            "kafka": {
                "bootstrap_servers": bootstrap,
                "request_timeout_s": 10,
                "metadata_max_age_s": 0,
            },
            "server": {"shutdown_grace_s": 2, "cursor_keys_env": DEV_CURSOR_KEYS_ENV, **server},
            "metrics": {"enabled": False},
            "topics": [{"name": "test-*"}, *(topics or [])],
        },
        base_dir=SCHEMAS,
    )


async def node_json(script: str, options: dict[str, Any]) -> Any:
    process = await asyncio.create_subprocess_exec(
        node(),
        str(JS / script),
        json.dumps(options),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), WAIT_S)
    assert process.returncode == 0, err.decode()
    return json.loads(out)


@pytest.mark.parametrize("mode", ["apq", "trusted"])
async def test_apollo_persisted_query_link(
    admin: AIOKafkaAdminClient,
    bootstrap: str,
    http: aiohttp.ClientSession,
    tmp_path: Path,
    mode: str,
) -> None:
    topic = await create_topic(admin, partitions=1)
    names = {"field": "orders", "type": "Order"}
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps(await node_json("manifest.mjs", names)))
    rule = {"name": topic, "type": "Order", "value_schema": "order.schema.json"}
    async with run_gateway(gateway_with(bootstrap, {}, [rule])) as writer:
        orders = {"messages": [order(1, "PAID"), order(2, "PAID")]}
        await GraphQLClient(http, writer.url).data(PRODUCE_ORDERS, orders)
    server: dict[str, Any] = {"persisted_documents": mode}
    if mode == "trusted":  # with "apq" too, the manifest's documents would be known at once
        server["trusted_documents_file"] = str(manifest)
    async with run_gateway(gateway_with(bootstrap, server, [rule])) as running:
        if mode == "trusted":
            # A document outside the manifest, even a harmless one, is refused.
            codes = await GraphQLClient(http, running.url).error_codes("{ __typename }")
            assert codes == ["PERSISTED_QUERY_NOT_FOUND"]
        result = await node_json("persisted-queries.mjs", {"url": running.url, **names})
    hash_only = {"method": "GET", "query": False}
    if mode == "apq":
        # Unknown at first: the link sends the document by POST, then the hash alone by GET.
        expected = [{**hash_only, "status": 200}, {"method": "POST", "query": True, "status": 200}]
        expected.append({**hash_only, "status": 200})
    else:
        expected = [{**hash_only, "status": 200}] * 2
    assert [
        {k: r[k] for k in ("method", "query", "status")} for r in result["requests"]
    ] == expected
    assert all(r["hash"] for r in result["requests"])
    assert result["pages"] == [2, 2]
    assert result["streamed"]["value"]["id"] == "o-2"
