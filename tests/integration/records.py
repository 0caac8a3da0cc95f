"""Shared pieces of the record-level rule tests: tenants' clients, and the topic as a plain
Kafka consumer sees it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from tests.clients import Subscription
from tests.integration.auth import end_offsets

READ_WRITE = "kafka:read:* kafka:write:*"


@dataclass(frozen=True)
class RawRecord:
    partition: int
    offset: int
    value: Any
    headers: list[tuple[str, bytes]]


async def raw_records(bootstrap: str, topic: str, partitions: int = 1) -> list[RawRecord]:
    """Every record of `topic`, read by a plain Kafka consumer up to the end offsets."""
    ends = await end_offsets(bootstrap, topic, partitions)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        found: list[RawRecord] = []
        while [tp for tp in tps if await consumer.position(tp) < ends[tp.partition]]:
            for tp, records in (await consumer.getmany(timeout_ms=1000)).items():
                found += [
                    RawRecord(
                        tp.partition,
                        r.offset,
                        json.loads(r.value) if r.value is not None else None,
                        list(r.headers),
                    )
                    for r in records
                ]
        return sorted(found, key=lambda r: (r.partition, r.offset))
    finally:
        await consumer.stop()


async def nothing_more(stream: Subscription) -> None:
    """graphql-transport-ws only: the server answers a ping after what it already sent, so a
    record that was on its way to this subscriber would arrive before the pong."""
    assert stream.ws is not None
    await stream.ws.send_json({"type": "ping"})
    while True:
        body = json.loads((await stream.ws.receive(timeout=30)).data)
        if body["type"] != "ping":  # the server's own keep-alive
            assert body["type"] == "pong", body
            return
