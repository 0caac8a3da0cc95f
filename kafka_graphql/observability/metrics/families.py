"""The metric families, exactly as docs/operations.md#metrics lists them, made on a registry of
their own (one per gateway: tests run many gateways in one process, and nothing here touches
prometheus-client's global default registry)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    disable_created_metrics,
)

# A `_created` series beside every counter and histogram doubles what is scraped and says
# nothing an operator alerts on (Prometheus' text format does not need it).
disable_created_metrics()  # type: ignore[no-untyped-call]

PREFIX = "kafka_graphql_"
# From 1 ms to 10 s.
SECONDS_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def gateway_version() -> str:
    try:
        return version("kafka-graphql")
    except PackageNotFoundError:  # run from a source tree without installing it
        return "unknown"


def _counter(registry: CollectorRegistry, name: str, text: str, *labels: str) -> Counter:
    return Counter(PREFIX + name, text, labels, registry=registry)


def _gauge(registry: CollectorRegistry, name: str, text: str, *labels: str) -> Gauge:
    return Gauge(PREFIX + name, text, labels, registry=registry)


def _histogram(registry: CollectorRegistry, name: str, text: str, *labels: str) -> Histogram:
    return Histogram(PREFIX + name, text, labels, registry=registry, buckets=SECONDS_BUCKETS)


class Families:
    """Every family of the gateway's metrics, registered on `registry` with the client library's
    process and Python collectors."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._operations(registry)
        self._streams(registry)
        self._writes_and_kafka(registry)
        self._refusals_and_process(registry)

    def _operations(self, registry: CollectorRegistry) -> None:
        self.requests = _counter(
            registry,
            "requests_total",
            "Operations on every face, by the code they ended with (OK or the error's code).",
            *("face", "operation_type", "code"),
        )
        self.request_duration = _histogram(
            registry,
            "request_duration_seconds",
            "How long operations took, subscriptions excluded.",
            *("face", "operation_type"),
        )
        self.operations = _counter(
            registry,
            "operations_total",
            "Operations by name (at most metrics.max_operation_names, then other).",
            *("operation_name", "operation_type", "code"),
        )

    def _streams(self, registry: CollectorRegistry) -> None:
        self.connections = _gauge(
            registry, "connections", "Open connections that carry operations.", "transport"
        )
        self.subscriptions = _gauge(registry, "subscriptions", "Open subscriptions.", "topic")
        self.subscription_groups = _gauge(
            registry,
            "subscription_groups",
            "Groups of live subscriptions that share one execution.",
        )
        self.deliveries = _counter(
            registry, "deliveries_total", "Messages delivered to subscribers.", "topic"
        )
        self.delivered_bytes = _counter(
            registry,
            "delivered_bytes_total",
            "Bytes of the values delivered to subscribers, as written to Kafka.",
            "topic",
        )
        self.skipped = _counter(
            registry,
            "skipped_total",
            "Messages a subscriber that fell behind skipped (conflated).",
            "topic",
        )

    def _writes_and_kafka(self, registry: CollectorRegistry) -> None:
        self.produced_records = _counter(
            registry,
            "produced_records_total",
            "Records written (code OK) or refused, by the code of the refusal.",
            *("topic", "code"),
        )
        self.produced_bytes = _counter(
            registry,
            "produced_bytes_total",
            "Bytes of the records written (keys, values, headers).",
            "topic",
        )
        self.produce_ack = _histogram(
            registry, "produce_ack_seconds", "Kafka's acknowledgement time of a produce call."
        )
        self.feed_lag = _gauge(
            registry,
            "feed_lag_records",
            "Records between a partition's log end and the shared live feed's position.",
            *("topic", "partition"),
        )
        self.feed_restarts = _counter(
            registry,
            "feed_restarts_total",
            "Live feed consumers the watchdog replaced (no progress).",
            "topic",
        )
        self.producer_replacements = _counter(
            registry, "producer_replacements_total", "Wedged producers replaced."
        )

    def _refusals_and_process(self, registry: CollectorRegistry) -> None:
        self.limit_refusals = _counter(
            registry, "limit_refusals_total", "Requests refused by a limit, by code.", "code"
        )
        self.auth_refusals = _counter(
            registry,
            "auth_refusals_total",
            "Requests refused by authentication or authorization, by reason.",
            "reason",
        )
        self.loop_lag = _histogram(
            registry,
            "event_loop_lag_seconds",
            "How late the event loop's 10 ms timer woke (how long the loop was held).",
        )
        build_info = _gauge(registry, "build_info", "The gateway's version (always 1).", "version")
        build_info.labels(gateway_version()).set(1)
        ProcessCollector(registry=registry)
        PlatformCollector(registry=registry)
        GCCollector(registry=registry)
