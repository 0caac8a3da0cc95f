"""What every scenario gets: the options, and what earlier scenarios of the run found."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from benchmarks.options import Options
from benchmarks.results import Row


@dataclass
class Run:
    options: Options
    found: dict[str, Any] = field(default_factory=dict)  # e.g. P1's gateway rate, for P3

    @property
    def broker_port(self) -> int:
        return int(self.options.bootstrap.split(",")[0].rsplit(":", 1)[1])


Scenario = Callable[[Run], Awaitable[list[Row]]]
