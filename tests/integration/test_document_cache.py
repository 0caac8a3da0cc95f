"""The gate keeps the documents it parsed and validated (kafka_graphql/graphql/documents.py). What
it keeps is the schema's answer to a text; what depends on the caller is decided on every operation:
a document one caller ran is refused to another whose scopes do not cover it, and errors keep
their codes however often the same text comes back."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio

from tests.clients import LEGACY_WS, TRANSPORT_WS, GraphQLClient, without_request_ids
from tests.integration.auth import key_files_fixture  # noqa: F401 (a fixture)
from tests.integration.conftest import RunningGateway, TopicFactory
from tests.integration.field_auth import (
    PII,
    READER,
    SUPPORT,
    callers,
    field_gateway,
    record_kafka_calls,
)
from tests.integration.helpers import PRODUCE

CUSTOMER = "Order.customer needs one of the scopes orders:customer, orders:pii"


@pytest_asyncio.fixture(scope="module")
async def guarded(bootstrap: str, key_files: tuple[Path, Path]) -> AsyncIterator[RunningGateway]:
    async with field_gateway(bootstrap, key_files[0]) as running:
        yield running


def _unique(query: str) -> str:
    """A text no other test sent (so that this test decides what is cached)."""
    return f"{query} # {uuid.uuid4().hex}"


async def test_a_document_another_caller_ran_is_still_refused(
    guarded: RunningGateway, http: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    as_scopes: Callable[[str], GraphQLClient] = callers(guarded, http)
    kafka_calls = record_kafka_calls(guarded, monkeypatch)
    query = _unique("{ orders(first: 1) { edges { node { value { customer { name } } } } } }")
    for _ in range(2):
        assert "orders" in await as_scopes(PII).data(query)
        reads = kafka_calls.count("read_page")
        body = without_request_ids(await as_scopes(READER).post(query))
        assert body["errors"] == [{"message": CUSTOMER, "extensions": {"code": "FORBIDDEN"}}]
        assert body["data"] is None
        assert kafka_calls.count("read_page") == reads  # the refused operation read nothing
        assert "orders" in await as_scopes(SUPPORT).data(query)


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_a_subscription_another_caller_opened_is_still_refused(
    guarded: RunningGateway, http: aiohttp.ClientSession, protocol: str
) -> None:
    as_scopes: Callable[[str], GraphQLClient] = callers(guarded, http)
    query = _unique("subscription { orders { value { customer { name } } } }")
    async with as_scopes(PII).subscribe(query, protocol=protocol):
        pass
    async with as_scopes(READER).subscribe(query, protocol=protocol) as stream:
        event = await stream.next_event()
    assert event["type"] == "error"
    errors = event["payload"] if protocol == TRANSPORT_WS else [event["payload"]]
    assert without_request_ids(errors) == [
        {"message": CUSTOMER, "extensions": {"code": "FORBIDDEN"}}
    ]


async def test_the_same_errors_every_time(client: GraphQLClient) -> None:
    cases = {
        "GRAPHQL_PARSE_FAILED": _unique("{ topics { name }"),
        "GRAPHQL_VALIDATION_FAILED": _unique("{ topics { nope } }"),
        "BAD_USER_INPUT": _unique("query($n: String!) { topic(name: $n) { name } }"),
    }
    for code, query in cases.items():
        first, again = await client.post(query), await client.post(query)
        assert [e["extensions"]["code"] for e in first["errors"]] == [code], first
        # The caller's budget (extensions.cost.throttleStatus) refills in between; each
        # request has its own id.
        first, again = without_request_ids(first), without_request_ids(again)
        assert (again["data"], again["errors"]) == (first["data"], first["errors"])


async def test_costs_follow_the_variables(client: GraphQLClient, new_topic: TopicFactory) -> None:
    topic = await new_topic()
    await client.data(PRODUCE, {"topic": topic, "value": 1})
    query = _unique(
        "query($t: String!, $n: Int!) { messages(topic: $t, limit: $n) { messages { offset } } }"
    )
    small = await client.post(query, {"t": topic, "n": 1})
    large = await client.post(query, {"t": topic, "n": 200})
    assert small["extensions"]["cost"]["requestedQueryCost"] == 2
    assert large["extensions"]["cost"]["requestedQueryCost"] == 201
    assert small["extensions"]["cost"]["actualQueryCost"] == 2
    assert large["extensions"]["cost"]["actualQueryCost"] == 2
