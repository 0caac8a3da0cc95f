"""Hostile filters against the real gateway (issue 14, points 3, 4 and 7), every limit at its
default and `[auth]` on: a caller with an ordinary token sends the filters it likes.

- Filters are capped (`limits.max_filter_conditions`, `limits.max_in_values`) and priced: over a
  cap is BAD_USER_INPUT with `extensions.path`, before anything reaches Kafka; the heaviest filter
  within the caps costs what docs/limits.md#filters says, and what its page passed over.
- A value path is checked when the page or subscription is admitted: segments that read as
  numbers but are not ASCII indices (`²`, Arabic-Indic, fullwidth, Devanagari digits), huge or
  negative indices, empty segments are BAD_USER_INPUT before any stream opens, on both WebSocket
  subprotocols and for pages; a plain subscriber of the same topic meanwhile receives every record.
- Arguments are guarded like selections: a filter or `where` that reads a field the caller may not
  select is FORBIDDEN before anything reaches Kafka; a masked field is filtered as the caller sees
  it (null).

Every Kafka call goes through the Kafka layer (KafkaGateway): recording its methods shows that none
was made. Other callers (their own subjects, so their own budgets) read and stream meanwhile.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from kafka_graphql.settings import LimitsSettings
from tests.clients import LEGACY_WS, TRANSPORT_WS, GraphQLClient, without_request_ids
from tests.clock import FakeClock
from tests.integration.auth import (  # noqa: F401 (a fixture)
    auth_settings,
    create_topic,
    key_files_fixture,
)
from tests.integration.conftest import RunningGateway, run_gateway
from tests.integration.field_auth import RSA, order, record_kafka_calls, unique_email
from tests.integration.typed import SCHEMAS
from tests.tokens import claims

ORDERS = f"test-hostile-orders-{uuid.uuid4().hex[:8]}"
READ_WRITE = "kafka:read:test-* kafka:write:test-*"
# The generic record's fields, each behind a scope of its own.
KEYS, HEADERS, VALUES = "kafka:keys", "kafka:headers", "kafka:values"
EVERYTHING = f"{READ_WRITE} {KEYS} {HEADERS} {VALUES} orders:customer orders:pii orders:counts"
PROTOCOLS = [TRANSPORT_WS, LEGACY_WS]

PAGE = """query($t: String!, $f: MessageFilter) {
    messages(topic: $t, limit: 20, filter: $f) { messages { offset } hasMore } }"""
STREAM = """subscription($t: String!, $f: MessageFilter) {
    messages(topic: $t, filter: $f) { offset key } }"""
TYPED_PAGE = """query($w: OrderWhere) { orders(first: 20, where: $w) {
    edges { node { offset value { id } } } } }"""
TYPED_STREAM = "subscription($w: OrderWhere) { orders(where: $w) { offset value { id } } }"


def without(*scopes: str) -> str:
    return " ".join(s for s in EVERYTHING.split() if s not in scopes)


@pytest_asyncio.fixture(scope="module")
async def gateway(bootstrap: str, key_files: tuple[Path, Path]) -> AsyncIterator[RunningGateway]:
    topics: list[dict[str, Any]] = [
        {
            "name": ORDERS,
            "partitions": 1,
            "type": "Order",
            "value_schema": str(SCHEMAS / "order.schema.json"),
            "field_scopes": {
                "Order.customer": ["orders:customer", "orders:pii"],
                "LineItem.count": ["orders:counts"],
            },
            "mask": {"OrderCustomer.email": "orders:pii"},
        },
        {"name": "test-*"},
    ]
    rules = {
        "field_scopes": {
            "Message.key": [KEYS],
            "Message.headers": [HEADERS],
            "Message.value": [VALUES],
        }
    }
    settings = auth_settings(bootstrap, key_files[0], auth=rules, topics=topics)
    # Every limit at its default: the caps and prices under test are the defaults.
    settings = settings.model_copy(update={"limits": LimitsSettings()})
    # Budgets refill only when a test moves this clock: what a caller spent is what it shows.
    async with run_gateway(settings, FakeClock()) as running:
        yield running


@pytest.fixture
def caller(gateway: RunningGateway, http: aiohttp.ClientSession) -> Callable[[str], GraphQLClient]:
    """A client with these scopes and a subject of its own (so a budget of its own)."""

    def client(scope: str) -> GraphQLClient:
        subject = f"caller-{uuid.uuid4().hex[:8]}"
        return GraphQLClient(http, gateway.url, RSA.sign(claims(scope=scope, sub=subject)))

    return client


@pytest.fixture
def kafka_calls(gateway: RunningGateway, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    return record_kafka_calls(gateway, monkeypatch)


@pytest_asyncio.fixture
async def topic(admin: AIOKafkaAdminClient) -> str:
    name = f"test-hostile-{uuid.uuid4().hex[:8]}"
    await create_topic(admin, name)
    return name


async def produce(producer: AIOKafkaProducer, topic: str, values: list[Any]) -> None:
    """Straight to Kafka (not through the gateway, whose Kafka calls the tests record)."""
    sent = [
        await producer.send(topic, json.dumps(v).encode(), key=f"k-{i}".encode())
        for i, v in enumerate(values)
    ]
    await asyncio.gather(*sent)


async def refused(client: GraphQLClient, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    """The one error of an operation refused before it ran (HTTP 200, no data), without the
    message's wording."""
    response = await client.raw(query, variables)
    assert response.status == 200
    body = without_request_ids(response.json(), response.headers["X-Request-ID"])
    assert body["data"] is None, body
    (error,) = body["errors"]
    assert "Traceback" not in error["message"]
    return {"extensions": error["extensions"]}


