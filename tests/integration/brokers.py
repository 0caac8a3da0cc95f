"""A broker of a test's own, which the test may stop, crash and start again."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio

BROKER_SCRIPT = Path(__file__).parents[2] / "scripts" / "kafka-broker.sh"


class PrivateBroker:
    def __init__(self, prefix: str) -> None:
        self.name = f"{prefix}-{uuid.uuid4().hex[:8]}"
        self.bootstrap = ""

    async def _script(self, *args: str) -> str:
        process = await asyncio.create_subprocess_exec(
            "bash",
            str(BROKER_SCRIPT),
            *args,
            stdout=subprocess.PIPE,
            env={**os.environ, "PYTHON": sys.executable},
        )
        out, _ = await process.communicate()
        assert process.returncode == 0, f"kafka-broker.sh {args} failed"
        return out.decode().strip()

    async def up(self) -> None:
        """Start it (again: same ports, same data) and return once it serves."""
        self.bootstrap = (await self._script("up", self.name, "auto")).splitlines()[-1]

    async def down(self) -> None:
        """A graceful shutdown (SIGTERM)."""
        await self._script("down", self.name)

    async def kill(self) -> None:
        """A crash (SIGKILL)."""
        await self._script("kill", self.name)

    def remove(self) -> None:
        shutil.rmtree(BROKER_SCRIPT.parents[1] / ".kafka" / "instances" / self.name)


@pytest_asyncio.fixture
async def private_broker() -> AsyncIterator[PrivateBroker]:
    broker = PrivateBroker("private")
    await broker.up()
    try:
        yield broker
    finally:
        await broker.down()
        broker.remove()
