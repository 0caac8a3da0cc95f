"""JSON Schema -> model: every mapping, and every construct that stops start-up."""

from __future__ import annotations

from typing import Any

import pytest

from kafka_graphql.core.typed.errors import SchemaProblem
from kafka_graphql.core.typed.json_schema import json_schema_model
from kafka_graphql.core.typed.model import (
    EnumKind,
    EnumType,
    ListKind,
    ObjectKind,
    ObjectType,
    Scalar,
    ScalarKind,
    UnionKind,
    UnionMember,
    UnionType,
)
from kafka_graphql.core.typed.snapshot import snapshot
from tests.unit.typed.helpers import FIXTURES, check_snapshot, fixture


def model(schema: dict[str, Any], root: str = "Order") -> ObjectType:
    return json_schema_model("shop.orders", root, schema, "order.json").root_type


def obj(**properties: Any) -> dict[str, Any]:
    return {"type": "object", "properties": properties}


@pytest.mark.parametrize(
    ("schema_file", "root", "snapshot_file"),
    [
        ("order.schema.json", "Order", "order.model.txt"),
        ("tree.draft7.schema.json", "Tree", "tree.draft7.model.txt"),
        ("shipment.draft7.schema.json", "Shipment", "shipment.draft7.model.txt"),
    ],
)
def test_model_snapshots(schema_file: str, root: str, snapshot_file: str) -> None:
    built = json_schema_model("shop.orders", root, fixture(schema_file), schema_file)
    check_snapshot(FIXTURES / snapshot_file, snapshot(built))


def test_scalars_and_nullability() -> None:
    root = model(
        {
            **obj(
                s={"type": "string"},
                small={"type": "integer", "minimum": -(2**31), "maximum": 2**31 - 1},
                half={"type": "integer", "minimum": 0},
                big={"type": "integer", "minimum": 0, "maximum": 2**31},
                f={"type": "number"},
                b={"type": "boolean"},
                at={"type": "string", "format": "date-time"},
                raw={"type": "string", "contentEncoding": "base64"},
                maybe={"type": ["integer", "null"], "minimum": 0, "maximum": 9},
                either={"oneOf": [{"type": "null"}, {"type": "boolean"}]},
            ),
            "required": ["s", "small", "maybe", "either"],
        }
    )
    kinds = {f.name: (f.kind, f.nullable) for f in root.fields}
    assert kinds == {
        "s": (ScalarKind(Scalar.STRING), False),
        "small": (ScalarKind(Scalar.INT), False),
        "half": (ScalarKind(Scalar.LONG), True),  # unbounded above: may not fit in 32 bits
        "big": (ScalarKind(Scalar.LONG), True),
        "f": (ScalarKind(Scalar.FLOAT), True),
        "b": (ScalarKind(Scalar.BOOLEAN), True),
        "at": (ScalarKind(Scalar.DATETIME), True),
        "raw": (ScalarKind(Scalar.BYTES), True),
        "maybe": (ScalarKind(Scalar.INT), True),  # required but explicitly nullable
        "either": (ScalarKind(Scalar.BOOLEAN), True),
    }


def test_nested_objects_enums_and_lists_are_named_after_their_parent() -> None:
    schema = obj(
        shipping_address=obj(city={"type": "string"}),
        status={"enum": ["NEW", "DONE"], "description": "Where it stands"},
        lines={"type": "array", "items": obj(sku={"type": "string"})},
        titled={"title": "Customer", **obj(name={"type": "string"})},
    )
    built = json_schema_model("shop.orders", "Order", schema, "order.json")
    kinds = {f.name: f.kind for f in built.root_type.fields}
    assert kinds == {
        "shipping_address": ObjectKind("OrderShippingAddress"),
        "status": EnumKind("OrderStatus"),
        "lines": ListKind(ObjectKind("OrderLines"), items_nullable=False),
        "titled": ObjectKind("Customer"),
    }
    assert built.type("OrderStatus") == EnumType("OrderStatus", ("NEW", "DONE"), "Where it stands")


def test_free_form_objects_are_json() -> None:
    root = model(
        obj(
            a={"type": "object"},
            b={"type": "object", "additionalProperties": {"type": "integer"}},
            c={},
            d={"type": "array"},
        )
    )
    json_kind = ScalarKind(Scalar.JSON)
    assert [f.kind for f in root.fields] == [
        json_kind,
        json_kind,
        json_kind,
        ListKind(json_kind, True),
    ]