async def stream_refused(
    client: GraphQLClient, query: str, variables: dict[str, Any], protocol: str
) -> dict[str, Any]:
    """The one error a subscription refused before it opened answers, on `protocol`: an `error`
    message (refused with validation), or a result without data, then `complete` (refused when
    admitted, as COST_LIMIT_EXCEEDED is)."""
    async with client.subscribe(query, variables, protocol=protocol) as stream:
        event = await stream.next_event()
        if event["type"] == "error":
            errors = event["payload"] if protocol == TRANSPORT_WS else [event["payload"]]
        else:
            assert event["type"] in ("next", "data"), event
            assert event["payload"]["data"] is None
            errors = event["payload"]["errors"]
            assert (await stream.next_event())["type"] == "complete"
    (error,) = without_request_ids(errors)
    return {"extensions": error["extensions"]}


def bad_input(*path: str | int) -> dict[str, Any]:
    return {"extensions": {"code": "BAD_USER_INPUT", "path": list(path)}}


def forbidden(*path: str | int) -> dict[str, Any]:
    return {"extensions": {"code": "FORBIDDEN", "path": list(path)}}


# ------------------------------------------------------------------ point 3: caps and prices

CONDITION = {"path": "n", "exists": True}
OVER_THE_CAPS = {
    "21 conditions": ({"value": [CONDITION] * 21}, ("filter", "value", 20)),
    "operators count": (
        {"key": "k-1", "value": [{"path": "n", "gte": 0, "lt": 9}] * 10},
        ("filter", "value", 9),
    ),
    "21 headers": ({"headers": [{"key": f"h{i}"} for i in range(21)]}, ("filter", "headers", 20)),
    "101 in values": (
        {"value": [CONDITION, {"path": "n", "in": list(range(101))}]},
        ("filter", "value", 1, "in"),
    ),
}


@pytest.mark.parametrize(("given", "path"), OVER_THE_CAPS.values(), ids=OVER_THE_CAPS.keys())
async def test_a_filter_over_its_caps_is_refused_before_anything_reaches_kafka(
    caller: Callable[[str], GraphQLClient],
    kafka_calls: list[str],
    gateway: RunningGateway,
    topic: str,
    given: dict[str, Any],
    path: tuple[str | int, ...],
) -> None:
    hostile = caller(EVERYTHING)
    variables = {"t": topic, "f": given}
    assert await refused(hostile, PAGE, variables) == bad_input(*path)
    for protocol in PROTOCOLS:
        assert await stream_refused(hostile, STREAM, variables, protocol) == bad_input(*path)
    assert kafka_calls == []
    assert gateway.kafka.live.feed_count(topic) == 0
    # The filter written in the document is refused the same way.
    literal = (
        "query($t: String!) { messages(topic: $t, filter: " + graphql_literal(given) + ") "
        "{ hasMore } }"
    )
    assert await refused(hostile, literal, {"t": topic}) == bad_input(*path)


