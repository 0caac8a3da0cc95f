"""V1: validation of the slowest documents the default limits admit (benchmarks/validation.py
holds the documents and prints the whole table: `python -m benchmarks.validation`)."""

from __future__ import annotations

import asyncio

from benchmarks.results import Row
from benchmarks.scenarios.base import Run
from benchmarks.validation import TARGET_MS, Measured, run_all


def _details(measured: list[Measured]) -> dict[str, object]:
    return {
        f"{m.family} ({m.schema})": {
            "size": m.size,
            "tokens": m.tokens,
            "expanded_fields": m.expanded_fields,
            "merge_pairs": m.merge_pairs,
            "validate_ms": round(m.validate_ms, 2),
            "validate_min_ms": round(m.validate_min_ms, 2),
            "parse_ms": round(m.parse_ms, 2),
            "cost_ms": None if m.cost_ms is None else round(m.cost_ms, 2),
            "refusal": m.refusal,
        }
        for m in measured
    }


async def v1(run: Run) -> list[Row]:
    # CPU only, no broker: in a thread, so that the suite's loop is not held meanwhile.
    admitted, refused = await asyncio.to_thread(run_all)
    slowest = max(admitted, key=lambda m: m.validate_ms)
    slowest_refusal = max(refused, key=lambda m: m.validate_ms)
    return [
        Row(
            "V1",
            f"validation of the slowest document within the default limits ({slowest.family}, "
            f"{slowest.schema} schema, {slowest.tokens} tokens)",
            slowest.validate_ms,
            None,
            "ms",
            ratio_text=f"{slowest.validate_ms:.1f} ms CPU",
            target=f"<= {TARGET_MS:.0f} ms",
            passed=slowest.validate_ms <= TARGET_MS,
            details=_details(admitted),
        ),
        Row(
            "V1",
            f"refusal of the slowest document beyond them ({slowest_refusal.family}, "
            f"{slowest_refusal.tokens} tokens, {slowest_refusal.expanded_fields:,} fields "
            "written out)",
            slowest_refusal.validate_ms,
            None,
            "ms",
            ratio_text=f"{slowest_refusal.validate_ms:.1f} ms CPU",
            target=f"<= {TARGET_MS:.0f} ms",
            passed=slowest_refusal.validate_ms <= TARGET_MS,
            details=_details(refused),
        ),
    ]
