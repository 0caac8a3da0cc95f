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
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from benchmarks.workers_common import free_port, gateway_cpu_s, serve

SUBSCRIBERS = int(os.environ.get("SUBSCRIBERS", "200"))
MESSAGES = int(os.environ.get("MESSAGES", "200"))
SETTINGS = [("off", 0), ("on", 1024), ("on", 0)]
SIZES = {"small (~150 B frame)": 60, "large (~2.1 KB frame)": 2000}
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


async def one(bootstrap: str, mode: str, min_bytes: int, value_chars: int) -> float:
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
                value = json.dumps({"text": "x" * value_chars, "measured": True}).encode()
                before = gateway_cpu_s(pids)
                started = time.monotonic()
                for i in range(MESSAGES):
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
    print(f"{SUBSCRIBERS} subscribers x {MESSAGES} messages, clients offer permessage-deflate")
    for label, chars in SIZES.items():
        print(label)
        for mode, min_bytes in SETTINGS:
            await one(bootstrap, mode, min_bytes, chars)


if __name__ == "__main__":
    asyncio.run(main())
