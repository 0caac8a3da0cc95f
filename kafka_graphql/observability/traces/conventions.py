"""OpenTelemetry's semantic conventions as the gateway's spans use them (GraphQL, messaging with
Kafka, errors), and the W3C trace context read from and written to record headers."""

from __future__ import annotations

from collections.abc import Sequence

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

# GraphQL (semantic conventions: graphql spans).
GRAPHQL_OPERATION_TYPE = "graphql.operation.type"
GRAPHQL_OPERATION_NAME = "graphql.operation.name"
GRAPHQL_DOCUMENT = "graphql.document"
# Messaging (messaging spans, Kafka).
MESSAGING_SYSTEM = "messaging.system"
MESSAGING_OPERATION_TYPE = "messaging.operation.type"
MESSAGING_OPERATION_NAME = "messaging.operation.name"
MESSAGING_DESTINATION = "messaging.destination.name"
MESSAGING_PARTITION = "messaging.destination.partition.id"
MESSAGING_BATCH_COUNT = "messaging.batch.message_count"
KAFKA_OFFSET = "messaging.kafka.offset"
KAFKA = "kafka"
SEND = "send"
PROCESS = "process"
# Errors: the code the operation or the write ended with.
ERROR_TYPE = "error.type"

TRACEPARENT = "traceparent"
TRACESTATE = "tracestate"
# W3C trace context, whatever OTEL_PROPAGATORS says: this is what travels in record headers.
W3C = TraceContextTextMapPropagator()


def operation_span_name(operation_type: str, operation_name: str | None) -> str:
    """`{graphql.operation.type} {graphql.operation.name}`, the type alone when the operation
    has no name, "GraphQL Operation" when not even its type is known."""
    if operation_type not in ("query", "mutation", "subscription"):
        return "GraphQL Operation"
    return f"{operation_type} {operation_name}" if operation_name else operation_type


def incoming_context(traceparent: str | None, tracestate: str | None) -> Context | None:
    """The caller's trace context (HTTP headers), or None when it sent none."""
    if traceparent is None:
        return None
    carrier = {TRACEPARENT: traceparent}
    if tracestate is not None:
        carrier[TRACESTATE] = tracestate
    return W3C.extract(carrier)


def current_headers() -> list[tuple[str, bytes]]:
    """The current span's context as record headers (`traceparent`, `tracestate` if any).

    Written out here rather than through the propagator's `inject` (the same W3C text): this
    runs once per produce, sampled or not, and the propagator looks the span up again and builds
    a carrier dict for two strings."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return []
    traceparent = f"00-{context.trace_id:032x}-{context.span_id:016x}-{context.trace_flags:02x}"
    headers = [(TRACEPARENT, traceparent.encode())]
    if context.trace_state:
        headers.append((TRACESTATE, context.trace_state.to_header().encode()))
    return headers


def producer_link(headers: Sequence[tuple[str, bytes | None]]) -> list[trace.Link]:
    """A link to the span that wrote a record, from its `traceparent` header; none when it has
    no valid one."""
    carrier: dict[str, str] = {}
    for key, value in headers:
        if key in (TRACEPARENT, TRACESTATE) and value is not None and key not in carrier:
            try:
                carrier[key] = value.decode()
            except UnicodeDecodeError:
                return []
    if TRACEPARENT not in carrier:
        return []
    context = trace.get_current_span(W3C.extract(carrier)).get_span_context()
    return [trace.Link(context)] if context.is_valid else []
