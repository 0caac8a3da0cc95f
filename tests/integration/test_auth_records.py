"""Record-level rules by header, on the real gateway with real tokens: two tenants on one topic
see only their own records (subscriptions on both subprotocols, history pages, typed
connections, a page's cursor into a subscription), the gateway stamps the header on every write
and refuses a forged one, and a caller without the claim sees and writes nothing."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiokafka import AIOKafkaProducer

from kafka_graphql.http.state import CURSORS
from tests.clients import LEGACY_WS, TRANSPORT_WS, GraphQLClient
from tests.integration.auth import (  # noqa: F401 (a fixture)
    ADMIN,
    auth_settings,
    create_topic,
    end_offsets,
    key_files_fixture,
)
from tests.integration.conftest import RunningGateway, run_gateway
from tests.integration.helpers import PRODUCE, PRODUCE_BATCH, SUBSCRIBE, history
from tests.integration.records import READ_WRITE, nothing_more, raw_records
from tests.integration.typed import SCHEMAS
from tests.tokens import claims, rsa_pair

RSA = rsa_pair()
RUN = uuid.uuid4().hex[:8]
ORDERS_TOPIC = f"test-records-orders-{RUN}"
RULE = {"header": "tenant", "claim": "tenant"}
PROTOCOLS = [TRANSPORT_WS, LEGACY_WS]

ORDERS = """
query($first: Int, $after: Cursor, $where: OrderWhere) {
  orders(first: $first, after: $after, where: $where) {
    edges { node { partition offset headers { key value } value { id } } }
    pageInfo { hasNextPage endCursor }
  }
}"""
ORDERS_STREAM = """
subscription($after: Cursor, $where: OrderWhere) {
  orders(after: $after, where: $where) { partition offset headers { key value } value { id } }
}"""
PRODUCE_ORDER = """
mutation($v: OrderInput!, $headers: [HeaderInput!]) {
  produceOrder(value: $v, headers: $headers) { offset }
}"""
PRODUCE_ORDERS = """
mutation($messages: [OrderMessageInput!]!) { produceOrders(messages: $messages) { offset } }"""


def order(order_id: str) -> dict[str, Any]:
    return {
        "id": order_id,
        "placedAt": "2026-11-26T09:30:00Z",
        "status": "PLACED",
        "customer": {"name": "Ada"},
        "items": [],
        "quantity": 1,
    }


@pytest_asyncio.fixture(scope="module")
async def gateway(bootstrap: str, key_files: tuple[Path, Path]) -> AsyncIterator[RunningGateway]:
    topics: list[dict[str, Any]] = [
        {
            "name": ORDERS_TOPIC,
            "partitions": 2,
            "type": "Order",
            "value_schema": str(SCHEMAS / "order.schema.json"),
            "records": RULE,
        },
        {"name": "test-tenants-*", "records": RULE},
        {"name": "test-*"},
    ]
    async with run_gateway(auth_settings(bootstrap, key_files[0], topics=topics)) as running:
        yield running


@pytest.fixture
def caller(gateway: RunningGateway, http: aiohttp.ClientSession) -> Any:
    """A client whose token carries `tenant` (none: no such claim) and `scope`."""

    def client(tenant: str | None, scope: str = READ_WRITE) -> GraphQLClient:
        return GraphQLClient(http, gateway.url, RSA.sign(claims(scope=scope, tenant=tenant)))

    return client


async def new_topic(admin: Any, partitions: int = 1) -> str:
    name = f"test-tenants-{uuid.uuid4().hex[:12]}"
    await create_topic(admin, name, partitions)
    return name


async def joined(gateway: RunningGateway, topic: str, count: int) -> None:
    live = gateway.kafka.live
    await asyncio.wait_for(live.wait_until(lambda: live.subscriber_count(topic) == count), 30)


def tenant_headers(message: dict[str, Any]) -> list[str]:
    return [h["value"] for h in message["headers"] if h["key"] == "tenant"]


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_two_tenants_subscribed_to_one_topic_see_only_their_own(
    caller: Any,
    gateway: RunningGateway,
    admin: Any,
    raw_producer: AIOKafkaProducer,
    bootstrap: str,
    protocol: str,
) -> None:
    topic = await new_topic(admin)
    acme, globex, operator = caller("acme"), caller("globex"), caller(None, ADMIN)
    streams = [
        client.subscribe(SUBSCRIBE, {"topic": topic}, protocol)
        for client in (acme, globex, operator)
    ]
    async with streams[0] as to_acme, streams[1] as to_globex, streams[2] as to_operator:
        await joined(gateway, topic, 3)
        # Interleaved writes, one by one and in batches, from both tenants; also records
        # written past the gateway: without the header, with a header each, with both.
        for n in range(6):
            await acme.data(PRODUCE, {"topic": topic, "value": {"a": n}})
            await globex.data(PRODUCE, {"topic": topic, "value": {"g": n}})
        await acme.data(PRODUCE_BATCH, {"topic": topic, "messages": [{"value": {"a": 6}}] * 2})
        await raw_producer.send_and_wait(topic, b'{"raw": "no header"}')
        await raw_producer.send_and_wait(topic, b'{"raw": "acme"}', headers=[("tenant", b"acme")])
        both = [("tenant", b"acme"), ("tenant", b"globex")]
        await raw_producer.send_and_wait(topic, b'{"raw": "both"}', headers=both)
        await globex.data(PRODUCE_BATCH, {"topic": topic, "messages": [{"value": {"g": 6}}]})
        # Last, from each: on one partition, anything of the other's would come before it.
        await acme.data(PRODUCE, {"topic": topic, "value": "end"})
        await globex.data(PRODUCE, {"topic": topic, "value": "end"})

        acme_seen = await to_acme.take(10)
        globex_seen = await to_globex.take(8)
        operator_seen = await to_operator.take(20)
        if protocol == TRANSPORT_WS:
            await nothing_more(to_acme)
            await nothing_more(to_globex)
    acme_values = [*({"a": n} for n in range(7)), {"a": 6}, {"raw": "acme"}, "end"]
    assert [m["value"] for m in acme_seen] == acme_values
    assert [m["value"] for m in globex_seen] == [*({"g": n} for n in range(7)), "end"]
    assert all(tenant_headers(m) == ["acme"] for m in acme_seen)
    assert all(tenant_headers(m) == ["globex"] for m in globex_seen)
    # kafka:admin is not bound by the rule: it sees every record, in the topic's order.
    assert [m["offset"] for m in operator_seen] == list(range(20))
    assert len(await raw_records(bootstrap, topic)) == 20


async def write_interleaved(topic: str, writers: dict[str, GraphQLClient], numbers: range) -> None:
    """Each writer writes {"n": n, "by": its tenant} for each n, taking turns."""
    for n in numbers:
        for tenant, client in writers.items():
            await client.data(PRODUCE, {"topic": topic, "value": {"n": n, "by": tenant}})


def by_partition(messages: list[dict[str, Any]]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    for m in messages:
        found.setdefault(m["partition"], []).append(m["offset"])
    return found


async def test_history_pages_hold_only_own_records(
    caller: Any,
    gateway: RunningGateway,
    admin: Any,
    raw_producer: AIOKafkaProducer,
    bootstrap: str,
) -> None:
    topic = await new_topic(admin, partitions=3)
    acme, globex = caller("acme"), caller("globex")
    await write_interleaved(topic, {"acme": acme, "globex": globex}, range(12))
    await raw_producer.send_and_wait(topic, b'{"n": 99, "by": "nobody"}', partition=1)
    seen: list[dict[str, Any]] = []
    after = None
    while True:
        page = await history(acme, topic, limit=5, after=after)
        assert len(page["messages"]) <= 5
        seen += page["messages"]
        after = page["nextCursor"]
        if not page["hasMore"]:
            break
    assert sorted(m["value"]["n"] for m in seen) == list(range(12))
    assert {m["value"]["by"] for m in seen} == {"acme"}
    assert all(tenant_headers(m) == ["acme"] for m in seen)
    for offsets in by_partition(seen).values():
        assert offsets == sorted(offsets)
    # The last cursor is past every record of the topic, the other tenant's included, as for
    # a page with a filter: paging on from it reads nothing twice.
    assert gateway.app[CURSORS].open(after, topic) == await end_offsets(bootstrap, topic, 3)
    again = await history(acme, topic, after=after)
    assert (again["messages"], again["hasMore"]) == ([], False)
    # The client's filter is ANDed with the rule.
    filtered = await history(acme, topic, limit=50, filter={"value": [{"path": "n", "gte": 6}]})
    assert sorted(m["value"]["n"] for m in filtered["messages"]) == list(range(6, 12))
    assert {m["value"]["by"] for m in filtered["messages"]} == {"acme"}
    everything = await history(caller(None, ADMIN), topic, limit=50)
    assert len(everything["messages"]) == 25


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_pages_cursor_into_the_subscription_while_both_tenants_write(
    caller: Any, admin: Any, protocol: str
) -> None:
    topic = await new_topic(admin, partitions=3)
    acme, globex = caller("acme"), caller("globex")
    writers = {"acme": acme, "globex": globex}
    await write_interleaved(topic, writers, range(10))
    page = await history(acme, topic, limit=4)
    assert len(page["messages"]) == 4 and page["hasMore"]
    paged = {m["value"]["n"] for m in page["messages"]}
    async with acme.subscribe(
        SUBSCRIBE, {"topic": topic, "after": page["nextCursor"]}, protocol
    ) as stream:
        writing = asyncio.create_task(write_interleaved(topic, writers, range(10, 20)))
        streamed = await stream.take(16)
        await writing
        if protocol == TRANSPORT_WS:
            await nothing_more(stream)
    numbers = [m["value"]["n"] for m in streamed]
    assert {m["value"]["by"] for m in streamed} == {"acme"}
    assert len(numbers) == len(set(numbers)), "a duplicate"
    assert not paged & set(numbers), "a record of the page again"
    assert paged | set(numbers) == set(range(20)), "a gap"


def typed_orders(prefix: str, tenant: str, numbers: range) -> list[dict[str, Any]]:
    return [{"value": order(f"{prefix}-{tenant}-{n}")} for n in numbers]


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_typed_connection_and_subscription_of_two_tenants(caller: Any, protocol: str) -> None:
    # One typed topic for the module: each test keeps to its own orders with `where`, which the
    # rule is ANDed with.
    prefix = uuid.uuid4().hex[:8]
    where = {"id": {"startsWith": f"{prefix}-"}}
    acme, globex = caller("acme"), caller("globex")

    async def write(numbers: range) -> None:
        for n in numbers:
            await acme.data(PRODUCE_ORDER, {"v": order(f"{prefix}-acme-{n}")})
            await globex.data(
                PRODUCE_ORDERS, {"messages": typed_orders(prefix, "globex", range(n, n + 1))}
            )

    await write(range(8))
    edges: list[dict[str, Any]] = []
    after = None
    # Two pages, then the second page's endCursor goes to a subscription.
    for _ in range(2):
        result = (await acme.data(ORDERS, {"first": 3, "after": after, "where": where}))["orders"]
        assert result["pageInfo"]["hasNextPage"]
        edges += result["edges"]
        after = result["pageInfo"]["endCursor"]
    nodes = [e["node"] for e in edges]
    assert len(nodes) == 6
    assert {n["value"]["id"] for n in nodes} < {f"{prefix}-acme-{n}" for n in range(8)}
    assert all(tenant_headers(n) == ["acme"] for n in nodes)
    async with acme.subscribe(ORDERS_STREAM, {"after": after, "where": where}, protocol) as stream:
        writing = asyncio.create_task(write(range(8, 14)))
        streamed = await stream.take(8, "orders")
        await writing
        if protocol == TRANSPORT_WS:
            await nothing_more(stream)
    ids = [m["value"]["id"] for m in streamed]
    assert all(tenant_headers(m) == ["acme"] for m in streamed)
    assert len(ids) == len(set(ids)), "a duplicate"
    paged = {n["value"]["id"] for n in nodes}
    assert not paged & set(ids)
    assert paged | set(ids) == {f"{prefix}-acme-{n}" for n in range(14)}, "a gap"
    glob = await globex.data(ORDERS, {"first": 50, "where": where})
    assert sorted(e["node"]["value"]["id"] for e in glob["orders"]["edges"]) == sorted(
        f"{prefix}-globex-{n}" for n in range(14)
    )


async def test_the_gateway_stamps_the_header_on_every_write(
    caller: Any, admin: Any, bootstrap: str
) -> None:
    topic = await new_topic(admin)
    acme = caller("acme")
    trace = {"key": "trace", "value": "t-1"}
    own = {"key": "tenant", "value": "acme"}
    await acme.data(PRODUCE, {"topic": topic, "value": 1})
    await acme.data(PRODUCE, {"topic": topic, "value": 2, "headers": [trace]})
    # Its own tenant, given by the client (twice, even): written once.
    await acme.data(PRODUCE, {"topic": topic, "value": 3, "headers": [own, trace, own]})
    messages = [{"value": 4}, {"value": 5, "headers": [trace, own]}]
    await acme.data(PRODUCE_BATCH, {"topic": topic, "messages": messages})
    stamp = ("tenant", b"acme")
    assert [(r.value, r.headers) for r in await raw_records(bootstrap, topic)] == [
        (1, [stamp]),
        (2, [("trace", b"t-1"), stamp]),
        (3, [("trace", b"t-1"), stamp]),
        (4, [stamp]),
        (5, [("trace", b"t-1"), stamp]),
    ]
    # The typed mutations too.
    before = await raw_records(bootstrap, ORDERS_TOPIC, 2)
    prefix = uuid.uuid4().hex[:8]
    await acme.data(PRODUCE_ORDER, {"v": order(f"{prefix}-1"), "headers": [trace]})
    await acme.data(PRODUCE_ORDERS, {"messages": typed_orders(prefix, "acme", range(2))})
    written = [r for r in await raw_records(bootstrap, ORDERS_TOPIC, 2) if r not in before]
    assert sorted((r.value["id"], r.headers) for r in written) == [
        (f"{prefix}-1", [("trace", b"t-1"), stamp]),
        (f"{prefix}-acme-0", [stamp]),
        (f"{prefix}-acme-1", [stamp]),
    ]


FORBIDDEN_HEADER = (
    "header 'tenant' is set by the gateway from the token's 'tenant' claim; "
    "it may not be set to anything else"
)


async def refused(client: GraphQLClient, query: str, variables: dict[str, Any]) -> list[Any]:
    body = await client.post(query, variables)
    assert body["data"] is None, body
    return [(e["extensions"]["code"], e["message"]) for e in body["errors"]]


async def test_a_forged_tenant_header_is_refused_and_nothing_is_written(
    caller: Any, admin: Any, bootstrap: str
) -> None:
    topic = await new_topic(admin)
    acme = caller("acme")
    forged = {"key": "tenant", "value": "globex"}
    no_value = {"key": "tenant", "value": None}
    assert await refused(acme, PRODUCE, {"topic": topic, "value": 1, "headers": [forged]}) == [
        ("FORBIDDEN", FORBIDDEN_HEADER)
    ]
    assert await refused(acme, PRODUCE, {"topic": topic, "value": 1, "headers": [no_value]}) == [
        ("FORBIDDEN", FORBIDDEN_HEADER)
    ]
    # One forged message refuses the whole batch.
    batch = [{"value": 1}, {"value": 2, "headers": [{"key": "tenant", "value": "acme"}, forged]}]
    assert await refused(acme, PRODUCE_BATCH, {"topic": topic, "messages": batch}) == [
        ("FORBIDDEN", f"messages[1]: {FORBIDDEN_HEADER}")
    ]
    prefix = uuid.uuid4().hex[:8]
    before = await end_offsets(bootstrap, ORDERS_TOPIC, 2)
    typed_one = {"v": order(f"{prefix}-1"), "headers": [forged]}
    assert await refused(acme, PRODUCE_ORDER, typed_one) == [("FORBIDDEN", FORBIDDEN_HEADER)]
    typed_batch = [
        *typed_orders(prefix, "acme", range(2)),
        {**typed_orders(prefix, "x", range(1))[0], "headers": [forged]},
    ]
    assert await refused(acme, PRODUCE_ORDERS, {"messages": typed_batch}) == [
        ("FORBIDDEN", f"messages[2]: {FORBIDDEN_HEADER}")
    ]
    # Nothing reached Kafka, as a plain consumer sees it.
    assert await end_offsets(bootstrap, topic) == {0: 0}
    assert await end_offsets(bootstrap, ORDERS_TOPIC, 2) == before


async def test_a_caller_without_the_claim_sees_and_writes_nothing(
    caller: Any, gateway: RunningGateway, admin: Any, bootstrap: str
) -> None:
    topic = await new_topic(admin)
    acme, nobody = caller("acme"), caller(None)
    refusal = (
        "FORBIDDEN",
        f"no permission to write to topic {topic!r}: its records belong to the 'tenant' "
        "claim, which the token does not carry",
    )
    assert await refused(nobody, PRODUCE, {"topic": topic, "value": 1}) == [refusal]
    batch = {"topic": topic, "messages": [{"value": 1}]}
    assert await refused(nobody, PRODUCE_BATCH, batch) == [
        (refusal[0], f"messages[0]: {refusal[1]}")
    ]
    typed_refusal = refusal[1].replace(repr(topic), repr(ORDERS_TOPIC))
    assert await refused(nobody, PRODUCE_ORDER, {"v": order("x")}) == [("FORBIDDEN", typed_refusal)]
    assert await end_offsets(bootstrap, topic) == {0: 0}
    # An empty claim is no claim.
    empty = caller("")
    assert await refused(empty, PRODUCE, {"topic": topic, "value": 1}) == [refusal]
    unseen_stream = nobody.subscribe(SUBSCRIBE, {"topic": topic})
    async with unseen_stream as unseen, acme.subscribe(SUBSCRIBE, {"topic": topic}) as seen:
        await joined(gateway, topic, 2)
        own = [{"key": "tenant", "value": "acme"}]
        await acme.data(PRODUCE, {"topic": topic, "value": 1, "headers": own})
        await caller(None, ADMIN).data(PRODUCE, {"topic": topic, "value": 2})
        await acme.data(PRODUCE, {"topic": topic, "value": 3})
        assert [m["value"] for m in await seen.take(2)] == [1, 3]
        # Offered the same records by the same feed, it got none of them.
        await nothing_more(unseen)
    for client in (nobody, empty):
        page = await history(client, topic)
        assert (page["messages"], page["hasMore"]) == ([], False)
    orders = await nobody.data(ORDERS, {"first": 10})
    assert orders["orders"]["edges"] == []


async def test_kafka_admin_is_not_bound_by_the_rule(
    caller: Any, admin: Any, bootstrap: str
) -> None:
    topic = await new_topic(admin)
    operator, acme, globex = caller("acme", ADMIN), caller("acme"), caller("globex")
    # Written as given: no header stamped (its own claim included), none refused.
    await operator.data(PRODUCE, {"topic": topic, "value": 1})
    forged = [{"key": "tenant", "value": "globex"}]
    await operator.data(PRODUCE, {"topic": topic, "value": 2, "headers": forged})
    assert [(r.value, r.headers) for r in await raw_records(bootstrap, topic)] == [
        (1, []),
        (2, [("tenant", b"globex")]),
    ]
    assert [m["value"] for m in (await history(operator, topic))["messages"]] == [1, 2]
    assert [m["value"] for m in (await history(globex, topic))["messages"]] == [2]
    assert (await history(acme, topic))["messages"] == []
