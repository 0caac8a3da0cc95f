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
disable_created_metrics()

PREFIX = "kafka_graphql_"
# From 1 ms to 10 s.
SECONDS_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def gateway_version() -> str:
    try:
        return version("kafka-graphql")
    except PackageNotFoundError:  # run from a source tree without installing it
        return "unknown"


class Families:
    """Every family of the gateway's metrics, registered on `registry`."""

    def __init__(self, registry: CollectorRegistry) -> None:
        def counter(name: str, text: str, labels: tuple[str, ...] = ()) -> Counter:
            return Counter(PREFIX + name, text, labels, registry=registry)

        def gauge(name: str, text: str, labels: tuple[str, ...] = ()) -> Gauge:
            return Gauge(PREFIX + name, text, labels, registry=registry)

        def histogram(name: str, text: str, labels: tuple[str, ...] = ()) -> Histogram:
            return Histogram(
                PREFIX + name, text, labels, registry=registry, buckets=SECONDS_BUCKETS
            )

        self.requests = counter(
            "requests_total",
            "Operations on every face, by the code they ended with (OK or the error's code).",
            ("face", "operation_type", "code"),
        )
        self.request_duration = histogram(
            "request_duration_seconds",
            "How long operations took, subscriptions excluded.",
            ("face", "operation_type"),
        )
        self.operations = counter(
            "operations_total",
            "Operations by name (at most metrics.max_operation_names, then other).",
            ("operation_name", "operation_type", "code"),
        )
        self.connections = gauge(
            "connections", "Open connections that carry operations.", ("transport",)
        )
        self.subscriptions = gauge("subscriptions", "Open subscriptions.", ("topic",))
        self.subscription_groups = gauge(
            "subscription_groups", "Groups of live subscriptions that share one execution."
        )
        self.deliveries = counter(
            "deliveries_total", "Messages delivered to subscribers.", ("topic",)
        )
        self.delivered_bytes = counter(
            "delivered_bytes_total",
            "Bytes of the records delivered to subscribers (keys, values, headers).",
            ("topic",),
        )
        self.skipped = counter(
            "skipped_total",
            "Messages a subscriber that fell behind skipped (conflated).",
            ("topic",),
        )
        self.produced_records = counter(
            "produced_records_total",
            "Records written (code OK) or refused, by the code of the refusal.",
            ("topic", "code"),
        )
        self.produced_bytes = counter(
            "produced_bytes_total", "Bytes of the records written.", ("topic",)
        )
        self.produce_ack = histogram(
            "produce_ack_seconds", "Kafka's acknowledgement time of a produce call."
        )
        self.feed_lag = gauge(
            "feed_lag_records",
            "Records between a partition's log end and the shared live feed's position.",
            ("topic", "partition"),
        )
        self.feed_restarts = counter(
            "feed_restarts_total",
            "Live feed consumers the watchdog replaced (no progress).",
            ("topic",),
        )
        self.producer_replacements = counter(
            "producer_replacements_total", "Wedged producers replaced."
        )
        self.limit_refusals = counter(
            "limit_refusals_total", "Requests refused by a limit, by code.", ("code",)
        )
        self.auth_refusals = counter(
            "auth_refusals_total",
            "Requests refused by authentication or authorization, by reason.",
            ("reason",),
        )
        self.loop_lag = histogram(
            "event_loop_lag_seconds",
            "How late the event loop's 10 ms timer woke (how long the loop was held).",
        )
        build_info = gauge("build_info", "The gateway's version (always 1).", ("version",))
        build_info.labels(gateway_version()).set(1)
        ProcessCollector(registry=registry)
        PlatformCollector(registry=registry)
        GCCollector(registry=registry)
