"""Kept fields: stripped before a JSON value is validated, grafted back after Avro resolution,
wherever the type that keeps them sits (nested, in lists, as a union member)."""

from __future__ import annotations

from kafka_graphql.core.typed.deprecations import apply_deprecations
from kafka_graphql.core.typed.json_schema import json_schema_model
from kafka_graphql.core.typed.kept import KeptFields

SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string"},
        "lines": {
            "type": "array",
            "items": {
                "title": "Line",
                "type": "object",
                "properties": {"sku": {"type": "string"}},
            },
        },
        "payment": {
            "oneOf": [
                {
                    "title": "Card",
                    "type": "object",
                    "properties": {"kind": {"const": "card"}, "last4": {"type": "string"}},
                    "required": ["kind"],
                },
                {
                    "title": "Cash",
                    "type": "object",
                    "properties": {"kind": {"const": "cash"}},
                    "required": ["kind"],
                },
            ]
        },
    },
}
KEPT = {"Order.legacy": "use id", "Line.oldSku": "use sku", "Card.holder": "gone"}


def kept_fields() -> KeptFields:
    model = json_schema_model("t", "Order", SCHEMA, "t.json")
    return KeptFields(apply_deprecations(model, KEPT, "t", "t.json"))


def test_only_fields_the_schema_dropped_are_kept() -> None:
    model = json_schema_model("t", "Order", SCHEMA, "t.json")
    assert not KeptFields(model)
    # Deprecating a field the schema has keeps nothing: the schema still reads and writes it.
    assert not KeptFields(apply_deprecations(model, {"Order.id": "r"}, "t", "t.json"))
    assert kept_fields()


def test_strip_removes_kept_fields_at_every_depth_and_nothing_else() -> None:
    value = {
        "id": "o",
        "legacy": 1,
        "unknown": 2,
        "lines": [{"sku": "a", "oldSku": "b"}, None, "not an object"],
        "payment": {"kind": "card", "last4": "4242", "holder": "Ada"},
    }
    assert kept_fields().stripped(value) == {
        "id": "o",
        "unknown": 2,
        "lines": [{"sku": "a"}, None, "not an object"],
        "payment": {"kind": "card", "last4": "4242"},
    }
    # Another union member has no `holder` to keep: it is the validator's to refuse.
    cash = {"id": "o", "payment": {"kind": "cash", "holder": "Ada"}}
    assert kept_fields().stripped(cash) == cash
    assert kept_fields().stripped("not an object") == "not an object"


def test_graft_takes_kept_fields_from_the_written_value() -> None:
    resolved = {
        "id": "o",
        "lines": [{"sku": "a"}],
        "payment": {"kind": "card", "last4": "4242"},
    }
    written = {
        "id": "o",
        "legacy": "L",
        "dropped": "not kept",
        "lines": [{"sku": "a", "oldSku": "A"}],
        "payment": {"kind": "card", "last4": "4242", "holder": "Ada"},
    }
    assert kept_fields().graft(resolved, written) == {
        "id": "o",
        "legacy": "L",
        "lines": [{"sku": "a", "oldSku": "A"}],
        "payment": {"kind": "card", "last4": "4242", "holder": "Ada"},
    }
    # Shapes that do not line up are left as resolved.
    other_member = {**written, "payment": {"kind": "cash", "holder": "Ada"}}
    assert kept_fields().graft(resolved, other_member) == {
        **resolved,
        "legacy": "L",
        "lines": [{"sku": "a", "oldSku": "A"}],
    }
    fewer_lines = {**written, "lines": []}
    assert kept_fields().graft(resolved, fewer_lines) == {
        **resolved,
        "legacy": "L",
        "payment": written["payment"],
    }
