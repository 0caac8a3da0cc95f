"""Authorization by topic scopes, on the real gateway. A topic the caller may not read is
invisible: every read of it answers byte for byte as the same topic did before it existed.
Writing without the write scope answers FORBIDDEN and writes nothing."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from tests.clients import GraphQLClient, RawResponse, without_request_ids
from tests.integration.auth import (  # noqa: F401 (a fixture)
    ADMIN,
    auth_settings,
    create_topic,
    end_offsets,
    key_files_fixture,
)
from tests.integration.conftest import RunningGateway, run_gateway
from tests.integration.helpers import PRODUCE, PRODUCE_BATCH, SUBSCRIBE, history
from tests.integration.typed import SCHEMAS
from tests.tokens import claims, rsa_pair

RSA = rsa_pair()
RUN = uuid.uuid4().hex[:8]
# Read by nobody but an admin (test-b-*), and created only by the test.
HIDDEN_ORDERS = f"test-b-orders-{RUN}"
# Readable by the reader (test-a-*), created at start-up.
READ_ONLY_PURCHASES = f"test-a-purchases-{RUN}"
READER = "kafka:read:test-a-*"
VALID_ORDER = {
    "id": "o-1",
    "placedAt": "2026-11-26T09:30:00Z",
    "status": "PLACED",
    "customer": {"name": "Ada"},
    "items": [{"sku": "TEA-1", "count": 1}],
    "quantity": 1,
}

MESSAGES = "query($t: String!) { messages(topic: $t) { messages { value } hasMore } }"
TOPIC = "query($t: String!) { topic(name: $t) { name partitions { id latestOffset } } }"
TOPICS = "{ topics { name } }"
ORDERS = "{ orders(first: 5) { edges { node { offset } } pageInfo { endCursor } } }"
ORDERS_STREAM = "subscription { orders { offset } }"
PRODUCE_ORDER = "mutation($v: OrderInput!) { produceOrder(value: $v) { offset } }"
PRODUCE_PURCHASE = "mutation($v: PurchaseInput!) { producePurchase(value: $v) { offset } }"


@pytest_asyncio.fixture(scope="module")
async def gateway(bootstrap: str, key_files: tuple[Path, Path]) -> AsyncIterator[RunningGateway]:
    schema = str(SCHEMAS / "order.schema.json")
    topics: list[dict[str, Any]] = [
        {"name": HIDDEN_ORDERS, "type": "Order", "value_schema": schema},
        {
            "name": READ_ONLY_PURCHASES,
            "partitions": 1,
            "type": "Purchase",
            "value_schema": schema,
        },
        {"name": "test-scoped-*", "read_scopes": ["team:read"], "write_scopes": ["team:write"]},
        {"name": "test-*"},
    ]
    async with run_gateway(auth_settings(bootstrap, key_files[0], topics=topics)) as running:
        yield running


@pytest.fixture
def as_scopes(gateway: RunningGateway, http: aiohttp.ClientSession) -> Any:
    def client(scope: str, sub: str = "alice") -> GraphQLClient:
        return GraphQLClient(http, gateway.url, RSA.sign(claims(scope=scope, sub=sub)))

    return client


async def first_stream_event(client: GraphQLClient, query: str, **variables: Any) -> Any:
    async with client.subscribe(query, variables) as stream:
        return await stream.next_event()


async def reads(client: GraphQLClient, topic: str) -> list[RawResponse | Any]:
    """Every way of reading `topic`, answered."""
    return [
        await client.raw(MESSAGES, {"t": topic}),
        await client.raw(TOPIC, {"t": topic}),
        await client.raw(PRODUCE, {"topic": topic, "value": 1}),
        await first_stream_event(client, SUBSCRIBE, topic=topic),
    ]


def unnamed(answer: RawResponse | Any) -> tuple[int, bytes] | Any:
    """An answer as compared byte for byte: its request's id (in the body's errors as in the
    header, and in a subscription's refusal) is the one thing that differs between requests."""
    if isinstance(answer, RawResponse):
        return answer.status, answer.body.replace(answer.headers["X-Request-ID"].encode(), b"id")
    return {**answer, "payload": without_request_ids(answer["payload"])}


def own_reader(as_scopes: Any) -> GraphQLClient:
    """A reader with a subject of its own: the bytes compared carry the caller's budget
    (`extensions.cost`), which the admin's reads between them would otherwise change."""
    reader: GraphQLClient = as_scopes(READER, sub=f"reader-{uuid.uuid4().hex[:8]}")
    return reader


async def test_an_unreadable_topic_answers_like_a_missing_one(
    as_scopes: Any, admin: AIOKafkaAdminClient, raw_producer: AIOKafkaProducer
) -> None:
    reader, admin_client = own_reader(as_scopes), as_scopes(ADMIN)
    topic = f"test-b-{uuid.uuid4().hex[:12]}"
    missing = await reads(reader, topic)
    assert missing[0].json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert missing[1].json()["data"] == {"topic": None}
    await create_topic(admin, topic)
    await raw_producer.send_and_wait(topic, b'{"secret": true}')
    # It exists now, and whoever may read it sees it.
    assert [m["value"] for m in (await history(admin_client, topic))["messages"]] == [
        {"secret": True}
    ]
    assert topic in [t["name"] for t in (await admin_client.data(TOPICS))["topics"]]
    hidden = await reads(reader, topic)
    for before, after in zip(missing, hidden, strict=True):
        assert unnamed(after) == unnamed(before)
    assert topic not in [t["name"] for t in (await reader.data(TOPICS))["topics"]]


