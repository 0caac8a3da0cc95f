"""The log lines (kafka_graphql/observability/logs/): the `[logging]` table, one renderer for the
gateway's lines and the libraries', and the operation log's lines field by field."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from kafka_graphql.core.request_id import CURRENT_REQUEST_ID
from kafka_graphql.core.telemetry import Operation, Subscription, Telemetry
from kafka_graphql.core.telemetry_fanout import Fanout
from kafka_graphql.observability.logs.audit import AuditLog
from kafka_graphql.observability.logs.operations import LOGGER, OperationLog
from kafka_graphql.observability.sinks import telemetry_for
from kafka_graphql.settings import SettingsError, load_settings, settings_from_mapping
from kafka_graphql.settings.logs import LoggingSettings
from tests.logs import TIME, captured_logs

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


def test_the_format_follows_the_profile_unless_set() -> None:
    assert settings_from_mapping({}).logging == LoggingSettings()
    assert LoggingSettings().format_for(production=False) == "console"
    assert LoggingSettings().format_for(production=True) == "json"
    assert LoggingSettings(format="console").format_for(production=True) == "console"
    environ = {"KAFKA_GRAPHQL_LOGGING__FORMAT": "json", "KAFKA_GRAPHQL_LOGGING__LEVEL": "debug"}
    settings = load_settings(None, environ=environ)
    assert (settings.logging.format, settings.logging.level) == ("json", "debug")


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"format": "text"}, "logging.format must be one of json, console; got 'text'"),
        ({"level": "verbose"}, "logging.level must be one of debug, info, warning, error"),
        ({"audit_file": "audit.log"}, "logging.audit_file needs logging.audit = true"),
        (
            {"audit": True, "audit_file": "no/such/folder/audit.log"},
            "logging.audit_file: no such folder",
        ),
    ],
)
def test_bad_logging_settings_name_the_key(
    table: dict[str, object], message: str, tmp_path: Path
) -> None:
    with pytest.raises(SettingsError, match=message.replace("(", r"\(")):
        settings_from_mapping({"logging": table}, base_dir=tmp_path)


def test_the_audit_file_is_relative_to_the_configuration(tmp_path: Path) -> None:
    config = tmp_path / "gateway.toml"
    config.write_text('[logging]\naudit = true\naudit_file = "audit.log"\n')
    assert load_settings(config, environ={}).logging.audit_file == str(tmp_path / "audit.log")


def test_library_lines_go_through_the_same_renderer() -> None:
    with captured_logs() as logs:
        token = CURRENT_REQUEST_ID.set("req-7")
        try:
            logging.getLogger("aiohttp.server").info("refused %s: %d", "GET", 400)
        finally:
            CURRENT_REQUEST_ID.reset(token)
        logging.getLogger("aiokafka.conn").warning("connection lost")
        logging.getLogger("aiokafka.consumer").info("joined a group")  # below aiokafka's level
        logging.getLogger("aiohttp.access").info('GET /graphql?variables={"a": 1}')  # never
        try:
            raise ValueError("boom")
        except ValueError:
            logging.getLogger("kafka_graphql.x").exception("it failed")
    lines = logs.json()
    for line in lines:
        assert TIME.fullmatch(line.pop("time")), line
    failure = lines.pop()
    assert lines == [
        {
            "level": "info",
            "logger": "aiohttp.server",
            "event": "refused GET: 400",
            "request_id": "req-7",
        },
        {"level": "warning", "logger": "aiokafka.conn", "event": "connection lost"},
    ]
    assert list(failure) == ["level", "logger", "event", "exception"]
    assert (failure["level"], failure["event"]) == ("error", "it failed")
    assert failure["exception"].startswith("Traceback (most recent call last):")
    assert failure["exception"].endswith("ValueError: boom")


def test_console_lines_for_a_terminal() -> None:
    with captured_logs(LoggingSettings(format="console")) as logs:
        logging.getLogger("kafka_graphql").warning("no [auth] table")
        OperationLog().connection_opened("graphql-ws", "alice", "10.0.0.1")
    first, second = (line.split(" ", 1) for line in logs.lines())
    assert TIME.fullmatch(first[0]) and TIME.fullmatch(second[0])
    # Aligned columns: the level, the event, the logger, then the event's fields.
    assert first[1].split() == ["[warning", "]", "no", "[auth]", "table", "[kafka_graphql]"]
    assert second[1].split() == [
        "[info",
        "]",
        "connection_opened",
        "[kafka_graphql.operations]",
        "transport=graphql-ws",
        "principal=alice",
        "source_ip=10.0.0.1",
    ]


def _operation(**fields: object) -> Operation:
    operation = Operation("graphql", "query", "req-1", "alice", "10.0.0.1", **fields)  # type: ignore[arg-type]
    operation.duration_s = 0.0123456789
    return operation


def test_one_line_per_operation_with_the_issue_s_fields() -> None:
    operation = _operation(
        operation_name="Page",
        topics={"b", "a"},
        code="RATE_LIMITED",
        cost=12,
        bytes_in=100,
        bytes_out=2000,
        traceparent=f"00-{TRACE}-00f067aa0ba902b7-01",
    )
    with captured_logs() as logs:
        OperationLog().operation_ended(operation)
    assert logs.events(LOGGER) == [
        {
            "level": "info",
            "logger": LOGGER,
            "event": "operation",
            "request_id": "req-1",
            "trace_id": TRACE,
            "principal": "alice",
            "face": "graphql",
            "operation_type": "query",
            "operation_name": "Page",
            "topics": ["a", "b"],
            "code": "RATE_LIMITED",
            "duration_s": 0.012346,
            "cost": 12,
            "bytes_in": 100,
            "bytes_out": 2000,
        }
    ]


@pytest.mark.parametrize(
    ("operation", "trace"),
    [
        (_operation(), None),
        (_operation(traceparent="00-" + "0" * 32 + "-00f067aa0ba902b7-01"), None),
        (_operation(traceparent=f"00-{TRACE.upper()}-00f067aa0ba902b7-01"), None),
        (_operation(traceparent="garbage"), None),
        # A tracing sink's own trace wins over the caller's.
        (_operation(traceparent=f"00-{TRACE}-00f067aa0ba902b7-01", trace_id="1" * 32), "1" * 32),
    ],
)
def test_the_trace_id(operation: Operation, trace: str | None) -> None:
    with captured_logs() as logs:
        OperationLog().operation_ended(operation)
    (line,) = logs.events(LOGGER)
    assert line["trace_id"] == trace


def test_connections_and_subscriptions() -> None:
    operation = _operation(operation_name="Feed", started=time.monotonic())
    subscription = Subscription(operation, "orders", "0123456789abcdef")
    sink = OperationLog()
    with captured_logs() as logs:
        token = CURRENT_REQUEST_ID.set("req-ws")
        try:
            sink.connection_opened("graphql-transport-ws", "anonymous", "10.0.0.1")
            sink.subscription_started(subscription)
            subscription.deliveries, subscription.skipped = 7, 2
            sink.subscription_ended(subscription)
            sink.connection_closed("graphql-transport-ws", "alice", 1000, 1.5)
        finally:
            CURRENT_REQUEST_ID.reset(token)
    lines = logs.events(LOGGER)
    ended = lines[2]
    assert ended.pop("duration_s") > 0
    stream = {"principal": "alice", "operation_name": "Feed", "topic": "orders"}
    assert lines == [
        {
            "level": "info",
            "logger": LOGGER,
            "event": "connection_opened",
            "transport": "graphql-transport-ws",
            "principal": "anonymous",
            "source_ip": "10.0.0.1",
            "request_id": "req-ws",
        },
        {
            "level": "info",
            "logger": LOGGER,
            "event": "subscription_started",
            "request_id": "req-1",
            **stream,
            "filter_hash": "0123456789abcdef",
        },
        {
            "level": "info",
            "logger": LOGGER,
            "event": "subscription_ended",
            "request_id": "req-1",
            **stream,
            "filter_hash": "0123456789abcdef",
            "code": "OK",
            "deliveries": 7,
            "skipped": 2,
        },
        {
            "level": "info",
            "logger": LOGGER,
            "event": "connection_closed",
            "transport": "graphql-transport-ws",
            "principal": "alice",
            "close_code": 1000,
            "duration_s": 1.5,
            "request_id": "req-ws",
        },
    ]


def test_below_the_level_nothing_is_written() -> None:
    with captured_logs(LoggingSettings(format="json", level="warning")) as logs:
        OperationLog().operation_ended(_operation())
        logging.getLogger("kafka_graphql").info("started")
        logging.getLogger("kafka_graphql").warning("stalled")
    assert [line["event"] for line in logs.json()] == ["stalled"]


NO_METRICS = {"metrics": {"enabled": False}}


def test_the_settings_make_the_sinks() -> None:
    def sinks(logging: dict[str, object]) -> list[type[Telemetry]]:
        made = telemetry_for(settings_from_mapping({"logging": logging, **NO_METRICS}))
        return [type(sink) for sink in made.sinks] if isinstance(made, Fanout) else [type(made)]

    assert sinks({}) == [OperationLog]
    assert sinks({"level": "debug", "audit": True}) == [OperationLog, AuditLog]
    assert sinks({"level": "warning", "audit": True}) == [AuditLog]
    assert sinks({"level": "error"}) == [Telemetry]  # NO_TELEMETRY
