"""What the gateway reports about itself, through one small interface: operations, writes,
deliveries, refusals, connections and subscriptions, and the trace context a write carries.

Faces and the core call a `Telemetry`; the sinks (observability/: Prometheus metrics, the
operation and audit logs, OpenTelemetry traces) subclass it and override what they record. The
core knows none of them: `Core.telemetry` is a `Telemetry` (a no-op one by default) and the
composition root hands it a `Fanout` of the sinks the settings turn on.

Every method is called on the event loop and must be cheap and never raise: a sink that fails
loses its own figure, never the caller's operation (`Fanout` logs and carries on). Nothing is
called per delivered record: a stream counts its deliveries in its `Subscription`, which sinks
read, and only a sink that traces deliveries is told of each (`traces_deliveries`). The Kafka
layer's own figures (feed lag and restarts, producer replacements) are read from it by the
sinks that want them (`KafkaLayer.figures`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

# Faces (`Operation.face`, the `face` label).
GRAPHQL = "graphql"
REST = "rest"
GRPC = "grpc"


@dataclass(slots=True)
class Operation:
    """One operation on a face, filled in as it runs and reported when it ends.

    A subscription is one operation from its start to its end (`subscription_ended`)."""

    face: str
    # query, mutation or subscription ("unknown" when the request did not get that far)
    operation_type: str
    request_id: str
    # The token's `sub`, or "anonymous".
    principal: str
    source_ip: str | None
    operation_name: str | None = None
    topics: set[str] = field(default_factory=set)
    # "OK" or the code it ended with (`extensions.code`, or the face's equivalent).
    code: str = "OK"
    cost: int | None = None
    bytes_in: int = 0
    bytes_out: int = 0
    # time.monotonic() at the start; the duration when reported.
    started: float = 0.0
    duration_s: float = 0.0
    # W3C trace context the caller sent (`traceparent`, `tracestate`), if any.
    traceparent: str | None = None
    tracestate: str | None = None
    # The document as sent, for a sink told to show it (`tracing.include_document`): never logged.
    document: str | None = None
    # The trace of the operation's span (32 hex digits), set by a tracing sink when it starts it.
    trace_id: str | None = None
    # Per-sink state kept between the start and the end (a span, a token), by sink name.
    sinks: dict[str, Any] = field(default_factory=dict)


# The operation the current task serves, set by its face when it starts: what the core reports
# (a refusal, a write) is about it, and sinks take its request id, caller and address from here.
CURRENT_OPERATION: ContextVar[Operation | None] = ContextVar("operation", default=None)


@dataclass(slots=True)
class Subscription:
    """One stream, from its start to its end."""

    operation: Operation
    topic: str
    # A digest of the filter (never the filter itself: its values may be private).
    filter_hash: str | None = None
    # Counted by the stream as it delivers (plain additions, no call per record): a sink that
    # wants running totals reads them from the subscriptions it was told about.
    deliveries: int = 0
    delivered_bytes: int = 0
    skipped: int = 0
    code: str = "OK"


@dataclass(frozen=True, slots=True)
class Refusal:
    """A request or operation refused for who asked or how much (never for what it asked)."""

    # "authentication", "authorization" or "limit"
    kind: str
    # The error code the caller got (UNAUTHENTICATED, FORBIDDEN, RATE_LIMITED, ...).
    code: str
    # authentication: missing, malformed, expired, bad_signature, wrong_audience,
    # wrong_issuer; authorization: forbidden, invisible_topic; limit: what was exceeded.
    reason: str
    principal: str = "anonymous"
    # When the face knows them; otherwise the sink takes them from CURRENT_OPERATION.
    source_ip: str | None = None
    request_id: str | None = None
    topic: str | None = None


@dataclass(frozen=True, slots=True)
class Write:
    """Records Kafka acknowledged (one produce call, one topic)."""

    principal: str
    topic: str
    # (partition, offset) of each record, in the caller's order.
    positions: Sequence[tuple[int, int]]
    size: int
    # Kafka's acknowledgement time, from the send to the last acknowledgement.
    ack_s: float


class ProduceSpan:
    """What a sink learns while one produce call writes (a tracing span's attributes)."""

    def acked(self, partition: int, offset: int) -> None:
        pass

    def failed(self, code: str) -> None:
        pass


class Telemetry:
    """The no-op sink, and the base every sink overrides."""

    # Whether `delivering` does anything: a delivery path checks this once, and calls
    # `delivering` only when it is true (fan-out costs nothing more when no sink traces).
    traces_deliveries = False

    # Operations (one per request on a face; a subscription from start to end).
    def operation_started(self, operation: Operation) -> None:
        pass

    def operation_ended(self, operation: Operation) -> None:
        pass

    # Connections that carry several operations (WebSocket, SSE, gRPC streams).
    def connection_opened(self, transport: str, principal: str, source_ip: str | None) -> None:
        pass

    def connection_closed(
        self, transport: str, principal: str, close_code: int | None, duration_s: float
    ) -> None:
        pass

    # Subscriptions (streams) and what they deliver, aggregated per batch.
    def subscription_started(self, subscription: Subscription) -> None:
        pass

    def subscription_ended(self, subscription: Subscription) -> None:
        pass

    def subscription_groups_changed(self, count: int) -> None:
        pass

    # Writes.
    def produced(self, write: Write) -> None:
        pass

    def produce_failed(self, principal: str, topic: str, records: int, code: str) -> None:
        pass

    def producing(self, topic: str) -> AbstractContextManager[ProduceSpan]:
        """Held around Kafka's send of one produce call (a PRODUCER span)."""
        return nullcontext(NO_SPAN)

    def record_headers(self) -> Sequence[tuple[str, bytes]]:
        """Headers every written record carries unless its caller set the same keys (the W3C
        trace context of the operation that writes it)."""
        return ()

    def delivering(
        self, topic: str, partition: int, offset: int, headers: Sequence[tuple[str, bytes | None]]
    ) -> AbstractContextManager[None]:
        """Held while a record is delivered to one subscriber, or to one group of subscribers
        that share its execution (a CONSUMER span linked to the record's producer)."""
        return nullcontext()

    # Refusals.
    def refused(self, refusal: Refusal) -> None:
        pass

    def close(self) -> None:
        """At shutdown, once nothing reports any more (a sink flushes what it holds). Blocking:
        the composition root calls it off the event loop."""


NO_SPAN = ProduceSpan()
NO_TELEMETRY = Telemetry()