async def test_typed_where_over_its_caps(
    caller: Callable[[str], GraphQLClient], kafka_calls: list[str], gateway: RunningGateway
) -> None:
    hostile = caller(EVERYTHING)
    cases = [
        ({"id": {"in": [f"o-{i}" for i in range(101)]}}, ("where", "id", "in")),
        (
            {"and": [{}, {"customer": {"name": {"notIn": ["x"] * 101}}}]},
            ("where", "and", 1, "customer", "name", "notIn"),
        ),
        ({"or": [{"id": {"eq": f"o-{i}"}} for i in range(11)]}, ("where", "or", 10)),
    ]
    for where, path in cases:
        assert await refused(hostile, TYPED_PAGE, {"w": where}) == bad_input(*path)
        for protocol in PROTOCOLS:
            answer = await stream_refused(hostile, TYPED_STREAM, {"w": where}, protocol)
            assert answer == bad_input(*path)
    assert kafka_calls == []
    assert gateway.kafka.live.feed_count(ORDERS) == 0


async def test_the_heaviest_filter_costs_its_price_and_is_refunded_what_it_did_not_scan(
    caller: Callable[[str], GraphQLClient], raw_producer: AIOKafkaProducer, topic: str
) -> None:
    await produce(raw_producer, topic, [{"n": i} for i in range(5)])
    heaviest = {"value": [{"path": "n", "in": list(range(100, 200))}] * 20}
    client = caller(EVERYTHING)
    body = await client.post(PAGE, {"t": topic, "f": heaviest})
    assert body["data"]["messages"] == {"messages": [], "hasMore": False}
    cost = body["extensions"]["cost"]
    # The page 1 + 20 x Message 1; the filter over 10,000 records: reading them 200, its 20
    # conditions 200, its 2,000 `in` values 100 (docs/limits.md#filters).
    assert cost["requestedQueryCost"] == 21 + 500
    # Five records passed over: a part of a point, one point; and the empty page 1.
    assert cost["actualQueryCost"] == 1 + 1
    assert cost["throttleStatus"]["currentlyAvailable"] == 2000 - 2
    # What matches is delivered, priced the same.
    matching = {"value": [{"path": "n", "in": [1, 3]}]}
    body = await client.post(PAGE, {"t": topic, "f": matching})
    assert [m["offset"] for m in body["data"]["messages"]["messages"]] == [1, 3]
    assert body["extensions"]["cost"]["requestedQueryCost"] == 21 + 200 + 10 + 1
    assert body["extensions"]["cost"]["actualQueryCost"] == 1 + 2 + 1


async def test_a_filtered_subscription_pays_its_filter_when_it_opens(
    caller: Callable[[str], GraphQLClient], gateway: RunningGateway, topic: str
) -> None:
    client = caller(EVERYTHING)
    heavy = {"value": [{"path": "n", "in": list(range(100))}] * 20}
    async with client.subscribe(STREAM, {"t": topic, "f": heavy}):
        await gateway.kafka.live.wait_until(lambda: gateway.kafka.live.subscriber_count(topic) == 1)
        budget = (await client.data("{ rateLimit { remaining } }"))["rateLimit"]["remaining"]
    # Opening 10 + its filter over 10,000 records of the live feed: 20 conditions 200, 2,000
    # `in` values 100. Not given back when the stream ends.
    assert budget == 2000 - 310


# ------------------------------------------------------ point 4: value paths, checked at admission

