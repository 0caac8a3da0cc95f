"""The OpenTelemetry sink alone (observability/traces/), with the SDK's in-memory exporter: span
names, kinds, parents, links and attributes as the semantic conventions name them, and the
operation's context attached and detached safely whichever task ends it."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
import textwrap

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.trace import SpanKind, StatusCode

from kafka_graphql.core.errors import KafkaTimeout
from kafka_graphql.core.telemetry import GRAPHQL, NO_TELEMETRY, Operation, Telemetry
from kafka_graphql.core.telemetry_fanout import Fanout
from kafka_graphql.observability.sinks import telemetry_for
from kafka_graphql.observability.traces import TraceSink
from kafka_graphql.observability.traces import provider as provider_module
from kafka_graphql.settings import settings_from_mapping
from tests.spans import parse_traceparent, recording_sink, traceparent

CALLER_TRACE = 0x0AF7651916CD43DD8448EB211C80319C
CALLER_SPAN = 0xB7AD6B7169203331


def operation(**fields: object) -> Operation:
    return Operation(GRAPHQL, "unknown", "r-1", "anonymous", "127.0.0.1", **fields)  # type: ignore[arg-type]


def served(sink: TraceSink, op: Operation, kind: str, name: str | None) -> None:
    sink.operation_started(op)
    op.operation_type, op.operation_name = kind, name
    sink.operation_ended(op)


def test_an_operation_is_a_server_span_under_the_callers_context() -> None:
    sink, spans = recording_sink()
    op = operation(traceparent=traceparent(CALLER_TRACE, CALLER_SPAN), document="query Q { a }")
    served(sink, op, "query", "Q")
    [span] = spans.get_finished_spans()
    assert op.trace_id == f"{CALLER_TRACE:032x}"
    assert (span.name, span.kind) == ("query Q", SpanKind.SERVER)
    assert span.parent is not None and span.parent.span_id == CALLER_SPAN
    assert span.context.trace_id == CALLER_TRACE
    # Never the document unless asked.
    assert dict(span.attributes or {}) == {
        "graphql.operation.type": "query",
        "graphql.operation.name": "Q",
    }
    assert span.status.status_code == StatusCode.UNSET
    assert trace.get_current_span() is trace.INVALID_SPAN  # detached


def test_the_document_when_asked_and_the_code_an_operation_failed_with() -> None:
    sink, spans = recording_sink(include_document=True)
    served(sink, operation(document="mutation { x }", code="FORBIDDEN"), "mutation", None)
    [span] = spans.get_finished_spans()
    assert span.name == "mutation" and span.parent is None
    assert dict(span.attributes or {}) == {
        "graphql.operation.type": "mutation",
        "graphql.document": "mutation { x }",
        "error.type": "FORBIDDEN",
    }
    assert span.status.status_code == StatusCode.ERROR


def test_a_request_refused_before_its_operation_began_has_a_span_after_the_fact() -> None:
    sink, spans = recording_sink()
    op = operation(traceparent=traceparent(CALLER_TRACE, CALLER_SPAN), code="UNAUTHENTICATED")
    op.duration_s = 0.25
    sink.operation_ended(op)
    [span] = spans.get_finished_spans()
    assert (span.name, span.kind) == ("GraphQL Operation", SpanKind.SERVER)
    assert span.parent is not None and span.parent.span_id == CALLER_SPAN
    assert dict(span.attributes or {}) == {"error.type": "UNAUTHENTICATED"}
    assert op.trace_id == f"{CALLER_TRACE:032x}"
    assert span.end_time is not None and span.start_time is not None
    assert span.end_time - span.start_time >= 250_000_000


@pytest.mark.parametrize("header", ["garbage", traceparent(0, CALLER_SPAN)])
def test_an_unusable_traceparent_starts_a_new_trace(header: str) -> None:
    sink, spans = recording_sink()
    served(sink, operation(traceparent=header), "unknown", None)
    [span] = spans.get_finished_spans()
    assert span.parent is None and span.name == "GraphQL Operation"
    assert dict(span.attributes or {}) == {}


async def test_an_operation_ended_in_another_task_leaves_that_tasks_context_alone(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A batch's operations start in tasks of their own; the view ends them in the request's."""
    sink, spans = recording_sink()
    op = operation()

    async def started() -> str:
        sink.operation_started(op)
        return sink.record_headers()[0][1].decode()

    carried = await asyncio.create_task(started())
    with caplog.at_level(logging.DEBUG):
        op.operation_type = "query"
        sink.operation_ended(op)
    # OpenTelemetry's own complaint ("Failed to detach context"), or the sink's, would be here;
    # what other tests' leftovers log meanwhile (asyncio, a gateway's loop monitor) is not.
    ours = ("opentelemetry", "kafka_graphql.observability", "kafka_graphql.core.telemetry")
    assert [r.getMessage() for r in caplog.records if r.name.startswith(ours)] == []
    [span] = spans.get_finished_spans()
    assert parse_traceparent(carried).span_id == span.context.span_id
    assert trace.get_current_span() is trace.INVALID_SPAN
    assert sink.record_headers() == []


