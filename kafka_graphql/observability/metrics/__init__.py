"""Prometheus metrics (docs/operations.md#metrics): the families, the sink that counts into
them, the listener that serves them, and the supervisor's merge of its workers' figures."""

from kafka_graphql.observability.metrics.federation import WorkerMetrics
from kafka_graphql.observability.metrics.listener import METRICS, MetricsListener, add_metrics
from kafka_graphql.observability.metrics.sink import MetricsSink

__all__ = ["METRICS", "MetricsListener", "MetricsSink", "WorkerMetrics", "add_metrics"]
