"""The demo that `make run` serves, checked the way the README's tour uses it: the demo
configuration loads (its registry subject seeded in the real registry, its development key made
under .dev/ as `make run` makes it), its published SDL is the one served, and the tour's
operations work on the real broker with the development token `make run` prints."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from kafka_graphql.cli import schema_sdl
from kafka_graphql.dev.demo_registry import seed
from kafka_graphql.dev.dev_token import DEV_SCOPES
from kafka_graphql.dev.tokens import ensure_dev_key, mint_token
from kafka_graphql.settings import Settings, load_settings
from tests.clients import LEGACY_WS, TRANSPORT_WS, GraphQLClient, RestClient
from tests.integration.conftest import RunningGateway, run_gateway

ROOT = Path(__file__).parents[2]
DEMO_CONFIG = ROOT / "kafka-graphql.demo.toml"
DEMO_SDL = ROOT / "docs" / "demo-schema.graphql"


@pytest.fixture(scope="module")
def demo_settings(bootstrap: str) -> Settings:
    registry = os.environ.get("KAFKA_GRAPHQL_SCHEMA_REGISTRY_URL")
    if not registry:
        pytest.fail("KAFKA_GRAPHQL_SCHEMA_REGISTRY_URL is not set: run the tests with `make test`")
    environ = {"KAFKA_BOOTSTRAP_SERVERS": bootstrap, "KAFKA_GRAPHQL_SCHEMA_REGISTRY_URL": registry}
    ensure_dev_key(ROOT / ".dev")
    settings = load_settings(DEMO_CONFIG, environ)
    report = seed(settings, DEMO_CONFIG.parent)
    # Registered now, or by an earlier run against the same registry; never a missing subject.
    assert len(report) == 1 and report[0].startswith("shop.payments-value: "), report
    assert "missing" not in report[0]
    # Seeding again leaves the existing subject alone.
    assert seed(settings, DEMO_CONFIG.parent) == [
        "shop.payments-value: already registered, left as it is"
    ]
    return settings


@pytest_asyncio.fixture(scope="module")
async def demo(demo_settings: Settings) -> AsyncIterator[RunningGateway]:
    async with run_gateway(demo_settings) as running:
        yield running


@pytest.fixture
def tour(
    demo: RunningGateway, demo_settings: Settings, http: aiohttp.ClientSession
) -> GraphQLClient:
    """A client with the token `make run` prints (dev/banner.py)."""
    auth = demo_settings.auth
    assert auth is not None, "the demo runs with authentication on"
    token = mint_token(
        ensure_dev_key(ROOT / ".dev"),
        subject="tour",
        scopes=DEV_SCOPES,
        ttl_s=3600,
        issuer=auth.issuer,
        audience=auth.audience,
    )
    return GraphQLClient(http, demo.url, token)


async def test_the_demo_wants_a_token(tour: GraphQLClient) -> None:
    refused = await tour.with_token(None).raw("{ topics { name } }")
    assert (refused.status, refused.headers["WWW-Authenticate"]) == (401, "Bearer")
    topics = {t["name"] for t in (await tour.data("{ topics { name } }"))["topics"]}
    assert {"shop.orders", "shop.shipments", "shop.payments", "demo.events"} <= topics


async def test_the_published_demo_sdl_is_the_one_served(demo_settings: Settings) -> None:
    """docs/demo-schema.graphql is what frontend teams read; regenerate it with
    `make registry-up && .venv/bin/kafka-graphql schema --config kafka-graphql.demo.toml
    > docs/demo-schema.graphql` (after `python -m kafka_graphql.dev.demo_registry --config ...`)."""
    assert DEMO_SDL.read_text() == await schema_sdl(demo_settings) + "\n"


def order(number: str, status: str, total: float, **extra: Any) -> dict[str, Any]:
    return {
        "id": number,
        "placedAt": "2026-11-26T09:30:00Z",
        "status": status,
        "total": total,
        "currency": "EUR",
        "customer": {"id": "c-7", "name": "Ada Lovelace", "email": "ada@example.com"},
        "items": [{"sku": "TEA-042", "name": "Earl Grey", "quantity": 2, "unitPrice": total / 2}],
        **extra,
    }


PRODUCE_ORDER = """
mutation($key: String!, $value: OrderInput!) {
  produceOrder(key: $key, value: $value) { partition offset }
}"""


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_the_paid_orders_subscription_gets_the_big_order_only(
    tour: GraphQLClient, protocol: str
) -> None:
    run = uuid.uuid4().hex[:8]
    # The tour's filter, narrowed to this run's orders (the demo topics outlive a test run).
    # Replaying from a moment before the first write makes the test independent of when the
    # subscription's live feed attaches (graphql-ws has no "subscribed" acknowledgement).
    query = """
    subscription($prefix: String!, $since: DateTime!) {
      orders(fromTimestamp: $since,
             where: {status: {eq: PAID}, total: {gt: 100}, id: {startsWith: $prefix}}) {
        key value { id total currency customer { name } items { sku quantity } }
      }
    }"""
    since = (datetime.now(UTC) - timedelta(seconds=5)).isoformat()
    variables = {"prefix": f"o-{run}-", "since": since}
    async with tour.subscribe(query, variables, protocol) as stream:
        small = order(f"o-{run}-small", "PAID", 5)
        big = order(f"o-{run}-big", "PAID", 250)
        unpaid = order(f"o-{run}-unpaid", "PLACED", 900)
        for value in (small, big, unpaid):
            await tour.data(PRODUCE_ORDER, {"key": value["id"], "value": value})
        assert await stream.next_message("orders") == {
            "key": big["id"],
            "value": {
                "id": big["id"],
                "total": 250.0,
                "currency": "EUR",
                "customer": {"name": "Ada Lovelace"},
                "items": [{"sku": "TEA-042", "quantity": 2}],
            },
        }
        # A marker that matches proves nothing else was queued in between.
        marker = order(f"o-{run}-marker", "PAID", 101)
        await tour.data(PRODUCE_ORDER, {"key": marker["id"], "value": marker})
        assert (await stream.next_message("orders"))["key"] == marker["id"]


async def test_a_bad_order_is_refused_with_its_path(tour: GraphQLClient) -> None:
    bad = order(f"o-{uuid.uuid4().hex[:8]}", "PLACED", 10)
    bad["customer"]["email"] = "not-an-email"
    body = await tour.post(PRODUCE_ORDER, {"key": bad["id"], "value": bad})
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["path"] == ["customer", "email"]
    page = await tour.data(
        "query($id: String!) { orders(first: 100, where: {id: {eq: $id}}) { edges { cursor } } }",
        {"id": bad["id"]},
    )
    assert page["orders"]["edges"] == []


async def test_history_pages_and_the_end_cursor_resumes_the_subscription(
    tour: GraphQLClient,
) -> None:
    run = uuid.uuid4().hex[:8]
    first = order(f"o-{run}-1", "PLACED", 10)
    await tour.data(PRODUCE_ORDER, {"key": first["id"], "value": first})
    where = {"id": {"startsWith": f"o-{run}-"}}
    page = await tour.data(
        """query($where: OrderWhere) { orders(first: 10, where: $where) {
             edges { node { key value { id status total } } }
             pageInfo { endCursor hasNextPage } } }""",
        {"where": where},
    )
    assert [e["node"]["key"] for e in page["orders"]["edges"]] == [first["id"]]
    end = page["orders"]["pageInfo"]["endCursor"]
    async with tour.subscribe(
        """subscription($after: Cursor, $where: OrderWhere) {
             orders(after: $after, where: $where) { key } }""",
        {"after": end, "where": where},
    ) as stream:
        second = order(f"o-{run}-2", "PAID", 20)
        await tour.data(PRODUCE_ORDER, {"key": second["id"], "value": second})
        assert (await stream.next_message("orders"))["key"] == second["id"]


async def test_the_avro_and_registry_topics_round_trip(tour: GraphQLClient) -> None:
    run = uuid.uuid4().hex[:8]
    shipment = {
        "id": f"s-{run}",
        "orderId": f"o-{run}",
        "carrier": "POSTNL",
        "status": "IN_TRANSIT",
        "shippedAt": "2026-11-26T12:00:00Z",
        "weightGrams": 850,
        "destination": {"street": "Dam 1", "city": "Amsterdam", "country": "NL"},
        "tracking": [
            {"at": "2026-11-26T12:00:00Z", "location": "Utrecht", "description": "Sorted"}
        ],
    }
    payment = {
        "id": f"p-{run}",
        "orderId": f"o-{run}",
        "amountCents": 25000,
        "currency": "EUR",
        "method": "CARD",
        "status": "CAPTURED",
        "at": "2026-11-26T09:31:00Z",
        "card": {"brand": "VISA", "last4": "4242"},
    }
    await tour.data(
        """mutation($s: ShipmentInput!, $p: PaymentInput!, $key: String!) {
             produceShipment(key: $key, value: $s) { offset }
             producePayment(key: $key, value: $p) { offset } }""",
        {"s": shipment, "p": payment, "key": f"o-{run}"},
    )
    read = await tour.data(
        """query($s: String!, $p: String!) {
             shipments(where: {id: {eq: $s}, destination: {country: {eq: "NL"}}}) {
               edges { node { key value { id carrier status shippedAt estimatedDelivery
                                          tracking { location } } } } }
             payments(where: {id: {eq: $p}, amountCents: {gte: 10000}}) {
               edges { node { value { id amountCents method card { last4 } }
                              schemaErrors } } } }""",
        {"s": shipment["id"], "p": payment["id"]},
    )
    (shipped,) = read["shipments"]["edges"]
    assert shipped["node"] == {
        "key": f"o-{run}",
        "value": {
            "id": shipment["id"],
            "carrier": "POSTNL",
            "status": "IN_TRANSIT",
            "shippedAt": "2026-11-26T12:00:00.000Z",
            "estimatedDelivery": None,
            "tracking": [{"location": "Utrecht"}],
        },
    }
    (paid,) = read["payments"]["edges"]
    assert paid["node"] == {
        "value": {
            "id": payment["id"],
            "amountCents": 25000,
            "method": "CARD",
            "card": {"last4": "4242"},
        },
        "schemaErrors": [],
    }


async def test_the_free_form_topic_takes_any_json(tour: GraphQLClient) -> None:
    value = {"kind": "page-view", "path": f"/{uuid.uuid4().hex}", "ms": [1, 2.5, None]}
    written = await tour.data(
        'mutation($v: JSON!) { produce(topic: "demo.events", value: $v) { partition offset } }',
        {"v": value},
    )
    at = written["produce"]
    read = await tour.data(
        """query($p: Int!, $o: Long!) { messages(topic: "demo.events", partitions: [$p],
             fromOffset: $o, limit: 1) { messages { value } } }""",
        {"p": at["partition"], "o": at["offset"]},
    )
    assert read["messages"]["messages"] == [{"value": value}]


async def test_the_customer_email_is_masked_without_the_pii_scope(
    tour: GraphQLClient, demo_settings: Settings
) -> None:
    run = uuid.uuid4().hex[:8]
    value = order(f"o-{run}-pii", "PLACED", 10)
    await tour.data(PRODUCE_ORDER, {"key": value["id"], "value": value})
    query = """query($id: String!) { orders(where: {id: {eq: $id}}) {
                 edges { node { value { customer { name email } } } } } }"""

    async def customer(client: GraphQLClient) -> Any:
        (edge,) = (await client.data(query, {"id": value["id"]}))["orders"]["edges"]
        return edge["node"]["value"]["customer"]

    # The development token has no shop:pii: the email reads as null, the rest as written.
    assert await customer(tour) == {"name": "Ada Lovelace", "email": None}
    auth = demo_settings.auth
    assert auth is not None
    pii = mint_token(
        ensure_dev_key(ROOT / ".dev"),
        subject="support",
        scopes=("kafka:read:*", "shop:pii"),
        ttl_s=600,
        issuer=auth.issuer,
        audience=auth.audience,
    )
    assert await customer(tour.with_token(pii)) == {
        "name": "Ada Lovelace",
        "email": "ada@example.com",
    }


async def test_the_rest_tour(demo: RunningGateway, tour: GraphQLClient) -> None:
    """README's REST lines: the seed's request with the development token, then a JSON order to
    the typed topic, validated against its schema as GraphQL's are."""
    rest = RestClient.of(tour.session, demo.url, tour.token)
    seed = {"records": [{"value": {"foo": "bar"}}]}
    refused = await rest.with_token(None).post("/topics/demo.events", seed)
    assert (refused.status, refused.json()["error_code"]) == (401, 40101)
    (written,) = await rest.produce("demo.events", seed["records"])
    assert written["partition"] == 0 and written["error_code"] is None
    good = order(f"o-{uuid.uuid4().hex[:8]}", "PLACED", 10)
    (placed,) = await rest.produce("shop.orders", [{"key": good["id"], "value": good}])
    assert placed["offset"] >= 0
    bad = {**good, "customer": {**good["customer"], "email": "not-an-email"}}
    refused = await rest.post("/topics/shop.orders", {"records": [{"value": bad}]})
    assert (refused.status, refused.json()["error_code"]) == (422, 42206)
    assert "customer.email" in refused.json()["message"]
    # The development token has no kafka:admin: the brokers are not its to list.
    brokers = await rest.get("/brokers")
    assert (brokers.status, brokers.json()["error_code"]) == (403, 40301)
