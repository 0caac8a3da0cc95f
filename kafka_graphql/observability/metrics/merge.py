"""Several workers' metrics as one gateway's (`server.workers > 1`): each worker hands its
families over as JSON (`families_json`), and the supervisor merges them (`merged`), sample by
sample (same name, same labels): counters, histograms and most gauges add up; the gauges in
`LARGEST` and `SMALLEST` take the largest or smallest worker's value instead.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from prometheus_client import CollectorRegistry, Metric

# A feed's lag on the worker that is furthest behind; a version or a limit that every worker
# shares is not multiplied by their number.
LARGEST = frozenset(
    {"kafka_graphql_feed_lag_records", "kafka_graphql_build_info", "python_info", "process_max_fds"}
)
# The oldest worker's start.
SMALLEST = frozenset({"process_start_time_seconds"})

Combine = Callable[[float, float], float]


def families_json(registry: CollectorRegistry) -> bytes:
    """Every family of `registry`, for the supervisor to merge (NaN and infinities included, as
    Python's json writes and reads them)."""
    return json.dumps(
        [
            {
                "name": family.name,
                "documentation": family.documentation,
                "type": family.type,
                "unit": family.unit,
                "samples": [[s.name, s.labels, s.value] for s in family.samples],
            }
            for family in registry.collect()
        ]
    ).encode()


def _combine(name: str) -> Combine:
    if name in LARGEST:
        return max
    if name in SMALLEST:
        return min
    return lambda a, b: a + b


def merged(workers: Iterable[bytes]) -> list[Metric]:
    """The families of every worker's `families_json`, merged into one gateway's."""
    families: dict[str, Metric] = {}
    values: dict[str, dict[tuple[str, tuple[tuple[str, str], ...]], float]] = {}
    for body in workers:
        family: dict[str, Any]
        for family in json.loads(body):
            name = family["name"]
            if name not in families:
                families[name] = Metric(
                    name, family["documentation"], family["type"], family["unit"]
                )
                values[name] = {}
            combine, seen = _combine(name), values[name]
            for sample, labels, value in family["samples"]:
                key = (sample, tuple(labels.items()))
                seen[key] = combine(seen[key], value) if key in seen else value
    for name, metric in families.items():
        for (sample, labels), value in values[name].items():
            metric.add_sample(sample, dict(labels), value)
    return list(families.values())
