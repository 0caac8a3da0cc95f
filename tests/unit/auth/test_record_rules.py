"""Record-level rules without a broker: the `records` key checked at start-up, and the rule
compiled into a record predicate (reads) and a check of outgoing records (writes)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kafka_graphql.core.errors import Forbidden
from kafka_graphql.core.items import Item
from kafka_graphql.core.record_rules import caller_claim, checked_write, compile_record_rule
from kafka_graphql.core.typed.startup import StartupFailed
from kafka_graphql.kafka import Header, OutgoingRecord, Record
from kafka_graphql.schema_registry.typed_topics import typed_topics
from kafka_graphql.settings import RecordRule, SettingsError, settings_from_mapping
from tests.tokens import AUDIENCE, ISSUER, rsa_pair, write_keys

SCHEMAS = Path(__file__).parents[2] / "fixtures" / "schemas"
HEADER_RULE = RecordRule(header="tenant", claim="tenant")
VALUE_RULE = RecordRule(value="customer.tenantId", claim="tenant")


@pytest.fixture
def auth(tmp_path: Path) -> dict[str, Any]:
    pem, _ = write_keys(tmp_path, rsa_pair())
    return {
        "algorithms": ["RS256"],
        "issuer": ISSUER,
        "audience": AUDIENCE,
        "public_key_file": str(pem),
    }


def with_records(records: object, auth: dict[str, Any] | None, **topic: Any) -> Any:
    raw: dict[str, Any] = {"topics": [{"name": "other"}, {"name": "shop.*", "records": records}]}
    if auth is not None:
        raw["auth"] = auth
    return settings_from_mapping(raw, SCHEMAS)


def test_a_header_rule_and_a_value_rule_load(auth: dict[str, Any]) -> None:
    header = with_records({"header": "tenant", "claim": "tenant"}, auth).topics[1].records
    assert header == HEADER_RULE
    value = with_records({"value": "customer.tenantId", "claim": "tenant"}, auth)
    assert value.topics[1].records == VALUE_RULE
    assert value.topics[1].records.path == ("customer", "tenantId")
    assert value.topics[0].records is None


@pytest.mark.parametrize(
    ("records", "message"),
    [
        ({"claim": "tenant"}, r"topics\[1\].records must set exactly one of header and value"),
        (
            {"header": "tenant", "value": "tenantId", "claim": "tenant"},
            r"topics\[1\].records must set exactly one of header and value",
        ),
        ({"header": "tenant"}, r"topics\[1\].records.claim is required"),
        ({"header": "tenant", "claim": " "}, r"topics\[1\].records.claim is required"),
        ({"header": "", "claim": "tenant"}, r"topics\[1\].records.header must be a header name"),
        ({"value": "customer..id", "claim": "t"}, r"topics\[1\].records.value must be a dotted"),
        ({"value": ".".join("a" * 33), "claim": "t"}, r"topics\[1\].records.value may have at"),
        ({"header": "tenant", "claim": "t", "scope": "x"}, r"key topics\[1\].records.scope"),
        ({"header": 1, "claim": "t"}, r"topics\[1\].records.header must be of type str"),
        ("tenant", r"topics\[1\].records must be a table"),
    ],
)
def test_refused_at_start_up_naming_the_key(
    auth: dict[str, Any], records: object, message: str
) -> None:
    with pytest.raises(SettingsError, match=message):
        with_records(records, auth)


def test_a_rule_needs_authentication() -> None:
    with pytest.raises(SettingsError, match=r"topics\[1\].records needs an \[auth\] table"):
        with_records({"header": "tenant", "claim": "tenant"}, None)


def typed_settings(auth: dict[str, Any], path: str) -> Any:
    rule = {
        "name": "shop.orders",
        "type": "Order",
        "value_schema": "order.schema.json",
        "records": {"value": path, "claim": "tenant"},
    }
    return settings_from_mapping({"auth": auth, "topics": [{"name": "x"}, rule]}, SCHEMAS)


@pytest.mark.parametrize("path", ["id", "customer.name", "status", "quantity", "huge", "note"])
async def test_a_typed_topic_rule_names_a_field_that_can_hold_a_claim(
    auth: dict[str, Any], path: str
) -> None:
    async with typed_topics(typed_settings(auth, path)) as loaded:
        assert "shop.orders" in loaded


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("tenantId", "Order has no field 'tenantId' (at tenantId)"),
        ("customer.tenantId", "OrderCustomer has no field 'tenantId' (at customer.tenantId)"),
        ("id.value", "id is not an object, so it has no field 'value'"),
        ("items.sku", "items is not an object, so it has no field 'sku'"),
        ("payment.kind", "payment is not an object, so it has no field 'kind'"),
        ("customer", "customer must be a String, Int, Long or enum field to hold a claim"),
        ("amount", "amount must be a String, Int, Long or enum field to hold a claim"),
        ("gift", "gift must be a String, Int, Long or enum field to hold a claim"),
        ("tags", "tags must be a String, Int, Long or enum field to hold a claim"),
        ("metadata", "metadata must be a String, Int, Long or enum field to hold a claim"),
    ],
)
async def test_a_typed_topic_rule_on_a_path_the_schema_lacks_stops_start_up(
    auth: dict[str, Any], path: str, problem: str
) -> None:
    with pytest.raises(StartupFailed) as failed:
        async with typed_topics(typed_settings(auth, path)):
            pass
    message = str(failed.value)
    assert message.startswith(f"topics[1].records.value {path!r} of topic shop.orders (")
    assert message.endswith(f"order.schema.json): {problem}")


async def test_a_kept_field_holds_no_claim(auth: dict[str, Any]) -> None:
    settings = typed_settings(auth, "tenant")
    rule = settings.topics[1].model_copy(
        update={
            "deprecated": {"Order.tenant": "moved to the header"},
            "deprecated_types": {"Order.tenant": "String"},
        }
    )
    settings = settings.model_copy(update={"topics": (settings.topics[0], rule)})
    with pytest.raises(StartupFailed, match="tenant is a field the schema dropped"):
        async with typed_topics(settings):
            pass


def record(value: object = None, *headers: tuple[str, str | None]) -> Record:
    return Record(
        topic="t",
        partition=0,
        offset=0,
        timestamp_ms=0,
        key=None,
        value=value,
        headers=tuple(Header(k, v) for k, v in headers),
    )


def test_a_header_rule_sees_the_claims_records_only() -> None:
    sees = compile_record_rule(HEADER_RULE, "acme")
    assert sees(record(None, ("tenant", "acme")))
    assert sees(record(None, ("other", "x"), ("tenant", "acme")))
    assert not sees(record(None, ("tenant", "globex")))
    # A record without the header, or with a header without a value, belongs to nobody.
    assert not sees(record(None))
    assert not sees(record(None, ("tenant", None)))
    # Header names are case-sensitive, as in Kafka.
    assert not sees(record(None, ("Tenant", "acme")))
    # Two headers of the name (a producer that bypassed the gateway): both must be the claim.
    assert not sees(record(None, ("tenant", "acme"), ("tenant", "globex")))
    assert not sees(record(None, ("tenant", "globex"), ("tenant", "acme")))
    assert sees(record(None, ("tenant", "acme"), ("tenant", "acme")))
    # Not a prefix, not case-insensitive.
    assert not sees(record(None, ("tenant", "acme2")))
    assert not sees(record(None, ("tenant", "ACME")))


def test_a_value_rule_compares_the_value_at_its_path_as_text() -> None:
    sees = compile_record_rule(VALUE_RULE, "42")
    assert sees(record({"customer": {"tenantId": "42"}}))
    assert sees(record({"customer": {"tenantId": 42}}))
    for other in ("43", 42.0, True, None, ["42"], {"id": "42"}, " 42"):
        assert not sees(record({"customer": {"tenantId": other}})), other
    values: list[object] = [{"customer": {}}, {"customer": "42"}, {"tenantId": "42"}, "42", [42]]
    for value in [*values, None]:
        assert not sees(record(value)), value
    # The header of the same name means nothing to a value rule.
    assert not sees(record({}, ("tenantId", "42")))
    assert not compile_record_rule(RecordRule(value="flag", claim="c"), "true")(
        record({"flag": True})
    )


def test_a_caller_without_the_claim_sees_nothing() -> None:
    assert caller_claim(HEADER_RULE, {"tenant": "acme"}) == "acme"
    assert caller_claim(HEADER_RULE, {"sub": "alice"}) is None
    # An empty claim is no claim: it would otherwise match records with an empty header.
    assert caller_claim(HEADER_RULE, {"tenant": ""}) is None
    for rule in (HEADER_RULE, VALUE_RULE):
        sees = compile_record_rule(rule, None)
        assert not sees(record({"customer": {"tenantId": ""}}, ("tenant", "")))
        assert not sees(record(None))


def outgoing(*headers: tuple[str, bytes | None]) -> OutgoingRecord:
    return OutgoingRecord(value=b"{}", key=b"k", headers=headers, partition=2)


def test_writes_get_the_header_stamped_from_the_claim() -> None:
    written = checked_write(HEADER_RULE, "acme", "t", outgoing(("trace", b"1")), {})
    assert written == OutgoingRecord(
        value=b"{}", key=b"k", headers=(("trace", b"1"), ("tenant", b"acme")), partition=2
    )
    # The client may say its own tenant (once or twice); it is written once.
    again = outgoing(("tenant", b"acme"), ("trace", b"1"), ("tenant", b"acme"))
    assert checked_write(HEADER_RULE, "acme", "t", again, {}).headers == written.headers


@pytest.mark.parametrize(
    "forged",
    [
        (("tenant", b"globex"),),
        (("tenant", b"acme"), ("tenant", b"globex")),
        (("tenant", None),),
        (("tenant", b""),),
        (("tenant", b"acme "),),
    ],
)
def test_a_forged_header_is_refused(forged: tuple[tuple[str, bytes | None], ...]) -> None:
    with pytest.raises(Forbidden, match="header 'tenant' is set by the gateway") as refused:
        checked_write(HEADER_RULE, "acme", "t", outgoing(*forged), {})
    assert refused.value.extensions == {}
    with pytest.raises(Forbidden, match=r"^messages\[3\]: header 'tenant'") as in_batch:
        checked_write(HEADER_RULE, "acme", "t", outgoing(*forged), {}, item=Item("messages", 3))
    assert in_batch.value.extensions == {"index": 3}


def test_a_value_rule_write_must_carry_the_claim() -> None:
    plain = {"customer": {"tenantId": "acme"}}
    written = checked_write(VALUE_RULE, "acme", "t", outgoing(("tenant", b"x")), plain)
    # Nothing is stamped: the value is the record's owner.
    assert written == outgoing(("tenant", b"x"))
    numeric = RecordRule(value="tenant", claim="tenant")
    assert checked_write(numeric, "7", "t", outgoing(), {"tenant": 7}) == outgoing()
    wrong: list[object] = [{"customer": {"tenantId": "globex"}}, {"customer": {}}, {}, "acme"]
    for value in [*wrong, None]:
        with pytest.raises(Forbidden, match=r"the value's customer\.tenantId must be the token's"):
            checked_write(VALUE_RULE, "acme", "t", outgoing(), value)


@pytest.mark.parametrize("rule", [HEADER_RULE, VALUE_RULE])
def test_a_caller_without_the_claim_writes_nothing(rule: RecordRule) -> None:
    with pytest.raises(Forbidden, match="belong to the 'tenant' claim, which the token does not"):
        checked_write(rule, None, "t", outgoing(), {"customer": {"tenantId": "acme"}})
