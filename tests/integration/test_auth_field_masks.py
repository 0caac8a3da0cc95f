"""Masked fields (`mask`) and the generic API under field rules, on the real gateway: a masked
field is selectable and null for callers without its scope, in typed queries and subscriptions
(two subscribers of one record, each seeing only its own view), and the generic `messages` JSON
has masked fields null and guarded ones left out. The value's other forms (rawValue, the wording
of schemaErrors) only reach callers who may see every field, and filters see what the caller
sees."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiokafka import AIOKafkaProducer

from tests.clients import LEGACY_WS, TRANSPORT_WS, GraphQLClient
from tests.integration.auth import ADMIN, key_files_fixture  # noqa: F401 (a fixture)
from tests.integration.conftest import RunningGateway
from tests.integration.field_auth import (
    ORDERS,
    PII,
    READER,
    SUPPORT,
    callers,
    field_gateway,
    order,
    unique_email,
)

# Selectable by SUPPORT: the customer, not the items' counts.
PAGE = """
query($from: Long!, $where: OrderWhere) {
  orders(first: 1, fromOffset: $from, where: $where) {
    edges { node { offset rawValue schemaErrors value {
      id quantity customer { name email } items { sku }
    } } }
  }
}"""
# Selectable by a caller without any field scope.
PLAIN_PAGE = """
query($from: Long!) {
  orders(first: 1, fromOffset: $from) { edges { node { value { id quantity items { sku } } } } }
}"""
COUNTS = """
query($from: Long!) { orders(first: 1, fromOffset: $from) { edges { node { value {
  items { count }
} } } } }"""
STREAM = "subscription { orders { offset value { id quantity customer { name email } } } }"
GENERIC = """
query($t: String!, $from: Long!, $filter: MessageFilter) {
  messages(topic: $t, fromOffset: $from, limit: 1, filter: $filter) { messages { offset value } }
}"""
GENERIC_STREAM = """
subscription($t: String!, $from: Long!) { messages(topic: $t, fromOffset: $from) { value } }"""
PRODUCE_ORDER = "mutation($v: OrderInput!) { produceOrder(value: $v) { offset } }"
REDACTED = ["the value does not match the topic's schema"]


@pytest_asyncio.fixture(scope="module")
async def gateway(bootstrap: str, key_files: tuple[Path, Path]) -> AsyncIterator[RunningGateway]:
    async with field_gateway(bootstrap, key_files[0]) as running:
        yield running


@pytest.fixture
def as_scopes(gateway: RunningGateway, http: aiohttp.ClientSession) -> Any:
    return callers(gateway, http)


async def produce_order(as_scopes: Callable[[str], GraphQLClient], value: Any) -> int:
    data = await as_scopes(READER).data(PRODUCE_ORDER, {"v": value})
    offset: int = data["produceOrder"]["offset"]
    return offset


async def node(client: GraphQLClient, offset: int, **variables: Any) -> Any:
    edges = (await client.data(PAGE, {"from": offset, **variables}))["orders"]["edges"]
    return edges[0]["node"] if edges else None


async def test_masked_fields_are_null_in_typed_queries_for_callers_without_the_scope(
    as_scopes: Callable[[str], GraphQLClient],
) -> None:
    email = unique_email()
    offset = await produce_order(as_scopes, order(email))
    assert await node(as_scopes(SUPPORT), offset) == {
        "offset": offset,
        "rawValue": None,
        "schemaErrors": [],
        "value": {
            "id": "o-1",
            "quantity": None,
            "customer": {"name": "Ada", "email": None},
            "items": [{"sku": "TEA-1"}, {"sku": "CUP-2"}],
        },
    }
    plain = await as_scopes(READER).data(PLAIN_PAGE, {"from": offset})
    assert plain["orders"]["edges"][0]["node"]["value"] == {
        "id": "o-1",
        "quantity": None,
        "items": [{"sku": "TEA-1"}, {"sku": "CUP-2"}],
    }
    for scope in (PII, ADMIN):
        full = await node(as_scopes(scope), offset)
        assert full["value"]["customer"] == {"name": "Ada", "email": email}
        assert full["value"]["quantity"] == 4
        assert full["rawValue"] == order(email)
        counts = await as_scopes(scope).data(COUNTS, {"from": offset})
        assert counts["orders"]["edges"][0]["node"]["value"]["items"] == [
            {"count": 1},
            {"count": 3},
        ]


@pytest.mark.parametrize(
    ("pii_protocol", "support_protocol"), [(TRANSPORT_WS, LEGACY_WS), (LEGACY_WS, TRANSPORT_WS)]
)
async def test_two_subscribers_of_one_record_each_see_only_their_own_view(
    as_scopes: Callable[[str], GraphQLClient],
    gateway: RunningGateway,
    pii_protocol: str,
    support_protocol: str,
) -> None:
    live = gateway.kafka.live
    await asyncio.wait_for(live.wait_until(lambda: live.subscriber_count(ORDERS) == 0), 30)
    email = unique_email()
    async with (
        as_scopes(PII).subscribe(STREAM, protocol=pii_protocol) as pii,
        as_scopes(SUPPORT).subscribe(STREAM, protocol=support_protocol) as support,
    ):
        # Both on the topic's one live consumer: the record is read and decoded once for both.
        await asyncio.wait_for(live.wait_until(lambda: live.subscriber_count(ORDERS) == 2), 30)
        offset = await produce_order(as_scopes, order(email))
        seen_by_support = await support.next_message("orders")
        seen_by_pii = await pii.next_message("orders")
    assert seen_by_support == {
        "offset": offset,
        "value": {"id": "o-1", "quantity": None, "customer": {"name": "Ada", "email": None}},
    }
    assert seen_by_pii == {
        "offset": offset,
        "value": {"id": "o-1", "quantity": 4, "customer": {"name": "Ada", "email": email}},
    }
    # The shared decoded value was not changed by the masked view built from it.
    assert (await node(as_scopes(PII), offset))["value"]["customer"]["email"] == email


def without_counts(value: dict[str, Any]) -> dict[str, Any]:
    return {**value, "items": [{"sku": item["sku"]} for item in value["items"]]}


async def test_the_generic_api_nulls_masked_fields_and_leaves_guarded_ones_out(
    as_scopes: Callable[[str], GraphQLClient],
) -> None:
    email = unique_email()
    offset = await produce_order(as_scopes, order(email))

    async def value(scope: str) -> Any:
        data = await as_scopes(scope).data(GENERIC, {"t": ORDERS, "from": offset})
        return data["messages"]["messages"][0]["value"]

    reader = without_counts({**order(email), "quantity": None})
    del reader["customer"]
    assert await value(READER) == reader
    assert await value(SUPPORT) == {**reader, "customer": {"name": "Ada", "email": None}}
    assert await value(PII) == order(email)
    assert await value(ADMIN) == order(email)


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_the_generic_subscription_serves_the_same_views(
    as_scopes: Callable[[str], GraphQLClient], protocol: str
) -> None:
    email = unique_email()
    offset = await produce_order(as_scopes, order(email))
    variables = {"t": ORDERS, "from": offset}
    seen = {}
    for scope in (SUPPORT, PII):
        async with as_scopes(scope).subscribe(GENERIC_STREAM, variables, protocol) as stream:
            seen[scope] = (await stream.next_message())["value"]
    expected = without_counts({**order(email), "quantity": None})
    assert seen[SUPPORT] == {**expected, "customer": {"name": "Ada", "email": None}}
    assert seen[PII] == order(email)


async def test_the_value_s_other_forms_only_reach_callers_who_may_see_every_field(
    as_scopes: Callable[[str], GraphQLClient], raw_producer: AIOKafkaProducer
) -> None:
    email = unique_email()
    invalid = order(email, quantity=5000)  # over the schema's maximum
    sent = await raw_producer.send_and_wait(ORDERS, json.dumps(invalid).encode())
    support = await node(as_scopes(SUPPORT), sent.offset)
    assert (support["value"], support["rawValue"], support["schemaErrors"]) == (
        None,
        None,
        REDACTED,
    )
    pii = await node(as_scopes(PII), sent.offset)
    assert (pii["value"], pii["rawValue"]) == (None, invalid)
    assert pii["schemaErrors"] == ["quantity: 5000 is greater than the maximum of 1000"]
    # The generic API falls back to the bytes' JSON only for those callers too.
    for scope, expected in ((READER, None), (SUPPORT, None), (PII, invalid)):
        data = await as_scopes(scope).data(GENERIC, {"t": ORDERS, "from": sent.offset})
        assert data["messages"]["messages"][0]["value"] == expected


async def test_filters_see_only_what_the_caller_sees(
    as_scopes: Callable[[str], GraphQLClient],
) -> None:
    email = unique_email()
    offset = await produce_order(as_scopes, order(email))
    by_email = {"value": [{"path": "customer.email", "eq": email}]}
    where = {"customer": {"email": {"eq": email}}}
    for scope, found in ((SUPPORT, []), (READER, []), (PII, [offset])):
        client = as_scopes(scope)
        page = await client.data(GENERIC, {"t": ORDERS, "from": offset, "filter": by_email})
        assert [m["offset"] for m in page["messages"]["messages"]] == found
    # SUPPORT's typed where on the masked email matches nothing; PII's finds the record.
    assert await node(as_scopes(SUPPORT), offset, where=where) is None
    assert (await node(as_scopes(PII), offset, where=where))["offset"] == offset
