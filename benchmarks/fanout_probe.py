"""Fan-out probe: server CPU per delivery, the gateway beside a bare aiohttp broadcast.

    scripts/kafka-broker.sh with-broker .venv/bin/python benchmarks/fanout_probe.py \
        [--subscribers 1000] [--messages 100] [--clients 4] [--shared on|off] [--compress]

Both servers run as their own processes; the subscribers are spread over `--clients` client
processes that count frames without parsing them. A warm-up record reaches every subscriber
first (so all are live), then the server's CPU time (utime + stime from /proc/<pid>/stat) is
read before and after `--messages` records are produced and delivered to every subscriber.
The bare baseline is one aiokafka consumer and an aiohttp WebSocket handler that writes each
record's frame, serialised once, to every socket.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp
from aiohttp import web
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

SUBSCRIBE = "subscription($t: String!) { messages(topic: $t) { offset value } }"
TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


# --- client process -------------------------------------------------------------------------


async def client_main(url: str, topic: str, count: int, compress: bool) -> None:
    """`count` subscribers; prints "ready" once all are acknowledged, then "got <frames>
    <subscribers that got one>" lines."""
    received = 0
    live: set[int] = set()

    async def one(session: aiohttp.ClientSession, n: int, ready: asyncio.Event) -> None:
        nonlocal received
        subscribe = json.dumps(
            {
                "id": str(n),
                "type": "subscribe",
                "payload": {"query": SUBSCRIBE, "variables": {"t": topic}},
            }
        )
        # On a loaded machine a handshake can miss the server's connection_init timeout, or
        # the subscription its Kafka request timeout: try again, as a client would.
        for attempt in range(10):
            ws = await session.ws_connect(
                url, protocols=["graphql-transport-ws"], compress=15 if compress else 0
            )
            await ws.send_str('{"type":"connection_init","payload":{}}')
            ack = await ws.receive()
            if ack.type != aiohttp.WSMsgType.TEXT:
                print(f"subscriber {n}: no ack ({ack.type} {ack.data}), again", file=sys.stderr)
                await ws.close()
                continue
            await ws.send_str(subscribe)
            ready.set()
            async for message in ws:
                if message.type == aiohttp.WSMsgType.TEXT and '"next"' in message.data[:40]:
                    received += 1
                    live.add(n)
                else:
                    print(f"subscriber {n}: {message.data!r:.300}, again", file=sys.stderr)
                    break
            await ws.close()
            await asyncio.sleep(attempt * 0.5)

    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        tasks, events = [], []
        for n in range(count):
            ready = asyncio.Event()
            events.append(ready)
            tasks.append(asyncio.create_task(one(session, n, ready)))
            if n % 25 == 24:
                await asyncio.sleep(0.1)  # spread the handshakes
        for event in events:
            await event.wait()
        print("ready", flush=True)
        while True:  # until the driver ends this process
            print(f"got {received} {len(live)}", flush=True)
            await asyncio.sleep(0.02)


# --- bare server process --------------------------------------------------------------------


async def bare_main(bootstrap: str, topic: str, port: int) -> None:
    sockets: set[web.WebSocketResponse] = set()

    async def handle(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(protocols=["graphql-transport-ws"])
        await ws.prepare(request)
        async for message in ws:
            if '"connection_init"' in message.data:
                await ws.send_str('{"type":"connection_ack"}')
            elif '"subscribe"' in message.data:
                sockets.add(ws)
        sockets.discard(ws)
        return ws

    async def broadcast(_: web.Application) -> object:
        consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="latest")
        await consumer.start()

        async def run() -> None:
            async for record in consumer:
                value = json.loads(record.value)
                frame = json.dumps(
                    {
                        "id": "1",
                        "type": "next",
                        "payload": {
                            "data": {"messages": {"offset": record.offset, "value": value}}
                        },
                    },
                    separators=(",", ":"),
                )
                for ws in list(sockets):
                    await ws.send_str(frame)

        task = asyncio.create_task(run())
        yield
        task.cancel()
        await consumer.stop()

    app = web.Application()
    app.router.add_get("/graphql", handle)
    app.cleanup_ctx.append(broadcast)  # type: ignore[arg-type]
    await web._run_app(app, host="127.0.0.1", port=port, print=None)


# --- driver ---------------------------------------------------------------------------------


async def wait_ready(url: str) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(300):
            try:
                async with session.get(url):
                    return
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


