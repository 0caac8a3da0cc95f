"""What the gateway tells its operators (docs/operations.md): Prometheus metrics, and the sinks
the settings turn on."""

from kafka_graphql.observability.sinks import metrics_sink, telemetry_for

__all__ = ["metrics_sink", "telemetry_for"]
