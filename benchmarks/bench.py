"""Gateway vs raw aiokafka on the same broker, in the same run. Prints a table.

    make bench          (starts a throw-away broker; or set KAFKA_BOOTSTRAP_SERVERS)

The gateway runs as its own process (`python -m kafka_graphql`), as in production; the clients
run here. Both share this machine's cores with the broker, so compare the columns of one run,
not figures across machines.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

SEQUENTIAL = 500
BATCHES, BATCH_SIZE = 20, 100
LATENCY_SAMPLES = 200
FANOUT_SUBSCRIBERS, FANOUT_MESSAGES = 100, 1000

PRODUCE = "mutation($t: String!, $v: JSON!) { produce(topic: $t, value: $v) { offset } }"
PRODUCE_BATCH = (
    "mutation($t: String!, $m: [MessageInput!]!) { produceBatch(topic: $t, messages: $m) "
    "{ offset } }"
)
SUBSCRIBE = "subscription($t: String!) { messages(topic: $t) { offset value } }"


@dataclass
class Result:
    rate: float  # messages (or deliveries) per second
    latencies_ms: list[float]

    def cell(self) -> str:
        text = f"{self.rate:9.0f}/s"
        if self.latencies_ms:
            q = statistics.quantiles(self.latencies_ms, n=100)
            text += f"  p50 {q[49]:6.2f} ms  p99 {q[98]:6.2f} ms"
        return text


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@asynccontextmanager
async def gateway_process(bootstrap: str) -> AsyncIterator[str]:
    port = free_port()
    directory = Path(tempfile.mkdtemp())
    config = directory / "bench.toml"
    config.write_text(
        f'[kafka]\nbootstrap_servers = "{bootstrap}"\n[server]\nport = {port}\n'
        '[[topics]]\nname = "bench-*"\n'
    )
    with (directory / "gateway.log").open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "kafka_graphql",
            "--config",
            str(config),
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
        )
    url = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(300):
                try:
                    async with session.get(f"{url}/readyz") as response:
                        if response.status == 200:
                            break
                except aiohttp.ClientConnectionError:
                    pass
                await asyncio.sleep(0.1)
            else:
                raise RuntimeError("gateway did not become ready")
        yield f"{url}/graphql"
    finally:
        process.terminate()
        await process.wait()


async def timed(count: int, one: Callable[[int], Awaitable[None]]) -> Result:
    latencies = []
    started = time.perf_counter()
    for i in range(count):
        t0 = time.perf_counter()
        await one(i)
        latencies.append((time.perf_counter() - t0) * 1000)
    return Result(count / (time.perf_counter() - started), latencies)


async def bench_produce(
    producer: AIOKafkaProducer, http: aiohttp.ClientSession, url: str, topic: str
) -> tuple[Result, Result]:
    async def raw(i: int) -> None:
        await producer.send_and_wait(topic, json.dumps({"i": i}).encode())

    async def gateway(i: int) -> None:
        async with http.post(
            url, json={"query": PRODUCE, "variables": {"t": topic, "v": {"i": i}}}
        ) as r:
            assert "errors" not in await r.json()

    return await timed(SEQUENTIAL, raw), await timed(SEQUENTIAL, gateway)


async def bench_batches(
    producer: AIOKafkaProducer, http: aiohttp.ClientSession, url: str, topic: str
) -> tuple[Result, Result]:
    async def raw(_: int) -> None:
        futures = [
            await producer.send(topic, json.dumps({"i": i}).encode()) for i in range(BATCH_SIZE)
        ]
        await asyncio.gather(*futures)

    async def gateway(_: int) -> None:
        messages = [{"value": {"i": i}} for i in range(BATCH_SIZE)]
        async with http.post(
            url, json={"query": PRODUCE_BATCH, "variables": {"t": topic, "m": messages}}
        ) as r:
            assert "errors" not in await r.json()

    raw_result = await timed(BATCHES, raw)
    gateway_result = await timed(BATCHES, gateway)
    for result in (raw_result, gateway_result):
        result.rate *= BATCH_SIZE
        result.latencies_ms = []
    return raw_result, gateway_result


async def open_subscription(
    http: aiohttp.ClientSession, url: str, topic: str
) -> aiohttp.ClientWebSocketResponse:
    ws = await http.ws_connect(url, protocols=["graphql-transport-ws"])
    await ws.send_json({"type": "connection_init"})
    assert (await ws.receive_json())["type"] == "connection_ack"
    await ws.send_json(
        {"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE, "variables": {"t": topic}}}
    )
    return ws


async def next_value(ws: aiohttp.ClientWebSocketResponse) -> object:
    while True:
        message = await ws.receive_json(timeout=30)
        if message["type"] == "next":
            return message["payload"]["data"]["messages"]["value"]


async def ready_marker(
    producer: AIOKafkaProducer, topic: str, ws: aiohttp.ClientWebSocketResponse
) -> None:
    """Write markers until one arrives: the subscription is then live (no timing guess)."""
    while True:
        marker = uuid.uuid4().hex
        await producer.send_and_wait(topic, json.dumps(marker).encode())
        try:
            while await asyncio.wait_for(next_value(ws), 1) != marker:
                pass
            return
        except TimeoutError:
            continue


async def bench_latency(
    producer: AIOKafkaProducer, http: aiohttp.ClientSession, url: str, bootstrap: str, topic: str
) -> tuple[Result, Result]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, fetch_max_wait_ms=100)
    await consumer.start()
    tp = TopicPartition(topic, 0)
    consumer.assign([tp])
    await consumer.seek_to_end(tp)

    async def raw(i: int) -> None:
        await producer.send_and_wait(topic, json.dumps(i).encode())
        while True:
            batch = await consumer.getone()
            if json.loads(batch.value) == i:
                return

    raw_result = await timed(LATENCY_SAMPLES, raw)
    await consumer.stop()

    ws = await open_subscription(http, url, topic)
    await ready_marker(producer, topic, ws)

    async def gateway(i: int) -> None:
        await producer.send_and_wait(topic, json.dumps(i).encode())
        while await next_value(ws) != i:
            pass

    gateway_result = await timed(LATENCY_SAMPLES, gateway)
    await ws.close()
    return raw_result, gateway_result


async def bench_fanout(
    producer: AIOKafkaProducer, http: aiohttp.ClientSession, url: str, bootstrap: str, topic: str
) -> tuple[Result, Result]:
    """Deliveries per second to N readers: N raw consumers vs N subscriptions on one gateway."""

    async def drain_raw(consumer: AIOKafkaConsumer) -> None:
        seen = 0
        while seen < FANOUT_MESSAGES:
            batch = await consumer.getmany(timeout_ms=1000)
            seen += sum(len(records) for records in batch.values())

    consumers = [
        AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
        for _ in range(FANOUT_SUBSCRIBERS)
    ]
    tp = TopicPartition(topic, 0)
    for consumer in consumers:
        await consumer.start()
        consumer.assign([tp])
        await consumer.seek_to_end(tp)
        await consumer.position(tp)
    started = time.perf_counter()
    futures = [await producer.send(topic, json.dumps(i).encode()) for i in range(FANOUT_MESSAGES)]
    await asyncio.gather(*futures)
    await asyncio.gather(*(drain_raw(c) for c in consumers))
    raw_result = Result(FANOUT_SUBSCRIBERS * FANOUT_MESSAGES / (time.perf_counter() - started), [])
    for consumer in consumers:
        await consumer.stop()

    sockets = [await open_subscription(http, url, topic) for _ in range(FANOUT_SUBSCRIBERS)]
    for ws in sockets:
        await ready_marker(producer, topic, ws)

    async def drain_gateway(ws: aiohttp.ClientWebSocketResponse) -> None:
        seen = 0
        while seen < FANOUT_MESSAGES:
            if isinstance(await next_value(ws), int):
                seen += 1

    started = time.perf_counter()
    futures = [await producer.send(topic, json.dumps(i).encode()) for i in range(FANOUT_MESSAGES)]
    await asyncio.gather(*futures)
    await asyncio.gather(*(drain_gateway(ws) for ws in sockets))
    gateway_result = Result(
        FANOUT_SUBSCRIBERS * FANOUT_MESSAGES / (time.perf_counter() - started), []
    )
    for ws in sockets:
        await ws.close()
    return raw_result, gateway_result


async def main() -> None:
    bootstrap = os.environ["KAFKA_BOOTSTRAP_SERVERS"]
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    names = {
        k: f"bench-{k}-{uuid.uuid4().hex[:8]}" for k in ("produce", "batch", "latency", "fanout")
    }
    await admin.create_topics([NewTopic(n, 1, 1) for n in names.values()])
    await admin.close()
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, enable_idempotence=True, acks="all", linger_ms=1
    )
    await producer.start()
    rows = []
    async with (
        gateway_process(bootstrap) as url,
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http,
    ):
        # Warm both paths (connections, metadata) before measuring.
        await bench_produce(producer, http, url, names["produce"])
        rows.append(
            (
                f"produce, one at a time (n={SEQUENTIAL})",
                *await bench_produce(producer, http, url, names["produce"]),
            )
        )
        rows.append(
            (
                f"produce, batches of {BATCH_SIZE} (n={BATCHES * BATCH_SIZE})",
                *await bench_batches(producer, http, url, names["batch"]),
            )
        )
        rows.append(
            (
                f"produce -> live delivery latency (n={LATENCY_SAMPLES})",
                *await bench_latency(producer, http, url, bootstrap, names["latency"]),
            )
        )
        rows.append(
            (
                f"fan-out {FANOUT_MESSAGES} msgs x {FANOUT_SUBSCRIBERS} readers (deliveries)",
                *await bench_fanout(producer, http, url, bootstrap, names["fanout"]),
            )
        )
    await producer.stop()

    width = max(len(r[0]) for r in rows)
    header = ("scenario", "raw aiokafka (baseline)", "kafka-graphql", "gateway/raw")
    print(f"\n{header[0]:<{width}} | {header[1]:<40} | {header[2]:<40} | {header[3]}")
    print("-" * (width + 100))
    for name, raw, gateway in rows:
        ratio = gateway.rate / raw.rate
        print(f"{name:<{width}} | {raw.cell():<40} | {gateway.cell():<40} | {ratio:6.2f}x")
    print(f"\nbroker {bootstrap}, {os.cpu_count()} cores shared by broker, gateway and clients")


if __name__ == "__main__":
    asyncio.run(main())
