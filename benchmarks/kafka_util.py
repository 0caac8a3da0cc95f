"""Topics and the benchmark's own producer (it writes the records the subscribers receive)."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic


async def new_topic(bootstrap: str, name: str, partitions: int = 1) -> str:
    """Creates `bench-<name>-<random>` (the gateway exposes `bench-*`) and returns its name."""
    topic = f"bench-{name}-{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, partitions, 1)])
    finally:
        await admin.close()
    return topic


@asynccontextmanager
async def producer(bootstrap: str, linger_ms: int = 5) -> AsyncIterator[AIOKafkaProducer]:
    client = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=linger_ms, acks=1)
    await client.start()
    try:
        yield client
    finally:
        await client.stop()


async def produce_many(
    client: AIOKafkaProducer,
    topic: str,
    count: int,
    keys: Sequence[str | None] = (None,),
    pad: int = 0,
) -> None:
    """`count` small JSON records, keys dealt round-robin, as fast as the producer batches."""
    padding = "x" * pad
    futures = []
    for i in range(count):
        key = keys[i % len(keys)]
        value = json.dumps({"i": i, "p": padding} if pad else {"i": i}).encode()
        futures.append(await client.send(topic, value, key=key.encode() if key else None))
    await asyncio.gather(*futures)


async def produce_paced(
    client: AIOKafkaProducer, topic: str, rate: float, duration_s: float, pad: int = 0
) -> int:
    """Records at `rate` per second for `duration_s`, each carrying its send time as `"t"`
    (wall clock: the subscribers are other processes on this machine). Returns how many."""
    padding = "x" * pad
    started = time.perf_counter()
    sent = 0
    futures = []
    tick = 0.01
    while (elapsed := time.perf_counter() - started) < duration_s:
        due = int(elapsed * rate) + 1
        while sent < due:
            # "t" first: the subscribers find it with a substring search.
            value = f'{{"t": {time.time():.6f}, "i": {sent}, "p": "{padding}"}}'
            futures.append(await client.send(topic, value.encode()))
            sent += 1
        await asyncio.sleep(tick)  # pacing, not synchronisation
    await asyncio.gather(*futures)
    return sent
