"""A start-up that fails after some of the gateway's resources are open still ends with one line.

aiohttp leaves the cleanup contexts that had started open when a later one fails, and the event
loop closes their generators on the way out, in an order that depends on the process's memory
layout; nothing of that may surface as a traceback. (Run from outside the repository, as here,
the order that used to break `typed_topics` came up every time.)
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path


async def test_kafka_unreachable_at_start_up_is_one_line(tmp_path: Path) -> None:
    config = tmp_path / "gateway.toml"
    # Port 1 refuses at once: the Kafka step fails after the typed topics' step has started.
    config.write_text('[kafka]\nbootstrap_servers = "127.0.0.1:1"\nrequest_timeout_s = 5\n')
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "kafka_graphql",
        "--config",
        str(config),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={"KAFKA_GRAPHQL_PORT": "0", "KAFKA_GRAPHQL_METRICS_PORT": "0"},
        cwd=tmp_path,
    )
    try:
        async with asyncio.timeout(60):
            out, err = await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 1
    assert "Traceback" not in (out + err).decode()
    assert err.decode().endswith(
        "kafka-graphql: cannot start: cannot connect to Kafka at 127.0.0.1:1: connection refused\n"
    )
