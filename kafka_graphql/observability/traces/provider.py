"""The tracer provider, set up the standard way: from OpenTelemetry's environment variables.

`OTEL_TRACES_EXPORTER` (`otlp` by default, `console`, `none`), the OTLP exporter's own variables
(`OTEL_EXPORTER_OTLP_ENDPOINT`, `..._HEADERS`, `..._PROTOCOL`, ...), `OTEL_SERVICE_NAME` and
`OTEL_RESOURCE_ATTRIBUTES`, `OTEL_TRACES_SAMPLER` and `OTEL_TRACES_SAMPLER_ARG`, and the batch
processor's `OTEL_BSP_*` are read by the SDK itself; `[tracing]` checked them at start-up
(settings/tracing.py). A process already given a provider (`opentelemetry-instrument`) keeps it.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping

from opentelemetry import trace
from opentelemetry.sdk.resources import (
    SERVICE_NAME,
    SERVICE_VERSION,
    OTELResourceDetector,
    Resource,
)
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter

from kafka_graphql import __version__
from kafka_graphql.settings.tracing import PROTOCOLS, exporter_names, otlp_protocol

DEFAULT_SERVICE_NAME = "kafka-graphql"


def configured_provider(environ: Mapping[str, str]) -> tuple[trace.TracerProvider, bool]:
    """The process's provider when one was set up before the gateway started (not the gateway's
    to shut down), else a new one from the environment; and whether the gateway owns it."""
    existing = trace.get_tracer_provider()
    if not isinstance(existing, trace.ProxyTracerProvider):
        return existing, False
    provider = TracerProvider(resource=_resource())
    for exporter in _exporters(environ):
        provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider, True


def _resource() -> Resource:
    # The SDK's attributes, then ours, then OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME,
    # which win.
    ours = Resource.create({SERVICE_NAME: DEFAULT_SERVICE_NAME, SERVICE_VERSION: __version__})
    return ours.merge(OTELResourceDetector().detect())


def _exporters(environ: Mapping[str, str]) -> list[SpanExporter]:
    exporters: list[SpanExporter] = []
    for name in exporter_names(environ):
        if name == "console":
            exporters.append(ConsoleSpanExporter())
        elif name == "otlp":
            module = importlib.import_module(PROTOCOLS[otlp_protocol(environ)])
            exporters.append(module.OTLPSpanExporter())
    return exporters
