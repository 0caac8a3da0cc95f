"""The audit log (logger `kafka_graphql.audit`, `logging.audit = true`): one JSON line per
security-relevant event, in one shape (docs/operations.md#audit-log):

    type, time, logger, principal, source_ip, request_id, decision, reason, then the event's
    own fields

`decision` is `allow` (the gateway did it), `deny` (it refused the caller), `error` (it was
allowed but Kafka did not complete it) or null for what is no decision (a subscription's end,
the configuration). No value, key or header of a record, no token and no secret is ever part of
an event: writes are told by their positions, subscriptions by their filter's digest, the
configuration by a digest of its settings without the secrets.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

from kafka_graphql.core.request_id import CURRENT_REQUEST_ID
from kafka_graphql.core.telemetry import (
    CURRENT_OPERATION,
    Refusal,
    Subscription,
    Telemetry,
    Write,
)
from kafka_graphql.observability.logs.lines import Lines
from kafka_graphql.observability.logs.setup import AUDIT_LOGGER
from kafka_graphql.settings import ENVIRONMENT_ONLY, Settings

ALLOW = "allow"
DENY = "deny"
ERROR = "error"
# A write that failed with one of these was allowed: Kafka (or the registry) did not complete it.
_NOT_COMPLETED = frozenset(
    {"KAFKA_UNAVAILABLE", "KAFKA_TIMEOUT", "SCHEMA_REGISTRY_UNAVAILABLE", "SHUTTING_DOWN"}
)


class AuditLog(Telemetry):
    """The events of core/telemetry.py the audit log records; the request's id, the caller's
    address (and name, when the event has none) from the operation or request being served."""

    def __init__(self) -> None:
        self._log = Lines(AUDIT_LOGGER)

    def refused(self, refusal: Refusal) -> None:
        fields: dict[str, Any] = {"code": refusal.code}
        if refusal.kind == "authorization":
            fields["topic"] = refusal.topic
        self._event(
            refusal.kind,
            DENY,
            refusal.reason,
            principal=refusal.principal,
            source_ip=refusal.source_ip,
            request_id=refusal.request_id,
            **fields,
        )

    def produced(self, write: Write) -> None:
        self._event(
            "write",
            ALLOW,
            None,
            principal=write.principal,
            topic=write.topic,
            code="OK",
            count=len(write.positions),
            partitions=[partition for partition, _ in write.positions],
            offsets=[offset for _, offset in write.positions],
        )

    def produce_failed(self, principal: str, topic: str, records: int, code: str) -> None:
        self._event(
            "write",
            ERROR if code in _NOT_COMPLETED else DENY,
            code.lower(),
            principal=principal,
            topic=topic,
            code=code,
            count=records,
            partitions=[],
            offsets=[],
        )

    def subscription_started(self, subscription: Subscription) -> None:
        self._subscription("subscription_opened", ALLOW, subscription)

    def subscription_ended(self, subscription: Subscription) -> None:
        self._subscription(
            "subscription_ended",
            None,
            subscription,
            code=subscription.code,
            deliveries=subscription.deliveries,
            skipped=subscription.skipped,
        )

    def _subscription(
        self, kind: str, decision: str | None, subscription: Subscription, **fields: Any
    ) -> None:
        operation = subscription.operation
        self._event(
            kind,
            decision,
            None,
            principal=operation.principal,
            source_ip=operation.source_ip,
            request_id=operation.request_id or None,
            topic=subscription.topic,
            filter_hash=subscription.filter_hash,
            **fields,
        )

    def _event(
        self,
        kind: str,
        decision: str | None,
        reason: str | None,
        *,
        principal: str | None,
        source_ip: str | None = None,
        request_id: str | None = None,
        **fields: Any,
    ) -> None:
        operation = CURRENT_OPERATION.get()
        if operation is not None:
            source_ip = source_ip or operation.source_ip
            request_id = request_id or operation.request_id or None
        self._log.info(
            kind,
            principal=principal,
            source_ip=source_ip,
            request_id=request_id or CURRENT_REQUEST_ID.get(),
            decision=decision,
            reason=reason,
            **fields,
        )


def settings_digest(settings: Settings) -> str:
    """SHA-256 of the settings as canonical JSON, without the keys only the environment may
    set (credentials) and without any secret: two gateways with the same digest were given
    the same configuration, and the digest tells nothing of a secret."""
    exclude: dict[str, set[str]] = {}
    for key in ENVIRONMENT_ONLY:
        table, name = key.split(".")
        exclude.setdefault(table, set()).add(name)
    dumped = settings.model_dump(mode="json", exclude=exclude)
    return hashlib.sha256(orjson.dumps(dumped, option=orjson.OPT_SORT_KEYS)).hexdigest()


def audit_configuration(settings: Settings, config_file: str | None) -> None:
    """At start-up, once settings are loaded: the `configuration` event (when auditing)."""
    if not settings.logging.audit:
        return
    Lines(AUDIT_LOGGER).info(
        "configuration",
        principal=None,
        source_ip=None,
        request_id=None,
        decision=None,
        reason=None,
        digest=settings_digest(settings),
        profile=settings.server.profile,
        config_file=config_file,
    )
