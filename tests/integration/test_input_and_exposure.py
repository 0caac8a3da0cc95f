"""Bad input, unexposed topics and payloads that are not JSON: clear errors, nothing lost."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from tests.clients import GraphQLClient
from tests.integration.conftest import RunningGateway, TopicFactory
from tests.integration.helpers import HISTORY, PRODUCE, SUBSCRIBE, history, produce

TOPIC_QUERY = "query($n: String!) { topic(name: $n) { name } topics { name } }"


async def test_unexposed_topics_are_invisible_and_unusable(
    client: GraphQLClient, new_topic: TopicFactory, raw_producer: AIOKafkaProducer, bootstrap: str
) -> None:
    hidden = await new_topic(prefix="hidden")
    await raw_producer.send_and_wait(hidden, b'{"secret": true}')
    data = await client.data(TOPIC_QUERY, {"n": hidden})
    assert data["topic"] is None
    assert hidden not in [t["name"] for t in data["topics"]]
    assert not any(t["name"].startswith("__") for t in data["topics"])
    # Every operation answers exactly as for a topic that does not exist at all.
    for name in (hidden, "test-does-not-exist"):
        assert await client.error_codes(HISTORY, {"topic": name}) == ["NOT_FOUND"]
        assert await client.error_codes(PRODUCE, {"topic": name, "value": 1}) == ["NOT_FOUND"]
        async with client.subscribe(SUBSCRIBE, {"topic": name}) as sub:
            event = await sub.next_event()
            assert event["type"] == "error"
            assert [e["extensions"]["code"] for e in event["payload"]] == ["NOT_FOUND"]
    # Nothing was written through the API: the log still holds only the one raw record.
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        tp = TopicPartition(hidden, 0)
        assert await consumer.end_offsets([tp]) == {tp: 1}
    finally:
        await consumer.stop()


async def test_non_json_payloads_are_delivered_safely(
    client: GraphQLClient,
    gateway: RunningGateway,
    new_topic: TopicFactory,
    raw_producer: AIOKafkaProducer,
) -> None:
    topic = await new_topic()
    binary = bytes([0xFF, 0x00, 0xFE, 0x80])
    payloads: list[tuple[bytes | None, Any]] = [
        (b"plain text, not JSON", "plain text, not JSON"),
        (binary, {"$binary": {"encoding": "base64", "data": base64.b64encode(binary).decode()}}),
        (None, None),
        (b'{"ok": 1}', {"ok": 1}),
    ]
    async with client.subscribe(SUBSCRIBE, {"topic": topic}) as sub:
        live = gateway.kafka.live
        await asyncio.wait_for(live.wait_until(lambda: live.subscriber_count(topic) == 1), 30)
        for raw, _ in payloads:
            await raw_producer.send_and_wait(
                topic, raw, key=b"\xff\xfe", headers=[("bin", b"\xff")]
            )
        streamed = await sub.take(len(payloads))
    page = await history(client, topic)
    for messages in (streamed, page["messages"]):
        assert [m["value"] for m in messages] == [expected for _, expected in payloads]
        # Bytes that aren't UTF-8 in base64, flagged BASE64 by keyEncoding/valueEncoding
        # (tests/integration/test_hostile_records.py has every case and the flags).
        assert messages[0]["key"] == base64.b64encode(b"\xff\xfe").decode()
        assert messages[0]["headers"] == [{"key": "bin", "value": "/w=="}]


# Without headers: a page of the largest size with them costs more than one operation may
# (docs/limits.md#headers), which is refused first.
LIGHT_HISTORY = HISTORY.replace("headers { key value } ", "")
assert LIGHT_HISTORY != HISTORY

BAD_INPUTS: list[tuple[str, str, dict[str, Any]]] = [
    ("negative offset", HISTORY, {"fromOffset": -1}),
    ("offset not a number", HISTORY, {"fromOffset": "ten"}),
    ("offset beyond 64 bits", HISTORY, {"fromOffset": 2**64}),
    ("garbage cursor", HISTORY, {"after": "not-a-cursor"}),
    (
        "two starting points",
        HISTORY,
        {"fromOffset": 0, "after": None, "fromTimestamp": "2020-01-01T00:00:00Z"},
    ),
    ("bad timestamp", HISTORY, {"fromTimestamp": "yesterday"}),
    ("limit zero", HISTORY, {"limit": 0}),
    ("limit above the cap", LIGHT_HISTORY, {"limit": 100_000}),
    ("unknown partition", HISTORY, {"partitions": [7]}),
    ("empty partition list", HISTORY, {"partitions": []}),
    ("empty value path", HISTORY, {"filter": {"value": [{"path": "", "eq": 1}]}}),
    ("predicate without operator", HISTORY, {"filter": {"value": [{"path": "a"}]}}),
    ("wrong variable type", LIGHT_HISTORY, {"limit": "many"}),
    ("produce to a missing partition", PRODUCE, {"value": 1, "partition": 9}),
    ("produce to a negative partition", PRODUCE, {"value": 1, "partition": -1}),
    ("produce without a value", PRODUCE, {}),
    ("lone surrogate in a value", PRODUCE, {"value": {"a": "\ud800"}}),
    ("lone surrogate in a key", PRODUCE, {"value": 1, "key": "\udfff"}),
    ("lone surrogate in a header", PRODUCE, {"value": 1, "headers": [{"key": "\ud800"}]}),
]


@pytest.mark.parametrize(
    ("case", "query", "variables"), BAD_INPUTS, ids=[c for c, _, _ in BAD_INPUTS]
)
async def test_bad_input_is_answered_with_bad_user_input(
    client: GraphQLClient,
    new_topic: TopicFactory,
    case: str,
    query: str,
    variables: dict[str, Any],
) -> None:
    topic = await new_topic(partitions=2)
    await produce(client, topic, "still there")
    assert await client.error_codes(query, {"topic": topic, **variables}) == ["BAD_USER_INPUT"]
    # Nothing was lost or written by the refused request, and the gateway still serves.
    page = await history(client, topic)
    assert [m["value"] for m in page["messages"]] == ["still there"]


async def test_cursor_of_another_topic_is_refused(
    client: GraphQLClient, new_topic: TopicFactory
) -> None:
    first, second = await new_topic(), await new_topic()
    await produce(client, first, 1)
    cursor = (await history(client, first))["nextCursor"]
    assert await client.error_codes(HISTORY, {"topic": second, "after": cursor}) == [
        "BAD_USER_INPUT"
    ]


async def test_bad_subscription_input_is_an_error_message_not_a_broken_socket(
    client: GraphQLClient, new_topic: TopicFactory
) -> None:
    topic = await new_topic()
    async with client.subscribe(SUBSCRIBE, {"topic": topic, "after": "nope"}) as sub:
        event = await sub.next_event()
        assert event["type"] == "error"
        assert event["payload"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    # The same client can subscribe properly right after.
    async with client.subscribe(SUBSCRIBE, {"topic": topic, "fromOffset": 0}) as sub:
        await produce(client, topic, "fine")
        assert (await sub.next_message())["value"] == "fine"


async def test_syntax_and_validation_errors_carry_codes(client: GraphQLClient) -> None:
    assert await client.error_codes("{ topics { name ") == ["GRAPHQL_PARSE_FAILED"]
    assert await client.error_codes("{ nope }") == ["GRAPHQL_VALIDATION_FAILED"]
