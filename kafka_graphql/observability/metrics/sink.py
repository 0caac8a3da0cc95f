"""The Prometheus metrics sink: what the faces and the core report (core/telemetry.py), counted
into the families of families.py.

Each event is one or two increments of series bound once per label values (a topic's series are
bound when the topic is first seen); those of every operation and every write wait as plain
numbers until the metrics are read (pending.py). What a subscription delivers is not reported
per record:
the stream adds to its own `Subscription` tallies, and the sink folds what they gained into the
counters when the metrics are read (`refresh`), along with the Kafka layer's figures.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry

from kafka_graphql.core.kafka_layer import KafkaLayer
from kafka_graphql.core.telemetry import Operation, Refusal, Subscription, Telemetry, Write
from kafka_graphql.observability.metrics.families import Families
from kafka_graphql.observability.metrics.kafka_figures import KafkaSeries
from kafka_graphql.observability.metrics.labels import (
    Bounded,
    OperationNames,
    is_code,
    is_word,
)
from kafka_graphql.observability.metrics.pending import Pending
from kafka_graphql.settings import MetricsSettings

OK = "OK"
SUBSCRIPTION = "subscription"
# Operations whose series stay bound by what they report (face, type, code, name): beyond them,
# the series are looked up again (a caller may send any name; the labels are bounded anyway).
MAX_BOUND_OPERATIONS = 4096
# Labels whose values the gateway's own code names (faces, operation types, codes, reasons,
# transports): bounded all the same, against a value that should never be there.
MAX_WORDS = 50


class TopicSeries:
    """One `topic` label's series, bound once."""

    __slots__ = ("delivered_bytes", "deliveries", "produced", "produced_bytes", "skipped", "subs")

    def __init__(self, families: Families, topic: str) -> None:
        self.subs = families.subscriptions.labels(topic)
        self.deliveries = families.deliveries.labels(topic)
        self.delivered_bytes = families.delivered_bytes.labels(topic)
        self.skipped = families.skipped.labels(topic)
        self.produced = families.produced_records.labels(topic, OK)
        self.produced_bytes = families.produced_bytes.labels(topic)


@dataclass(slots=True)
class _Watched:
    """A live subscription, and how much of its tallies the counters hold."""

    subscription: Subscription
    series: TopicSeries
    deliveries: int = 0
    delivered_bytes: int = 0
    skipped: int = 0

    def fold(self) -> None:
        s = self.subscription
        if s.deliveries != self.deliveries:
            self.series.deliveries.inc(s.deliveries - self.deliveries)
            self.deliveries = s.deliveries
        if s.delivered_bytes != self.delivered_bytes:
            self.series.delivered_bytes.inc(s.delivered_bytes - self.delivered_bytes)
            self.delivered_bytes = s.delivered_bytes
        if s.skipped != self.skipped:
            self.series.skipped.inc(s.skipped - self.skipped)
            self.skipped = s.skipped


class _Children:
    """A family's children by label values, bound on first use."""

    def __init__(self, family: Any) -> None:
        self._family = family
        self._bound: dict[Hashable, Any] = {}

    def __call__(self, *values: str) -> Any:
        child = self._bound.get(values)
        if child is None:
            child = self._bound[values] = self._family.labels(*values)
        return child


class MetricsSink(Telemetry):
    """Counts what the gateway reports into its own registry (`registry`); `refresh` before
    reading it. `is_exposed`: whether a topic may be a `topic` label value."""

    def __init__(self, settings: MetricsSettings, is_exposed: Callable[[str], bool]) -> None:
        self.settings = settings
        self.registry = CollectorRegistry(auto_describe=True)
        self.families = families = Families(self.registry)
        self._topic = Bounded(settings.max_topics, is_exposed)
        self._topics: dict[str, TopicSeries] = {}
        self._operation_name = OperationNames(settings.max_operation_names)
        self._word = Bounded(MAX_WORDS, is_word)
        self._code = Bounded(MAX_WORDS * 2, is_code)
        self._requests = _Children(families.requests)
        self._durations = _Children(families.request_duration)
        self._operations = _Children(families.operations)
        self._connections = _Children(families.connections)
        self._produce_refused = _Children(families.produced_records)
        self._limit_refusals = _Children(families.limit_refusals)
        self._auth_refusals = _Children(families.auth_refusals)
        self._live: dict[int, _Watched] = {}
        self._kafka = KafkaSeries(families, self._topic)
        self._pending = Pending()
        # (face, type, code, name) -> its requests, duration (None: a subscription) and
        # operations series.
        self._bound: dict[tuple[str, str, str, str | None], tuple[Any, Any, Any]] = {}

    def topic(self, topic: str) -> TopicSeries:
        """The series of `topic`'s label (its own, or `"other"`'s)."""
        label = self._topic(topic)
        series = self._topics.get(label)
        if series is None:
            series = self._topics[label] = TopicSeries(self.families, label)
        return series

    def refresh(self, kafka: KafkaLayer | None) -> None:
        """Before the metrics are read: what the live subscriptions delivered since the last
        time, and the Kafka layer's figures (None: not started yet)."""
        self._pending.fold()
        for watched in self._live.values():
            watched.fold()
        if kafka is not None:
            self._kafka.refresh(kafka.figures())

    def operation_ended(self, operation: Operation) -> None:
        key = (operation.face, operation.operation_type, operation.code, operation.operation_name)
        bound = self._bound.get(key)
        if bound is None:
            bound = self._series_of(operation)
            if len(self._bound) < MAX_BOUND_OPERATIONS:
                self._bound[key] = bound
        requests, duration, operations = bound
        pending = self._pending
        pending.inc(requests)
        if duration is not None:
            pending.observe(duration, operation.duration_s)
        pending.inc(operations)

    def _series_of(self, operation: Operation) -> tuple[Any, Any, Any]:
        face = self._word(operation.face)
        kind = self._word(operation.operation_type)
        code = self._code(operation.code)
        return (
            self._requests(face, kind, code),
            self._durations(face, kind) if kind != SUBSCRIPTION else None,
            self._operations(self._operation_name(operation.operation_name), kind, code),
        )

    def connection_opened(self, transport: str, principal: str, source_ip: str | None) -> None:
        self._connections(self._word(transport)).inc()

    def connection_closed(
        self, transport: str, principal: str, close_code: int | None, duration_s: float
    ) -> None:
        self._connections(self._word(transport)).dec()

    def subscription_started(self, subscription: Subscription) -> None:
        series = self.topic(subscription.topic)
        series.subs.inc()
        self._live[id(subscription)] = _Watched(subscription, series)

    def subscription_ended(self, subscription: Subscription) -> None:
        watched = self._live.pop(id(subscription), None)
        if watched is not None:
            watched.fold()
            watched.series.subs.dec()

    def subscription_groups_changed(self, count: int) -> None:
        self.families.subscription_groups.set(count)

    def produced(self, write: Write) -> None:
        series, pending = self.topic(write.topic), self._pending
        pending.inc(series.produced, len(write.positions))
        pending.inc(series.produced_bytes, write.size)
        pending.observe(self.families.produce_ack, write.ack_s)

    def produce_failed(self, principal: str, topic: str, records: int, code: str) -> None:
        self._produce_refused(self._topic(topic), self._code(code)).inc(records)

    def refused(self, refusal: Refusal) -> None:
        if refusal.kind == "limit":
            self._limit_refusals(self._code(refusal.code)).inc()
        else:
            self._auth_refusals(self._word(refusal.reason)).inc()
