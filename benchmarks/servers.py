"""The servers under test, each its own process: the gateway (`python -m kafka_graphql`, as in
production) and the bare-stack baselines (`python -m benchmarks.bare_http`, `bare_ws`)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import tempfile
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from benchmarks.proc import Probe

# Large enough that no limit throttles a benchmark (docs/limits.md): every bench client is the
# same anonymous caller (ip:127.0.0.1), so the per-caller budgets and caps are shared by all of
# its sockets. Limits must stay positive and consistent (max_query_cost <= cost_budget, ...).
GATEWAY_LIMITS = {
    "max_subscriptions_per_connection": 100_000,
    "max_subscriptions_per_principal": 10_000_000,
    "max_connections_per_principal": 10_000_000,
    "connection_init_timeout_s": 120.0,
    "max_query_cost": 1_000_000,
    "cost_budget": 1_000_000_000_000,
    "cost_refill_per_s": 1_000_000_000_000.0,
    "produce_messages_per_s": 1_000_000_000,
    "produce_bytes_per_s": 1_000_000_000_000,
    "delivery_messages_per_s": 1_000_000_000,
    "delivery_bytes_per_s": 1_000_000_000_000,
    "max_pending_keys": 1_000_000,
}


@dataclass(frozen=True)
class Server:
    name: str
    url: str  # http://127.0.0.1:port
    probe: Probe
    log: Path | None = None  # what the process printed (complete once it has exited)

    @property
    def graphql(self) -> str:
        return f"{self.url}/graphql"

    @property
    def ws(self) -> str:
        return f"ws{self.url[4:]}/graphql"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def metrics_on() -> bool:
    """`--metrics on|off` (BENCH_METRICS): the gateway's Prometheus metrics, on by default as
    in production; off to measure what they cost (docs/benchmarks.md)."""
    return os.environ.get("BENCH_METRICS", "on") != "off"


def logs_on() -> bool:
    """`--logs on|off` (BENCH_LOGS): the operation log (a JSON line per operation, as the
    production profile writes it), on by default; off: warnings only."""
    return os.environ.get("BENCH_LOGS", "on") != "off"


def gateway_config(
    bootstrap: str,
    port: int,
    limits: Mapping[str, object] = GATEWAY_LIMITS,
    server: str = "",
    extra: str = "",
    metrics_port: int = 0,
) -> str:
    """`limits` over the defaults; `server`: more [server] lines; `extra`: more tables (before
    the `bench-*` topics, so that a [[topics]] entry in it comes first); the metrics on
    `metrics_port` unless `metrics_on()` says off."""
    limit_lines = "\n".join(f"{key} = {value}" for key, value in limits.items())
    metrics = "true" if metrics_on() else "false"
    logging = 'format = "json"\nlevel = "info"' if logs_on() else 'level = "warning"'
    # `--tracing RATIO` (benchmarks/collector.py sets OpenTelemetry's variables).
    tracing = "true" if os.environ.get("BENCH_TRACING", "off") != "off" else "false"
    return (
        f'[kafka]\nbootstrap_servers = "{bootstrap}"\n'
        f"[server]\nport = {port}\n{server}"
        f"[limits]\n{limit_lines}\n"
        f"[metrics]\nenabled = {metrics}\nport = {metrics_port}\n"
        f"[logging]\n{logging}\n"
        f"[tracing]\nenabled = {tracing}\n"
        f"{extra}"
        '[[topics]]\nname = "bench-*"\n'
    )


@asynccontextmanager
async def _process(name: str, argv: list[str], port: int) -> AsyncIterator[Server]:
    log_path = Path(tempfile.mkdtemp(prefix=f"bench-{name}-")) / "server.log"
    # The configuration file says where the metrics are (the scraper reads them there).
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("KAFKA_GRAPHQL_METRICS")}
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            *argv,
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
            env={**inherited, "PYTHONWARNINGS": "ignore"},
        )
    url = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(600):
                if process.returncode is not None:
                    break
                try:
                    async with session.get(f"{url}/readyz") as response:
                        if response.status == 200:
                            break
                except aiohttp.ClientConnectionError:
                    pass
                await asyncio.sleep(0.1)  # polling a starting process: nothing to wait on
            else:
                raise RuntimeError(f"{name} did not become ready; see {log_path}")
        if process.returncode is not None:
            raise RuntimeError(f"{name} exited: {log_path.read_text()[-2000:]}")
        yield Server(name, url, Probe(process.pid), log_path)
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 15)
            except TimeoutError:
                process.kill()
                await process.wait()


@asynccontextmanager
async def gateway(
    bootstrap: str,
    limits: Mapping[str, object] = GATEWAY_LIMITS,
    server: str = "",
    extra: str = "",
) -> AsyncIterator[Server]:
    port, metrics_port = free_port(), free_port()
    config = Path(tempfile.mkdtemp(prefix="bench-config-")) / "bench.toml"
    config.write_text(gateway_config(bootstrap, port, limits, server, extra, metrics_port))
    async with (
        _process("gateway", ["-m", "kafka_graphql", "--config", str(config)], port) as s,
        _scraped(f"http://127.0.0.1:{metrics_port}/metrics"),
    ):
        profile = os.environ.get("BENCH_PROFILE")
        if not profile:
            yield s
            return
        async with _profiled(s, Path(profile)):
            yield s


# As often as a Prometheus that scrapes every 15 s, three times over.
SCRAPE_EVERY_S = 5.0


@asynccontextmanager
async def _scraped(url: str) -> AsyncIterator[None]:
    """With metrics on, a scraper reads them every SCRAPE_EVERY_S while the gateway serves (the
    cost of a scrape is part of what the metrics cost)."""
    if not metrics_on():
        yield
        return

    async def scrape() -> None:
        async with aiohttp.ClientSession() as session:
            while True:
                async with session.get(url) as response:
                    response.raise_for_status()
                    await response.read()
                await asyncio.sleep(SCRAPE_EVERY_S)  # a scraper's pace: nothing to wait on

    task = asyncio.create_task(scrape())
    try:
        yield
    finally:
        task.cancel()
        await asyncio.wait([task])
        if not task.cancelled() and task.exception() is not None:
            raise RuntimeError(f"scraping {url} failed") from task.exception()


@asynccontextmanager
async def _profiled(server: Server, directory: Path) -> AsyncIterator[None]:
    """py-spy samples the gateway while it serves (`--profile DIR`): collapsed stacks, which
    `python -m benchmarks.profile` sums up by function."""
    out = directory / f"{os.environ.get('BENCH_SCENARIO', 'gateway')}-{server.probe.pid}.txt"
    spy = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "py-spy"),
        *("record", "--pid", str(server.probe.pid), "--format", "raw", "--rate", "200"),
        *("--output", str(out), "--nonblocking"),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        spy.send_signal(signal.SIGINT)
        await spy.wait()
        print(f"    gateway profile: {out}", file=sys.stderr, flush=True)


@asynccontextmanager
async def bare_http(bootstrap: str) -> AsyncIterator[Server]:
    port = free_port()
    argv = ["-m", "benchmarks.bare_http", "--bootstrap", bootstrap, "--port", str(port)]
    async with _process("bare-http", argv, port) as server:
        yield server


@asynccontextmanager
async def bare_ws(bootstrap: str, topic: str) -> AsyncIterator[Server]:
    port = free_port()
    argv = ["-m", "benchmarks.bare_ws", "--bootstrap", bootstrap, "--port", str(port)]
    async with _process("bare-ws", [*argv, "--topic", topic], port) as server:
        yield server


@asynccontextmanager
async def bare_grpc(bootstrap: str, topic: str, grpc_port: int) -> AsyncIterator[Server]:
    """benchmarks/bare_grpc.py on `grpc_port` (its /readyz on a port of its own)."""
    port = free_port()
    argv = ["-m", "benchmarks.bare_grpc", "--bootstrap", bootstrap, "--port", str(port)]
    argv += ["--grpc-port", str(grpc_port), "--topic", topic]
    async with _process("bare-grpc", argv, port) as server:
        yield server


def grpc_table(port: int) -> str:
    """The gateway's `[grpc]` table, on `port` (for `gateway(extra=...)`)."""
    return f"[grpc]\nenabled = true\nport = {port}\n"
