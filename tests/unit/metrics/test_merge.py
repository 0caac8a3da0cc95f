"""The supervisor's merge of its workers' figures (`server.workers > 1`)."""

from __future__ import annotations

import json

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from kafka_graphql.observability.metrics.merge import families_json, merged
from kafka_graphql.observability.metrics.sink import MetricsSink
from kafka_graphql.settings import MetricsSettings


class Merged:
    """A registry with the merged families, as the supervisor serves them."""

    def __init__(self, *workers: bytes) -> None:
        self._families = merged(workers)

    def collect(self) -> list[object]:
        return list(self._families)


def registry_of(*workers: bytes) -> CollectorRegistry:
    registry = CollectorRegistry()
    registry.register(Merged(*workers))  # type: ignore[arg-type]
    return registry


def test_one_worker_merged_is_that_worker_byte_for_byte() -> None:
    sink = MetricsSink(MetricsSettings(), lambda topic: True)
    sink.families.requests.labels("graphql", "query", "OK").inc(3)
    sink.families.request_duration.labels("graphql", "query").observe(0.02)
    sink.families.feed_lag.labels("orders", "0").set(4)
    sink.families.loop_lag.observe(0.004)
    body = families_json(sink.registry)
    # The gateway's own families (the process's figures change from one reading to the next).
    assert _gateways(generate_latest(registry_of(body))) == _gateways(
        generate_latest(sink.registry)
    )


def _gateways(text: bytes) -> list[str]:
    lines = text.decode().splitlines()
    names = [line.removeprefix("# HELP ").removeprefix("# TYPE ") for line in lines]
    kept = [line for line, name in zip(lines, names, strict=True) if name.startswith("kafka_gr")]
    assert len(kept) > 50
    return kept


def worker(requests: float, lag: float, started: float, groups: float) -> bytes:
    registry = CollectorRegistry()
    Counter("kafka_graphql_requests_total", "r", ["code"], registry=registry).labels("OK").inc(
        requests
    )
    Gauge("kafka_graphql_feed_lag_records", "l", ["topic"], registry=registry).labels("t").set(lag)
    Gauge("process_start_time_seconds", "s", registry=registry).set(started)
    Gauge("kafka_graphql_subscription_groups", "g", registry=registry).set(groups)
    Gauge("kafka_graphql_build_info", "b", ["version"], registry=registry).labels("1.0").set(1)
    histogram = Histogram("kafka_graphql_produce_ack_seconds", "a", registry=registry, buckets=(1,))
    histogram.observe(0.5 * requests)
    return families_json(registry)


def test_counters_histograms_and_gauges_add_up_lag_is_the_largest_start_the_earliest() -> None:
    registry = registry_of(worker(3, 7, 100, 2), worker(4, 2, 90, 1))

    def value(name: str, **labels: str) -> float | None:
        return registry.get_sample_value(name, labels)

    assert value("kafka_graphql_requests_total", code="OK") == 7
    assert value("kafka_graphql_subscription_groups") == 3
    assert value("kafka_graphql_feed_lag_records", topic="t") == 7
    assert value("process_start_time_seconds") == 90
    assert value("kafka_graphql_build_info", version="1.0") == 1
    # 1.5 s and 2 s: both over the 1 s bucket.
    assert value("kafka_graphql_produce_ack_seconds_bucket", le="1.0") == 0
    assert value("kafka_graphql_produce_ack_seconds_bucket", le="+Inf") == 2
    assert value("kafka_graphql_produce_ack_seconds_count") == 2
    assert value("kafka_graphql_produce_ack_seconds_sum") == 3.5


def test_series_only_one_worker_has_are_kept() -> None:
    one = CollectorRegistry()
    Counter("c_total", "c", ["topic"], registry=one).labels("a").inc()
    other = CollectorRegistry()
    Counter("c_total", "c", ["topic"], registry=other).labels("b").inc(2)
    registry = registry_of(families_json(one), families_json(other))
    assert registry.get_sample_value("c_total", {"topic": "a"}) == 1
    assert registry.get_sample_value("c_total", {"topic": "b"}) == 2


def test_infinities_cross_as_json() -> None:
    registry = CollectorRegistry()
    Gauge("g", "g", registry=registry).set(float("inf"))
    (family,) = json.loads(families_json(registry))
    assert family["samples"] == [["g", {}, float("inf")]]
    assert registry_of(families_json(registry)).get_sample_value("g") == float("inf")
