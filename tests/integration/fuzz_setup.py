"""What the fuzz tests run against: their topics (generic, JSON-Schema typed, Avro typed, and
with auth one behind its own scope and one with a record rule), the two gateway configurations,
the callers' tokens, and the records every run starts with."""

from __future__ import annotations

import asyncio
import io
import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import fastavro
import graphql
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from tests.integration.fuzz_values import RawRecord
from tests.integration.helpers import poll_until
from tests.integration.typed import PAYMENT, SCHEMAS
from tests.tokens import AUDIENCE, ISSUER, claims, rsa_pair

# The topics' own limit on timestamps ahead of the broker's clock (Kafka 4 refuses records more
# than an hour ahead): off, so that records from any producer's clock can be written.
ANY_TIMESTAMP = {"message.timestamp.after.max.ms": str(2**63 - 1)}
TOKEN_TTL_S = 24 * 3600

# The caller that fuzzes: an ordinary token, reading and writing the fuzz topics, of tenant acme;
# no scope for the guarded fields.
FUZZER_SCOPES = "kafka:read:fuzz-* kafka:write:fuzz-*"
# The records test's reader may select every field; the bystanders only read.
READER_SCOPES = "kafka:read:fuzz-* pii ops"
BYSTANDER_SCOPES = "kafka:read:fuzz-*"

ORDER = {
    "id": "o-1",
    "placedAt": "2026-11-25T12:00:00+01:00",
    "status": "PLACED",
    "quantity": 1,
    "customer": {"name": "Ada", "email": "ada@example.com"},
    "items": [{"sku": "ABC-1", "count": 1}],
    "tags": ["new"],
    "payment": {"orderPaymentCard": {"kind": "card", "last4": "4242"}},
}


@dataclass(frozen=True)
class FuzzTopics:
    prefix: str

    @classmethod
    def new(cls) -> FuzzTopics:
        return cls(f"fuzz-{uuid.uuid4().hex[:8]}")

    @property
    def a(self) -> str:
        return f"{self.prefix}-a"

    @property
    def b(self) -> str:
        return f"{self.prefix}-b"

    @property
    def orders(self) -> str:
        return f"{self.prefix}-orders"

    @property
    def payments(self) -> str:
        return f"{self.prefix}-payments"

    @property
    def tenants(self) -> str:
        return f"{self.prefix}-tenants"

    @property
    def secret(self) -> str:
        return f"{self.prefix}-secret"

    @property
    def bulk(self) -> str:
        """BULK_RECORDS records: a page may scan as many as `limits.max_scan_records`."""
        return f"{self.prefix}-bulk"

    @property
    def partitions(self) -> dict[str, int]:
        names = (self.a, self.b, self.orders, self.payments, self.tenants, self.secret, self.bulk)
        return {name: 3 if name == self.b else 1 for name in names}

    def names(self) -> list[str]:
        """What topic arguments name: every topic, one that does not exist, an internal one."""
        return [*self.partitions, f"{self.prefix}-missing", "__consumer_offsets"]


async def create_topics(admin: AIOKafkaAdminClient, topics: FuzzTopics) -> None:
    await admin.create_topics(
        [NewTopic(n, p, 1, topic_configs=ANY_TIMESTAMP) for n, p in topics.partitions.items()]
    )

    async def served() -> bool:
        described = await admin.describe_topics(list(topics.partitions))
        return all(
            d["error_code"] == 0 and all(p["leader"] >= 0 for p in d["partitions"])
            for d in described
        )

    await poll_until(served, timeout_s=30, interval_s=0.05)


def gateway_settings(
    bootstrap: str, topics: FuzzTopics, public_key_file: Path | None
) -> dict[str, Any]:
    """Every limit at its default but the budgets: a fuzzer throttled after a few requests would
    explore nothing (RATE_LIMITED has tests of its own)."""
    orders: dict[str, Any] = {
        "name": topics.orders,
        "type": "Order",
        "value_schema": "order.schema.json",
    }
    payments = {
        "name": topics.payments,
        "type": "Payment",
        "value_schema": "payment.avsc",
        "value_format": "avro",
    }
    raw: dict[str, Any] = {
        "kafka": {"bootstrap_servers": bootstrap, "request_timeout_s": 10},
        "server": {"shutdown_grace_s": 2, "batching": True},
        # On, on a free port: the fuzzer's hostile requests go through the metrics sink too.
        "metrics": {"port": 0},
        "limits": {
            "cost_budget": 10_000_000,
            "cost_refill_per_s": 10_000_000,
            "produce_messages_per_s": 10_000_000,
            "produce_bytes_per_s": 10_000_000_000,
            # The bystanders must receive every record: over the delivery budget a stream
            # conflates by key (docs/limits.md#delivery-budget), and the fuzzer writes large values.
            "delivery_messages_per_s": 10_000_000,
            "delivery_bytes_per_s": 10_000_000_000,
        },
    }
    if public_key_file is None:
        raw["topics"] = [orders, payments, {"name": f"{topics.prefix}-*"}]
        return raw
    orders["field_scopes"] = {"Order.customer": ["pii"]}
    orders["mask"] = {"Order.quantity": "pii"}
    raw["auth"] = {
        "algorithms": ["RS256"],
        "issuer": ISSUER,
        "audience": AUDIENCE,
        "leeway_s": 0,
        "public_key_file": str(public_key_file),
        "field_scopes": {"Message.headers": ["pii"], "Topic.partitions": ["ops"]},
    }
    raw["topics"] = [
        orders,
        payments,
        {"name": topics.secret, "read_scopes": ["secret:read"]},
        {"name": topics.tenants, "records": {"header": "tenant", "claim": "tenant"}},
        {"name": f"{topics.prefix}-*"},
    ]
    return raw


