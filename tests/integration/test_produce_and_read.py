"""Produce through the API, read back through the API, check Kafka's own view where it matters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aiokafka.admin import AIOKafkaAdminClient

from tests.clients import GraphQLClient
from tests.integration.conftest import TopicFactory
from tests.integration.helpers import history, ids, produce, produce_batch


async def test_produce_then_read_back_by_offset(
    client: GraphQLClient, new_topic: TopicFactory
) -> None:
    topic = await new_topic(partitions=1)
    written = [
        await produce(
            client,
            topic,
            {"n": n, "tags": ["a", "b"]},
            key=f"k{n}",
            headers=[{"key": "source", "value": "test"}, {"key": "empty", "value": None}],
        )
        for n in range(3)
    ]
    assert [w["offset"] for w in written] == [0, 1, 2]
    assert all(w["topic"] == topic and w["partition"] == 0 for w in written)

    page = await history(client, topic, fromOffset=1)
    assert [m["value"] for m in page["messages"]] == [
        {"n": 1, "tags": ["a", "b"]},
        {"n": 2, "tags": ["a", "b"]},
    ]
    first = page["messages"][0]
    assert first["offset"] == 1 and first["key"] == "k1" and first["topic"] == topic
    assert first["headers"] == [{"key": "source", "value": "test"}, {"key": "empty", "value": None}]
    assert first["timestamp"] == written[1]["timestamp"]
    assert page["hasMore"] is False


async def test_produce_to_a_chosen_partition_and_batch(
    client: GraphQLClient, new_topic: TopicFactory
) -> None:
    topic = await new_topic(partitions=3)
    one = await produce(client, topic, "x", partition=2)
    assert one["partition"] == 2
    results = await produce_batch(
        client, topic, [{"value": {"i": i}, "key": "same-key", "partition": None} for i in range(5)]
    )
    # Same key, same partition, consecutive offsets in input order.
    assert len({r["partition"] for r in results}) == 1
    offsets = [r["offset"] for r in results]
    assert offsets == list(range(offsets[0], offsets[0] + 5))
    page = await history(client, topic, partitions=[results[0]["partition"]], limit=50)
    values = [m["value"] for m in page["messages"] if m["key"] == "same-key"]
    assert values == [{"i": i} for i in range(5)]


async def test_topics_and_partition_offsets(client: GraphQLClient, new_topic: TopicFactory) -> None:
    topic = await new_topic(partitions=2)
    await produce(client, topic, 1, partition=1)
    await produce(client, topic, 2, partition=1)
    data = await client.data(
        "query($n: String!) { topic(name: $n) { name "
        "partitions { id earliestOffset latestOffset } } "
        "topics { name } }",
        {"n": topic},
    )
    assert data["topic"]["partitions"] == [
        {"id": 0, "earliestOffset": 0, "latestOffset": 0},
        {"id": 1, "earliestOffset": 0, "latestOffset": 2},
    ]
    assert topic in [t["name"] for t in data["topics"]]


async def test_history_pages_continue_exactly(
    client: GraphQLClient, new_topic: TopicFactory
) -> None:
    topic = await new_topic(partitions=3)
    await produce_batch(client, topic, [{"value": i, "key": f"k{i % 7}"} for i in range(40)])
    seen: list[tuple[int, int]] = []
    after = None
    pages = 0
    while True:
        page = await history(client, topic, limit=7, after=after)
        seen += ids(page["messages"])
        assert len(page["messages"]) <= 7
        after = page["nextCursor"]
        pages += 1
        if not page["hasMore"]:
            break
    assert pages == 6
    assert len(seen) == 40 and len(set(seen)) == 40
    # Each partition's messages come in offset order.
    for partition in range(3):
        offsets = [o for p, o in seen if p == partition]
        assert offsets == sorted(offsets)
    # Reading on from the last cursor finds nothing new, until something is written.
    empty = await history(client, topic, after=after)
    assert empty["messages"] == [] and empty["hasMore"] is False
    await produce(client, topic, "late")
    late = await history(client, topic, after=after)
    assert [m["value"] for m in late["messages"]] == ["late"]


async def test_history_from_timestamp(client: GraphQLClient, new_topic: TopicFactory) -> None:
    topic = await new_topic(partitions=2)
    await produce(client, topic, "old")
    future = datetime.now(UTC) + timedelta(hours=1)
    page = await history(client, topic, fromTimestamp=future.isoformat())
    assert page["messages"] == []
    past = datetime.now(UTC) - timedelta(hours=1)
    page = await history(client, topic, fromTimestamp=past.isoformat().replace("+00:00", "Z"))
    assert [m["value"] for m in page["messages"]] == ["old"]


async def test_produce_answers_only_once_kafka_holds_the_record(
    client: GraphQLClient, new_topic: TopicFactory, admin: AIOKafkaAdminClient
) -> None:
    topic = await new_topic(partitions=1)
    result = await produce(client, topic, {"ok": True})
    # The offset the API returned is already committed to the log when the answer arrives.
    data = await client.data(
        "query($n: String!) { topic(name: $n) { partitions { latestOffset } } }", {"n": topic}
    )
    assert data["topic"]["partitions"][0]["latestOffset"] == result["offset"] + 1
