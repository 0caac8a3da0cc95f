"""Rewrites the results section of docs/benchmarks.md, and its plot, from a results file.

    python -m benchmarks.report [benchmarks/results/latest.json]

The section sits between two markers in the doc; everything else there is written by hand.
The plot needs the `bench` extra (matplotlib); without it the table is still written.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from benchmarks.results import RESULTS, Row, cells, load

DOCS = Path(__file__).parent.parent / "docs"
DOC = DOCS / "benchmarks.md"
PLOT = DOCS / "benchmarks.png"
BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"
HEADER = (
    "scenario",
    "gateway",
    "bare stack",
    "ratio / change",
    "target",
    "",
    "gateway CPU µs/op",
    "bare CPU µs/op",
    "gateway peak RSS MB",
)


def markdown(meta: dict[str, Any], rows: list[Row], plotted: bool) -> str:
    m = meta["machine"]
    lines = [f"{m['cores']} cores ({m['cpu']}), Python {m['python']}, Linux {m['kernel']}.", ""]
    for run in meta.get("runs", [{"date": meta["date"], "command": meta["command"]}]):
        scenarios = ", ".join(run.get("scenarios", []))
        lines.append(f"- {run['date']}: `{run['command']}` ({scenarios})")
    lines += [
        "",
        "| " + " | ".join(HEADER) + " |",
        "|" + "---|" * len(HEADER),
    ]
    for row in rows:
        row_cells = cells(row)
        row_cells[5] = {True: "pass", False: "**miss**", None: ""}[row.passed]
        lines.append("| " + " | ".join(c.replace("|", "/") for c in row_cells) + " |")
    if plotted:
        lines += ["", f"![P5 and P6: server CPU per delivery and per record]({PLOT.name})"]
    return "\n".join(lines)


def plot(rows: list[Row], path: Path) -> bool:
    try:
        import matplotlib  # optional: the bench extra

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed (pip install -e .[bench]): no plot", file=sys.stderr)
        return False
    # The WebSocket rows (P5 over HTTP streams is beside them, in the table only).
    fan = [r for r in rows if r.scenario == "P5" and "transport" not in r.details]
    keyed = [r for r in rows if r.scenario == "P6" and r.details.get("family") == "uniform"]
    alone = [r for r in rows if r.scenario == "P6" and r.details.get("family") == "same deliveries"]
    panels = [
        (fan, "P5 fan-out: CPU per delivery", "µs CPU / delivery"),
        (keyed, "P6 1 key of 1,000 each: CPU per record", "µs CPU / record"),
        (alone, "P6 same deliveries at every size: CPU per record", "µs CPU / record"),
    ]
    panels = [panel for panel in panels if panel[0]]
    if not panels:
        return False
    figure, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 4), squeeze=False)
    for ax, (series, title, unit) in zip(axes[0], panels, strict=True):
        xs = [r.details["subscribers"] for r in series]
        ax.plot(xs, [r.gateway_cpu_us or None for r in series], "o-", label="gateway")
        ax.plot(xs, [r.baseline_cpu_us or None for r in series], "s--", label="bare stack")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("subscribers")
        ax.set_ylabel(unit)
        ax.set_title(title, fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)
    return True


def main(argv: list[str]) -> int:
    source = Path(argv[0]) if argv else RESULTS / "latest.json"
    if not source.exists():
        print(f"{source} does not exist: run the benchmarks first", file=sys.stderr)
        return 1
    meta, rows = load(source)
    plotted = plot(rows, PLOT)
    text = DOC.read_text()
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    DOC.write_text(f"{head}{BEGIN}\n{markdown(meta, rows, plotted)}\n{END}{tail}")
    print(f"{DOC} rewritten from {source}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
