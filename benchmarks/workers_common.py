"""Helpers shared by the operational benchmarks: a gateway process (and its workers), its CPU."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp

TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found += [int(c) for c in text]
    return found


def gateway_cpu_s(pids: list[int]) -> float:
    """utime + stime of `pids`, in seconds."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / TICKS


@asynccontextmanager
async def serve(config: Path, port: int, workers: int) -> AsyncIterator[list[int]]:
    """`kafka-graphql serve` with `config`; yields the pids that serve (the workers, or the one
    process), once /readyz answers."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "kafka_graphql",
        "serve",
        "--config",
        str(config),
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(600):
                try:
                    async with session.get(f"http://127.0.0.1:{port}/readyz") as response:
                        if response.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                if process.returncode is not None:
                    raise RuntimeError("the gateway exited")
                await asyncio.sleep(0.1)
        pids = children(process.pid) if workers > 1 else [process.pid]
        yield pids
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), 60)
