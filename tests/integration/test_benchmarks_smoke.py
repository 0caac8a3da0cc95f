"""The benchmark suite runs (`python -m benchmarks`, docs/benchmarks.md): P1 in its quick form
measures both sides, the gateway and the bare handler, against the test broker; so do the REST
face's rows beside it (R1: REST produce and the same bare handler; R4: a consumer instance and
the raw consumer), each placed after the GraphQL row it repeats."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path


async def test_p1_r1_r4_quick_measure_the_gateway_and_the_bare_stack(
    bootstrap: str, tmp_path: Path
) -> None:
    out = tmp_path / "p1.json"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "benchmarks", "R4", "R1", "P1", "--quick", "--duration", "0.5"),
        *("--http-workers", "1"),
        *("--out", str(out)),
        env={**os.environ, "KAFKA_BOOTSTRAP_SERVERS": bootstrap},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    assert process.returncode == 0, output.decode()
    assert out.exists(), output.decode()
    rows = json.loads(out.read_text())["rows"]
    assert [row["scenario"] for row in rows] == ["P1", "R1", "R4"]
    for row in rows:
        assert row["figure"] > 0
        assert row["baseline"] > 0
        assert row["gateway_cpu_us"] > 0
    for row in rows[:2]:
        assert row["details"]["gateway"]["errors"] == 0
        assert row["details"]["bare"]["errors"] == 0