def token(scopes: str, subject: str) -> str:
    return rsa_pair().sign(claims(TOKEN_TTL_S, sub=subject, scope=scopes, tenant="acme"))


def write_public_key(directory: Path) -> Path:
    path = directory / "jwt.pub.pem"
    path.write_bytes(rsa_pair().public_pem())
    return path


def valid_values() -> dict[str, list[bytes]]:
    """Values that fit each typed topic's schema."""
    schema = fastavro.parse_schema(json.loads((SCHEMAS / "payment.avsc").read_text()))
    avro = io.BytesIO()
    payment = {
        **PAYMENT,
        "method": ("com.shop.payments.Transfer", {"iban": "DE00"}),
        "digest": b"\x00\x01\x02\x03",
    }
    payment["at"] = 1_795_608_000_000
    payment["signature"] = b"\x00\x01\x02"
    fastavro.schemaless_writer(avro, schema, payment)
    return {"orders": [json.dumps(ORDER).encode()], "payments": [avro.getvalue()]}


# One record of each kind that has broken a reader somewhere, written to every topic before a run.
CORPUS = [
    RawRecord(b'{"ok": 1}', b"k"),
    RawRecord(None, b"tombstone"),
    RawRecord(b"\xff\xfe\x00binary", b"\xff\xfe", (("h", b"\xff"),)),
    RawRecord(b'{"n": ' + b"9" * 5000 + b"}"),
    RawRecord(b"[" * 100_000 + b"]" * 100_000),
    RawRecord(b"1e400", None, (("", None),)),
    RawRecord(b'{"a": 1}', None, (("tenant", b"acme"),)),
    RawRecord(b'{"late": true}', None, (), 253_402_300_800_000),
]


# As many as a page scans at most (limits.max_scan_records, 10,000 by default).
BULK_RECORDS = 10_000


async def seed(producer: AIOKafkaProducer, topics: FuzzTopics) -> None:
    values = valid_values()
    sent = [
        await producer.send(topics.bulk, b'{"i": %d, "tags": ["a", "b"]}' % i, key=b"%d" % i)
        for i in range(BULK_RECORDS)
    ]
    await asyncio.gather(*sent)
    for name, partitions in topics.partitions.items():
        typed = values.get(name.removeprefix(f"{topics.prefix}-"), [])
        for partition in range(partitions):
            for record in [*(RawRecord(v, b"valid") for v in typed), *CORPUS]:
                await producer.send_and_wait(
                    name,
                    record.value,
                    key=record.key,
                    headers=list(record.headers),
                    partition=partition,
                    timestamp_ms=record.timestamp_ms,
                )


def selection(schema: graphql.GraphQLSchema, type_name: str, depth: int = 4) -> str:
    """Every field of `type_name` that takes no required argument, `depth` levels down."""
    type_ = schema.get_type(type_name)
    if isinstance(type_, graphql.GraphQLUnionType):
        parts = [f"... on {t.name} {{ {selection(schema, t.name, depth)} }}" for t in type_.types]
        return "__typename " + " ".join(parts)
    assert isinstance(type_, graphql.GraphQLObjectType | graphql.GraphQLInterfaceType)
    fields = []
    for name, definition in type_.fields.items():
        if any(graphql.is_required_argument(a) for a in definition.args.values()):
            continue
        inner = graphql.get_named_type(definition.type)
        if graphql.is_leaf_type(inner):
            fields.append(name)
        elif depth > 0:
            fields.append(f"{name} {{ {selection(schema, inner.name, depth - 1)} }}")
    return " ".join(fields) or "__typename"
