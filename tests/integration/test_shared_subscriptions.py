"""Shared subscription execution (kafka_graphql/graphql/shared/) against the normal path, which
stays the reference: for a corpus of selections, on both subprotocols, a gateway with
`server.shared_subscriptions` on writes byte for byte the frames one with it off writes (only
the subscription id differs between members), and executes each record once for a group.

The corpus: aliases, named and inline fragments, `__typename`, `@include`/`@skip` with
variables, nested values of a typed JSON Schema topic (and one that does not match its schema),
masked fields for a caller without their scopes, a guarded field for a caller with its scope,
and a record rule (each tenant sees its own records)."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiokafka import AIOKafkaProducer

from kafka_graphql.graphql.view import VIEW
from tests.clients import LEGACY_WS, TRANSPORT_WS
from tests.integration.auth import auth_settings, key_files_fixture  # noqa: F401 (a fixture)
from tests.integration.conftest import RunningGateway, run_gateway
from tests.integration.typed import SCHEMAS
from tests.tokens import claims, rsa_pair

RSA = rsa_pair()
RUN = uuid.uuid4().hex[:8]
ORDERS = f"test-shared-orders-{RUN}"
TENANTS = f"test-shared-tenants-{RUN}"
READ = "kafka:read:test-* kafka:write:test-*"
PII = f"{READ} orders:pii orders:quantity orders:counts kafka:headers"
SUPPORT = f"{READ} orders:customer"
ORDER_RULES = {
    "field_scopes": {"Order.customer": ["orders:customer", "orders:pii"]},
    "mask": {"OrderCustomer.email": "orders:pii", "Order.quantity": "orders:quantity"},
}
GENERIC_RULES = {"field_scopes": {"Message.headers": ["kafka:headers"]}}
RULE = {"header": "tenant", "claim": "tenant"}

GENERIC = """
subscription($t: String!) {
  messages(topic: $t) { topic partition offset key value cursor timestamp skipped }
}"""
SHAPED = """
subscription Shaped($t: String!) {
  m: messages(topic: $t) { __typename ...Where o: offset ... on Message { k: key } }
}
fragment Where on Message { partition value at: timestamp }"""
DIRECTIVES = """
subscription($t: String!, $withCursor: Boolean!, $noValue: Boolean!) {
  messages(topic: $t) {
    offset cursor @include(if: $withCursor) value @skip(if: $noValue)
    headers @include(if: $withCursor) { key value }
  }
}"""
TYPED = """
subscription {
  orders {
    __typename partition offset cursor schemaErrors
    value { id status quantity customer { name email } items { sku } ...More }
  }
}
fragment More on Order { tags note }"""
TENANT_STREAM = """
subscription($t: String!, $filter: MessageFilter) {
  messages(topic: $t, filter: $filter) { offset key value headers { key value } }
}"""


def order(order_id: str, **changes: Any) -> bytes:
    value = {
        "id": order_id,
        "placedAt": "2026-11-26T09:30:00Z",
        "status": "PLACED",
        "customer": {"name": "Ada", "email": "ada@example.com"},
        "items": [{"sku": "ABC-1", "count": 2}],
        "quantity": 3,
        "tags": ["a", None],
        **changes,
    }
    return json.dumps(value).encode()


@pytest_asyncio.fixture(scope="module")
async def gateways(
    bootstrap: str, key_files: tuple[Path, Path]
) -> AsyncIterator[tuple[RunningGateway, RunningGateway]]:
    """The gateway under test (shared execution on) and the reference (off)."""
    topics: list[dict[str, Any]] = [
        {
            "name": ORDERS,
            "partitions": 2,
            "type": "Order",
            "value_schema": str(SCHEMAS / "order.schema.json"),
            **ORDER_RULES,
        },
        {"name": TENANTS, "partitions": 1, "records": RULE},
        {"name": "test-*"},
    ]
    shared = auth_settings(bootstrap, key_files[0], auth=GENERIC_RULES, topics=topics)
    normal = shared.model_copy(
        update={"server": shared.server.model_copy(update={"shared_subscriptions": False})}
    )
    async with run_gateway(shared) as fast, run_gateway(normal) as reference:
        yield fast, reference


class RawSubscription:
    """One subscription on its own socket; frames kept as the text the server wrote."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, protocol: str) -> None:
        self.ws = ws
        self.protocol = protocol

    async def frames(self, count: int) -> list[str]:
        received: list[str] = []
        while len(received) < count:
            message = await self.ws.receive(timeout=30)
            assert message.type == aiohttp.WSMsgType.TEXT, message
            kind = json.loads(message.data)["type"]
            assert kind in ("next", "data", "ka", "ping", "pong"), message.data
            if kind in ("next", "data"):
                received.append(message.data)
        return received


