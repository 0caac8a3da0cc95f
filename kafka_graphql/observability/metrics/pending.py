"""The increments and observations of the per-operation paths, kept as plain numbers and folded
into their series when the metrics are read (`fold`).

A prometheus-client increment takes a lock and checks its metric (~1.5 µs), an observation walks
the histogram's buckets (~3 µs): a produce made eight of them, a tenth of what its request costs
the event loop beyond the bare stack (benchmarks/observability_cost.py). Kept here, one is a
dictionary update. Observations wait in a bounded list (folded early when it is full), so what
waits between two scrapes is bounded whatever the rate.
"""

from __future__ import annotations

from typing import Any

# Observations waiting at most, before they are folded without waiting for a scrape.
MAX_WAITING_OBSERVATIONS = 4096


class Pending:
    __slots__ = ("_counts", "_observations")

    def __init__(self) -> None:
        # A counter's child -> what it gained since the last fold.
        self._counts: dict[Any, float] = {}
        self._observations: list[tuple[Any, float]] = []

    def inc(self, child: Any, amount: float = 1.0) -> None:
        counts = self._counts
        counts[child] = counts.get(child, 0.0) + amount

    def observe(self, child: Any, value: float) -> None:
        observations = self._observations
        observations.append((child, value))
        if len(observations) >= MAX_WAITING_OBSERVATIONS:
            self._fold_observations()

    def fold(self) -> None:
        counts, self._counts = self._counts, {}
        for child, amount in counts.items():
            child.inc(amount)
        self._fold_observations()

    def _fold_observations(self) -> None:
        observations, self._observations = self._observations, []
        for child, value in observations:
            child.observe(value)
