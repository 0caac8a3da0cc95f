"""Gateway CPU per delivered subscription frame with `server.websocket_compression` off and on.

    scripts/kafka-broker.sh with-broker .venv/bin/python -m benchmarks.ws_compression

Starts the gateway as its own process once per setting, opens SUBSCRIBERS WebSockets that offer
permessage-deflate (as browsers do), produces MESSAGES records straight to Kafka and reads the
gateway's CPU time (utime + stime from /proc/<pid>/stat) from the first produce until every
subscriber has its last frame. The clients here count frames (aiohttp inflates them for us);
their CPU is not the gateway's.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
import zlib
from pathlib import Path

import aiohttp
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from benchmarks.workers_common import free_port, gateway_cpu_s, serve

SUBSCRIBERS = int(os.environ.get("SUBSCRIBERS", "200"))
MESSAGES = int(os.environ.get("MESSAGES", "200"))
REPEATS = int(os.environ.get("REPEATS", "3"))
SETTINGS = [("off", 0), ("on", 1024), ("on", 0)]
SIZES = {"small": 1, "large": 12}
SUBSCRIBE = "subscription($t: String!) { messages(topic: $t) { offset key value } }"


async def subscriber(
    session: aiohttp.ClientSession, url: str, topic: str, seen: list[int], index: int
) -> None:
    """Counts frames: seen[index] is -1 until the first (warm-up) frame, then the number of
    measured frames (those whose value says "measured")."""
    async with session.ws_connect(url, protocols=["graphql-transport-ws"], compress=15) as ws:
        await ws.send_json({"type": "connection_init"})
        await ws.receive()
        payload = {"query": SUBSCRIBE, "variables": {"t": topic}}
        await ws.send_json({"id": "1", "type": "subscribe", "payload": payload})
        while seen[index] < MESSAGES:
            message = await ws.receive()
            if message.type != aiohttp.WSMsgType.TEXT:
                raise RuntimeError(f"socket ended: {message}")
            if "measured" in message.data:
                seen[index] += 1
            elif seen[index] < 0:
                seen[index] = 0


WORDS = ["order", "paid", "shipped", "refund", "item", "customer", "basket", "parcel", "invoice"]


def record(items: int, seed: int = 0) -> dict[str, object]:
    """A plausible event (varied text and numbers, not a run of one letter, which would
    compress for free); `items` sets its size."""
    rng = random.Random(seed)  # noqa: S311 (test data)
    return {
        "measured": True,
        "id": str(uuid.UUID(int=rng.getrandbits(128))),
        "customer": f"c-{rng.randrange(10**6)}",
        "items": [
            {
                "sku": f"{rng.choice(WORDS)}-{rng.randrange(10**5)}",
                "qty": rng.randrange(1, 9),
                "price": round(rng.uniform(1, 500), 2),
                "note": " ".join(rng.choices(WORDS, k=rng.randrange(3, 12))),
            }
            for _ in range(items)
        ],
    }


def deflate_alone(items: int) -> float:
    """µs of CPU to deflate one frame as aiohttp does (level 1, a compressor per connection with
    context takeover), over SUBSCRIBERS compressors in turn, as a fan-out does."""
    compressors = [zlib.compressobj(1, zlib.DEFLATED, -zlib.MAX_WBITS) for _ in range(SUBSCRIBERS)]
    frames = 0
    started = time.process_time()
    for i in range(MESSAGES):
        data = {"messages": {"offset": i, "key": str(i), "value": record(items, i)}}
        frame = json.dumps({"id": "1", "type": "next", "payload": {"data": data}}).encode()
        for compressor in compressors:
            compressor.compress(frame)
            compressor.flush(zlib.Z_SYNC_FLUSH)
            frames += 1
    return (time.process_time() - started) * 1e6 / frames


async def one(bootstrap: str, mode: str, min_bytes: int, items: int) -> float:
    topic = f"bench-{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    await admin.create_topics([NewTopic(topic, 1, 1)])
    await admin.close()
    port = free_port()
    config = f"""
[kafka]
bootstrap_servers = "{bootstrap}"
[server]
port = {port}
websocket_compression = "{mode}"
websocket_compression_min_bytes = {min_bytes}
[limits]
max_connections_per_principal = 10000
max_subscriptions_per_principal = 10000
delivery_messages_per_s = 100000000
delivery_bytes_per_s = 100000000000
[[topics]]
name = "bench-*"
"""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.toml"
        path.write_text(config)
        async with serve(path, port, 1) as pids:
            url = f"http://127.0.0.1:{port}/graphql"
            connector = aiohttp.TCPConnector(limit=0)
            async with aiohttp.ClientSession(connector=connector) as session:
                seen = [-1] * SUBSCRIBERS
                tasks = [
                    asyncio.create_task(subscriber(session, url, topic, seen, i))
                    for i in range(SUBSCRIBERS)
                ]
                producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
                await producer.start()
                # Subscriptions start "from now": warm up until every one has had a frame.
                while min(seen) < 0:
                    await producer.send_and_wait(topic, b'"warm-up"')
                    await asyncio.sleep(0.2)
                await asyncio.sleep(0.5)  # let the last warm-up frames go out
                before = gateway_cpu_s(pids)
                started = time.monotonic()
                for i in range(MESSAGES):
                    value = json.dumps(record(items, i)).encode()
                    await producer.send(topic, value, key=str(i).encode())
                await producer.flush()
                await asyncio.gather(*tasks)
                cpu = gateway_cpu_s(pids) - before
                wall = time.monotonic() - started
                await producer.stop()
    deliveries = SUBSCRIBERS * MESSAGES
    print(
        f"  {mode:3} min_bytes={min_bytes:<5} {cpu * 1e6 / deliveries:7.1f} µs CPU/delivery"
        f"  ({deliveries} deliveries, {wall:.1f} s wall)",
        flush=True,
    )
    return cpu * 1e6 / deliveries


async def main() -> None:
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if not bootstrap:
        sys.exit("set KAFKA_BOOTSTRAP_SERVERS (or run under scripts/kafka-broker.sh with-broker)")
    print(
        f"{SUBSCRIBERS} subscribers x {MESSAGES} messages, clients offer permessage-deflate, "
        f"{REPEATS} rounds (settings interleaved; the median is the figure)"
    )
    figures: dict[tuple[str, str, int], list[float]] = {}
    for _ in range(REPEATS):
        for label, chars in SIZES.items():
            for mode, min_bytes in SETTINGS:
                print(f"{label} ({len(json.dumps(record(chars)))} B value):", end="")
                figure = await one(bootstrap, mode, min_bytes, chars)
                figures.setdefault((label, mode, min_bytes), []).append(figure)
    for label, items in SIZES.items():
        size = len(json.dumps(record(items)))
        print(f"deflate alone, {label} ({size} B value): {deflate_alone(items):.1f} µs per frame")
    print("\nmedian gateway CPU per delivery")
    for (label, mode, min_bytes), values in figures.items():
        print(f"  {label:22} {mode:3} min_bytes={min_bytes:<5} {statistics.median(values):7.1f} µs")


if __name__ == "__main__":
    asyncio.run(main())
