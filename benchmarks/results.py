"""One row per figure: what it is, the baseline beside it, the target and whether it holds, and
what the servers cost. Printed as a table and kept as JSON (benchmarks/results/)."""

from __future__ import annotations

import json
import os
import platform
import statistics
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"


@dataclass
class Row:
    scenario: str  # P1 .. P11, R1, R4, V1
    label: str
    figure: float | None  # the gateway's
    baseline: float | None  # the bare stack's
    unit: str
    ratio: float | None = None  # the figure the target is about (ratio, growth, overhead ...)
    ratio_text: str = ""
    target: str = ""
    passed: bool | None = None  # None: no target on this row
    gateway_cpu_us: float | None = None  # gateway CPU per operation
    baseline_cpu_us: float | None = None
    gateway_rss_mb: float | None = None  # peak (VmHWM)
    baseline_rss_mb: float | None = None
    details: dict[str, Any] = field(default_factory=dict)


def scenario_order(name: str) -> tuple[bool, int, int]:
    """P1 .. P11, each REST and gRPC row beside its GraphQL one (R1 then G1 after P1, R4 after
    P4, G5 after P5), then V1 (validation, which needs no broker)."""
    kind = "PRG".find(name[0])
    return kind < 0, int(name[1:]), kind


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100); +inf if `values` is empty."""
    if not values:
        return float("inf")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=1000, method="inclusive")[int(q * 10) - 1]


def _num(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "-"
    if value == float("inf"):
        return "inf"
    return f"{value:,.{digits}f}"


def _digits(value: float | None) -> int:
    if value is None or value in (float("inf"), float("-inf")) or value != value:
        return 0
    if abs(value - round(value)) < 1e-6:
        return 0
    return 2 if abs(value) < 10 else 0


COLUMNS = ("", "figure", "bare stack", "ratio", "target", "", "gw CPU µs/op", "bare", "gw RSS MB")


def cells(row: Row) -> list[str]:
    verdict = {True: "pass", False: "MISS", None: ""}[row.passed]
    return [
        f"{row.scenario} {row.label}",
        f"{_num(row.figure, _digits(row.figure))} {row.unit}",
        f"{_num(row.baseline, _digits(row.baseline))} {row.unit}"
        if row.baseline is not None
        else "-",
        row.ratio_text or _num(row.ratio, 2),
        row.target,
        verdict,
        _num(row.gateway_cpu_us, 1),
        _num(row.baseline_cpu_us, 1),
        _num(row.gateway_rss_mb, 0),
    ]


def table(rows: list[Row]) -> str:
    lines = [list(COLUMNS), *(cells(row) for row in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(COLUMNS))]
    out = [" | ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) for line in lines]
    out.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(out)


def machine() -> dict[str, Any]:
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "kernel": platform.release(),
    }


def save(path: Path, rows: list[Row], meta: dict[str, Any]) -> None:
    """Writes `rows` into `path`, keeping the rows of scenarios that did not run this time."""
    ran = {row.scenario for row in rows}
    kept: list[dict[str, Any]] = []
    runs: list[dict[str, Any]] = []
    if path.exists():
        before = json.loads(path.read_text())
        kept = [r for r in before["rows"] if r["scenario"] not in ran]
        # The earlier runs whose rows are still here, each with the scenarios it still holds.
        for run in before.get("runs", []):
            if still := [s for s in run["scenarios"] if s not in ran]:
                runs.append({**run, "scenarios": still})
    runs.append({"date": meta["date"], "command": meta["command"], "scenarios": sorted(ran)})
    merged = sorted(
        [*kept, *(asdict(row) for row in rows)], key=lambda r: scenario_order(r["scenario"])
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {**meta, "machine": machine(), "runs": runs, "rows": merged}
    path.write_text(json.dumps(data, indent=1) + "\n")


def load(path: Path) -> tuple[dict[str, Any], list[Row]]:
    data = json.loads(path.read_text())
    return data, [Row(**r) for r in data["rows"]]
