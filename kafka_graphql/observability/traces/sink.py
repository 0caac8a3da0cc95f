"""The OpenTelemetry sink: a SERVER span per operation, a PRODUCER span per write, a CONSUMER span
per delivered record, and the W3C trace context every written record carries.

An operation's span is the current span while the operation runs (attached in
`operation_started`, in the task that runs it), so that a write's PRODUCER span is its child and
the records carry the PRODUCER span's context. A delivery span is a root of its own, *linked* to
the context the record was written with: a subscription can live for days, and its deliveries
belong with their records' traces, not in one endless trace of the subscription's.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import Token
from dataclasses import dataclass

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace import TracerProvider as SDKTracerProvider
from opentelemetry.trace import Span, SpanKind, StatusCode, Tracer

from kafka_graphql import __version__
from kafka_graphql.core.telemetry import Operation, ProduceSpan, Telemetry
from kafka_graphql.observability.traces.conventions import (
    ERROR_TYPE,
    GRAPHQL_DOCUMENT,
    GRAPHQL_OPERATION_NAME,
    GRAPHQL_OPERATION_TYPE,
    KAFKA,
    KAFKA_OFFSET,
    MESSAGING_BATCH_COUNT,
    MESSAGING_DESTINATION,
    MESSAGING_OPERATION_NAME,
    MESSAGING_OPERATION_TYPE,
    MESSAGING_PARTITION,
    MESSAGING_SYSTEM,
    PROCESS,
    SEND,
    current_headers,
    incoming_context,
    operation_span_name,
    producer_link,
)

# Operation.sinks' key for this sink's state.
SINK = "traces"
# A delivery span's parent: none (the record's producer is a link).
_ROOT = Context()


@dataclass(slots=True)
class _Served:
    span: Span
    token: Token[Context]
    # The task whose context the span was attached in: only there can it be detached (None:
    # called with no event loop running, in the thread's own context).
    task: asyncio.Task[object] | None


class TraceSink(Telemetry):
    """Spans through `tracer_provider`: the one `traces.provider` sets up from the environment
    (shut down with the sink: `owns_provider`), or one a test gives (an in-memory exporter)."""

    traces_deliveries = True

    def __init__(
        self,
        tracer_provider: trace.TracerProvider,
        *,
        include_document: bool = False,
        owns_provider: bool = False,
    ) -> None:
        self._tracer: Tracer = tracer_provider.get_tracer("kafka_graphql", __version__)
        self._include_document = include_document
        # Shut down (its last spans exported) with the sink, when the sink made it.
        self._owned: SDKTracerProvider | None = None
        if owns_provider and isinstance(tracer_provider, SDKTracerProvider):
            self._owned = tracer_provider

    def operation_started(self, operation: Operation) -> None:
        span = self._tracer.start_span(
            operation_span_name(operation.operation_type, operation.operation_name),
            context=incoming_context(operation.traceparent, operation.tracestate),
            kind=SpanKind.SERVER,
        )
        token = otel_context.attach(trace.set_span_in_context(span))
        operation.sinks[SINK] = _Served(span, token, _current_task())
        operation.trace_id = trace.format_trace_id(span.get_span_context().trace_id)

    def operation_ended(self, operation: Operation) -> None:
        served = operation.sinks.pop(SINK, None)
        if isinstance(served, _Served):
            span = served.span
            # Over HTTP the face reports the end once the response is built, in the request's
            # task; the operations of a batch started in tasks of their own, whose contexts are
            # gone.
            if served.task is _current_task():
                otel_context.detach(served.token)
        else:
            # Refused before it began (an unreadable request, a missing token): its span, after
            # the fact.
            span = self._tracer.start_span(
                operation_span_name(operation.operation_type, operation.operation_name),
                context=incoming_context(operation.traceparent, operation.tracestate),
                kind=SpanKind.SERVER,
                start_time=time.time_ns() - int(operation.duration_s * 1e9),
            )
            operation.trace_id = trace.format_trace_id(span.get_span_context().trace_id)
        if span.is_recording():
            kind = operation.operation_type
            span.update_name(operation_span_name(kind, operation.operation_name))
            if kind in ("query", "mutation", "subscription"):
                span.set_attribute(GRAPHQL_OPERATION_TYPE, kind)
            if operation.operation_name:
                span.set_attribute(GRAPHQL_OPERATION_NAME, operation.operation_name)
            if self._include_document and operation.document is not None:
                span.set_attribute(GRAPHQL_DOCUMENT, operation.document)
            if operation.code != "OK":
                span.set_attribute(ERROR_TYPE, operation.code)
                span.set_status(StatusCode.ERROR)
        span.end()

    def record_headers(self) -> Sequence[tuple[str, bytes]]:
        return current_headers()

    @contextmanager
    def producing(self, topic: str) -> Iterator[ProduceSpan]:
        parent = trace.get_current_span().get_span_context()
        if parent.is_valid and not parent.trace_flags.sampled:
            # The operation's trace was sampled out, so its PRODUCER span would be too
            # (every standard sampler decides a sampled-out parent's child the same way): no
            # span, and the records carry the operation's context, which propagates the same
            # decision. Most produces take this path on a sampled gateway, and a span costs
            # ~10 µs even when it records nothing.
            yield _UNSAMPLED
            return
        span = self._tracer.start_span(
            f"{SEND} {topic}",
            kind=SpanKind.PRODUCER,
            attributes={
                MESSAGING_SYSTEM: KAFKA,
                MESSAGING_DESTINATION: topic,
                MESSAGING_OPERATION_TYPE: SEND,
                MESSAGING_OPERATION_NAME: SEND,
            },
        )
        # Current while Kafka's send runs (the same task throughout): the records carry it.
        token = otel_context.attach(trace.set_span_in_context(span))
        outcome = _Sent(span)
        try:
            yield outcome
        except Exception as error:
            outcome.failed(type(error).__name__)
            raise
        finally:
            otel_context.detach(token)
            outcome.end()

    @contextmanager
    def delivering(
        self, topic: str, partition: int, offset: int, headers: Sequence[tuple[str, bytes | None]]
    ) -> Iterator[None]:
        span = self._tracer.start_span(
            f"{PROCESS} {topic}",
            context=_ROOT,
            kind=SpanKind.CONSUMER,
            links=producer_link(headers),
            attributes={
                MESSAGING_SYSTEM: KAFKA,
                MESSAGING_DESTINATION: topic,
                MESSAGING_PARTITION: str(partition),
                KAFKA_OFFSET: offset,
                MESSAGING_OPERATION_TYPE: PROCESS,
                MESSAGING_OPERATION_NAME: PROCESS,
            },
        )
        try:
            yield
        except Exception as error:
            span.set_attribute(ERROR_TYPE, type(error).__name__)
            span.set_status(StatusCode.ERROR)
            raise
        finally:
            span.end()

    def close(self) -> None:
        if self._owned is not None:
            self._owned.shutdown()


class _Sent(ProduceSpan):
    """A write's outcome, set on its span when it ends: where each record went, or its code."""

    __slots__ = ("_code", "_positions", "_span")

    def __init__(self, span: Span) -> None:
        self._span = span
        self._positions: list[tuple[int, int]] = []
        self._code: str | None = None

    def acked(self, partition: int, offset: int) -> None:
        self._positions.append((partition, offset))

    def failed(self, code: str) -> None:
        if self._code is None:
            self._code = code

    def end(self) -> None:
        span, positions = self._span, self._positions
        if span.is_recording():
            partitions = {partition for partition, _ in positions}
            if len(partitions) == 1:
                span.set_attribute(MESSAGING_PARTITION, str(next(iter(partitions))))
            if len(positions) == 1:
                span.set_attribute(KAFKA_OFFSET, positions[0][1])
            elif positions:
                span.set_attribute(MESSAGING_BATCH_COUNT, len(positions))
            if self._code is not None:
                span.set_attribute(ERROR_TYPE, self._code)
                span.set_status(StatusCode.ERROR)
        span.end()


_UNSAMPLED = ProduceSpan()


def _current_task() -> asyncio.Task[object] | None:
    try:
        return asyncio.current_task()
    except RuntimeError:  # no running loop (a sink called from plain code)
        return None
