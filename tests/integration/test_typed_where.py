"""`where` on a typed topic through the API (query and subscription) against a brute-force
evaluation of the same records. The operators' fine print is unit-tested in tests/unit/typed."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiokafka.admin import AIOKafkaAdminClient

from tests.clients import LEGACY_WS, TRANSPORT_WS, GraphQLClient
from tests.integration.conftest import RunningGateway
from tests.integration.typed import create_topic, typed_gateway

PRODUCE_ORDERS = """
mutation($messages: [OrderMessageInput!]!) { produceOrders(messages: $messages) { offset } }"""

ORDERS = """
query($where: OrderWhere) {
  orders(first: 100, where: $where) { edges { node { key value { id } } } pageInfo { hasNextPage } }
}"""

SUBSCRIBE = """
subscription($where: OrderWhere) { orders(fromOffset: 0, where: $where) { offset value { id } } }"""

STATUSES = ["PLACED", "PAID", "SHIPPED"]


def dataset() -> list[dict[str, Any]]:
    values = []
    for n in range(12):
        value: dict[str, Any] = {
            "id": f"o-{n}",
            "placedAt": f"2026-11-{10 + n:02d}T08:00:00Z",
            "status": STATUSES[n % 3],
            "quantity": n,
            "customer": {"name": ["Ada", "Bob", "Cy"][n % 3]},
            "items": [{"sku": f"ABC-{n + i}", "count": i + 1} for i in range(n % 4)],
        }
        if n % 2 == 0:
            value["customer"]["email"] = f"c{n}@example.com"
        if n % 5 != 0:
            value["amount"] = n * 1.5
        if n % 3 == 1:
            value["tags"] = ["gift"] if n % 2 else []
        values.append({"key": f"k{n}", "value": value})
    return values


Check = Callable[[str, dict[str, Any]], bool]
# (where, the same condition in plain Python over (key, value)).
CASES: list[tuple[dict[str, Any], Check]] = [
    ({"status": {"eq": "PAID"}}, lambda k, v: v["status"] == "PAID"),
    ({"status": {"ne": "PAID"}}, lambda k, v: v["status"] != "PAID"),
    ({"status": {"in": ["PAID", "SHIPPED"]}}, lambda k, v: v["status"] in ("PAID", "SHIPPED")),
    ({"status": {"notIn": ["PLACED"]}}, lambda k, v: v["status"] != "PLACED"),
    ({"quantity": {"gt": 4, "lte": 9}}, lambda k, v: 4 < v["quantity"] <= 9),
    ({"quantity": {"gte": 10}}, lambda k, v: v["quantity"] >= 10),
    ({"quantity": {"lt": 2}}, lambda k, v: v["quantity"] < 2),
    ({"amount": {"exists": False}}, lambda k, v: "amount" not in v),
    ({"amount": {"gt": 10.0}}, lambda k, v: v.get("amount", 0) > 10.0),
    (
        {"placedAt": {"gte": "2026-11-15T00:00:00Z", "lt": "2026-11-18T00:00:00Z"}},
        lambda k, v: "2026-11-15" <= v["placedAt"][:10] < "2026-11-18",
    ),
    ({"customer": {"name": {"startsWith": "A"}}}, lambda k, v: v["customer"]["name"] == "Ada"),
    ({"customer": {"email": {"endsWith": "4@example.com"}}}, lambda k, v: v["id"] == "o-4"),
    (
        {"customer": {"email": {"contains": "1"}}},
        lambda k, v: "1" in v["customer"].get("email", ""),
    ),
    ({"key": {"eq": "k7"}}, lambda k, v: k == "k7"),
    (
        {"items": {"some": {"count": {"eq": 3}}}},
        lambda k, v: any(i["count"] == 3 for i in v["items"]),
    ),
    (
        {"items": {"every": {"count": {"lt": 2}}}},
        lambda k, v: all(i["count"] < 2 for i in v["items"]),
    ),
    (
        {"items": {"none": {"sku": {"eq": "ABC-5"}}}},
        lambda k, v: all(i["sku"] != "ABC-5" for i in v["items"]),
    ),
    ({"items": {"isEmpty": True}}, lambda k, v: v["items"] == []),
    ({"tags": {"some": {"eq": "gift"}}}, lambda k, v: "gift" in v.get("tags", [])),
    ({"tags": {"isEmpty": False}}, lambda k, v: bool(v.get("tags"))),
    (
        {"and": [{"status": {"eq": "PLACED"}}, {"quantity": {"gt": 3}}]},
        lambda k, v: v["status"] == "PLACED" and v["quantity"] > 3,
    ),
    (
        {"or": [{"status": {"eq": "PAID"}}, {"customer": {"name": {"eq": "Cy"}}}]},
        lambda k, v: v["status"] == "PAID" or v["customer"]["name"] == "Cy",
    ),
    ({"not": {"quantity": {"in": [1, 2, 3]}}}, lambda k, v: v["quantity"] not in (1, 2, 3)),
    (
        {
            "or": [
                {"not": {"status": {"eq": "PAID"}}, "quantity": {"lt": 6}},
                {"key": {"in": ["k11"]}},
            ]
        },
        lambda k, v: (v["status"] != "PAID" and v["quantity"] < 6) or k == "k11",
    ),
]


@pytest_asyncio.fixture(scope="module")
async def filtered(admin: AIOKafkaAdminClient, bootstrap: str) -> AsyncIterator[RunningGateway]:
    topic = await create_topic(admin, partitions=2)
    rule = {"name": topic, "type": "Order", "value_schema": "order.schema.json"}
    async with typed_gateway(bootstrap, [rule]) as running:
        yield running


@pytest_asyncio.fixture(scope="module")
async def written(filtered: RunningGateway, http: aiohttp.ClientSession) -> list[dict[str, Any]]:
    records = dataset()
    await GraphQLClient(http, filtered.url).data(PRODUCE_ORDERS, {"messages": records})
    return records


@pytest.mark.parametrize(("where", "check"), CASES)
async def test_where_in_the_query_matches_brute_force(
    filtered: RunningGateway,
    http: aiohttp.ClientSession,
    written: list[dict[str, Any]],
    where: dict[str, Any],
    check: Check,
) -> None:
    expected = {r["value"]["id"] for r in written if check(r["key"], r["value"])}
    data = await GraphQLClient(http, filtered.url).data(ORDERS, {"where": where})
    got = [e["node"]["value"]["id"] for e in data["orders"]["edges"]]
    assert len(got) == len(set(got))
    assert set(got) == expected
    assert not data["orders"]["pageInfo"]["hasNextPage"]


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_where_in_the_subscription_matches_brute_force(
    filtered: RunningGateway,
    http: aiohttp.ClientSession,
    written: list[dict[str, Any]],
    protocol: str,
) -> None:
    client = GraphQLClient(http, filtered.url)
    where, check = CASES[-1]
    expected = [r["value"]["id"] for r in written if check(r["key"], r["value"])]
    # Written after the replay: the same filter holds on the live part.
    late_id = f"o-late-{protocol}"
    late = {"key": "k99", "value": {**written[11]["value"], "id": late_id, "quantity": 1}}
    async with client.subscribe(SUBSCRIBE, {"where": where}, protocol) as sub:
        replayed = await sub.take(len(expected), "orders")
        more = [{**written[10]}, late]
        await client.data(PRODUCE_ORDERS, {"messages": more})
        # The topic is shared by the module's tests: later replays include these.
        written += more
        live = await sub.next_message("orders")
    assert sorted(m["value"]["id"] for m in replayed) == sorted(expected)
    assert live["value"]["id"] == late_id
