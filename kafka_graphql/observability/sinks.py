"""The telemetry the settings turn on: one `Telemetry` for the composition root to hand the app.

Each sink's library is imported here only when its table turns it on, so that a gateway without
the `otel` extra, or with tracing off, never imports OpenTelemetry.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from kafka_graphql.core.telemetry import NO_TELEMETRY, Telemetry
from kafka_graphql.core.telemetry_fanout import Fanout
from kafka_graphql.core.topics import TopicRegistry
from kafka_graphql.observability.logs.audit import AuditLog
from kafka_graphql.observability.logs.operations import OperationLog
from kafka_graphql.observability.metrics import MetricsSink
from kafka_graphql.settings import Settings

# The levels that write the operation log's lines (INFO).
OPERATION_LEVELS = ("debug", "info")


def telemetry_for(
    settings: Settings,
    environ: Mapping[str, str] | None = None,
    topics: TopicRegistry | None = None,
) -> Telemetry:
    """The sinks `settings` turn on, as one `Telemetry` (a no-op one when none is); `environ`
    (default: os.environ) configures OpenTelemetry's exporter; `topics` (default: those of
    `settings`) says which topics may be a metric's `topic` label. The caller `close`s it.

    The operation log when `logging.level` writes its lines (`info`, `debug`): until logging is
    set up, a line costs a check. The audit log when `logging.audit` is on."""
    sinks: list[Telemetry] = []
    if settings.metrics.enabled:
        exposed = topics or TopicRegistry(settings.topics)
        sinks.append(MetricsSink(settings.metrics, exposed.is_exposed))
    if settings.tracing.enabled:
        from kafka_graphql.observability.traces import TraceSink, configured_provider

        provider, owned = configured_provider(os.environ if environ is None else environ)
        sinks.append(
            TraceSink(
                provider,
                include_document=settings.tracing.include_document,
                owns_provider=owned,
            )
        )
    if settings.logging.level in OPERATION_LEVELS:
        sinks.append(OperationLog())
    if settings.logging.audit:
        sinks.append(AuditLog())
    if not sinks:
        return NO_TELEMETRY
    return sinks[0] if len(sinks) == 1 else Fanout(sinks)


def metrics_sink(telemetry: Telemetry) -> MetricsSink | None:
    """The metrics sink among `telemetry`'s, if any (its listener is the app's to serve)."""
    sinks = telemetry.sinks if isinstance(telemetry, Fanout) else (telemetry,)
    return next((sink for sink in sinks if isinstance(sink, MetricsSink)), None)