def test_discriminated_one_of_becomes_a_union() -> None:
    card = {"required": ["kind"], **obj(kind={"const": "card"}, last4={"type": "string"})}
    cash = {"required": ["kind"], **obj(kind={"enum": ["cash"]}, note={"type": "string"})}
    built = json_schema_model("t", "Order", obj(paid={"anyOf": [card, cash]}), "x")
    assert built.root_type.fields[0].kind == UnionKind("OrderPaid")
    assert built.type("OrderPaid") == UnionType(
        "OrderPaid",
        (UnionMember("OrderPaidCard", "card"), UnionMember("OrderPaidCash", "cash")),
        "kind",
    )


def test_descriptions_and_schema_deprecations_are_carried() -> None:
    built = json_schema_model(
        "t",
        "Order",
        {"description": "An order", **obj(id={"type": "string", "description": "The id"})},
        "x",
    )
    assert built.root_type.description == "An order"
    assert built.root_type.fields[0].description == "The id"
    configured = json_schema_model("t", "Order", obj(a={}), "x", description="From config")
    assert configured.root_type.description == "From config"


def test_same_ref_twice_is_one_type() -> None:
    schema = {
        **obj(a={"$ref": "#/$defs/money"}, b={"$ref": "#/$defs/money"}),
        "$defs": {"money": obj(cents={"type": "integer"})},
    }
    built = json_schema_model("t", "Order", schema, "x")
    assert [t.name for t in built.types] == ["Order", "Money"]


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        (
            obj(items={"type": "array", "items": {"type": "object", "patternProperties": {}}}),
            'at /properties/items/items: "patternProperties" is not supported',
        ),
        (obj(a={"allOf": [{"type": "string"}]}), 'at /properties/a: "allOf" is not supported'),
        (obj(a={"type": ["string", "integer"]}), "at /properties/a: a value of several types"),
        (obj(a={"enum": ["in progress"]}), "enum value 'in progress' is not a valid GraphQL"),
        (obj(a={"enum": ["true"]}), "enum value 'true' is not a valid GraphQL enum value"),
        (obj(a={"enum": [1, 2]}), "at /properties/a: only enums of strings are supported"),
        (obj(**{"order-id": {"type": "string"}}), "property name 'order-id' is not a valid"),
        (obj(a={"title": "My Type", **obj(b={})}), "type name 'My Type' (from its title)"),
        (obj(a={"$ref": "other.json#/x"}), "$ref 'other.json#/x' to another document"),
        (obj(a={"$ref": "#/$defs/missing"}), "$ref '#/$defs/missing' points to nothing"),
        (obj(a={"type": "array", "items": [{}]}), "not a valid JSON Schema"),
        (
            obj(a={"oneOf": [obj(x={"type": "string"}), obj(y={"type": "string"})]}),
            'at /properties/a/oneOf: "oneOf" of objects needs a discriminator',
        ),
        (
            obj(a={"oneOf": [{"type": "string"}, {"type": "integer"}]}),
            '"oneOf" of anything but objects is not supported',
        ),
        ({"type": "string"}, "at /: the root must be an object with properties"),
        ({"$schema": "http://json-schema.org/draft-04/schema#", **obj()}, "at /$schema: only"),
        (
            {**obj(a=obj(b={}), b={"title": "OrderA", **obj(c={})})},
            "type name OrderA is also generated at /properties/a with a different shape",
        ),
    ],
)
def test_unsupported_constructs_fail_with_one_clear_message(
    schema: dict[str, Any], message: str
) -> None:
    with pytest.raises(SchemaProblem) as raised:
        json_schema_model("shop.orders", "Order", schema, "schemas/order.schema.json")
    text = str(raised.value)
    assert text.startswith("topic shop.orders: schemas/order.schema.json at ")
    assert message in text


def test_draft7_tuple_items_are_named_in_the_message() -> None:
    schema = {"$schema": "http://json-schema.org/draft-07/schema#", **obj(a={"items": [{}]})}
    with pytest.raises(SchemaProblem, match=r"at /properties/a: \"items\" as an array"):
        json_schema_model("t", "Order", schema, "x")
