"""The audit log (kafka_graphql/observability/logs/audit.py): each event's exact shape, where the
caller's address and the request's id come from, where the lines go, and the configuration's
digest (tests/integration/test_logs.py checks the events of a real session)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kafka_graphql.core.request_id import CURRENT_REQUEST_ID
from kafka_graphql.core.telemetry import (
    CURRENT_OPERATION,
    Operation,
    Refusal,
    Subscription,
    Write,
)
from kafka_graphql.observability.logs.audit import AuditLog, audit_configuration, settings_digest
from kafka_graphql.observability.logs.operations import OperationLog
from kafka_graphql.observability.logs.setup import AUDIT_LOGGER
from kafka_graphql.settings import load_settings, settings_from_mapping
from kafka_graphql.settings.logs import LoggingSettings
from tests.logs import TIME, captured_logs

HEAD = ("type", "logger", "principal", "source_ip", "request_id", "decision", "reason")


def head(
    kind: str, principal: str | None, decision: str | None, reason: str | None
) -> dict[str, Any]:
    return {
        "type": kind,
        "logger": AUDIT_LOGGER,
        "principal": principal,
        "source_ip": "10.0.0.1",
        "request_id": "req-1",
        "decision": decision,
        "reason": reason,
    }


@pytest.fixture
def operation() -> Iterator[Operation]:
    operation = Operation("graphql", "mutation", "req-1", "alice", "10.0.0.1")
    token = CURRENT_OPERATION.set(operation)
    yield operation
    CURRENT_OPERATION.reset(token)


def test_refusals(operation: Operation) -> None:
    audit = AuditLog()
    with captured_logs() as logs:
        audit.refused(Refusal("authentication", "UNAUTHENTICATED", "expired"))
        audit.refused(
            Refusal("authorization", "FORBIDDEN", "forbidden", principal="alice", topic="orders")
        )
        audit.refused(Refusal("limit", "RATE_LIMITED", "rate_limited", principal="alice"))
    assert logs.events(AUDIT_LOGGER) == [
        {**head("authentication", "anonymous", "deny", "expired"), "code": "UNAUTHENTICATED"},
        {
            **head("authorization", "alice", "deny", "forbidden"),
            "code": "FORBIDDEN",
            "topic": "orders",
        },
        {**head("limit", "alice", "deny", "rate_limited"), "code": "RATE_LIMITED"},
    ]


def test_writes(operation: Operation) -> None:
    audit = AuditLog()
    with captured_logs() as logs:
        audit.produced(Write("alice", "orders", [(0, 41), (2, 7), (0, 42)], 300, 0.004))
        audit.produce_failed("alice", "orders", 3, "KAFKA_TIMEOUT")
        audit.produce_failed("alice", "orders", 1, "BAD_USER_INPUT")
    written = {"topic": "orders", "code": "OK", "count": 3}
    assert logs.events(AUDIT_LOGGER) == [
        {
            **head("write", "alice", "allow", None),
            **written,
            "partitions": [0, 2, 0],
            "offsets": [41, 7, 42],
        },
        {
            **head("write", "alice", "error", "kafka_timeout"),
            "topic": "orders",
            "code": "KAFKA_TIMEOUT",
            "count": 3,
            "partitions": [],
            "offsets": [],
        },
        {
            **head("write", "alice", "deny", "bad_user_input"),
            "topic": "orders",
            "code": "BAD_USER_INPUT",
            "count": 1,
            "partitions": [],
            "offsets": [],
        },
    ]


def test_subscriptions() -> None:
    operation = Operation("graphql", "subscription", "req-1", "alice", "10.0.0.1")
    subscription = Subscription(operation, "orders", "0123456789abcdef")
    audit = AuditLog()
    with captured_logs() as logs:
        audit.subscription_started(subscription)
        subscription.deliveries, subscription.skipped, subscription.code = 5, 1, "LIMIT_EXCEEDED"
        audit.subscription_ended(subscription)
    stream = {"topic": "orders", "filter_hash": "0123456789abcdef"}
    assert logs.events(AUDIT_LOGGER) == [
        {**head("subscription_opened", "alice", "allow", None), **stream},
        {
            **head("subscription_ended", "alice", None, None),
            **stream,
            "code": "LIMIT_EXCEEDED",
            "deliveries": 5,
            "skipped": 1,
        },
    ]


def test_outside_an_operation_the_request_names_itself() -> None:
    """An authentication refusal by the HTTP middleware comes before any operation."""
    with captured_logs() as logs:
        token = CURRENT_REQUEST_ID.set("req-9")
        try:
            AuditLog().refused(
                Refusal("authentication", "UNAUTHENTICATED", "missing", source_ip="10.0.0.2")
            )
        finally:
            CURRENT_REQUEST_ID.reset(token)
    assert logs.events(AUDIT_LOGGER) == [
        {
            "type": "authentication",
            "logger": AUDIT_LOGGER,
            "principal": "anonymous",
            "source_ip": "10.0.0.2",
            "request_id": "req-9",
            "decision": "deny",
            "reason": "missing",
            "code": "UNAUTHENTICATED",
        }
    ]


def test_the_audit_log_is_json_among_console_lines() -> None:
    with captured_logs(LoggingSettings(format="console", audit=True)) as logs:
        OperationLog().connection_opened("graphql-ws", "alice", None)
        AuditLog().refused(Refusal("limit", "LIMIT_EXCEEDED", "connections"))
    console, audit = logs.lines()
    assert "connection_opened" in console and not console.startswith("{")
    assert list(json.loads(audit))[: len(HEAD) + 1] == [HEAD[0], "time", *HEAD[1:]]


def test_the_audit_file_has_the_audit_log_only(tmp_path: Path) -> None:
    path = tmp_path / "audit.log"
    path.write_text("an earlier line\n")  # appended to, never truncated
    settings = LoggingSettings(format="json", audit=True, audit_file=str(path))
    with captured_logs(settings) as logs:
        AuditLog().refused(Refusal("limit", "LIMIT_EXCEEDED", "connections"))
        OperationLog().connection_opened("graphql-ws", "alice", None)
    assert [line["event"] for line in logs.json()] == ["connection_opened"]
    earlier, event = path.read_text().splitlines()
    assert earlier == "an earlier line"
    assert json.loads(event)["type"] == "limit"


def test_the_configuration_event(tmp_path: Path) -> None:
    config = tmp_path / "gateway.toml"
    config.write_text("[server]\nport = 9000\n[logging]\naudit = true\n")
    settings = load_settings(config, environ={})
    with captured_logs() as logs:
        audit_configuration(settings, str(config))
    (event,) = [json.loads(line) for line in logs.lines()]
    assert TIME.fullmatch(event.pop("time"))
    assert event == {
        "type": "configuration",
        "logger": AUDIT_LOGGER,
        "principal": None,
        "source_ip": None,
        "request_id": None,
        "decision": None,
        "reason": None,
        "digest": settings_digest(settings),
        "profile": "development",
        "config_file": str(config),
    }
    # Not written when the audit log is off.
    with captured_logs(LoggingSettings(format="json")) as logs:
        audit_configuration(settings_from_mapping({}), None)
    assert logs.lines() == []


def test_the_digest_tells_nothing_of_the_secrets() -> None:
    def settings(password: str, port: int = 8000) -> Any:
        environ = {
            "KAFKA_GRAPHQL_KAFKA__SECURITY_PROTOCOL": "SASL_PLAINTEXT",
            "KAFKA_GRAPHQL_KAFKA__SASL_MECHANISM": "PLAIN",
            "KAFKA_GRAPHQL_SASL_USERNAME": "alice",
            "KAFKA_GRAPHQL_SASL_PASSWORD": password,
            "KAFKA_GRAPHQL_PORT": str(port),
        }
        return load_settings(None, environ=environ)

    digest = settings_digest(settings("one"))
    assert len(digest) == 64 and int(digest, 16) >= 0
    assert settings_digest(settings("two")) == digest
    assert settings_digest(settings("one", port=9000)) != digest
