"""The field-level authorization keys: checked when the settings load (their shape) and at
start-up (the types and fields they name), each problem naming the topic, the key and what is
wrong; and the @auth directive they put in the SDL that `kafka-graphql schema` prints."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from graphql import GraphQLObjectType

from kafka_graphql.cli import main
from kafka_graphql.core.auth.field_rules import GENERIC_TYPES, FieldRuleProblem, FieldRules
from kafka_graphql.core.typed.topic import load_typed_topics
from kafka_graphql.graphql.schema import build_schema
from kafka_graphql.settings import Settings, SettingsError, settings_from_mapping
from tests.tokens import AUDIENCE, HS_SECRET, HS_SECRET_ENV, ISSUER

SCHEMAS = Path(__file__).parents[2] / "fixtures" / "schemas"
AUTH = {
    "algorithms": ["HS256"],
    "issuer": ISSUER,
    "audience": AUDIENCE,
    "hs_secret_env": HS_SECRET_ENV,
}


def orders(**keys: Any) -> dict[str, Any]:
    return {
        "name": "shop.orders",
        "type": "Order",
        "value_schema": str(SCHEMAS / "order.schema.json"),
        **keys,
    }


def settings(
    *topics: dict[str, Any], auth: dict[str, Any] | None = None, with_auth: bool = True
) -> Settings:
    raw: dict[str, Any] = {"topics": list(topics)}
    if with_auth:
        raw["auth"] = {**AUTH, **(auth or {})}
    return settings_from_mapping(raw, environ={HS_SECRET_ENV: HS_SECRET})


@pytest.mark.parametrize(
    ("topic", "auth", "message"),
    [
        (
            orders(field_scopes={"Order.customer": "orders:pii"}),
            {},
            r"topics\[0\]\.field_scopes\.Order\.customer must be an array",
        ),
        (
            orders(mask={"OrderCustomer.email": ["orders:pii"]}),
            {},
            r"topics\[0\]\.mask\.OrderCustomer\.email must be a string",
        ),
        (
            orders(field_scopes={"customer": ["orders:pii"]}),
            {},
            r"topics\[0\]\.field_scopes key 'customer' must be \"Type\.field\"",
        ),
        (
            orders(mask={"Order.customer.email": "x"}),
            {},
            r"topics\[0\]\.mask key 'Order\.customer\.email' must be \"Type\.field\"",
        ),
        (
            orders(field_scopes={"Order.customer": ["orders pii"]}),
            {},
            r"topics\[0\]\.field_scopes\.Order\.customer\[0\] must be a scope without spaces",
        ),
        (
            orders(mask={"Order.quantity": ""}),
            {},
            r"topics\[0\]\.mask\.Order\.quantity must be a scope without spaces",
        ),
        (
            {"name": "shop.*", "mask": {"Order.quantity": "x"}},
            {},
            r"topics\[0\]\.mask needs topics\[0\]\.type: it names the typed topic's own types",
        ),
        (
            orders(),
            {"field_scopes": {"Message.headers": "x"}},
            r"auth\.field_scopes\.Message\.headers must be an array",
        ),
        (
            orders(),
            {"field_scopes": {"headers": ["x"]}},
            r"auth\.field_scopes key 'headers' must be \"Type\.field\"",
        ),
    ],
)
def test_the_shape_of_the_keys_is_checked_when_the_settings_load(
    topic: dict[str, Any], auth: dict[str, Any], message: str
) -> None:
    with pytest.raises(SettingsError, match=message):
        settings(topic, auth=auth)


@pytest.mark.parametrize("key", ["field_scopes", "mask"])
def test_field_rules_need_authentication(key: str) -> None:
    value: Any = {"Order.quantity": ["x"] if key == "field_scopes" else "x"}
    with pytest.raises(SettingsError, match=rf"topics\[0\]\.{key} needs an \[auth\] table"):
        settings(orders(**{key: value}), with_auth=False)


async def rules_of(*topics: dict[str, Any], auth: dict[str, Any] | None = None) -> FieldRules:
    configured = settings(*topics, auth=auth)
    typed = await load_typed_topics(configured.topics, None)
    return FieldRules.configured(configured.auth, typed.values())


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        (
            {"field_scopes": {"Customer.email": ["x"]}},
            'topic shop.orders: field_scopes "Customer.email": the topic\'s values have no type '
            "Customer (their object types: Order, OrderCustomer, Address, LineItem, "
            "OrderPaymentCard, BankTransfer)",
        ),
        (
            {"mask": {"OrderCustomer.phone": "x"}},
            'topic shop.orders: mask "OrderCustomer.phone": type OrderCustomer has no field phone '
            "(its fields: name, email)",
        ),
        (
            {"mask": {"OrderStatus.PAID": "x"}},
            'topic shop.orders: mask "OrderStatus.PAID": OrderStatus is an enum, not an object '
            "type",
        ),
        (
            {"field_scopes": {"OrderPayment.kind": ["x"]}},
            'topic shop.orders: field_scopes "OrderPayment.kind": OrderPayment is a union (name '
            "its members' fields), not an object type",
        ),
        (
            {"field_scopes": {"Message.value": ["x"]}},
            'topic shop.orders: field_scopes "Message.value": Message is a type of the generic '
            "API, which every topic shares; guard its fields with auth.field_scopes "
            '"Message.value"',
        ),
        (
            {"field_scopes": {"OrderMessage.key": ["x"]}},
            'topic shop.orders: field_scopes "OrderMessage.key": OrderMessage is the record, not '
            'its value; its fields are guarded for every topic by auth.field_scopes "Message.key"',
        ),
    ],
)
async def test_start_up_checks_that_the_type_and_field_exist(
    keys: dict[str, Any], message: str
) -> None:
    with pytest.raises(FieldRuleProblem) as refused:
        await rules_of(orders(**keys))
    assert str(refused.value) == message


async def test_two_topics_give_a_type_they_share_one_set_of_rules() -> None:
    purchases = orders(name="shop.purchases", type="Purchase", mask={"Address.zip": "b"})
    with pytest.raises(FieldRuleProblem) as refused:
        await rules_of(orders(mask={"Address.zip": "a"}), purchases)
    assert str(refused.value) == (
        'topic shop.purchases: mask "Address.zip": topic shop.orders gives Address another rule '
        "('a'), and the topics share that type: a shared type has one set of rules"
    )
    same = await rules_of(orders(mask={"Address.zip": "a"}), {**purchases, "mask": {}})
    assert same.masks == {("Address", "zip"): "a"}


@pytest.mark.parametrize(
    ("guards", "message"),
    [
        (
            {("Message", "secret"): ("x",)},
            'auth.field_scopes "Message.secret": type Message has no field secret (its fields: '
            "topic, partition, offset, timestamp, key, keyEncoding, value, valueError, headers, "
            "headerCount, cursor, skipped, expired, reset)",
        ),
        (
            {("Order", "customer"): ("x",)},
            'auth.field_scopes "Order.customer": the generic API has no object type Order (a '
            "typed topic guards its own types with its field_scopes)",
        ),
        (
            {("MessageFilter", "key"): ("x",)},
            'auth.field_scopes "MessageFilter.key": the generic API has no object type '
            "MessageFilter (a typed topic guards its own types with its field_scopes)",
        ),
    ],
)
def test_start_up_checks_the_generic_api_s_keys(
    guards: dict[tuple[str, str], tuple[str, ...]], message: str
) -> None:
    with pytest.raises(FieldRuleProblem) as refused:
        build_schema(rules=FieldRules(generic=guards))
    assert str(refused.value) == message


def test_the_sdl_shows_auth_on_guarded_fields_and_masked_fields_nullable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "gateway.toml"
    config.write_text(
        f"""
