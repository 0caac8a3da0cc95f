"""OpenTelemetry traces (`[tracing]`, the `otel` extra): imported only when tracing is on."""

from kafka_graphql.observability.traces.provider import configured_provider
from kafka_graphql.observability.traces.sink import TraceSink

__all__ = ["TraceSink", "configured_provider"]
