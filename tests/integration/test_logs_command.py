"""The `kafka-graphql` command sets logging up at start-up from `[logging]`: every line it writes,
its own and the libraries', is one JSON object, and the audit log goes to its file, starting with
the configuration it loaded (a digest of the settings, no secret)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
from pathlib import Path

import aiohttp
import pytest

from kafka_graphql.observability.logs.audit import settings_digest
from kafka_graphql.observability.logs.setup import AUDIT_LOGGER
from kafka_graphql.settings import load_settings
from tests.clients import GraphQLClient
from tests.integration.helpers import poll_until
from tests.logs import TIME


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_the_command_writes_json_lines_and_the_audit_file(
    bootstrap: str, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    port = _free_port()
    config = tmp_path / "gateway.toml"
    config.write_text(
        f'[kafka]\nbootstrap_servers = "{bootstrap}"\n'
        f"[server]\nport = {port}\nshutdown_grace_s = 2\n"
        '[logging]\nformat = "json"\naudit = true\naudit_file = "audit.log"\n'
        '[[topics]]\nname = "test-*"\n'
    )
    env = dict(os.environ)
    output = tmp_path / "gateway.out"
    with output.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "kafka_graphql",
            "--config",
            str(config),
            stdout=out,
            stderr=asyncio.subprocess.STDOUT,
            env=env,
        )
    try:

        async def ready() -> bool:
            if process.returncode is not None:
                pytest.fail(f"the gateway exited during start-up: {output.read_text()}")
            try:
                async with http.get(f"http://127.0.0.1:{port}/readyz") as response:
                    return response.status == 200
            except aiohttp.ClientConnectionError:
                return False  # not listening yet

        await poll_until(ready, timeout_s=30, interval_s=0.1)
        client = GraphQLClient(http, f"http://127.0.0.1:{port}/graphql")
        assert await client.data("query Hello { __typename }") == {"__typename": "Query"}
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(30):
            assert await process.wait() == 0
    lines = [json.loads(line) for line in output.read_text().splitlines()]
    for line in lines:
        assert TIME.fullmatch(line["time"]) and line["level"] in ("info", "warning"), line
    events = [(line["logger"], line["event"]) for line in lines]
    assert events[0] == (
        "kafka_graphql",
        "server.cursor_keys_env is not set: cursors are sealed with a key made for this process, "
        "and will not open after a restart or on another instance "
        "(docs/operations.md#cursor-keys)",
    )
    assert (
        "kafka_graphql",
        f"GraphiQL: http://127.0.0.1:{port}/graphql (Kafka at {bootstrap}, PLAINTEXT)",
    ) in events
    assert ("kafka_graphql.operations", "operation") in events
    (configuration,) = [
        json.loads(line) for line in (tmp_path / "audit.log").read_text().splitlines()
    ]
    assert TIME.fullmatch(configuration.pop("time"))
    assert configuration == {
        "type": "configuration",
        "logger": AUDIT_LOGGER,
        "principal": None,
        "source_ip": None,
        "request_id": None,
        "decision": None,
        "reason": None,
        "digest": settings_digest(load_settings(config, environ=env)),
        "profile": "development",
        "config_file": str(config),
    }
