"""The app's telemetry: the sinks the settings turn on, in one `Fanout`."""

from __future__ import annotations

from kafka_graphql.core.telemetry import Fanout, Telemetry
from kafka_graphql.observability.logs.audit import AuditLog
from kafka_graphql.observability.logs.operations import OperationLog
from kafka_graphql.settings import Settings


def telemetry_for(settings: Settings) -> Telemetry:
    """The operation log always (its lines cost a level check when below the level), the
    audit log when `logging.audit` is on."""
    sinks: list[Telemetry] = [OperationLog()]
    if settings.logging.audit:
        sinks.append(AuditLog())
    return Fanout(sinks)
