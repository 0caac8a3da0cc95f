"""`[tracing]`: off by default; turned on, what of OpenTelemetry's standard environment the gateway
cannot honour is refused at start-up, naming the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from kafka_graphql.settings import SettingsError, settings_from_mapping
from kafka_graphql.settings import tracing as tracing_module
from kafka_graphql.settings.loading import load_settings

ON = {"tracing": {"enabled": True}}


def problems(environ: dict[str, str]) -> tuple[str, ...]:
    with pytest.raises(SettingsError) as refused:
        settings_from_mapping(ON, environ=environ)
    return refused.value.problems


def test_off_by_default_and_on_from_the_environment(tmp_path: Path) -> None:
    tracing = settings_from_mapping({}).tracing
    assert (tracing.enabled, tracing.include_document) == (False, False)
    config = tmp_path / "gateway.toml"
    config.write_text("")
    settings = load_settings(
        config,
        environ={
            "KAFKA_GRAPHQL_TRACING__ENABLED": "true",
            "KAFKA_GRAPHQL_TRACING__INCLUDE_DOCUMENT": "true",
        },
    )
    assert (settings.tracing.enabled, settings.tracing.include_document) == (True, True)


@pytest.mark.parametrize(
    "environ",
    [
        {},
        {"OTEL_TRACES_EXPORTER": "otlp,console"},
        {"OTEL_TRACES_EXPORTER": "none"},
        {"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"},
        # Not checked when nothing exports over OTLP.
        {"OTEL_TRACES_EXPORTER": "console", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"},
    ],
)
def test_what_the_extra_exports_with_is_accepted(environ: dict[str, str]) -> None:
    assert settings_from_mapping(ON, environ=environ).tracing.enabled


def test_an_exporter_the_gateway_does_not_know_is_refused() -> None:
    assert problems({"OTEL_TRACES_EXPORTER": "zipkin, otlp"}) == (
        "tracing.enabled = true: OTEL_TRACES_EXPORTER names zipkin; the gateway exports with "
        "otlp, console, none",
    )


def test_an_otlp_protocol_the_gateway_does_not_speak_is_refused() -> None:
    assert problems({"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/json"}) == (
        "tracing.enabled = true: the OTLP protocol 'http/json' is not one the gateway exports "
        "with (http/protobuf, grpc)",
    )


def test_grpc_needs_its_exporter_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tracing_module, "_installed", lambda module: "grpc" not in module)
    assert problems({"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}) == (
        "tracing.enabled = true: OTLP over grpc needs opentelemetry-exporter-otlp-proto-grpc",
    )


def test_without_the_extra_tracing_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tracing_module, "_installed", lambda module: False)
    assert problems({}) == (
        "tracing.enabled = true needs the OpenTelemetry SDK: pip install 'kafka-graphql[otel]'",
    )
    # Off, nothing is looked for.
    assert not settings_from_mapping({}, environ={}).tracing.enabled


def test_a_missing_parent_package_is_not_installed() -> None:
    assert tracing_module._installed("no_such_package_anywhere.sub") is False
    assert tracing_module._installed("opentelemetry.sdk") is True
