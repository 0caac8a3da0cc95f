"""Sealed cursors against a caller who reads them, edits them, forges them and carries them to
other topics; and cursors that keep working across replicas, restarts and key rotation.

Every place the API makes or reads a cursor is covered: history pages (`nextCursor`, each
message's `cursor`), typed connections (edge cursors, `startCursor`, `endCursor`) and
subscriptions (`after`, each message's `cursor`), on both WebSocket subprotocols."""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiokafka.admin import AIOKafkaAdminClient

from kafka_graphql.core.cursor import INVALID, KEY_BYTES, CursorSealer
from kafka_graphql.core.cursor_keys import new_cursor_key
from kafka_graphql.http.state import CURSORS
from kafka_graphql.settings import settings_from_mapping
from tests.clients import LEGACY_WS, TRANSPORT_WS, GraphQLClient
from tests.integration.conftest import RunningGateway, TopicFactory, run_gateway
from tests.integration.helpers import HISTORY, SUBSCRIBE, history, ids, produce_batch
from tests.integration.typed import create_topic, typed_gateway

ORDERS = """
query($first: Int, $after: Cursor) {
  orders(first: $first, after: $after) {
    edges { cursor node { partition offset value { id } } }
    pageInfo { hasNextPage startCursor endCursor }
  }
}"""
ORDERS_STREAM = "subscription($after: Cursor) { orders(after: $after) { offset cursor } }"
PRODUCE_ORDERS = """
mutation($messages: [OrderMessageInput!]!) { produceOrders(messages: $messages) { offset } }"""
KEYS_ENV = "KAFKA_GRAPHQL_TEST_CURSOR_KEYS"


def opened(cursor: str) -> bytes:
    return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))


def assert_reveals_nothing(cursor: str, topic: str, offsets: list[int]) -> None:
    data = opened(cursor)
    assert topic.encode() not in data
    with pytest.raises(ValueError):  # noqa: PT011 (any decoding error: it is not JSON)
        json.loads(data)
    for offset in offsets:
        if offset > 9:  # a short number turns up in random bytes by chance
            assert str(offset).encode() not in data
        assert offset.to_bytes(8, "big") not in data


