"""The `[tracing]` table: OpenTelemetry traces (docs/operations.md#traces).

Where spans go and how many are kept is OpenTelemetry's standard environment, read by its SDK
(`OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_SERVICE_NAME`, `OTEL_TRACES_SAMPLER`, ...), not keys of
this table; what of it the gateway cannot honour is refused here, at start-up.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from typing import Self

from pydantic import model_validator

from kafka_graphql.settings.fields import Table, loading, refuse

EXTRA = "pip install 'kafka-graphql[otel]'"
# OTEL_TRACES_EXPORTER's values the gateway knows (a comma-separated list of them).
EXPORTERS = ("otlp", "console", "none")
# OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL's values, and the module of each one's exporter.
PROTOCOLS = {
    "http/protobuf": "opentelemetry.exporter.otlp.proto.http.trace_exporter",
    "grpc": "opentelemetry.exporter.otlp.proto.grpc.trace_exporter",
}
GRPC_PACKAGE = "opentelemetry-exporter-otlp-proto-grpc"


class TracingSettings(Table):
    """`[tracing]`: OpenTelemetry spans of operations, writes and deliveries."""

    enabled: bool = False
    """export OpenTelemetry traces: a span per operation, per write and per delivered record,
    and the W3C trace context in the headers of every record the gateway writes. Needs the
    `otel` extra (`pip install 'kafka-graphql[otel]'`); the exporter, service name and sampler
    are OpenTelemetry's standard variables (`OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_SERVICE_NAME`,
    `OTEL_TRACES_SAMPLER`, ...: [operations.md](operations.md#traces))"""
    include_document: bool = False
    """put the operation's document in its span (`graphql.document`); off by default, as a
    document's literals may hold what its caller keeps private"""

    @model_validator(mode="after")
    def _check(self) -> Self:
        context = loading()
        if context is not None and self.enabled:
            refuse("TracingSettings", [((), text) for text in tracing_problems(context.environ)])
        return self


def tracing_problems(environ: Mapping[str, str]) -> list[str]:
    """What keeps `[tracing] enabled = true` from working (`{key}`: `tracing`)."""
    if not _installed("opentelemetry.sdk"):
        return [f"{{key}}.enabled = true needs the OpenTelemetry SDK: {EXTRA}"]
    found = []
    exporters = exporter_names(environ)
    unknown = [name for name in exporters if name not in EXPORTERS]
    if unknown:
        found.append(
            f"{{key}}.enabled = true: OTEL_TRACES_EXPORTER names {', '.join(unknown)}; the "
            f"gateway exports with {', '.join(EXPORTERS)}"
        )
    if "otlp" in exporters:
        protocol = otlp_protocol(environ)
        if protocol not in PROTOCOLS:
            found.append(
                f"{{key}}.enabled = true: the OTLP protocol {protocol!r} is not one the gateway "
                f"exports with ({', '.join(PROTOCOLS)})"
            )
        elif not _installed(PROTOCOLS[protocol]):
            package = GRPC_PACKAGE if protocol == "grpc" else EXTRA
            found.append(f"{{key}}.enabled = true: OTLP over {protocol} needs {package}")
    return found


def exporter_names(environ: Mapping[str, str]) -> list[str]:
    """OTEL_TRACES_EXPORTER, as the specification reads it (default `otlp`)."""
    given = environ.get("OTEL_TRACES_EXPORTER", "").strip() or "otlp"
    return [name.strip() for name in given.split(",") if name.strip()]


def otlp_protocol(environ: Mapping[str, str]) -> str:
    """The OTLP protocol for traces (default `http/protobuf`, the specification's)."""
    for variable in ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"):
        given = environ.get(variable, "").strip()
        if given:
            return given
    return "http/protobuf"


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # a parent package is missing
        return False