[auth]
algorithms = ["HS256"]
issuer = "{ISSUER}"
audience = "{AUDIENCE}"
hs_secret_env = "{HS_SECRET_ENV}"
field_scopes = {{ "Message.headers" = ["kafka:headers"], "Topic.partitions" = ["ops"] }}

[[topics]]
name = "shop.orders"
type = "Order"
value_schema = "{SCHEMAS / "order.schema.json"}"
field_scopes = {{ "Order.customer" = ["orders:customer", "orders:pii"] }}
mask = {{ "OrderCustomer.email" = "orders:pii", "Order.quantity" = "orders:quantity" }}
"""
    )
    monkeypatch.setenv(HS_SECRET_ENV, HS_SECRET)
    main(["schema", "--config", str(config)])
    sdl = capsys.readouterr().out
    assert sdl.startswith(
        '"""\nSelecting this field needs one of these scopes (or kafka:admin); an operation that '
        'selects it without one is refused with FORBIDDEN before anything runs.\n"""\n'
        "directive @auth(requires: [String!]!) on FIELD_DEFINITION\n"
    )
    for expected in (
        '  """Selecting it needs one of the scopes orders:customer, orders:pii."""\n'
        '  customer: OrderCustomer! @auth(requires: ["orders:customer", "orders:pii"])\n',
        '  """Masked: null for callers without the scope orders:pii."""\n  email: String\n',
        '  """\n  Masked: null for callers without the scope orders:quantity. Values always have '
        'it; it is nullable here because it is masked.\n  """\n  quantity: Int\n',
        # The generic API's guard, and its copy on the typed topic's message type.
        '  Selecting it needs scope kafka:headers.\n  """\n'
        '  headers: [Header!]! @auth(requires: ["kafka:headers"])\n',
        # With the field that tells of it.
        '  Selecting it needs scope kafka:headers.\n  """\n'
        '  headerCount: Int! @auth(requires: ["kafka:headers"])\n',
        '  partitions: [Partition!]! @auth(requires: ["ops"])\n',
        "  Null for a caller that may not see every field of the value (this topic's field "
        'rules).\n  """\n  rawValue: JSON\n',
    ):
        assert expected in sdl
    message = re.search(r"type OrderMessage \{.*?\n\}", sdl, re.DOTALL)
    assert message is not None
    assert '@auth(requires: ["kafka:headers"])' in message.group()
    # The definition, customer, Message.headers and .headerCount, OrderMessage.headers and
    # .headerCount, and partitions.
    assert sdl.count("@auth(") == 7


def test_the_generic_types_named_in_start_up_messages_are_the_generic_api_s() -> None:
    schema = build_schema()._schema
    objects = {
        name
        for name, named in schema.type_map.items()
        if isinstance(named, GraphQLObjectType) and not name.startswith("__")
    }
    assert objects == GENERIC_TYPES


def test_without_rules_the_schema_has_no_auth_directive() -> None:
    assert "@auth" not in build_schema().as_str()
