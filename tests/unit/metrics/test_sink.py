"""The metrics sink alone: what each report adds, the bounds of its labels, and what the live
subscriptions' tallies are folded into when the metrics are read."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry

from kafka_graphql.core.telemetry import (
    GRAPHQL,
    NO_TELEMETRY,
    Operation,
    Refusal,
    Subscription,
    Write,
)
from kafka_graphql.core.telemetry_fanout import Fanout
from kafka_graphql.observability.metrics.pending import MAX_WAITING_OBSERVATIONS
from kafka_graphql.observability.metrics.sink import MetricsSink
from kafka_graphql.observability.sinks import metrics_sink, telemetry_for
from kafka_graphql.runtime.loop_monitor import LoopMonitor
from kafka_graphql.settings import MetricsSettings, settings_from_mapping

EXPOSED = {"orders", "payments", "audit"}


def sink(max_topics: int = 100, max_operation_names: int = 200) -> MetricsSink:
    settings = MetricsSettings(max_topics=max_topics, max_operation_names=max_operation_names)
    return MetricsSink(settings, EXPOSED.__contains__)


def value(registry: CollectorRegistry, name: str, **labels: str) -> float | None:
    return registry.get_sample_value(name, labels)


def operation(kind: str, name: str | None = None, code: str = "OK", took: float = 0.0) -> Operation:
    return Operation(
        GRAPHQL, kind, "r", "alice", None, operation_name=name, code=code, duration_s=took
    )


def test_operations_beyond_max_operation_names_count_under_other() -> None:
    metrics = sink(max_operation_names=2)
    for name in ("A", "B", "C", "D", "A", None):
        metrics.operation_ended(operation("query", name))
    metrics.refresh(None)
    registry = metrics.registry
    counts = {
        name: value(
            registry,
            "kafka_graphql_operations_total",
            operation_name=name,
            operation_type="query",
            code="OK",
        )
        for name in ("A", "B", "C", "other", "")
    }
    assert counts == {"A": 2, "B": 1, "C": None, "other": 2, "": 1}
    assert (
        value(
            registry,
            "kafka_graphql_requests_total",
            face="graphql",
            operation_type="query",
            code="OK",
        )
        == 6
    )


def test_subscriptions_take_no_duration_and_durations_fall_in_their_buckets() -> None:
    metrics = sink()
    metrics.operation_ended(operation("query", took=0.003))
    metrics.operation_ended(operation("subscription", took=30.0))
    metrics.refresh(None)
    registry = metrics.registry
    bucket = "kafka_graphql_request_duration_seconds_bucket"
    assert value(registry, bucket, face="graphql", operation_type="query", le="0.0025") == 0
    assert value(registry, bucket, face="graphql", operation_type="query", le="0.005") == 1
    assert value(registry, bucket, face="graphql", operation_type="subscription", le="+Inf") is None


def test_a_live_subscriptions_tallies_are_folded_in_when_read_and_when_it_ends() -> None:
    metrics = sink(max_topics=1)
    registry = metrics.registry
    orders = Subscription(operation("subscription"), "orders")
    hidden = Subscription(operation("subscription"), "secret")
    fanned = Fanout([metrics])
    fanned.subscription_started(orders)
    fanned.subscription_started(hidden)
    assert value(registry, "kafka_graphql_subscriptions", topic="orders") == 1
    assert value(registry, "kafka_graphql_subscriptions", topic="other") == 1
    # The stream counts in place; nothing is reported per record.
    orders.deliveries, orders.delivered_bytes, orders.skipped = 3, 30, 1
    hidden.deliveries = 5
    assert value(registry, "kafka_graphql_deliveries_total", topic="orders") == 0
    metrics.refresh(None)
    assert value(registry, "kafka_graphql_deliveries_total", topic="orders") == 3
    assert value(registry, "kafka_graphql_delivered_bytes_total", topic="orders") == 30
    assert value(registry, "kafka_graphql_skipped_total", topic="orders") == 1
    assert value(registry, "kafka_graphql_deliveries_total", topic="other") == 5
    orders.deliveries += 2
    metrics.refresh(None)
    metrics.refresh(None)
    assert value(registry, "kafka_graphql_deliveries_total", topic="orders") == 5
    orders.deliveries += 1
    fanned.subscription_ended(orders)
    assert value(registry, "kafka_graphql_deliveries_total", topic="orders") == 6
    assert value(registry, "kafka_graphql_subscriptions", topic="orders") == 0
    # Ended: no longer read.
    orders.deliveries += 100
    metrics.refresh(None)
    assert value(registry, "kafka_graphql_deliveries_total", topic="orders") == 6


def test_writes_and_refused_writes() -> None:
    metrics = sink()
    metrics.produced(Write("alice", "orders", [(0, 1), (0, 2)], 12, 0.004))
    metrics.produce_failed("alice", "orders", 3, "RATE_LIMITED")
    metrics.refresh(None)
    registry = metrics.registry
    produced = "kafka_graphql_produced_records_total"
    assert value(registry, produced, topic="orders", code="OK") == 2
    assert value(registry, produced, topic="orders", code="RATE_LIMITED") == 3
    assert value(registry, "kafka_graphql_produced_bytes_total", topic="orders") == 12
    assert value(registry, "kafka_graphql_produce_ack_seconds_bucket", le="0.005") == 1
    assert value(registry, "kafka_graphql_produce_ack_seconds_bucket", le="0.0025") == 0


def test_refusals_by_code_and_by_reason() -> None:
    metrics = sink()
    for refusal in (
        Refusal("limit", "RATE_LIMITED", "rate_limited"),
        Refusal("limit", "TOO_MANY_CONNECTIONS", "connections"),
        Refusal("authentication", "UNAUTHENTICATED", "expired"),
        Refusal("authentication", "UNAUTHENTICATED", "expired"),
        Refusal("authorization", "NOT_FOUND", "invisible_topic"),
        Refusal("authorization", "FORBIDDEN", "forbidden"),
    ):
        metrics.refused(refusal)
    registry = metrics.registry
    assert value(registry, "kafka_graphql_limit_refusals_total", code="RATE_LIMITED") == 1
    assert value(registry, "kafka_graphql_limit_refusals_total", code="TOO_MANY_CONNECTIONS") == 1
    assert value(registry, "kafka_graphql_auth_refusals_total", reason="expired") == 2
    assert value(registry, "kafka_graphql_auth_refusals_total", reason="invisible_topic") == 1
    assert value(registry, "kafka_graphql_auth_refusals_total", reason="forbidden") == 1


def test_connections_and_groups() -> None:
    metrics = sink()
    metrics.connection_opened("graphql-transport-ws", "alice", None)
    metrics.connection_opened("graphql-transport-ws", "bob", None)
    metrics.connection_opened("graphql-ws", "bob", None)
    metrics.connection_closed("graphql-transport-ws", "bob", 1000, 2.0)
    metrics.subscription_groups_changed(4)
    registry = metrics.registry
    assert value(registry, "kafka_graphql_connections", transport="graphql-transport-ws") == 1
    assert value(registry, "kafka_graphql_connections", transport="graphql-ws") == 1
    assert value(registry, "kafka_graphql_subscription_groups") == 4


def test_the_loop_lag_histogram_takes_every_wake_up_of_the_monitor() -> None:
    metrics = sink()
    monitor = LoopMonitor(threshold_s=10)
    monitor.observers.append(metrics.families.loop_lag.observe)
    for lag in (0.0, 0.0004, 0.003, 0.2):
        monitor.note(lag)
    registry = metrics.registry
    bucket = "kafka_graphql_event_loop_lag_seconds_bucket"
    assert value(registry, bucket, le="0.001") == 2
    assert value(registry, bucket, le="0.005") == 3
    assert value(registry, bucket, le="0.25") == 4
    assert value(registry, "kafka_graphql_event_loop_lag_seconds_count") == 4


def test_operations_and_writes_wait_as_plain_numbers_until_the_metrics_are_read() -> None:
    metrics = sink()
    labels = {"face": "graphql", "operation_type": "query", "code": "OK"}
    requests = "kafka_graphql_requests_total"
    durations = "kafka_graphql_request_duration_seconds_count"
    for _ in range(3):
        metrics.operation_ended(operation("query"))
    metrics.produced(Write("alice", "orders", [(0, 1)], 5, 0.001))
    assert metrics.registry.get_sample_value(requests, labels) == 0  # bound, not counted yet
    metrics.refresh(None)
    metrics.refresh(None)
    assert metrics.registry.get_sample_value(requests, labels) == 3
    assert metrics.registry.get_sample_value(durations, labels) is None  # no `code` label
    count = metrics.registry.get_sample_value(
        durations, {"face": "graphql", "operation_type": "query"}
    )
    assert count == 3
    # Observations that would wait beyond the bound are folded without a read.
    for _ in range(MAX_WAITING_OBSERVATIONS):
        metrics.operation_ended(operation("mutation"))
    mutations = {"face": "graphql", "operation_type": "mutation"}
    assert metrics.registry.get_sample_value(durations, mutations) == MAX_WAITING_OBSERVATIONS


def test_two_sinks_in_one_process_count_apart() -> None:
    one, other = sink(), sink()
    one.operation_ended(operation("query"))
    one.refresh(None)
    other.refresh(None)
    labels = {"face": "graphql", "operation_type": "query", "code": "OK"}
    assert one.registry.get_sample_value("kafka_graphql_requests_total", labels) == 1
    assert other.registry.get_sample_value("kafka_graphql_requests_total", labels) is None


def test_the_settings_make_the_metrics_sink_beside_the_trace_sink(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "none")
    # Without the operation log (tests/unit/test_logs.py has the sinks of [logging]).
    quiet = {"logging": {"level": "warning"}}
    alone = telemetry_for(settings_from_mapping(quiet))
    assert isinstance(alone, MetricsSink) and metrics_sink(alone) is alone
    both = telemetry_for(settings_from_mapping({"tracing": {"enabled": True}}, environ={}))
    assert isinstance(both, Fanout)
    assert [type(s).__name__ for s in both.sinks] == ["MetricsSink", "TraceSink", "OperationLog"]
    assert metrics_sink(both) is both.sinks[0]
    both.close()
    assert metrics_sink(NO_TELEMETRY) is None
