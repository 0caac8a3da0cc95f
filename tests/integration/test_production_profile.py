"""`server.profile = "production"`: no introspection, no GraphiQL and no field suggestions unless
the settings turn them on, on every transport."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from kafka_graphql.dev.cursor_key import DEV_CURSOR_KEYS_ENV
from kafka_graphql.dev.tokens import ensure_dev_key
from kafka_graphql.settings import settings_from_mapping
from tests.clients import TRANSPORT_WS, GraphQLClient
from tests.integration.conftest import RunningGateway, run_gateway

INTROSPECTIONS = {
    "__schema": "{ __schema { queryType { name } } }",
    "__type": '{ __type(name: "Query") { name } }',
    "in a fragment": "query { ...F } fragment F on Query { __schema { types { name } } }",
    "aliased, beside a field": "{ topics { name } s: __schema { queryType { name } } }",
}
TYPO = "{ topicz { name } }"
FILTER_TYPO = """query($f: MessageFilter) {
  messages(topic: "test-none", filter: $f) { hasMore }
}"""


# Production needs an [auth] table; these tests call anonymously, as a public read/write API
# that also accepts tokens would let them.
KEY = ensure_dev_key(Path(tempfile.mkdtemp(prefix="kafka-graphql-keys-")))


def production_settings(bootstrap: str, **server: Any) -> Any:
    return settings_from_mapping(
        {
            "kafka": {"bootstrap_servers": bootstrap, "metadata_max_age_s": 0},
            "server": {
                "profile": "production",
                "shutdown_grace_s": 1,
                "cursor_keys_env": DEV_CURSOR_KEYS_ENV,
                **server,
            },
            "auth": {
                "required": False,
                "algorithms": ["RS256"],
                "issuer": "https://id.example.com/",
                "audience": "kafka-graphql",
                "public_key_file": str(KEY.public_key_file),
                "anonymous_scopes": ["kafka:read:*", "kafka:write:*"],
            },
            "topics": [{"name": "test-*"}],
        }
    )


@pytest_asyncio.fixture(scope="module")
async def production(bootstrap: str) -> AsyncIterator[RunningGateway]:
    async with run_gateway(production_settings(bootstrap)) as running:
        yield running


def assert_introspection_refused(errors: list[dict[str, Any]]) -> None:
    assert errors, "introspection was answered"
    for error in errors:
        assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED", error
        assert "introspection has been disabled" in error["message"], error


@pytest.mark.parametrize("query", INTROSPECTIONS.values(), ids=INTROSPECTIONS.keys())
async def test_introspection_is_refused_over_post_and_get(
    query: str, production: RunningGateway, http: aiohttp.ClientSession
) -> None:
    body = await GraphQLClient(http, production.url).post(query)
    assert body.get("data") is None
    assert_introspection_refused(body["errors"])
    async with http.get(production.url, params={"query": query}) as response:
        assert response.status == 200
        assert_introspection_refused((await response.json())["errors"])


async def test_introspection_is_refused_over_websocket(
    production: RunningGateway, http: aiohttp.ClientSession
) -> None:
    """graphql-transport-ws runs queries too (legacy graphql-ws runs subscriptions only, and
    introspection fields exist on the query type alone)."""
    async with http.ws_connect(production.url, protocols=[TRANSPORT_WS]) as ws:
        await ws.send_json({"type": "connection_init", "payload": {}})
        assert (await ws.receive_json(timeout=10))["type"] == "connection_ack"
        payload = {"query": INTROSPECTIONS["__schema"]}
        await ws.send_json({"id": "1", "type": "subscribe", "payload": payload})
        message = await ws.receive_json(timeout=10)
    assert message["type"] == "error", message
    assert_introspection_refused(message["payload"])


async def test_typename_still_works(
    production: RunningGateway, http: aiohttp.ClientSession
) -> None:
    data = await GraphQLClient(http, production.url).data("{ __typename }")
    assert data == {"__typename": "Query"}


async def test_graphiql_is_not_served(
    production: RunningGateway, http: aiohttp.ClientSession
) -> None:
    async with http.get(production.url, headers={"Accept": "text/html"}) as response:
        assert response.status == 404
        assert response.content_type == "application/json"
        assert "graphiql" not in (await response.text()).lower()
    # A share link followed by a browser runs its query, as any GET does, and no page leaks.
    share = {"query": "{ __typename }"}
    async with http.get(production.url, params=share, headers={"Accept": "text/html"}) as got:
        assert got.content_type == "application/json"
        assert (await got.json())["data"] == {"__typename": "Query"}


async def test_field_suggestions_are_left_out(
    production: RunningGateway, gateway: RunningGateway, http: aiohttp.ClientSession
) -> None:
    """The development gateway (the shared one) keeps them: they are what was cut."""
    bad_filter = {"f": {"kye": "x"}}
    for running, suggests in ((production, False), (gateway, True)):
        client = GraphQLClient(http, running.url)
        (typo,) = (await client.post(TYPO))["errors"]
        assert typo["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        assert typo["message"].startswith("Cannot query field 'topicz' on type 'Query'.")
        assert ("Did you mean 'topic' or 'topics'?" in typo["message"]) is suggests
        (variable,) = (await client.post(FILTER_TYPO, bad_filter))["errors"]
        assert variable["extensions"]["code"] == "BAD_USER_INPUT"
        assert "of type 'MessageFilter' not to include unknown field 'kye'." in variable["message"]
        assert ("Did you mean 'key'?" in variable["message"]) is suggests
        assert "Found: {'kye': 'x'}." in variable["message"]


async def test_explicit_settings_turn_them_back_on(
    bootstrap: str, http: aiohttp.ClientSession
) -> None:
    settings = production_settings(bootstrap, introspection=True, field_suggestions=True)
    async with run_gateway(settings) as running:
        client = GraphQLClient(http, running.url)
        data = await client.data(INTROSPECTIONS["__schema"])
        assert data["__schema"]["queryType"]["name"] == "Query"
        (typo,) = (await client.post(TYPO))["errors"]
        assert "Did you mean 'topic' or 'topics'?" in typo["message"]
        # GraphiQL follows introspection unless server.graphiql says otherwise.
        async with http.get(running.url, headers={"Accept": "text/html"}) as response:
            assert response.status == 200 and response.content_type == "text/html"