def test_a_write_inside_an_operation_carries_its_producer_span() -> None:
    sink, spans = recording_sink()
    op = operation(traceparent=traceparent(CALLER_TRACE, CALLER_SPAN), tracestate="v=1")
    sink.operation_started(op)
    outside = dict(sink.record_headers())
    with sink.producing("orders") as send:
        inside = dict(sink.record_headers())
        send.acked(1, 7)
    op.operation_type = "mutation"
    sink.operation_ended(op)
    producer, server = spans.get_finished_spans()
    assert parse_traceparent(outside["traceparent"]).span_id == server.context.span_id
    assert parse_traceparent(inside["traceparent"]).span_id == producer.context.span_id
    assert inside["tracestate"] == outside["tracestate"] == b"v=1"
    assert len(inside["traceparent"]) == len(outside["traceparent"])
    assert producer.parent is not None and producer.parent.span_id == server.context.span_id
    assert (producer.name, producer.kind) == ("send orders", SpanKind.PRODUCER)
    assert dict(producer.attributes or {}) == {
        "messaging.system": "kafka",
        "messaging.destination.name": "orders",
        "messaging.operation.type": "send",
        "messaging.operation.name": "send",
        "messaging.destination.partition.id": "1",
        "messaging.kafka.offset": 7,
    }


def test_a_batch_over_partitions_and_a_failed_write() -> None:
    sink, spans = recording_sink()
    with sink.producing("t") as send:
        send.acked(0, 3)
        send.acked(1, 4)
    with pytest.raises(KafkaTimeout), sink.producing("t") as send:  # noqa: PT012 (as produce.py)
        send.failed("KAFKA_TIMEOUT")
        raise KafkaTimeout("no acknowledgement")
    with pytest.raises(RuntimeError), sink.producing("t"):
        raise RuntimeError("unexpected")
    batch, failed, broken = spans.get_finished_spans()
    assert dict(batch.attributes or {})["messaging.batch.message_count"] == 2
    assert "messaging.destination.partition.id" not in (batch.attributes or {})
    assert "messaging.kafka.offset" not in (batch.attributes or {})
    assert (failed.attributes or {})["error.type"] == "KAFKA_TIMEOUT"
    assert failed.status.status_code == StatusCode.ERROR
    assert (broken.attributes or {})["error.type"] == "RuntimeError"
    assert trace.get_current_span() is trace.INVALID_SPAN


@pytest.mark.parametrize(
    ("headers", "linked"),
    [
        ([("traceparent", traceparent(CALLER_TRACE, CALLER_SPAN).encode())], True),
        ([("a", None), ("traceparent", traceparent(CALLER_TRACE, CALLER_SPAN).encode())], True),
        ([("traceparent", b"\xff\xfe")], False),
        ([("traceparent", b"00-zz")], False),
        ([("traceparent", None)], False),
        ([("tracestate", b"v=1")], False),
        ([], False),
    ],
)
def test_a_delivery_is_a_root_consumer_span_linked_to_the_records_producer(
    headers: list[tuple[str, bytes | None]], linked: bool
) -> None:
    sink, spans = recording_sink()
    op = operation()
    sink.operation_started(op)  # a subscription's span is current while it delivers
    with sink.delivering("orders", 2, 41, headers):
        pass
    [span] = spans.get_finished_spans()
    assert (span.name, span.kind, span.parent) == ("process orders", SpanKind.CONSUMER, None)
    links = [(link.context.trace_id, link.context.span_id) for link in span.links]
    assert links == ([(CALLER_TRACE, CALLER_SPAN)] if linked else [])
    assert dict(span.attributes or {}) == {
        "messaging.system": "kafka",
        "messaging.destination.name": "orders",
        "messaging.destination.partition.id": "2",
        "messaging.kafka.offset": 41,
        "messaging.operation.type": "process",
        "messaging.operation.name": "process",
    }


