"""The operation log (logger `kafka_graphql.operations`): a line per operation on every face,
per WebSocket connection (opened, closed) and per subscription (started, ended), with the
fields docs/operations.md#logs lists.

Never a token, a secret, a variable, a message's value, key or headers: the lines are made of
the events' figures and names (topics, the operation's name, a filter's digest), nothing a
caller sent as data.
"""

from __future__ import annotations

import re
import time

from kafka_graphql.core.telemetry import Operation, Subscription, Telemetry
from kafka_graphql.observability.logs.lines import Lines

LOGGER = "kafka_graphql.operations"
# W3C trace context: version-traceid-parentid-flags; an all-zero trace id is invalid.
_TRACEPARENT = re.compile(r"[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}")
_INVALID_TRACE = "0" * 32


def trace_id(operation: Operation) -> str | None:
    """The trace the operation is part of: a tracing sink's, else the caller's `traceparent`."""
    if operation.trace_id is not None:
        return operation.trace_id
    match = _TRACEPARENT.fullmatch(operation.traceparent or "")
    if match is None or match[1] == _INVALID_TRACE:
        return None
    return match[1]


class OperationLog(Telemetry):
    """Writes the lines at INFO; below the configured level (or before logging is set up) they
    cost one check."""

    def __init__(self) -> None:
        self._log = Lines(LOGGER)

    def operation_ended(self, operation: Operation) -> None:
        if not self._log.enabled():
            return
        self._log.info(
            "operation",
            request_id=operation.request_id or None,
            trace_id=trace_id(operation),
            principal=operation.principal,
            face=operation.face,
            operation_type=operation.operation_type,
            operation_name=operation.operation_name,
            topics=sorted(operation.topics),
            code=operation.code,
            duration_s=round(operation.duration_s, 6),
            cost=operation.cost,
            bytes_in=operation.bytes_in,
            bytes_out=operation.bytes_out,
        )

    def connection_opened(self, transport: str, principal: str, source_ip: str | None) -> None:
        if self._log.enabled():
            self._log.info(
                "connection_opened", transport=transport, principal=principal, source_ip=source_ip
            )

    def connection_closed(
        self, transport: str, principal: str, close_code: int | None, duration_s: float
    ) -> None:
        if self._log.enabled():
            self._log.info(
                "connection_closed",
                transport=transport,
                principal=principal,
                close_code=close_code,
                duration_s=round(duration_s, 6),
            )

    def subscription_started(self, subscription: Subscription) -> None:
        if self._log.enabled():
            self._log.info("subscription_started", **_subscription(subscription))

    def subscription_ended(self, subscription: Subscription) -> None:
        if not self._log.enabled():
            return
        self._log.info(
            "subscription_ended",
            **_subscription(subscription),
            code=subscription.code,
            deliveries=subscription.deliveries,
            skipped=subscription.skipped,
            duration_s=_since(subscription.operation.started),
        )


def _subscription(subscription: Subscription) -> dict[str, object]:
    operation = subscription.operation
    return {
        "request_id": operation.request_id or None,
        "principal": operation.principal,
        "operation_name": operation.operation_name,
        "topic": subscription.topic,
        "filter_hash": subscription.filter_hash,
    }


def _since(started: float) -> float | None:
    return round(time.monotonic() - started, 6) if started else None