def forged(topic: str, positions: dict[int, int]) -> str:
    """The cursor of the unsealed format the gateway used to accept: base64 JSON."""
    body = {"v": 1, "t": topic, "p": {str(p): o for p, o in positions.items()}}
    raw = json.dumps(body, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def hostile_variants(cursor: str, topic: str, other_cursor: str) -> dict[str, str]:
    """Everything a caller can make from a cursor of `topic`, none of which may open there."""
    middle = len(cursor) // 2
    flipped = "A" if cursor[middle] != "A" else "B"
    return {
        "a character changed": cursor[:middle] + flipped + cursor[middle + 1 :],
        "the last character changed": cursor[:-1] + ("A" if cursor[-1] != "A" else "Q"),
        "truncated by 4": cursor[:-4],
        "truncated to half": cursor[:middle],
        "extended": cursor + "AAAA",
        "another key": CursorSealer([os.urandom(KEY_BYTES)]).seal(topic, {0: 0}),
        "another topic": other_cursor,
        "forged, unsealed": forged(topic, {0: 0, 1: 0, 2: 0}),
        "random bytes": base64.urlsafe_b64encode(os.urandom(40)).decode().rstrip("="),
        "empty": "",
        "not base64": "!!!not*a*cursor",
    }


def assert_refused(errors: list[dict[str, Any]], hidden: str, cursor: str) -> None:
    (error,) = errors
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    assert hidden not in error["message"]
    # The Cursor scalar may refuse what is not base64url (kafka_graphql/graphql/schema/scalars.py)
    # with its own words; what reaches the cursor itself is refused with the one message.
    if cursor and all(c.isascii() and (c.isalnum() or c in "-_") for c in cursor):
        assert error["message"] == INVALID, error


@pytest_asyncio.fixture(scope="module")
async def topics(admin: AIOKafkaAdminClient) -> AsyncIterator[tuple[str, str]]:
    """A topic of 3 partitions with 9 records, and another one ("payroll") with 2."""
    first = await create_topic(admin, partitions=3, prefix="test-cursors")
    second = await create_topic(admin, partitions=1, prefix="test-payroll")
    yield first, second


async def fill(client: GraphQLClient, topic: str, count: int, partitions: int) -> None:
    messages = [{"value": {"n": n}, "partition": n % partitions} for n in range(count)]
    await produce_batch(client, topic, messages)


async def test_a_history_pages_cursors_reveal_nothing_and_resume_exactly(
    client: GraphQLClient, new_topic: TopicFactory
) -> None:
    topic = await new_topic(partitions=3)
    await fill(client, topic, 30, 3)
    page = await history(client, topic, limit=10)
    every = await history(client, topic, limit=100)
    offsets = [m["offset"] for m in every["messages"]]
    for cursor in [page["nextCursor"], *(m["cursor"] for m in page["messages"])]:
        assert_reveals_nothing(cursor, topic, offsets)
    # Same-sized offsets or not, every cursor of this topic has the same length.
    assert len({len(m["cursor"]) for m in every["messages"]}) == 1
    following = await history(client, topic, limit=100, after=page["nextCursor"])
    assert ids(page["messages"]) + ids(following["messages"]) == ids(every["messages"])
    # A message's cursor resumes right after that message.
    fifth = page["messages"][4]
    after_fifth = await history(client, topic, limit=100, after=fifth["cursor"])
    assert ids(after_fifth["messages"]) == ids(every["messages"])[5:]


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_a_subscriptions_cursors_are_sealed_and_resume_exactly(
    client: GraphQLClient, new_topic: TopicFactory, protocol: str
) -> None:
    topic = await new_topic(partitions=2)
    await fill(client, topic, 6, 2)
    start = (await history(client, topic, limit=2))["nextCursor"]
    async with client.subscribe(SUBSCRIBE, {"topic": topic, "after": start}, protocol) as sub:
        received = await sub.take(4)
    every = (await history(client, topic, limit=100))["messages"]
    # A stream interleaves the partitions as it reads them, a page by timestamp: the same
    # records, each partition in order.
    assert sorted(ids(received)) == sorted(ids(every)[2:])
    for message in received:
        assert_reveals_nothing(message["cursor"], topic, [m["offset"] for m in every])
    async with client.subscribe(
        SUBSCRIBE, {"topic": topic, "after": received[1]["cursor"]}, protocol
    ) as sub:
        assert sorted(ids(await sub.take(2))) == sorted(ids(received[2:]))


async def test_hostile_cursors_on_history_pages_are_bad_user_input(
    client: GraphQLClient,
    http: aiohttp.ClientSession,
    topics: tuple[str, str],
    gateway: RunningGateway,
) -> None:
    topic, payroll = topics
    bystander = GraphQLClient(http, client.url)
    await fill(client, topic, 9, 3)
    await fill(client, payroll, 2, 1)
    first = await history(client, topic, limit=3)
    cursor = first["nextCursor"]
    payroll_cursor = (await history(client, payroll))["nextCursor"]
    # A subscriber of the topic, on its own socket, all along.
    async with bystander.subscribe(SUBSCRIBE, {"topic": topic, "fromOffset": 0}) as watching:
        assert len(await watching.take(9)) == 9
        for name, hostile in hostile_variants(cursor, topic, payroll_cursor).items():
            body = await client.post(HISTORY, {"topic": topic, "after": hostile})
            assert body.get("data") is None, name
            assert_refused(body["errors"], payroll, hostile)
        # A cursor of this topic on the payroll topic tells nothing about either.
        body = await client.post(HISTORY, {"topic": payroll, "after": cursor})
        assert_refused(body["errors"], topic, cursor)
        # The bystander reads on, live and by page, and the intact cursor still works.
        await produce_batch(client, topic, [{"value": "after the attack", "partition": 0}])
        assert (await watching.next_message())["value"] == "after the attack"
    assert len((await history(bystander, topic, after=cursor, limit=100))["messages"]) == 7
    # What it holds: each partition's next offset after the first page.
    expected = {0: 0, 1: 0, 2: 0}
    for message in first["messages"]:
        expected[message["partition"]] = message["offset"] + 1
    assert gateway.app[CURSORS].open(cursor, topic) == expected


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_hostile_cursors_on_subscriptions_are_bad_user_input(
    client: GraphQLClient, new_topic: TopicFactory, protocol: str
) -> None:
    topic, other = await new_topic(), await new_topic()
    await fill(client, topic, 2, 1)
    await fill(client, other, 1, 1)
    cursor = (await history(client, topic, limit=1))["nextCursor"]
    other_cursor = (await history(client, other))["nextCursor"]
    for name, hostile in hostile_variants(cursor, topic, other_cursor).items():
        variables = {"topic": topic, "after": hostile}
        async with client.subscribe(SUBSCRIBE, variables, protocol) as sub:
            event = await sub.next_event()
            assert event["type"] == "error", (name, event)
            errors = event["payload"] if protocol == TRANSPORT_WS else [event["payload"]]
            assert_refused(errors, other, hostile)
    # The intact cursor, right after, on the same client.
    async with client.subscribe(SUBSCRIBE, {"topic": topic, "after": cursor}, protocol) as sub:
        assert (await sub.next_message())["offset"] == 1


@pytest_asyncio.fixture(scope="module")
async def typed(
    admin: AIOKafkaAdminClient, bootstrap: str
) -> AsyncIterator[tuple[RunningGateway, str]]:
    topic = await create_topic(admin, partitions=2)
    rule = {"name": topic, "type": "Order", "value_schema": "order.schema.json"}
    async with typed_gateway(bootstrap, [rule]) as running:
        yield running, topic


def order(n: int) -> dict[str, Any]:
    value = {
        "id": f"o-{n}",
        "placedAt": "2026-11-25T12:00:00Z",
        "status": "PLACED",
        "quantity": 1,
        "customer": {"name": "Ada"},
        "items": [],
    }
    return {"key": f"k{n}", "value": value}


async def test_typed_connection_cursors_are_sealed_and_hostile_ones_refused(
    typed: tuple[RunningGateway, str], http: aiohttp.ClientSession, new_topic: TopicFactory
) -> None:
    running, topic = typed
    client, bystander = GraphQLClient(http, running.url), GraphQLClient(http, running.url)
    await client.data(PRODUCE_ORDERS, {"messages": [order(n) for n in range(8)]})
    first = (await client.data(ORDERS, {"first": 3}))["orders"]
    info = first["pageInfo"]
    assert info["startCursor"] == first["edges"][0]["cursor"]
    everything = (await client.data(ORDERS, {"first": 100}))["orders"]["edges"]
    offsets = [e["node"]["offset"] for e in everything]
    for cursor in [info["startCursor"], info["endCursor"], *(e["cursor"] for e in first["edges"])]:
        assert_reveals_nothing(cursor, topic, offsets)
    rest = (await client.data(ORDERS, {"first": 100, "after": info["endCursor"]}))["orders"]
    seen = [e["node"]["value"]["id"] for e in first["edges"] + rest["edges"]]
    assert sorted(seen) == sorted(e["node"]["value"]["id"] for e in everything)
    assert len(seen) == 8
    # A generic topic's cursor, edits of a typed one, forgeries: refused, the bystander unharmed.
    other = await new_topic()
    await produce_batch(client, other, [{"value": 1}])
    other_cursor = (await history(client, other))["nextCursor"]
    async with bystander.subscribe(ORDERS_STREAM, {"after": info["endCursor"]}) as watching:
        for hostile in hostile_variants(info["endCursor"], topic, other_cursor).values():
            body = await client.post(ORDERS, {"first": 3, "after": hostile})
            assert body.get("data") is None
            assert_refused(body["errors"], other, hostile)
        assert len(await watching.take(5, "orders")) == 5
    # The edge cursors of the typed topic open there, and only there.
    assert running.app[CURSORS].open(info["endCursor"], topic)
    body = await client.post(HISTORY, {"topic": other, "after": info["endCursor"]})
    assert_refused(body["errors"], topic, info["endCursor"])


async def test_a_cursor_opens_on_every_replica_and_restart_that_shares_the_keys(
    client: GraphQLClient,
    http: aiohttp.ClientSession,
    new_topic: TopicFactory,
    bootstrap: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    old, new = new_cursor_key(), new_cursor_key()
    topic = await new_topic(partitions=2)
    await fill(client, topic, 12, 2)

    def settings() -> Any:
        return settings_from_mapping(
            {
                "kafka": {"bootstrap_servers": bootstrap},
                "server": {"shutdown_grace_s": 1, "cursor_keys_env": KEYS_ENV},
                "topics": [{"name": "test-*"}],
            }
        )

    async def page(running: RunningGateway, **arguments: Any) -> dict[str, Any]:
        return await history(GraphQLClient(http, running.url), topic, **arguments)

    async def refused(running: RunningGateway, cursor: str) -> None:
        body = await GraphQLClient(http, running.url).post(
            HISTORY, {"topic": topic, "after": cursor}
        )
        assert_refused(body["errors"], topic, cursor)

    every = ids((await history(client, topic, limit=100))["messages"])
    monkeypatch.setenv(KEYS_ENV, old)
    async with run_gateway(settings()) as a, run_gateway(settings()) as b:
        first = await page(a, limit=4)
        second = await page(b, limit=4, after=first["nextCursor"])  # replica B resumes A's page
        assert ids(first["messages"] + second["messages"]) == every[:8]
        # A message cursor of B, on A.
        assert (
            ids((await page(a, limit=100, after=second["messages"][0]["cursor"]))["messages"])
            == every[5:]
        )
    async with run_gateway(settings()) as restarted:
        third = await page(restarted, limit=100, after=second["nextCursor"])
        assert ids(third["messages"]) == every[8:]
    # Rotation: "new,old" opens old cursors and seals new ones with the new key.
    monkeypatch.setenv(KEYS_ENV, f"{new},{old}")
    async with run_gateway(settings()) as rotated:
        resumed = await page(rotated, limit=4, after=first["nextCursor"])
        assert ids(resumed["messages"]) == every[4:8]
        sealed_new = resumed["nextCursor"]
    monkeypatch.setenv(KEYS_ENV, new)
    async with run_gateway(settings()) as new_only:
        assert ids((await page(new_only, limit=100, after=sealed_new))["messages"]) == every[8:]
        await refused(new_only, first["nextCursor"])  # the old key is gone
    monkeypatch.setenv(KEYS_ENV, old)
    async with run_gateway(settings()) as old_only:
        await refused(old_only, sealed_new)


async def test_without_keys_each_gateway_seals_with_its_own(
    client: GraphQLClient,
    http: aiohttp.ClientSession,
    new_topic: TopicFactory,
    bootstrap: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    topic = await new_topic()
    await fill(client, topic, 2, 1)
    raw = {"kafka": {"bootstrap_servers": bootstrap}, "topics": [{"name": "test-*"}]}
    with caplog.at_level(logging.WARNING, "kafka_graphql"):
        async with (
            run_gateway(settings_from_mapping(raw)) as one,
            run_gateway(settings_from_mapping(raw)) as two,
        ):
            cursor = (await history(GraphQLClient(http, one.url), topic, limit=1))["nextCursor"]
            body = await GraphQLClient(http, two.url).post(
                HISTORY, {"topic": topic, "after": cursor}
            )
            assert_refused(body["errors"], topic, cursor)
            own = await history(GraphQLClient(http, one.url), topic, after=cursor)
            assert [m["value"] for m in own["messages"]] == [{"n": 1}]
    assert "cursors are sealed with a key made for this process" in caplog.text


def test_forgery_helper_matches_the_old_format() -> None:
    """The forged cursors above are what the unsealed gateway would have opened."""
    try:
        body = json.loads(opened(forged("t", {0: 5})))
    except (binascii.Error, ValueError):
        pytest.fail("not base64 JSON")
    assert body == {"v": 1, "t": "t", "p": {"0": 5}}