def test_a_failed_delivery_is_an_error_and_a_closed_stream_is_not() -> None:
    sink, spans = recording_sink()
    with pytest.raises(ValueError, match="encoding"), sink.delivering("t", 0, 1, []):
        raise ValueError("encoding")

    def stream() -> object:
        with sink.delivering("t", 0, 2, []):
            yield 1

    generator = stream()
    next(generator)  # type: ignore[call-overload]
    generator.close()  # type: ignore[attr-defined]
    failed, closed = spans.get_finished_spans()
    assert failed.status.status_code == StatusCode.ERROR
    assert closed.status.status_code == StatusCode.UNSET


class Counting(Telemetry):
    def __init__(self) -> None:
        self.deliveries = 0


def test_fanout_traces_deliveries_only_through_the_sinks_that_do() -> None:
    sink, spans = recording_sink()
    assert Fanout([Counting(), Counting()]).traces_deliveries is False
    both = Fanout([Counting(), sink])
    assert both.traces_deliveries is True
    with both.delivering("t", 0, 0, []):
        pass
    assert [span.name for span in spans.get_finished_spans()] == ["process t"]
    assert NO_TELEMETRY.traces_deliveries is False


# The metrics are on by default; these tests are about the trace sink alone.
# The other sinks off.
QUIET = {"metrics": {"enabled": False}, "logging": {"level": "warning"}}


def test_the_settings_make_the_sink_and_it_shuts_its_provider_down(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "none")
    monkeypatch.delenv("OTEL_SERVICE_NAME", raising=False)
    monkeypatch.delenv("OTEL_RESOURCE_ATTRIBUTES", raising=False)
    # Neither metrics nor the operation log (tests/unit/test_logs.py has the sinks of [logging]).
    assert telemetry_for(settings_from_mapping(QUIET)) is NO_TELEMETRY
    made = telemetry_for(settings_from_mapping({"tracing": {"enabled": True}, **QUIET}, environ={}))
    assert isinstance(made, TraceSink)
    provider = made._owned
    assert isinstance(provider, TracerProvider)
    assert provider.resource.attributes["service.name"] == "kafka-graphql"
    provider.add_span_processor(processor := Recording())
    made.close()
    assert processor.shut_down is True


def test_the_environment_names_the_service(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "none")
    monkeypatch.setenv("OTEL_SERVICE_NAME", "edge-gateway")
    made = telemetry_for(settings_from_mapping({"tracing": {"enabled": True}, **QUIET}, environ={}))
    assert isinstance(made, TraceSink) and made._owned is not None
    assert made._owned.resource.attributes["service.name"] == "edge-gateway"
    made.close()


def test_a_provider_set_up_before_the_gateway_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    """`opentelemetry-instrument` (or an embedding program) set the process's provider."""
    given = TracerProvider()
    monkeypatch.setattr(trace, "get_tracer_provider", lambda: given)
    assert provider_module.configured_provider({}) == (given, False)


def test_a_given_provider_is_not_the_sinks_to_shut_down() -> None:
    provider = TracerProvider()
    provider.add_span_processor(processor := Recording())
    TraceSink(provider).close()
    assert processor.shut_down is False


class Recording(SpanProcessor):
    shut_down = False

    def shutdown(self) -> None:
        self.shut_down = True


def test_with_tracing_off_the_gateway_never_imports_opentelemetry() -> None:
    script = textwrap.dedent(
        """
        import sys
        from kafka_graphql.server import create_app
        from kafka_graphql.settings import settings_from_mapping
        create_app(settings_from_mapping({}))
        print(sorted(name for name in sys.modules if name.startswith("opentelemetry")))
        """
    )
    found = subprocess.run(  # noqa: S603 (this interpreter, our script)
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert found.stdout.strip() == "[]", found.stderr
