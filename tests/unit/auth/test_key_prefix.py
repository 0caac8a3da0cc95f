"""`records.key_prefix` without a broker: loaded from the configuration, and every write checked
(docs/security.md#record-level-rules); which cleanup policies count as compacted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kafka_graphql.core.errors import Forbidden
from kafka_graphql.core.items import Item
from kafka_graphql.core.record_rules import checked_write
from kafka_graphql.kafka import OutgoingRecord
from kafka_graphql.kafka.topic_configs import is_compacted
from kafka_graphql.settings import RecordRule, SettingsError, settings_from_mapping
from tests.tokens import AUDIENCE, ISSUER, rsa_pair, write_keys

HEADER_KEYED = RecordRule(header="tenant", claim="tenant", key_prefix=True)
VALUE_KEYED = RecordRule(value="tenantId", claim="tenant", key_prefix=True)


def settings(tmp_path: Path, records: dict[str, Any]) -> Any:
    pem, _ = write_keys(tmp_path, rsa_pair())
    auth = {"algorithms": ["RS256"], "issuer": ISSUER, "audience": AUDIENCE}
    return settings_from_mapping(
        {
            "auth": {**auth, "public_key_file": str(pem)},
            "topics": [{"name": "shop.*", "records": records}],
        }
    )


def test_key_prefix_loads_and_defaults_to_off(tmp_path: Path) -> None:
    rule = {"header": "tenant", "claim": "tenant"}
    assert settings(tmp_path, rule).topics[0].records.key_prefix is False
    keyed = settings(tmp_path, {**rule, "key_prefix": True}).topics[0].records
    assert keyed == HEADER_KEYED


@pytest.mark.parametrize("value", ["true", 1, "yes"])
def test_key_prefix_is_a_boolean(tmp_path: Path, value: object) -> None:
    rule = {"header": "tenant", "claim": "tenant", "key_prefix": value}
    with pytest.raises(
        SettingsError, match=r"topics\[0\]\.records\.key_prefix must be of type bool"
    ):
        settings(tmp_path, rule)


def write(rule: RecordRule, claim: str | None, key: bytes | None, index: int | None = None) -> Any:
    record = OutgoingRecord(value=b'{"tenantId": "acme"}', key=key)
    item = None if index is None else Item("messages", index)
    return checked_write(rule, claim, "shop.orders", record, {"tenantId": "acme"}, item)


@pytest.mark.parametrize("rule", [HEADER_KEYED, VALUE_KEYED], ids=["header", "value"])
@pytest.mark.parametrize("key", [b"acme:1", b"acme:", "acme:é".encode(), b"acme:globex:1"])
def test_a_key_that_starts_with_the_claim_and_a_colon_is_written(
    rule: RecordRule, key: bytes
) -> None:
    assert write(rule, "acme", key).key == key


@pytest.mark.parametrize("rule", [HEADER_KEYED, VALUE_KEYED], ids=["header", "value"])
@pytest.mark.parametrize(
    "key",
    [None, b"", b"acme", b"acme-1", b"acmex:1", b"ACME:1", b" acme:1", b"globex:acme:1", b"\xff"],
)
def test_any_other_key_is_forbidden(rule: RecordRule, key: bytes | None) -> None:
    with pytest.raises(Forbidden) as refused:
        write(rule, "acme", key)
    assert refused.value.extensions == {"path": ["key"]}
    assert "'acme:'" in refused.value.message
    with pytest.raises(Forbidden) as in_batch:
        write(rule, "acme", key, index=7)
    assert in_batch.value.extensions == {"path": ["messages", 7, "key"], "index": 7}
    assert in_batch.value.message.startswith("messages[7]: ")


def test_without_key_prefix_keys_are_free() -> None:
    rule = RecordRule(header="tenant", claim="tenant")
    assert write(rule, "acme", b"globex:1").key == b"globex:1"
    assert write(rule, "acme", None).key is None


def test_a_caller_without_the_claim_is_refused_first() -> None:
    with pytest.raises(Forbidden, match="does not carry"):
        write(HEADER_KEYED, None, b"acme:1")


@pytest.mark.parametrize(
    ("policy", "compacted"),
    [
        ("compact", True),
        ("compact,delete", True),
        ("delete,compact", True),
        ("delete, compact", True),
        ("delete", False),
        ("", False),
        ("compacted", False),
    ],
)
def test_a_policy_that_includes_compact_is_compacted(policy: str, compacted: bool) -> None:
    assert is_compacted(policy) is compacted
