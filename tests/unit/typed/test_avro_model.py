"""Avro -> model: every mapping, and every construct that stops start-up."""

from __future__ import annotations

from typing import Any

import pytest

from kafka_graphql.core.typed.avro import avro_model
from kafka_graphql.core.typed.errors import SchemaProblem
from kafka_graphql.core.typed.model import (
    EnumKind,
    ListKind,
    ObjectKind,
    Scalar,
    ScalarKind,
    UnionKind,
    UnionMember,
    UnionType,
)
from kafka_graphql.core.typed.snapshot import snapshot
from tests.unit.typed.helpers import FIXTURES, check_snapshot, fixture


def record(name: str, *fields: tuple[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "type": "record",
        "name": name,
        "fields": [{"name": n, "type": t} for n, t in fields],
        **extra,
    }


@pytest.mark.parametrize(
    ("schema_file", "root", "snapshot_file"),
    [("payment.avsc", "Payment", "payment.model.txt"), ("stock.avsc", "Stock", "stock.model.txt")],
)
def test_model_snapshots(schema_file: str, root: str, snapshot_file: str) -> None:
    built = avro_model("shop.payments", root, fixture(schema_file), schema_file)
    check_snapshot(FIXTURES / snapshot_file, snapshot(built))


def test_a_field_with_a_default_need_not_be_written() -> None:
    schema = record("R", ("id", "string"))
    schema["fields"].append({"name": "channel", "type": "string", "default": "web"})
    root = avro_model("t", "R", schema, "x").root_type
    assert [(f.name, f.nullable, f.has_default) for f in root.fields] == [
        ("id", False, False),
        ("channel", False, True),
    ]


def test_each_avro_type_maps_to_its_kind() -> None:
    schema = record(
        "com.shop.Thing",
        ("i", "int"),
        ("l", "long"),
        ("f", "float"),
        ("d", "double"),
        ("b", "boolean"),
        ("s", "string"),
        ("raw", "bytes"),
        ("fx", {"type": "fixed", "name": "Four", "size": 4}),
        ("ms", {"type": "long", "logicalType": "timestamp-millis"}),
        ("us", {"type": "long", "logicalType": "timestamp-micros"}),
        ("m", {"type": "map", "values": "long"}),
        ("opt", ["null", "int"]),
        ("e", {"type": "enum", "name": "Color", "symbols": ["RED"]}),
        ("again", "Color"),
        ("xs", {"type": "array", "items": ["null", "Four"]}),
        ("unknownLogical", {"type": "string", "logicalType": "my-own"}),
    )
    root = avro_model("t", "Thing", schema, "x").root_type
    assert {f.name: (f.kind, f.nullable) for f in root.fields} == {
        "i": (ScalarKind(Scalar.INT), False),
        "l": (ScalarKind(Scalar.LONG), False),
        "f": (ScalarKind(Scalar.FLOAT), False),
        "d": (ScalarKind(Scalar.FLOAT), False),
        "b": (ScalarKind(Scalar.BOOLEAN), False),
        "s": (ScalarKind(Scalar.STRING), False),
        "raw": (ScalarKind(Scalar.BYTES), False),
        "fx": (ScalarKind(Scalar.BYTES), False),
        "ms": (ScalarKind(Scalar.DATETIME), False),
        "us": (ScalarKind(Scalar.DATETIME), False),
        "m": (ScalarKind(Scalar.JSON), False),
        "opt": (ScalarKind(Scalar.INT), True),
        "e": (EnumKind("Color"), False),
        "again": (EnumKind("Color"), False),
        "xs": (ListKind(ScalarKind(Scalar.BYTES), items_nullable=True), False),
        "unknownLogical": (ScalarKind(Scalar.STRING), False),
    }


def test_records_drop_their_namespace_and_unions_of_records_are_tagged_by_avro_name() -> None:
    schema = record(
        "Order",
        ("who", record("Person", ("name", "string"), namespace="com.people")),
        ("pay", ["null", record("Card", ("n", "string")), record("Cash", ("c", "int"))]),
        namespace="com.shop",
        doc="An order",
    )
    built = avro_model("t", "Order", schema, "x")
    fields = {f.name: (f.kind, f.nullable) for f in built.root_type.fields}
    assert fields == {"who": (ObjectKind("Person"), False), "pay": (UnionKind("OrderPay"), True)}
    assert built.root_type.description == "An order"
    assert built.type("OrderPay") == UnionType(
        "OrderPay",
        (UnionMember("Card", "com.shop.Card"), UnionMember("Cash", "com.shop.Cash")),
        None,
    )


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        (
            record("O", ("amount", {"type": "bytes", "logicalType": "decimal", "precision": 4})),
            'at O.amount: logicalType "decimal" is not supported',
        ),
        (
            record("O", ("day", {"type": "int", "logicalType": "date"})),
            'at O.day: logicalType "date" is not supported',
        ),
        (record("O", ("x", ["string", "int"])), "at O.x: a union of anything but records"),
        (record("O", ("x", "null")), 'at O.x: a lone "null" type is not supported'),
        (
            record("O", ("x", {"type": "enum", "name": "E", "symbols": ["null"]})),
            "at O.x: enum E symbol 'null' is not a valid GraphQL enum value",
        ),
        (
            record("O", ("__x", "int")),
            "at O.__x: field name '__x' is not a valid GraphQL name",
        ),
        ({"type": "string"}, "the top-level type must be a record"),
        (record("O", ("x", "Nope")), "not a valid Avro schema: unknown type 'Nope'"),
        (record("O", ("x", "int"), ("x", "string")), "at O.x: field name 'x' appears twice"),
        (
            record(
                "O",
                ("a", record("A", ("x", "int"), namespace="one")),
                ("b", record("A", ("y", "int"), namespace="two")),
            ),
            "at two.A: type name A is also generated at one.A with a different shape",
        ),
    ],
)
def test_unsupported_constructs_fail_with_one_clear_message(
    schema: dict[str, Any], message: str
) -> None:
    with pytest.raises(SchemaProblem) as raised:
        avro_model("shop.payments", "Payment", schema, "schemas/payment.avsc")
    text = str(raised.value)
    assert text.startswith("topic shop.payments: schemas/payment.avsc at ")
    assert message in text
