"""The sinks the settings turn on, as the one `Telemetry` the gateway reports to."""

from __future__ import annotations

from kafka_graphql.core.telemetry import Fanout, Telemetry
from kafka_graphql.core.topics import TopicRegistry
from kafka_graphql.observability.metrics import MetricsSink
from kafka_graphql.settings import Settings


def telemetry_for(settings: Settings, topics: TopicRegistry) -> Fanout:
    """Every sink `settings` turn on (none: a `Fanout` of nothing, which records nothing)."""
    sinks: list[Telemetry] = []
    if settings.metrics.enabled:
        sinks.append(MetricsSink(settings.metrics, topics.is_exposed))
    return Fanout(sinks)


def metrics_sink(telemetry: Telemetry) -> MetricsSink | None:
    """The metrics sink among `telemetry`'s, if any (its listener is the app's to serve)."""
    sinks = telemetry.sinks if isinstance(telemetry, Fanout) else (telemetry,)
    return next((sink for sink in sinks if isinstance(sink, MetricsSink)), None)