async def subscribe(
    http: aiohttp.ClientSession,
    gateway: RunningGateway,
    protocol: str,
    token: str,
    sub_id: str,
    query: str,
    variables: dict[str, Any],
) -> RawSubscription:
    ws = await http.ws_connect(gateway.url, protocols=[protocol])
    await ws.send_json({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
    ack = await ws.receive_json(timeout=30)
    assert ack["type"] == "connection_ack", ack
    start = "subscribe" if protocol == TRANSPORT_WS else "start"
    await ws.send_json(
        {"id": sub_id, "type": start, "payload": {"query": query, "variables": variables}}
    )
    return RawSubscription(ws, protocol)


def with_id(frame: str, old: str, new: str) -> str:
    """`frame` with another subscription id (written the way the encoder writes it)."""
    spliced = re.sub(rf'"id":( ?)"{old}"', rf'"id":\1"{new}"', frame, count=1)
    assert spliced != frame
    return spliced


async def live(gateway: RunningGateway, topic: str, count: int) -> None:
    hub = gateway.kafka.live
    await asyncio.wait_for(hub.wait_until(lambda: hub.subscriber_count(topic) == count), 30)


CASES: list[tuple[str, str, str, dict[str, Any], str]] = [
    # (name, topic, query, variables, scopes)
    ("generic envelope", ORDERS, GENERIC, {"t": ORDERS}, PII),
    ("aliases, fragments, __typename", ORDERS, SHAPED, {"t": ORDERS}, PII),
    ("directives on", ORDERS, DIRECTIVES, {"t": ORDERS, "withCursor": True, "noValue": False}, PII),
    (
        "directives off",
        ORDERS,
        DIRECTIVES,
        {"t": ORDERS, "withCursor": False, "noValue": True},
        PII,
    ),
    ("typed, every field seen", ORDERS, TYPED, {}, PII),
    ("typed, masked fields", ORDERS, TYPED, {}, SUPPORT),
    ("generic value, masked fields", ORDERS, GENERIC, {"t": ORDERS}, SUPPORT),
]


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
@pytest.mark.parametrize(("name", "topic", "query", "variables", "scopes"), CASES)
async def test_the_shared_path_writes_the_bytes_of_the_normal_path(
    gateways: tuple[RunningGateway, RunningGateway],
    http: aiohttp.ClientSession,
    raw_producer: AIOKafkaProducer,
    protocol: str,
    name: str,
    topic: str,
    query: str,
    variables: dict[str, Any],
    scopes: str,
) -> None:
    fast, reference = gateways
    token = RSA.sign(claims(scope=scopes))
    first = await subscribe(http, fast, protocol, token, "a", query, variables)
    second = await subscribe(http, fast, protocol, token, "sub-2", query, variables)
    normal = await subscribe(http, reference, protocol, token, "a", query, variables)
    try:
        await live(fast, topic, 2)
        await live(reference, topic, 1)
        groups = fast.app[VIEW].shared_groups
        assert groups is not None and len(groups) == 1
        records = [
            (order(f"o-{name}-1"), b"k1", [("h", b"v")]),
            (order(f"o-{name}-2", note="n", quantity=0), None, []),
            (json.dumps({"id": 1}).encode(), b"k3", []),  # does not match the schema
            (b"not json \xff", b"k4", [("h", None)]),
        ]
        # One partition: the order of records across partitions, and so the cursors, depend on
        # how each gateway's fetches interleave them.
        for value, key, headers in records:
            await raw_producer.send_and_wait(topic, value, key=key, headers=headers, partition=0)
        expected = await normal.frames(len(records))
        got = await first.frames(len(records))
        assert got == expected
        spliced = [with_id(f, "a", "sub-2") for f in expected]
        assert await second.frames(len(records)) == spliced
        # Once per record for both members.
        assert groups.executions == len(records)
    finally:
        for subscription in (first, second, normal):
            await subscription.ws.close()


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_callers_with_other_claims_never_share(
    gateways: tuple[RunningGateway, RunningGateway],
    http: aiohttp.ClientSession,
    raw_producer: AIOKafkaProducer,
    protocol: str,
) -> None:
    """Two tenants under a record rule, with the same document: one group each, and each
    sees its own records, as on the normal path."""
    fast, reference = gateways
    tokens = {t: RSA.sign(claims(scope=PII, tenant=t)) for t in ("a", "b")}
    variables = {"t": TENANTS}
    streams = {
        (t, gateway_name, n): await subscribe(
            http, gateway, protocol, token, f"s{n}", TENANT_STREAM, variables
        )
        for t, token in tokens.items()
        for gateway_name, gateway, copies in (("fast", fast, 2), ("normal", reference, 1))
        for n in range(copies)
    }
    try:
        await live(fast, TENANTS, 4)
        await live(reference, TENANTS, 2)
        groups = fast.app[VIEW].shared_groups
        assert groups is not None and len(groups) == 2
        for n, tenant in enumerate(["a", "b", "a", "b", "b"]):
            value = json.dumps({"n": n, "tenant": tenant}).encode()
            await raw_producer.send_and_wait(TENANTS, value, headers=[("tenant", tenant.encode())])
        for tenant, count in (("a", 2), ("b", 3)):
            expected = await streams[(tenant, "normal", 0)].frames(count)
            values = [json.loads(f)["payload"]["data"]["messages"]["value"] for f in expected]
            assert [v["tenant"] for v in values] == [tenant] * count
            assert await streams[(tenant, "fast", 0)].frames(count) == expected
            spliced = [with_id(f, "s0", "s1") for f in expected]
            assert await streams[(tenant, "fast", 1)].frames(count) == spliced
        assert groups.executions == 5
    finally:
        for stream in streams.values():
            await stream.ws.close()
