"""Spans a test reads: the OpenTelemetry SDK with an in-memory exporter that wakes waiters, and
the W3C `traceparent` taken apart."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_ON, Sampler

from kafka_graphql.observability.traces import TraceSink

T = TypeVar("T")


class Spans(InMemorySpanExporter):
    """Every ended span, as it ends (SimpleSpanProcessor exports on the event loop's thread)."""

    def __init__(self) -> None:
        super().__init__()
        self._changed = asyncio.Event()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        result = super().export(spans)
        self._changed.set()
        return result

    async def wait_for(
        self, found: Callable[[tuple[ReadableSpan, ...]], T | None], timeout_s: float = 30
    ) -> T:
        """The first non-None `found(spans)`, checked again each time a span ends."""
        async with asyncio.timeout(timeout_s):
            while True:
                self._changed.clear()
                result = found(self.get_finished_spans())
                if result is not None:
                    return result
                await self._changed.wait()

    def named(self, name: str) -> list[ReadableSpan]:
        return [span for span in self.get_finished_spans() if span.name == name]


def recording_sink(
    include_document: bool = False, sampler: Sampler = ALWAYS_ON
) -> tuple[TraceSink, Spans]:
    """A trace sink whose every span `sampler` keeps is kept in memory (by default, every one)."""
    spans = Spans()
    provider = TracerProvider(sampler=sampler)
    provider.add_span_processor(SimpleSpanProcessor(spans))
    return TraceSink(provider, include_document=include_document), spans


@dataclass(frozen=True)
class TraceParent:
    trace_id: int
    span_id: int
    sampled: bool


def parse_traceparent(value: str | bytes) -> TraceParent:
    text = value.decode() if isinstance(value, bytes) else value
    version, trace_id, span_id, flags = text.split("-")
    assert version == "00" and len(trace_id) == 32 and len(span_id) == 16, text
    return TraceParent(int(trace_id, 16), int(span_id, 16), bool(int(flags, 16) & 1))


def traceparent(trace_id: int, span_id: int) -> str:
    return f"00-{trace_id:032x}-{span_id:016x}-01"
