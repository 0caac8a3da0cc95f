"""Produce over HTTP: the gateway beside a bare aiohttp handler with the same producer, one run.

    scripts/kafka-broker.sh with-broker .venv/bin/python benchmarks/http_probe.py [--rounds 2]

Both servers run as their own processes (`python -m kafka_graphql`, and this file with
`--serve-bare`), with an idempotent acks=all AIOKafkaProducer (linger_ms=1) on the same broker.
For each, in turns:
- `produce` at `--in-flight` requests in flight: requests/s, p50/p99, and the server's CPU
  (user + system from /proc/<pid>/stat) per request;
- `produceBatch` of 100 at 4 in flight (the bare handler: 100 sends, then one wait for all);
- `produce` paced at half the rate this gateway reached above, the same load for every server:
  p99 (the overhead is the gateway's p99 minus the bare one's).
`--compare CHECKOUT` adds the gateway of another checkout (e.g. /work/main), `--variant` this
gateway with other [server] lines, to compare them in the same run.
The client only counts responses (it parses one of each kind, to check it), so it stays cheap.
"""

from __future__ import annotations

import argparse
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
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import aiohttp
from aiohttp import web
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

PRODUCE = "mutation($t: String!, $v: JSON!) { produce(topic: $t, value: $v) { offset } }"
PRODUCE_BATCH = (
    "mutation($t: String!, $m: [MessageInput!]!) { produceBatch(topic: $t, messages: $m) "
    "{ offset } }"
)
BATCH_SIZE = 100
TICKS = os.sysconf("SC_CLK_TCK")


def _producer(bootstrap: str) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap, enable_idempotence=True, acks="all", linger_ms=1
    )


# The bare stack: what a hand-written aiohttp endpoint in front of the same producer does.
async def _bare_produce(request: web.Request) -> web.Response:
    body = await request.json()
    variables = body["variables"]
    value = json.dumps(variables["v"]).encode()
    metadata = await request.app[BARE_PRODUCER].send_and_wait(variables["t"], value)
    return web.json_response({"data": {"produce": {"offset": metadata.offset}}})


async def _bare_batch(request: web.Request) -> web.Response:
    body = await request.json()
    variables = body["variables"]
    producer = request.app[BARE_PRODUCER]
    futures = [
        await producer.send(variables["t"], json.dumps(m["value"]).encode()) for m in variables["m"]
    ]
    offsets = [{"offset": m.offset} for m in await asyncio.gather(*futures)]
    return web.json_response({"data": {"produceBatch": offsets}})


BARE_PRODUCER = web.AppKey("producer", AIOKafkaProducer)


def serve_bare(port: int, bootstrap: str) -> None:
    async def producer(app: web.Application) -> AsyncIterator[None]:
        app[BARE_PRODUCER] = _producer(bootstrap)
        await app[BARE_PRODUCER].start()
        yield
        await app[BARE_PRODUCER].stop()

    async def ready(_: web.Request) -> web.Response:
        return web.json_response({"status": "ready"})

    app = web.Application()
    app.cleanup_ctx.append(producer)
    app.router.add_post("/produce", _bare_produce)
    app.router.add_post("/batch", _bare_batch)
    app.router.add_get("/readyz", ready)
    web.run_app(app, host="127.0.0.1", port=port, print=None)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    pid: int
    produce_url: str
    batch_url: str

    def cpu_s(self) -> float:
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


@asynccontextmanager
async def _process(
    args: list[str], base: str, log: Path, tree: Path | None = None
) -> AsyncIterator[int]:
    python = str(tree / ".venv" / "bin" / "python") if tree is not None else sys.executable
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            python, *args, stdout=out, stderr=asyncio.subprocess.STDOUT, cwd=tree
        )
    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(300):
                try:
                    async with session.get(f"{base}/readyz") as response:
                        if response.status == 200:
                            break
                except aiohttp.ClientConnectionError:
                    pass
                await asyncio.sleep(0.1)
            else:
                raise RuntimeError(f"{args} did not become ready; see {log}")
        yield process.pid
    finally:
        process.terminate()
        await process.wait()


