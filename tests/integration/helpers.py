"""Shared GraphQL snippets for the integration tests."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from tests.clients import GraphQLClient

MESSAGE_FIELDS = "topic partition offset timestamp key value headers { key value } cursor"

PRODUCE = """
mutation($topic: String!, $value: JSON!, $key: String, $headers: [HeaderInput!], $partition: Int) {
  produce(topic: $topic, value: $value, key: $key, headers: $headers, partition: $partition) {
    topic partition offset timestamp
  }
}"""

PRODUCE_BATCH = """
mutation($topic: String!, $messages: [MessageInput!]!) {
  produceBatch(topic: $topic, messages: $messages) { topic partition offset timestamp }
}"""

HISTORY = f"""
query($topic: String!, $partitions: [Int!], $after: Cursor, $fromOffset: Long,
      $fromTimestamp: DateTime, $limit: Int, $filter: MessageFilter) {{
  messages(topic: $topic, partitions: $partitions, after: $after, fromOffset: $fromOffset,
           fromTimestamp: $fromTimestamp, limit: $limit, filter: $filter) {{
    messages {{ {MESSAGE_FIELDS} }} nextCursor hasMore
  }}
}}"""

SUBSCRIBE = f"""
subscription($topic: String!, $filter: MessageFilter, $after: Cursor, $fromOffset: Long,
             $fromTimestamp: DateTime, $partitions: [Int!]) {{
  messages(topic: $topic, filter: $filter, after: $after, fromOffset: $fromOffset,
           fromTimestamp: $fromTimestamp, partitions: $partitions) {{ {MESSAGE_FIELDS} }}
}}"""


async def produce(client: GraphQLClient, topic: str, value: Any, **extra: Any) -> dict[str, Any]:
    data = await client.data(PRODUCE, {"topic": topic, "value": value, **extra})
    result: dict[str, Any] = data["produce"]
    return result


async def produce_batch(
    client: GraphQLClient, topic: str, messages: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    data = await client.data(PRODUCE_BATCH, {"topic": topic, "messages": messages})
    results: list[dict[str, Any]] = data["produceBatch"]
    return results


async def history(client: GraphQLClient, topic: str, **arguments: Any) -> dict[str, Any]:
    data = await client.data(HISTORY, {"topic": topic, **arguments})
    page: dict[str, Any] = data["messages"]
    return page


def ids(messages: list[dict[str, Any]]) -> list[tuple[int, int]]:
    return [(m["partition"], m["offset"]) for m in messages]


async def poll_until(
    check: Callable[[], Awaitable[bool]], timeout_s: float, interval_s: float
) -> None:
    """For states of another process that offer no event to await (a broker coming back,
    metadata reaching a broker): ask again every `interval_s`, fail after `timeout_s`."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"condition not met within {timeout_s} s")
        await asyncio.sleep(interval_s)


async def create_served_topic(admin: AIOKafkaAdminClient, name: str, partitions: int = 1) -> None:
    """Creates `name` and waits until the broker serves every partition (the controller has
    committed the topic; the broker's metadata shows it with leaders a moment later)."""
    await admin.create_topics([NewTopic(name, partitions, 1)])

    async def served() -> bool:
        (described,) = await admin.describe_topics([name])
        ready = [p for p in described["partitions"] if p["leader"] >= 0]
        return described["error_code"] == 0 and len(ready) == partitions

    await poll_until(served, timeout_s=30, interval_s=0.05)
