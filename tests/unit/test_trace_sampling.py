"""The trace sink on a sampled gateway: an operation sampled out makes no PRODUCER span (the
cheap path most produces take) and its records still carry its W3C context, with the decision;
the headers are the propagator's own text; and the fan-out hands each event only to the sinks
that record it."""

from __future__ import annotations

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from kafka_graphql.core.telemetry import GRAPHQL, Operation, ProduceSpan, Telemetry, Write
from kafka_graphql.core.telemetry_fanout import Fanout
from kafka_graphql.observability.traces.conventions import current_headers
from tests.spans import parse_traceparent, recording_sink

CALLER_TRACE = 0x4BF92F3577B34DA6A3CE929D0E0E4736
CALLER_SPAN = 0x00F067AA0BA902B7
# Parent-based with a root ratio of 0: a trace is sampled only when its caller's was.
NEVER_AT_THE_ROOT = ParentBased(TraceIdRatioBased(0.0))


def operation(traceparent: str | None = None, tracestate: str | None = None) -> Operation:
    return Operation(
        GRAPHQL, "mutation", "r-1", "anonymous", "127.0.0.1",
        traceparent=traceparent, tracestate=tracestate,
    )  # fmt: skip


@pytest.mark.parametrize(
    "caller",
    [None, f"00-{CALLER_TRACE:032x}-{CALLER_SPAN:016x}-00"],
    ids=["sampled out at the root", "the caller's trace sampled out"],
)
def test_a_sampled_out_write_makes_no_span_and_carries_the_operations_context(
    caller: str | None,
) -> None:
    sink, spans = recording_sink(sampler=NEVER_AT_THE_ROOT)
    op = operation(caller)
    sink.operation_started(op)
    outside = dict(sink.record_headers())
    with sink.producing("orders") as send:
        inside = dict(sink.record_headers())
        send.acked(0, 1)
        send.failed("KAFKA_TIMEOUT")
    sink.operation_ended(op)
    assert spans.get_finished_spans() == ()
    assert inside == outside  # no span of its own: the operation's context
    carried = parse_traceparent(inside["traceparent"])
    assert carried.sampled is False
    assert f"{carried.trace_id:032x}" == op.trace_id
    if caller is not None:
        assert carried.trace_id == CALLER_TRACE and carried.span_id != CALLER_SPAN
    assert trace.get_current_span() is trace.INVALID_SPAN


def test_a_sampled_callers_write_is_still_traced_on_a_sampled_gateway() -> None:
    sink, spans = recording_sink(sampler=NEVER_AT_THE_ROOT)
    op = operation(f"00-{CALLER_TRACE:032x}-{CALLER_SPAN:016x}-01")
    sink.operation_started(op)
    with sink.producing("orders") as send:
        send.acked(0, 1)
    sink.operation_ended(op)
    assert [span.kind for span in spans.get_finished_spans()] == [
        trace.SpanKind.PRODUCER,
        trace.SpanKind.SERVER,
    ]


@pytest.mark.parametrize("tracestate", [None, "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"])
@pytest.mark.parametrize("flags", ["01", "00"])
def test_record_headers_are_the_w3c_propagators_text(tracestate: str | None, flags: str) -> None:
    sink, _ = recording_sink()
    op = operation(f"00-{CALLER_TRACE:032x}-{CALLER_SPAN:016x}-{flags}", tracestate)
    sink.operation_started(op)
    carrier: dict[str, str] = {}
    TraceContextTextMapPropagator().inject(carrier)
    ours = current_headers()
    sink.operation_ended(op)
    assert ours == [(key, value.encode()) for key, value in carrier.items()]
    assert current_headers() == []  # no operation, no context


class Writes(Telemetry):
    def __init__(self, log: list[str]) -> None:
        self.log = log

    def produced(self, write: Write) -> None:
        self.log.append(f"{type(self).__name__} {write.topic}")


class Broken(Writes):
    def produced(self, write: Write) -> None:
        raise RuntimeError("a sink's own failure")


def test_the_fanout_passes_each_event_to_the_sinks_that_record_it_in_order() -> None:
    log: list[str] = []
    fanout = Fanout([Writes(log), Broken(log), Telemetry(), Writes(log)])
    fanout.produced(Write("alice", "t", [(0, 1)], 2, 0.001))
    assert log == ["Writes t", "Writes t"]  # the broken sink is skipped, the others run
    with fanout.producing("t") as span:  # no sink traces writes: a no-op span
        span.acked(0, 1)
    assert type(span) is ProduceSpan
    assert fanout.record_headers() == []