async def test_an_unreadable_typed_topic_answers_like_a_missing_one(
    as_scopes: Any, admin: AIOKafkaAdminClient, raw_producer: AIOKafkaProducer
) -> None:
    reader, admin_client = own_reader(as_scopes), as_scopes(ADMIN)

    async def typed_reads() -> list[Any]:
        return [
            await reader.raw(ORDERS),
            await reader.raw(MESSAGES, {"t": HIDDEN_ORDERS}),
            await reader.raw(PRODUCE_ORDER, {"v": VALID_ORDER}),
            await first_stream_event(reader, ORDERS_STREAM),
        ]

    missing = await typed_reads()
    assert missing[0].json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    await create_topic(admin, HIDDEN_ORDERS)
    await raw_producer.send_and_wait(HIDDEN_ORDERS, b'{"id": "o-0"}')
    assert len((await admin_client.data(ORDERS))["orders"]["edges"]) == 1
    hidden = await typed_reads()
    for before, after in zip(missing, hidden, strict=True):
        assert unnamed(after) == unnamed(before)


def refusal(response: RawResponse) -> tuple[int, list[tuple[str, str]]]:
    body = response.json()
    assert body["data"] is None
    return response.status, [(e["extensions"]["code"], e["message"]) for e in body["errors"]]


async def test_writing_without_the_write_scope(
    as_scopes: Any, admin: AIOKafkaAdminClient, bootstrap: str
) -> None:
    reader, writer = as_scopes(READER), as_scopes(f"{READER} kafka:write:test-a-*")
    topic = f"test-a-{uuid.uuid4().hex[:12]}"
    await create_topic(admin, topic)
    forbidden = (200, [("FORBIDDEN", f"no permission to write to topic {topic!r}")])
    assert refusal(await reader.raw(PRODUCE, {"topic": topic, "value": {"n": 1}})) == forbidden
    batch = {"topic": topic, "messages": [{"value": {"n": 2}}, {"value": {"n": 3}}]}
    assert refusal(await reader.raw(PRODUCE_BATCH, batch)) == forbidden
    typed_forbidden = (
        200,
        [("FORBIDDEN", f"no permission to write to topic {READ_ONLY_PURCHASES!r}")],
    )
    assert refusal(await reader.raw(PRODUCE_PURCHASE, {"v": VALID_ORDER})) == typed_forbidden
    # Permission comes first: a caller who may not write learns nothing from the schema check.
    too_many = {**VALID_ORDER, "quantity": 5000}
    assert refusal(await reader.raw(PRODUCE_PURCHASE, {"v": too_many})) == typed_forbidden
    # Nothing reached Kafka, as a plain Kafka consumer sees it...
    assert await end_offsets(bootstrap, topic) == {0: 0}
    assert await end_offsets(bootstrap, READ_ONLY_PURCHASES) == {0: 0}
    # ... which does see the same writes made with the scope.
    await writer.data(PRODUCE, {"topic": topic, "value": {"n": 1}})
    await writer.data(PRODUCE_PURCHASE, {"v": VALID_ORDER})
    assert await end_offsets(bootstrap, topic) == {0: 1}
    assert await end_offsets(bootstrap, READ_ONLY_PURCHASES) == {0: 1}


async def test_topic_scopes_replace_the_convention(
    as_scopes: Any, admin: AIOKafkaAdminClient
) -> None:
    topic = f"test-scoped-{uuid.uuid4().hex[:12]}"
    await create_topic(admin, topic)
    everything = as_scopes("kafka:read:* kafka:write:*")
    team_reader, team_writer = as_scopes("team:read"), as_scopes("team:write")
    team, admin_client = as_scopes("team:read team:write"), as_scopes(ADMIN)
    # The convention's scopes no longer open this topic: it is invisible to them.
    assert await everything.error_codes(MESSAGES, {"t": topic}) == ["NOT_FOUND"]
    assert await everything.error_codes(PRODUCE, {"topic": topic, "value": 0}) == ["NOT_FOUND"]
    assert await team_reader.error_codes(PRODUCE, {"topic": topic, "value": 0}) == ["FORBIDDEN"]
    # Write-only: it may write what it may not read.
    await team_writer.data(PRODUCE, {"topic": topic, "value": 1})
    assert await team_writer.error_codes(MESSAGES, {"t": topic}) == ["NOT_FOUND"]
    await team.data(PRODUCE, {"topic": topic, "value": 2})
    await admin_client.data(PRODUCE, {"topic": topic, "value": 3})
    for client in (team_reader, team, admin_client):
        assert [m["value"] for m in (await history(client, topic))["messages"]] == [1, 2, 3]


async def test_topics_lists_what_the_caller_may_read(
    as_scopes: Any, admin: AIOKafkaAdminClient
) -> None:
    visible, hidden = f"test-a-{uuid.uuid4().hex[:12]}", f"test-b-{uuid.uuid4().hex[:12]}"
    for name in (visible, hidden):
        await create_topic(admin, name)
        # A read of a topic the gateway does not know yet refreshes its topic list.
        await history(as_scopes(ADMIN), name)

    async def names(scope: str) -> set[str]:
        return {t["name"] for t in (await as_scopes(scope).data(TOPICS))["topics"]}

    assert visible in await names(READER)
    assert hidden not in await names(READER)
    assert await names("kafka:read:nothing-*") == set()
    assert {visible, hidden} <= await names(ADMIN)