BAD_PATHS = {
    "superscript two": "items.\u00b2",
    "superscripts": "items.\u00b9\u00b2.sku",
    "Arabic-Indic": "items.\u0661",
    "fullwidth": "items.\uff11",
    "Devanagari": "items.\u0967",
    "10^5000": "items.1" + "0" * 5000,
    "ten digits": "items.1000000000",
    "negative": "items.-1",
    "signed": "items.+1",
    "empty segment": "items..sku",
    "trailing dot": "items.",
    "empty": "",
}


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_bad_value_path_is_refused_and_no_subscriber_loses_a_record(
    caller: Callable[[str], GraphQLClient],
    gateway: RunningGateway,
    raw_producer: AIOKafkaProducer,
    topic: str,
    monkeypatch: pytest.MonkeyPatch,
    protocol: str,
) -> None:
    plain = caller(EVERYTHING)
    # A filter with a good index path, on the same feed.
    second = {"value": [{"path": "items.1.sku", "eq": "b"}]}
    async with (
        plain.subscribe(STREAM, {"t": topic}, protocol=TRANSPORT_WS) as everything,
        caller(EVERYTHING).subscribe(STREAM, {"t": topic, "f": second}, protocol=protocol) as bs,
    ):
        await gateway.kafka.live.wait_until(lambda: gateway.kafka.live.subscriber_count(topic) == 2)
        calls = record_kafka_calls(gateway, monkeypatch)
        hostile = caller(EVERYTHING)
        produced = 0
        for path in BAD_PATHS.values():
            given = {"value": [{"path": path, "exists": True}]}
            variables = {"t": topic, "f": given}
            answer = await stream_refused(hostile, STREAM, variables, protocol)
            assert answer == bad_input("filter", "value", 0, "path"), path
            assert await refused(hostile, PAGE, variables) == bad_input(
                "filter", "value", 0, "path"
            )
            # Records arrive while the hostile caller tries: the feed goes on.
            values = [{"items": [{"sku": "a"}, {"sku": "b" if produced % 2 else "c"}]}]
            await produce(raw_producer, topic, values)
            produced += 1
        assert calls == []
        received = await everything.take(produced)
        assert [m["offset"] for m in received] == list(range(produced))
        matching = await bs.take(produced // 2)
        assert [m["offset"] for m in matching] == list(range(1, produced, 2))


async def test_a_good_index_path_reads_list_items(
    caller: Callable[[str], GraphQLClient], raw_producer: AIOKafkaProducer, topic: str
) -> None:
    await produce(
        raw_producer,
        topic,
        [{"items": ["a", "b"]}, {"items": {"1": "b"}}, {"items": ["b"]}, {"items": "ab"}],
    )
    page = await caller(EVERYTHING).data(
        PAGE, {"t": topic, "f": {"value": [{"path": "items.1", "eq": "b"}]}}
    )
    # An index reads a list's item, or an object's field of that name.
    assert [m["offset"] for m in page["messages"]["messages"]] == [0, 1]


# ---------------------------------------------------------- point 7: arguments are guarded

GENERIC_GUARDS = {
    "keyPrefix": (KEYS, {"keyPrefix": "k-"}, ("filter", "keyPrefix")),
    "key": (KEYS, {"key": "k-1"}, ("filter", "key")),
    "headers": (HEADERS, {"headers": [{"key": "vip", "value": "yes"}]}, ("filter", "headers", 0)),
    "value": (VALUES, {"value": [{"path": "n", "gte": 3}]}, ("filter", "value", 0)),
}


@pytest.mark.parametrize(
    ("scope", "given", "path"), GENERIC_GUARDS.values(), ids=GENERIC_GUARDS.keys()
)
async def test_a_filter_on_a_field_the_caller_may_not_select_is_forbidden(
    caller: Callable[[str], GraphQLClient],
    kafka_calls: list[str],
    gateway: RunningGateway,
    raw_producer: AIOKafkaProducer,
    topic: str,
    scope: str,
    given: dict[str, Any],
    path: tuple[str, ...],
) -> None:
    await produce(raw_producer, topic, [{"n": i} for i in range(5)])
    hostile = caller(without(scope))
    # It selects only what it may (offsets): the filter alone would tell it about the field.
    variables = {"t": topic, "f": given}
    assert await refused(hostile, PAGE, variables) == forbidden(*path)
    for protocol in PROTOCOLS:
        offsets = STREAM.replace("offset key", "offset")
        assert await stream_refused(hostile, offsets, variables, protocol) == forbidden(*path)
    assert kafka_calls == []
    assert gateway.kafka.live.feed_count(topic) == 0
    # A caller with the scope runs the same filter; and the refused caller's other reads work.
    allowed = await caller(EVERYTHING).data(PAGE, variables)
    assert allowed["messages"]["hasMore"] is False
    plain = await hostile.data(PAGE, {"t": topic})
    assert [m["offset"] for m in plain["messages"]["messages"]] == [0, 1, 2, 3, 4]


TYPED_GUARDS = {
    "guarded field": (
        "orders:customer orders:pii",
        {"customer": {"name": {"eq": "Ada"}}},
        ("where", "customer"),
    ),
    "nested in a list": (
        "orders:counts",
        {"items": {"some": {"sku": {"eq": "TEA-1"}, "count": {"gt": 2}}}},
        ("where", "items", "some", "count"),
    ),
    "inside or and not": (
        "orders:customer orders:pii",
        {"or": [{"id": {"eq": "o-1"}}, {"not": {"customer": {"name": {"exists": True}}}}]},
        ("where", "or", 1, "not", "customer"),
    ),
    "the key": (KEYS, {"key": {"startsWith": "k-"}}, ("where", "key")),
    "the value": (VALUES, {"id": {"eq": "o-1"}}, ("where", "id")),
}


@pytest.mark.parametrize(
    ("scopes", "where", "path"), TYPED_GUARDS.values(), ids=TYPED_GUARDS.keys()
)
async def test_a_typed_where_on_a_field_the_caller_may_not_select_is_forbidden(
    caller: Callable[[str], GraphQLClient],
    kafka_calls: list[str],
    gateway: RunningGateway,
    scopes: str,
    where: dict[str, Any],
    path: tuple[str | int, ...],
) -> None:
    hostile = caller(without(*scopes.split()))
    offsets = "query($w: OrderWhere) { orders(where: $w) { edges { node { offset } } } }"
    assert await refused(hostile, offsets, {"w": where}) == forbidden(*path)
    stream = "subscription($w: OrderWhere) { orders(where: $w) { offset } }"
    for protocol in PROTOCOLS:
        assert await stream_refused(hostile, stream, {"w": where}, protocol) == forbidden(*path)
    assert kafka_calls == []
    assert gateway.kafka.live.feed_count(ORDERS) == 0
    assert "orders" in await caller(EVERYTHING).data(offsets, {"w": where})


async def test_a_masked_field_is_filtered_as_the_caller_sees_it(
    caller: Callable[[str], GraphQLClient], raw_producer: AIOKafkaProducer
) -> None:
    email = unique_email()
    await produce(raw_producer, ORDERS, [order(email, id=email)])
    by_email = {"id": {"eq": email}, "customer": {"email": {"eq": email}}}
    no_email = {"id": {"eq": email}, "customer": {"email": {"exists": False}}}
    generic = """query($t: String!, $f: MessageFilter) { messages(topic: $t, filter: $f) {
        messages { value } } }"""
    generic_by_email = {"value": [{"path": "customer.email", "eq": email}]}
    support = caller(without("orders:pii"))
    pii = caller(EVERYTHING)
    # Without orders:pii the email is null: a filter on it is no oracle.
    assert (await support.data(TYPED_PAGE, {"w": by_email}))["orders"]["edges"] == []
    (edge,) = (await support.data(TYPED_PAGE, {"w": no_email}))["orders"]["edges"]
    assert edge["node"]["value"]["id"] == email
    found = await support.data(generic, {"t": ORDERS, "f": generic_by_email})
    assert found["messages"]["messages"] == []
    # With it, the record is found by its email, and has one.
    (edge,) = (await pii.data(TYPED_PAGE, {"w": by_email}))["orders"]["edges"]
    assert edge["node"]["value"]["id"] == email
    assert (await pii.data(TYPED_PAGE, {"w": no_email}))["orders"]["edges"] == []
    (message,) = (await pii.data(generic, {"t": ORDERS, "f": generic_by_email}))["messages"][
        "messages"
    ]
    assert message["value"]["customer"]["email"] == email


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_forbidden_filters_leave_another_caller_s_stream_whole(
    caller: Callable[[str], GraphQLClient],
    gateway: RunningGateway,
    raw_producer: AIOKafkaProducer,
    protocol: str,
) -> None:
    watcher = caller(EVERYTHING)
    marker = uuid.uuid4().hex[:8]
    stream = """subscription($w: OrderWhere) { orders(where: $w) { value { id } } }"""
    watched = {"id": {"startsWith": marker}}
    async with watcher.subscribe(stream, {"w": watched}, protocol=protocol) as other:
        await gateway.kafka.live.wait_until(
            lambda: gateway.kafka.live.subscriber_count(ORDERS) >= 1
        )
        hostile = caller(without("orders:customer", "orders:pii", KEYS))
        ids = []
        for i, (_, where, path) in enumerate(TYPED_GUARDS.values()):
            if path[1] not in ("customer", "or", "key"):
                continue
            answer = await stream_refused(hostile, TYPED_STREAM, {"w": where}, protocol)
            assert answer == forbidden(*path)
            ids.append(f"{marker}-{i}")
            await produce(raw_producer, ORDERS, [order(unique_email(), id=ids[-1])])
        received = [m["value"]["id"] for m in await other.take(len(ids), "orders")]
    assert received == ids


def graphql_literal(value: Any) -> str:
    """A plain value as a GraphQL literal (the filter written in the document)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {graphql_literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(graphql_literal(v) for v in value) + "]"
    return json.dumps(value)
