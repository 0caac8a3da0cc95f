"""The `[metrics]` table: the Prometheus metrics and the listener that serves them
(docs/operations.md#metrics)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from kafka_graphql.settings.fields import Matching, Table

MetricsPath = Annotated[
    str,
    Matching(
        "a path",
        lambda path: path.startswith("/") and path.isprintable() and " " not in path,
        "{key} must be a URL path starting with /",
    ),
]


class MetricsSettings(Table):
    """`[metrics]`: Prometheus metrics on their own listener, never on the public port."""

    enabled: bool = True
    """serve the metrics (Prometheus text format) on `metrics.host`:`metrics.port`; with
    `server.workers > 1` the supervisor serves there the figures of every worker
    ([operations.md](operations.md#metrics))"""
    host: str = "127.0.0.1"
    """the metrics listener's address: loopback by default, so that only the machine (or a
    sidecar, or a port the operator forwards) reaches it; it is a separate listener from
    `server.host`, with no authentication of its own"""
    port: int = Field(9464, ge=0, le=65535)
    """the metrics listener's port (`0`: any free port, which the start-up log names)"""
    path: MetricsPath = "/metrics"
    """where Prometheus scrapes"""
    max_topics: int = Field(100, ge=1, le=100_000)
    """distinct values of the `topic` label (exposed topics only); the figures of the topics
    beyond them are counted under `"other"`"""
    max_operation_names: int = Field(200, ge=1, le=100_000)
    """distinct values of the `operation_name` label; operations with other names are counted
    under `"other"`"""

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}{self.path}"