async def measure(
    args: argparse.Namespace, bootstrap: str, topic: str, server: list[str], url: str
) -> float:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    log = Path(tempfile.mkdtemp()) / "server.log"
    print(f"  server log: {log}")
    process = await asyncio.create_subprocess_exec(
        *server,
        stdout=log.open("wb"),
        stderr=asyncio.subprocess.STDOUT,
        env=env,
        # `python -m` imports the package from its working directory first.
        cwd=args.gateway_source if "kafka_graphql" in server else None,
    )
    try:
        await wait_ready(url.replace("/graphql", "/healthz"))
        per_client = args.subscribers // args.clients
        clients = [
            await asyncio.create_subprocess_exec(
                sys.executable,
                __file__,
                "--client",
                url,
                topic,
                str(per_client),
                *(["--compress"] if args.compress else []),
                stdout=asyncio.subprocess.PIPE,
            )
            for _ in range(args.clients)
        ]
        for client in clients:
            assert client.stdout is not None
            assert (await client.stdout.readline()).strip() == b"ready"
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
        await producer.start()
        value = json.dumps({"id": "order-1", "amount": 12.5, "items": [1, 2, 3]}).encode()

        async def counts() -> list[tuple[int, int]]:
            latest = []
            for client in clients:
                assert client.stdout is not None
                line = (await client.stdout.readline()).split()
                # Skip what queued up, to the newest line.
                while len(client.stdout._buffer) > 0:  # type: ignore[attr-defined]
                    line = (await client.stdout.readline()).split() or line
                latest.append((int(line[1]), int(line[2])))
            return latest

        try:
            # Warm-up: a record every 0.2 s until every subscriber got one (all are live), then
            # until nothing more arrives.
            warm_up_until = time.monotonic() + 60
            while any(live < per_client for _, live in await counts()):
                if time.monotonic() > warm_up_until:
                    raise RuntimeError(f"subscribers not live after 60 s: {await counts()}")
                await producer.send_and_wait(topic, value)
                await asyncio.sleep(0.2)
            settled = await counts()
            while True:
                await asyncio.sleep(0.5)
                now = await counts()
                if now == settled:
                    break
                settled = now
            targets = [got + per_client * args.messages for got, _ in settled]
            spy = None
            if args.profile and "kafka_graphql" in server:
                # py-spy (pip install py-spy) samples the gateway while the records go out.
                beside = Path(sys.executable).parent / "py-spy"
                spy = await asyncio.create_subprocess_exec(
                    str(beside) if beside.exists() else "py-spy",
                    "record",
                    "--nonblocking",
                    "-r",
                    "200",
                    "-f",
                    "raw",
                    "-o",
                    args.profile,
                    "-p",
                    str(process.pid),
                    stdout=asyncio.subprocess.DEVNULL,
                    stderr=asyncio.subprocess.DEVNULL,
                )
                await asyncio.sleep(1)
            before = cpu_s(process.pid)
            started = time.perf_counter()
            for _ in range(args.messages):
                await producer.send(topic, value)
            await producer.flush()
            while any(got < t for (got, _), t in zip(await counts(), targets, strict=True)):
                pass
            after = cpu_s(process.pid)
            wall = time.perf_counter() - started
            if spy is not None:
                spy.send_signal(2)
                await spy.wait()
        finally:
            await producer.stop()
            for client in clients:
                client.kill()
                await client.wait()
        deliveries = per_client * args.clients * args.messages
        per_delivery_us = float((after - before) / deliveries * 1e6)
        print(
            f"  {deliveries} deliveries in {wall:.2f} s; server CPU {after - before:.2f} s "
            f"= {per_delivery_us:.1f} µs per delivery"
        )
        return per_delivery_us
    finally:
        process.terminate()
        await process.wait()


async def main(args: argparse.Namespace) -> None:
    bootstrap = os.environ["KAFKA_BOOTSTRAP_SERVERS"]
    results = {}
    for name in ("bare", "gateway"):
        topic = f"bench-fanout-{uuid.uuid4().hex[:8]}"
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        await admin.create_topics([NewTopic(topic, 1, 1)])
        await admin.close()
        port = free_port()
        url = f"http://127.0.0.1:{port}/graphql"
        if name == "bare":
            server = [sys.executable, __file__, "--bare", bootstrap, topic, str(port)]
        else:
            config = Path(tempfile.mkdtemp()) / "probe.toml"
            big = 10**9
            # Written only when off: a gateway older than the setting then runs as "on" does.
            shared = "" if args.shared == "on" else "shared_subscriptions = false\n"
            config.write_text(
                f'[kafka]\nbootstrap_servers = "{bootstrap}"\n'
                f"[server]\nport = {port}\n{shared}"
                f"[limits]\nmax_subscriptions_per_principal = {big}\n"
                f"max_connections_per_principal = {big}\ndelivery_messages_per_s = {big}\n"
                f"delivery_bytes_per_s = {big}\ncost_budget = {big}\ncost_refill_per_s = {big}\n"
                '[[topics]]\nname = "bench-*"\n'
            )
            server = [sys.executable, "-m", "kafka_graphql", "--config", str(config)]
        print(f"{name}: {args.subscribers} subscribers, {args.messages} messages")
        results[name] = await measure(args, bootstrap, topic, server, url)
    ratio = results["bare"] / results["gateway"]
    print(
        f"bare {results['bare']:.1f} µs, gateway {results['gateway']:.1f} µs per delivery: "
        f"ratio {ratio:.2f} (target ≥ 0.6)"
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--client"]:
        url, topic, count = sys.argv[2:5]
        asyncio.run(client_main(url, topic, int(count), "--compress" in sys.argv))
    elif sys.argv[1:2] == ["--bare"]:
        bootstrap, topic, port = sys.argv[2:5]
        asyncio.run(bare_main(bootstrap, topic, int(port)))
    else:
        parser = argparse.ArgumentParser()
        parser.add_argument("--subscribers", type=int, default=1000)
        parser.add_argument("--messages", type=int, default=100)
        parser.add_argument("--clients", type=int, default=4)
        parser.add_argument("--shared", choices=["on", "off"], default="on")
        parser.add_argument("--compress", action="store_true")
        parser.add_argument("--profile", help="write a py-spy profile of the gateway here")
        parser.add_argument(
            "--gateway-source", help="run the gateway from this checkout (e.g. the main branch)"
        )
        asyncio.run(main(parser.parse_args()))