@asynccontextmanager
async def gateway(
    bootstrap: str, directory: Path, extra: str, tree: Path | None = None
) -> AsyncIterator[Server]:
    """The gateway of this checkout, or of the checkout `tree` (with its own .venv)."""
    port = _free_port()
    config = directory / "gateway.toml"
    config.write_text(
        f'[kafka]\nbootstrap_servers = "{bootstrap}"\n[server]\nport = {port}\n{extra}'
        # One caller sends everything: budgets that never refuse it, so the limits are costed
        # and charged as usual without turning the probe away.
        "[limits]\ncost_budget = 1000000000\ncost_refill_per_s = 1000000000.0\n"
        "produce_messages_per_s = 1000000000\nproduce_bytes_per_s = 1000000000\n"
        '[[topics]]\nname = "probe-*"\n'
    )
    base = f"http://127.0.0.1:{port}"
    args = ["-m", "kafka_graphql", "--config", str(config)]
    async with _process(args, base, directory / "gateway.log", tree) as pid:
        yield Server(pid, f"{base}/graphql", f"{base}/graphql")


@asynccontextmanager
async def bare(bootstrap: str, directory: Path) -> AsyncIterator[Server]:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    args = [__file__, "--serve-bare", str(port), "--bootstrap", bootstrap]
    async with _process(args, base, directory / "bare.log") as pid:
        yield Server(pid, f"{base}/produce", f"{base}/batch")


@dataclass
class Figures:
    rate: float
    p50_ms: float
    p99_ms: float
    cpu_us: float  # server CPU per request

    def __str__(self) -> str:
        return (
            f"{self.rate:8.0f}/s  p50 {self.p50_ms:6.2f} ms  p99 {self.p99_ms:6.2f} ms  "
            f"server CPU {self.cpu_us:6.0f} µs/request"
        )


async def _closed_loop(
    server: Server, count: int, in_flight: int, send: Callable[[int], Awaitable[None]]
) -> Figures:
    latencies: list[float] = []
    numbers = iter(range(count))

    async def worker() -> None:
        for i in numbers:
            t0 = time.perf_counter()
            await send(i)
            latencies.append(time.perf_counter() - t0)

    cpu0, t0 = server.cpu_s(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(in_flight)))
    elapsed, cpu = time.perf_counter() - t0, server.cpu_s() - cpu0
    return _figures(count / elapsed, latencies, cpu / count)


async def _paced(
    server: Server, rate: float, seconds: float, send: Callable[[int], Awaitable[None]]
) -> Figures:
    latencies: list[float] = []
    count = int(rate * seconds)

    async def one(i: int) -> None:
        t0 = time.perf_counter()
        await send(i)
        latencies.append(time.perf_counter() - t0)

    loop = asyncio.get_running_loop()
    start = loop.time()
    cpu0 = server.cpu_s()
    tasks = []
    for i in range(count):
        delay = start + i / rate - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i)))
    await asyncio.gather(*tasks)
    return _figures(count / (loop.time() - start), latencies, (server.cpu_s() - cpu0) / count)


def _figures(rate: float, latencies: list[float], cpu_s: float) -> Figures:
    q = statistics.quantiles(latencies, n=100)
    return Figures(rate, q[49] * 1000, q[98] * 1000, cpu_s * 1e6)


def _sender(
    http: aiohttp.ClientSession, url: str, query: str, variables: Callable[[int], object]
) -> Callable[[int], Awaitable[None]]:
    async def send(i: int) -> None:
        body = json.dumps({"query": query, "variables": variables(i)}).encode()
        async with http.post(url, data=body, headers={"Content-Type": "application/json"}) as r:
            text = await r.read()
            if r.status != 200 or (i == 0 and b'"errors"' in text):
                raise RuntimeError(f"{url}: {r.status} {text[:300]!r}")

    return send


