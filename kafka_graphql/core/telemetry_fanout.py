"""A `Telemetry` that passes every event on to the sinks the settings turn on (metrics, logs,
traces), each event only to the sinks that record it."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager, nullcontext
from typing import Any

from kafka_graphql.core.telemetry import (
    NO_SPAN,
    Operation,
    ProduceSpan,
    Refusal,
    Subscription,
    Telemetry,
    Write,
)

log = logging.getLogger(__name__)


class Fanout(Telemetry):
    """Every event to every sink that records it, in order; a sink that raises is logged and
    skipped."""

    def __init__(self, sinks: Sequence[Telemetry]) -> None:
        self.sinks = tuple(sinks)
        self._tracing = tuple(sink for sink in self.sinks if sink.traces_deliveries)
        self.traces_deliveries = bool(self._tracing)
        # Per event, only the sinks that override it: most events interest one or two sinks,
        # and a produce makes six of them (a no-op call through `getattr` is ~0.3 µs each).
        self._overriders = {
            name: tuple(sink for sink in self.sinks if _overrides(sink, name)) for name in _EVENTS
        }
        self._producers = self._overriders["producing"]

    def _each(self, method: str, *args: Any) -> None:
        for sink in self._overriders[method]:
            try:
                getattr(sink, method)(*args)
            except Exception:
                log.exception("telemetry sink %s failed on %s", type(sink).__name__, method)

    def operation_started(self, operation: Operation) -> None:
        self._each("operation_started", operation)

    def operation_ended(self, operation: Operation) -> None:
        self._each("operation_ended", operation)

    def connection_opened(self, transport: str, principal: str, source_ip: str | None) -> None:
        self._each("connection_opened", transport, principal, source_ip)

    def connection_closed(
        self, transport: str, principal: str, close_code: int | None, duration_s: float
    ) -> None:
        self._each("connection_closed", transport, principal, close_code, duration_s)

    def subscription_started(self, subscription: Subscription) -> None:
        self._each("subscription_started", subscription)

    def subscription_ended(self, subscription: Subscription) -> None:
        self._each("subscription_ended", subscription)

    def subscription_groups_changed(self, count: int) -> None:
        self._each("subscription_groups_changed", count)

    def produced(self, write: Write) -> None:
        self._each("produced", write)

    def produce_failed(self, principal: str, topic: str, records: int, code: str) -> None:
        self._each("produce_failed", principal, topic, records, code)

    def refused(self, refusal: Refusal) -> None:
        self._each("refused", refusal)

    def close(self) -> None:
        self._each("close")

    def record_headers(self) -> Sequence[tuple[str, bytes]]:
        return [
            header
            for sink in self._overriders["record_headers"]
            for header in sink.record_headers()
        ]

    def producing(self, topic: str) -> AbstractContextManager[ProduceSpan]:
        producers = self._producers
        if len(producers) == 1:  # the usual case: the trace sink alone
            return producers[0].producing(topic)
        if not producers:
            return nullcontext(NO_SPAN)
        return self._producing_each(topic)

    @contextmanager
    def _producing_each(self, topic: str) -> Iterator[ProduceSpan]:
        with ExitStack() as stack:
            yield _Spans([stack.enter_context(sink.producing(topic)) for sink in self._producers])

    @contextmanager
    def delivering(
        self, topic: str, partition: int, offset: int, headers: Sequence[tuple[str, bytes | None]]
    ) -> Iterator[None]:
        with ExitStack() as stack:
            for sink in self._tracing:
                stack.enter_context(sink.delivering(topic, partition, offset, headers))
            yield


# The events `Fanout` passes on, each to the sinks that override it.
_EVENTS = (
    "operation_started",
    "operation_ended",
    "connection_opened",
    "connection_closed",
    "subscription_started",
    "subscription_ended",
    "subscription_groups_changed",
    "produced",
    "produce_failed",
    "refused",
    "close",
    "record_headers",
    "producing",
)


def _overrides(sink: Telemetry, name: str) -> bool:
    return getattr(type(sink), name) is not getattr(Telemetry, name)


class _Spans(ProduceSpan):
    def __init__(self, spans: Sequence[ProduceSpan]) -> None:
        self._spans = spans

    def acked(self, partition: int, offset: int) -> None:
        for span in self._spans:
            span.acked(partition, offset)

    def failed(self, code: str) -> None:
        for span in self._spans:
            span.failed(code)
