"""A broker of a test's own, which the test may stop, crash and start again."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest_asyncio

BROKER_SCRIPT = Path(__file__).parents[2] / "scripts" / "kafka-broker.sh"


@dataclass(frozen=True)
class SaslSslListener:
    """A SASL_SSL listener besides the PLAINTEXT one (scripts/kafka-broker.sh, `up`)."""

    # The broker's private key (PKCS#8, unencrypted) and certificate chain, in one PEM file.
    keystore_pem: Path
    # name -> password (letters and digits): SCRAM-SHA-256/512 credentials and PLAIN logins.
    users: Mapping[str, str]


class PrivateBroker:
    def __init__(self, prefix: str, sasl_ssl: SaslSslListener | None = None) -> None:
        self.name = f"{prefix}-{uuid.uuid4().hex[:8]}"
        self.bootstrap = ""
        self.sasl_ssl = sasl_ssl
        # The SASL_SSL listener's address, when it has one.
        self.sasl_ssl_bootstrap = ""

    @property
    def folder(self) -> Path:
        return BROKER_SCRIPT.parents[1] / ".kafka" / "instances" / self.name

    async def _script(self, *args: str) -> str:
        env = {**os.environ, "PYTHON": sys.executable}
        if self.sasl_ssl is not None:
            env["BROKER_SASL_SSL_KEYSTORE"] = str(self.sasl_ssl.keystore_pem)
            env["BROKER_SCRAM_USERS"] = " ".join(f"{n}={p}" for n, p in self.sasl_ssl.users.items())
        process = await asyncio.create_subprocess_exec(
            "bash", str(BROKER_SCRIPT), *args, stdout=subprocess.PIPE, env=env
        )
        out, _ = await process.communicate()
        assert process.returncode == 0, f"kafka-broker.sh {args} failed"
        return out.decode().strip()

    async def up(self) -> None:
        """Start it (again: same ports, same data) and return once it serves."""
        self.bootstrap = (await self._script("up", self.name, "auto")).splitlines()[-1]
        if self.sasl_ssl is not None:
            self.sasl_ssl_bootstrap = (self.folder / "bootstrap-sasl-ssl").read_text().strip()

    async def down(self) -> None:
        """A graceful shutdown (SIGTERM)."""
        await self._script("down", self.name)

    async def kill(self) -> None:
        """A crash (SIGKILL)."""
        await self._script("kill", self.name)

    def remove(self) -> None:
        shutil.rmtree(self.folder)


@pytest_asyncio.fixture
async def private_broker() -> AsyncIterator[PrivateBroker]:
    broker = PrivateBroker("private")
    await broker.up()
    try:
        yield broker
    finally:
        await broker.down()
        broker.remove()