async def measure(
    server: Server, http: aiohttp.ClientSession, topic: str, args: argparse.Namespace
) -> dict[str, Figures]:
    produce = _sender(http, server.produce_url, PRODUCE, lambda i: {"t": topic, "v": {"i": i}})
    batch = _sender(
        http,
        server.batch_url,
        PRODUCE_BATCH,
        lambda i: {"t": topic, "m": [{"value": {"i": i, "j": j}} for j in range(BATCH_SIZE)]},
    )
    await _closed_loop(server, args.warmup, args.in_flight, produce)
    figures = {"produce": await _closed_loop(server, args.requests, args.in_flight, produce)}
    batches = await _closed_loop(server, args.batches, 4, batch)
    figures["batch"] = Figures(
        batches.rate * BATCH_SIZE, batches.p50_ms, batches.p99_ms, batches.cpu_us / BATCH_SIZE
    )
    return figures


async def main(args: argparse.Namespace) -> None:
    bootstrap = args.bootstrap
    directory = Path(tempfile.mkdtemp(prefix="http-probe-"))
    topic = f"probe-{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
    finally:
        await admin.close()
    connector = aiohttp.TCPConnector(limit=args.in_flight)
    async with aiohttp.ClientSession(connector=connector) as http:
        servers: dict[str, Callable[[], AbstractAsyncContextManager[Server]]] = {
            "bare": lambda: bare(bootstrap, directory),
            "gateway": lambda: gateway(bootstrap, directory, args.gateway_toml),
        }
        for variant in args.variant:
            label, _, toml = variant.partition("=")
            servers[label] = partial(gateway, bootstrap, directory, toml + "\n")
        if args.compare is not None:
            servers[f"gateway@{args.compare.name}"] = partial(
                gateway, bootstrap, directory, "", args.compare
            )
        for round_ in range(args.rounds):
            figures: dict[str, dict[str, Figures]] = {}
            for label, server_of in servers.items():
                async with server_of() as server:
                    figures[label] = await measure(server, http, topic, args)
            # P3: at half of what this gateway can do, every server gets the same paced load.
            half = figures["gateway"]["produce"].rate / 2
            for label, server_of in servers.items():
                async with server_of() as server:
                    send = _sender(
                        http, server.produce_url, PRODUCE, lambda i: {"t": topic, "v": i}
                    )
                    await _closed_loop(server, args.warmup, args.in_flight, send)
                    figures[label]["paced"] = await _paced(server, half, args.paced_s, send)
            for name in ("produce", "batch", "paced"):
                b = figures["bare"][name]
                for label, row in figures.items():
                    g = row[name]
                    if label == "bare":
                        versus = ""
                    elif name == "paced":
                        versus = f"p99 overhead {g.p99_ms - b.p99_ms:+.2f} ms at {half:.0f}/s"
                    else:
                        versus = f"ratio {g.rate / b.rate:.2f}"
                    print(f"round {round_ + 1} {name:8} {label:16} {g}  {versus}")
            sys.stdout.flush()
    print(f"gateway log: {directory / 'gateway.log'}")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--bootstrap", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    )
    parser.add_argument("--serve-bare", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--in-flight", type=int, default=32)
    parser.add_argument("--warmup", type=int, default=500)
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--batches", type=int, default=100)
    parser.add_argument("--paced-s", type=float, default=4.0)
    parser.add_argument(
        "--compare",
        type=Path,
        metavar="CHECKOUT",
        help="also run the gateway of another checkout (with its own .venv), e.g. /work/main",
    )
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="LABEL=TOML",
        help='also run this gateway with other [server] lines, e.g. uvloop=event_loop="uvloop"',
    )
    parser.add_argument(
        "--gateway-toml", default="", help="extra lines for the gateway's [server] table"
    )
    return parser.parse_args()


if __name__ == "__main__":
    arguments = _arguments()
    if arguments.serve_bare is not None:
        serve_bare(arguments.serve_bare, arguments.bootstrap)
    else:
        asyncio.run(main(arguments))
