"""Typed filters: the generated input specs, and compiled predicates against a brute-force
reference (tests/unit/where_reference.py) over generated filters and records."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kafka_graphql.core.errors import BadUserInput
from kafka_graphql.core.filters.bounds import DEFAULT_CAPS, FilterCaps
from kafka_graphql.core.typed.json_schema import json_schema_model
from kafka_graphql.core.typed.model import (
    EnumKind,
    EnumType,
    Field,
    Kind,
    ListKind,
    ObjectKind,
    ObjectType,
    Scalar,
    ScalarKind,
    TypeModel,
    UnionKind,
    UnionMember,
    UnionType,
)
from kafka_graphql.core.typed.where import (
    MAX_DEPTH,
    FilterNameConflict,
    InputSpec,
    compile_where,
    filter_inputs,
    inspect_where,
)
from tests.unit import where_reference
from tests.unit.typed.helpers import FIXTURES, check_snapshot, fixture

STRING = ScalarKind(Scalar.STRING)
INT = ScalarKind(Scalar.INT)
LONG = ScalarKind(Scalar.LONG)
FLOAT = ScalarKind(Scalar.FLOAT)
BOOLEAN = ScalarKind(Scalar.BOOLEAN)
DATETIME = ScalarKind(Scalar.DATETIME)
BYTES = ScalarKind(Scalar.BYTES)
JSON = ScalarKind(Scalar.JSON)

# One model with every kind: nullable fields, nested and recursive objects, lists of objects,
# scalars and enums, a union and JSON (no filter), a list of lists (no filter), fields named
# like the where's own entries (no filter), and the root type nested in itself (keeps `key`).
MODEL = TypeModel(
    root="Order",
    types=(
        ObjectType(
            "Order",
            (
                Field("id", STRING, False, "Order id"),
                Field("note", STRING, True),
                Field("qty", INT, True),
                Field("big", LONG, True),
                Field("price", FLOAT, True),
                Field("paid", BOOLEAN, True),
                Field("at", DATETIME, True),
                Field("blob", BYTES, True),
                Field("meta", JSON, True),
                Field("status", EnumKind("Status"), True),
                Field("customer", ObjectKind("Customer"), True),
                Field("items", ListKind(ObjectKind("Item")), True),
                Field("tags", ListKind(STRING, items_nullable=True), True),
                Field("statuses", ListKind(EnumKind("Status")), True),
                Field("times", ListKind(DATETIME), True),
                Field("payment", UnionKind("Payment"), True),
                Field("matrix", ListKind(ListKind(INT)), True),
                Field("key", STRING, True),
                Field("or", STRING, True),
                Field("previous", ObjectKind("Order"), True, deprecation="use history"),
            ),
            "An order",
        ),
        EnumType("Status", ("NEW", "PAID", "GONE")),
        ObjectType(
            "Customer",
            (
                Field("name", STRING, False),
                Field("tier", INT, True),
                Field("address", ObjectKind("Address"), True),
            ),
        ),
        ObjectType("Address", (Field("city", STRING, True), Field("key", STRING, True))),
        ObjectType(
            "Item",
            (
                Field("sku", STRING, False),
                Field("count", INT, False),
                Field("labels", ListKind(STRING), True),
                Field("parts", ListKind(ObjectKind("Item")), True),
            ),
        ),
        ObjectType("Card", (Field("last4", STRING, False),)),
        UnionType("Payment", (UnionMember("Card", "card"),), "kind"),
    ),
)


def render(specs: tuple[InputSpec, ...]) -> str:
    lines = []
    for spec in specs:
        lines.append(f"input {spec.name}")
        for f in spec.fields:
            type_text = f"[{f.type_name}!]" if f.is_list else f.type_name
            lines.append(f"  {f.name}: {type_text}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------- input specs


def test_inputs_of_the_json_schema_fixture() -> None:
    model = json_schema_model("shop.orders", "Order", fixture("order.schema.json"), "order")
    check_snapshot(FIXTURES / "order.where.txt", render(filter_inputs(model)))


def test_inputs_of_a_recursive_schema() -> None:
    model = json_schema_model("trees", "Tree", fixture("tree.draft7.schema.json"), "tree")
    assert [s.name for s in filter_inputs(model)] == [
        "TreeWhere",
        "StringFilter",
        "TreeNodeWhere",
        "TreeNodeListWhere",
        "IntFilter",
    ]


def test_inputs_of_every_kind() -> None:
    check_snapshot(FIXTURES / "every_kind.where.txt", render(filter_inputs(MODEL)))


def test_inputs_carry_descriptions() -> None:
    specs = {s.name: s for s in filter_inputs(MODEL)}
    order = {f.name: f for f in specs["OrderWhere"].fields}
    assert order["id"].description == "Order id"
    assert (order["previous"].description, order["previous"].deprecation) == (None, "use history")
    assert order["key"].description == "The record key."
    string = {f.name: f for f in specs["StringFilter"].fields}
    assert string["ne"].description is not None and "null" in string["ne"].description


def test_shared_scalar_filters_are_the_same_in_every_model() -> None:
    model = json_schema_model("shop.orders", "Order", fixture("order.schema.json"), "order")
    ours = {s.name: s for s in filter_inputs(MODEL)}
    theirs = {s.name: s for s in filter_inputs(model)}
    shared = ["StringFilter", "IntFilter", "LongFilter", "FloatFilter", "BooleanFilter"]
    for name in [*shared, "DateTimeFilter", "StringListFilter"]:
        assert ours[name] == theirs[name], name


@pytest.mark.parametrize(
    "types",
    [
        # An enum named like a GraphQL scalar would take that scalar's filter name.
        (EnumType("Int", ("A",)),),
        # `[X]` gives XListWhere, and so does an object named XList.
        (ObjectType("X", (Field("a", STRING, True),)), ObjectType("XList", ())),
        # A generated input named like a model type.
        (ObjectType("X", (Field("a", STRING, True),)), ObjectType("XWhere", ())),
    ],
)
def test_clashing_input_names_are_refused(types: tuple[Any, ...]) -> None:
    kinds: list[Kind] = []
    for named in types:
        kinds.append(
            EnumKind(named.name) if isinstance(named, EnumType) else ObjectKind(named.name)
        )
    if len(types) == 2:
        kinds[0] = ListKind(kinds[0])
    fields = tuple(Field(f"f{i}", kind, True) for i, kind in enumerate(kinds))
    model = TypeModel("Root", (ObjectType("Root", fields), *types))
    with pytest.raises(FilterNameConflict):
        filter_inputs(model)


# ------------------------------------------------------------------- generated records and filters

PLUS_TWO = timezone(timedelta(hours=2))
MINUS_FIVE = timezone(timedelta(hours=-5))
STRINGS = ["", "a", "ab", "ba", "abc", "A", "b"]
INTS = [-1, 0, 1, 2, 3]
LONGS = [0, 1, 2**31 - 1, 2**31, 2**53, 2**53 + 1, -(2**40)]
FLOATS = [0.0, -1.5, 1.0, 2.5, 2**53 + 1, 1e300]
DATETIME_TEXTS = [
    "2024-01-01T00:00:00Z",
    "2024-01-01T02:00:00+02:00",  # the same instant
    "2023-12-31T19:00:00-05:00",  # the same instant again
    "2024-01-01T00:00:00.001+00:00",
    "2023-12-31T23:59:59.999Z",
    "2024-01-01T00:00:00",  # no offset: UTC
    "yesterday",  # not a date-time: present but not comparable
]
DATETIME_OPERANDS: list[Any] = [
    datetime(2024, 1, 1, tzinfo=UTC),
    datetime(2024, 1, 1, 2, tzinfo=PLUS_TWO),
    datetime(2023, 12, 31, 19, tzinfo=MINUS_FIVE),
    datetime(2024, 1, 1, 0, 0, 0, 1000, tzinfo=UTC),
    datetime(2024, 1, 1),  # naive: UTC
    "2023-12-31T23:59:59.999Z",
]
BLOBS = ["", "AAE=", "aGk=", "aGk"]
STATUSES = ["NEW", "PAID", "GONE"]
# Values a record may hold although the schema says otherwise.
STRAYS: list[Any] = [1, "1", True, 0, [], {}]


def _scalar_values(kind: Kind) -> list[Any]:
    if isinstance(kind, EnumKind):
        return STATUSES
    assert isinstance(kind, ScalarKind)
    values: dict[Scalar, list[Any]] = {
        Scalar.STRING: STRINGS,
        Scalar.INT: INTS,
        Scalar.LONG: LONGS,
        Scalar.FLOAT: [*FLOATS, 1, 2],
        Scalar.BOOLEAN: [True, False],
        Scalar.DATETIME: DATETIME_TEXTS,
        Scalar.BYTES: BLOBS,
        Scalar.JSON: [{"a": 1}, [1], "x"],
    }
    return values[kind.scalar]


def _value(data: st.DataObject, kind: Kind, depth: int) -> Any:
    if isinstance(kind, ObjectKind):
        named = MODEL.type(kind.name)
        assert isinstance(named, ObjectType)
        return _object(data, named, depth + 1)
    if isinstance(kind, ListKind):
        size = data.draw(st.integers(0, 3 if depth < 2 else 0))
        return [_item(data, kind, depth) for _ in range(size)]
    if isinstance(kind, UnionKind):
        return {"kind": "card", "last4": "1234"}
    return data.draw(st.sampled_from(_scalar_values(kind)))


def _item(data: st.DataObject, kind: ListKind, depth: int) -> Any:
    if data.draw(st.integers(0, 9)) == 0:
        return None
    return _value(data, kind.of, depth)


def _object(data: st.DataObject, t: ObjectType, depth: int) -> dict[str, Any]:
    record: dict[str, Any] = {}
    for field in t.fields:
        shape = data.draw(st.integers(0, 9))
        if shape == 0:
            continue  # missing
        if shape == 1:
            record[field.name] = None
        elif shape == 2:
            record[field.name] = data.draw(st.sampled_from(STRAYS))
        elif isinstance(field.kind, ObjectKind) and depth >= 2:
            continue
        else:
            record[field.name] = _value(data, field.kind, depth)
    return record


ORDERED = ("eq", "ne", "in", "notIn", "gt", "gte", "lt", "lte", "exists")
OPERATORS: dict[Scalar | None, tuple[str, ...]] = {
    Scalar.STRING: ("eq", "ne", "in", "notIn", "contains", "startsWith", "endsWith", "exists"),
    Scalar.BYTES: ("eq", "ne", "in", "notIn", "contains", "startsWith", "endsWith", "exists"),
    Scalar.INT: ORDERED,
    Scalar.LONG: ORDERED,
    Scalar.FLOAT: ORDERED,
    Scalar.DATETIME: ORDERED,
    Scalar.BOOLEAN: ("eq", "ne", "exists"),
    None: ("eq", "ne", "in", "notIn", "exists"),  # enums
}


def _operand(data: st.DataObject, kind: Kind) -> Any:
    if kind == DATETIME:
        return data.draw(st.sampled_from(DATETIME_OPERANDS))
    if kind == FLOAT:
        return data.draw(st.sampled_from([*FLOATS, 1, 2]))
    values = [v for v in _scalar_values(kind) if v not in ("yesterday", "aGk")]
    return data.draw(st.sampled_from(values))


def _scalar_filter(data: st.DataObject, kind: Kind) -> dict[str, Any]:
    scalar = kind.scalar if isinstance(kind, ScalarKind) else None
    ops = data.draw(st.lists(st.sampled_from(OPERATORS[scalar]), max_size=3, unique=True))
    spec: dict[str, Any] = {}
    for op in ops:
        if data.draw(st.integers(0, 9)) == 0:
            spec[op] = None
        elif op == "exists":
            spec[op] = data.draw(st.booleans())
        elif op in ("in", "notIn"):
            spec[op] = [_operand(data, kind) for _ in range(data.draw(st.integers(0, 3)))]
        else:
            spec[op] = _operand(data, kind)
    return spec


def _filterable(kind: Kind) -> bool:
    if isinstance(kind, ListKind):
        return not isinstance(kind.of, ListKind) and _filterable(kind.of)
    return not isinstance(kind, UnionKind) and kind != JSON


def _field_filter(data: st.DataObject, kind: Kind, depth: int) -> dict[str, Any]:
    if isinstance(kind, ObjectKind):
        named = MODEL.type(kind.name)
        assert isinstance(named, ObjectType)
        return _where(data, named, depth + 1)
    if isinstance(kind, ListKind):
        ops = data.draw(st.lists(st.sampled_from(["some", "every", "none", "isEmpty"]), max_size=2))
        return {
            op: data.draw(st.booleans()) if op == "isEmpty" else _field_filter(data, kind.of, depth)
            for op in ops
        }
    return _scalar_filter(data, kind)


def _where(data: st.DataObject, t: ObjectType, depth: int) -> dict[str, Any]:
    entries = [f.name for f in t.fields if _filterable(f.kind) and f.name not in ("or", "key")]
    if t.name == MODEL.root:
        entries.append("key")
    if depth < 3:
        entries += ["and", "or", "not"]
    else:  # deep enough: no more nesting
        entries = [e for e in entries if not isinstance(_kind(t, e), ObjectKind | ListKind)]
    where: dict[str, Any] = {}
    for name in data.draw(st.lists(st.sampled_from(entries), max_size=3, unique=True)):
        if data.draw(st.integers(0, 9)) == 0:
            where[name] = None
        elif name in ("and", "or"):
            size = data.draw(st.integers(0, 2))
            where[name] = [_where(data, t, depth + 1) for _ in range(size)]
        elif name == "not":
            where[name] = _where(data, t, depth + 1)
        elif name == "key":
            where[name] = _scalar_filter(data, STRING)
        else:
            where[name] = _field_filter(data, _kind(t, name), depth)
    return where


def _kind(t: ObjectType, name: str) -> Kind:
    field = t.field(name)
    return STRING if field is None else field.kind


# Hand-made records every generated filter also meets: the edges the generator may miss.
CORPUS: list[tuple[str | None, Any]] = [
    (None, {}),
    ("k1", {"id": "a", "note": None, "items": [], "tags": [], "customer": None}),
    ("ab", {"id": "ab", "big": 2**53 + 1, "price": 2**53 + 1, "at": "2024-01-01T02:00:00+02:00"}),
    ("k2", {"items": [{"sku": "a", "count": 2, "parts": [{"sku": "b", "count": 3}]}]}),
    ("k3", {"tags": [None, "a"], "statuses": ["NEW", "PAID"], "times": ["yesterday"]}),
    ("k4", {"customer": {"name": "a", "address": {"city": "ab"}}, "previous": {"id": "b"}}),
    ("k5", {"customer": {"name": "b", "address": None}, "status": "GONE", "paid": False}),
    ("k6", "not an object"),
]


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_compiled_filters_agree_with_the_reference(data: st.DataObject) -> None:
    where = _where(data, MODEL.root_type, 1)
    records = [
        (data.draw(st.sampled_from([None, "", "a", "ab", "k1"])), _object(data, MODEL.root_type, 0))
        for _ in range(4)
    ]
    conditions, depth = where_reference.cost(MODEL, where)
    if conditions > DEFAULT_CAPS.max_conditions or depth > MAX_DEPTH:
        with pytest.raises(BadUserInput):
            compile_where(MODEL, where)
        return
    predicate = compile_where(MODEL, where)
    for key, value in [*CORPUS, *records]:
        expected = where_reference.matches(MODEL, where, key, value)
        assert predicate(key, value) == expected, (where, key, value)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_the_size_is_the_documented_count(data: st.DataObject) -> None:
    where = _where(data, MODEL.root_type, 1)
    conditions, depth = where_reference.cost(MODEL, where)
    if depth > MAX_DEPTH:
        with pytest.raises(BadUserInput, match="nest"):
            inspect_where(MODEL, where, None)
        return
    assert inspect_where(MODEL, where, None).size.conditions == conditions


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_generated_records_are_json(data: st.DataObject) -> None:
    # The generator only makes what a JSON codec could decode (no datetimes or bytes objects).
    json.dumps(_object(data, MODEL.root_type, 0))


# ----------------------------------------------------------------------- hand-checked cases


def _matches(where: dict[str, Any], value: Any, key: str | None = "k") -> bool:
    return compile_where(MODEL, where)(key, value)


def test_no_filter_matches_everything() -> None:
    assert compile_where(MODEL, None)(None, "anything")
    assert compile_where(MODEL, {})(None, {})
    assert _matches({"note": None, "qty": {}, "customer": {}}, {"customer": None})


def test_ne_does_not_match_null_or_missing() -> None:
    where = {"note": {"ne": "x"}}
    assert _matches(where, {"note": "y"})
    assert not _matches(where, {"note": None})
    assert not _matches(where, {})


def test_exists() -> None:
    assert _matches({"note": {"exists": False}}, {})
    assert _matches({"note": {"exists": False}}, {"note": None})
    assert not _matches({"note": {"exists": False}}, {"note": ""})
    assert _matches({"note": {"exists": True}}, {"note": ""})
    # Present, if not of the field's kind: it exists, and compares with nothing.
    assert _matches({"qty": {"exists": True}}, {"qty": "7"})
    assert not _matches({"qty": {"ne": 7}}, {"qty": "7"})


def test_text_operators_are_case_sensitive() -> None:
    assert _matches({"id": {"contains": "bC", "startsWith": "a", "endsWith": "d"}}, {"id": "abCd"})
    assert not _matches({"id": {"contains": "bc"}}, {"id": "abCd"})


def test_bytes_filter_as_base64_text() -> None:
    assert _matches({"blob": {"eq": "aGk="}}, {"blob": "aGk="})


def test_datetimes_compare_by_instant() -> None:
    where = {"at": {"eq": datetime(2024, 1, 1, tzinfo=UTC)}}
    assert _matches(where, {"at": "2024-01-01T02:00:00+02:00"})
    assert _matches(where, {"at": "2023-12-31T19:00:00-05:00"})
    assert _matches({"at": {"gt": "2023-12-31T23:00:00-02:00"}}, {"at": "2024-01-01T02:00:00Z"})
    assert not _matches({"at": {"lt": datetime(2024, 1, 1)}}, {"at": "2024-01-01T00:00:00Z"})
    assert not _matches({"at": {"ne": datetime(2024, 1, 1, tzinfo=UTC)}}, {"at": "yesterday"})


def test_longs_beyond_float_precision() -> None:
    assert not _matches({"big": {"eq": 2**53}}, {"big": 2**53 + 1})
    assert _matches({"big": {"gt": 2**53, "in": [2**53 + 1]}}, {"big": 2**53 + 1})


def test_enum_filter() -> None:
    assert _matches({"status": {"in": ["NEW", "PAID"], "ne": "NEW"}}, {"status": "PAID"})
    assert not _matches({"status": {"notIn": ["NEW"]}}, {"status": None})


def test_nested_object_needs_the_object() -> None:
    where = {"customer": {"name": {"exists": False}}}
    assert _matches(where, {"customer": {}})
    assert not _matches(where, {"customer": None})
    assert _matches({"customer": {"address": {"city": {"eq": "x"}}}}, {
        "customer": {"name": "n", "address": {"city": "x"}}
    })  # fmt: skip


def test_some_every_none_on_a_nested_list() -> None:
    value = {"items": [{"sku": "a", "count": 1}, {"sku": "b", "count": 5}]}
    assert _matches({"items": {"some": {"count": {"gt": 3}}}}, value)
    assert not _matches({"items": {"every": {"count": {"gt": 3}}}}, value)
    assert _matches({"items": {"none": {"sku": {"eq": "c"}}}}, value)
    nested = {"items": [{"sku": "a", "count": 1, "parts": [{"sku": "x", "count": 2}]}]}
    assert _matches({"items": {"some": {"parts": {"some": {"sku": {"eq": "x"}}}}}}, nested)


def test_lists_empty_and_missing() -> None:
    assert _matches({"tags": {"every": {"eq": "a"}}}, {"tags": []})
    assert not _matches({"tags": {"some": {}}}, {"tags": []})
    assert _matches({"tags": {"isEmpty": True}}, {"tags": []})
    assert _matches({"tags": {"isEmpty": False}}, {"tags": [None]})
    for missing in ({}, {"tags": None}):
        ops: list[dict[str, Any]] = [{"isEmpty": True}, {"isEmpty": False}, {"every": {}}]
        for op in [*ops, {"none": {}}]:
            assert not _matches({"tags": op}, missing)
    # A null item fails every item condition but exists: false.
    assert not _matches({"tags": {"every": {"ne": "a"}}}, {"tags": [None, "b"]})
    assert _matches({"tags": {"some": {"exists": False}}}, {"tags": [None, "b"]})


def test_logic() -> None:
    value = {"qty": 2}
    assert _matches({"and": []}, value)
    assert not _matches({"or": []}, value)
    assert not _matches({"not": {}}, value)
    assert _matches(
        {"or": [{"qty": {"eq": 1}}, {"qty": {"eq": 2}}], "not": {"qty": {"eq": 1}}}, value
    )
    assert not _matches({"and": [{"qty": {"gte": 2}}, {"qty": {"lt": 2}}]}, value)


def test_key_filters_the_record_key_even_in_the_nested_root_type() -> None:
    assert _matches({"key": {"startsWith": "ord-"}}, {}, key="ord-1")
    assert not _matches({"key": {"exists": True}}, {}, key=None)
    assert _matches({"previous": {"key": {"eq": "ord-1"}}}, {"previous": {}}, key="ord-1")


@pytest.mark.parametrize(
    "where",
    [
        {"nope": {"eq": 1}},
        {"meta": {"eq": 1}},  # JSON has no filter
        {"qty": {"contains": "1"}},
        {"qty": {"eq": "1"}},
        {"qty": {"eq": True}},
        {"price": {"gt": float("nan")}},
        {"status": {"eq": "LOST"}},
        {"paid": {"in": [True]}},
        {"at": {"eq": "not a date"}},
        {"tags": {"any": {}}},
        {"and": {"qty": {"eq": 1}}},
        {"customer": "x"},
    ],
)
def test_malformed_filters_are_refused(where: dict[str, Any]) -> None:
    with pytest.raises(BadUserInput):
        compile_where(MODEL, where)


def _nested_not(levels: int, leaf: str = "qty") -> dict[str, Any]:
    where: dict[str, Any] = {leaf: {"eq": "1" if leaf == "city" else 1}}
    for _ in range(levels - 1):
        where = {"not": where}
    return where


def test_depth_bound() -> None:
    compile_where(MODEL, _nested_not(MAX_DEPTH))
    with pytest.raises(BadUserInput, match="nest"):
        compile_where(MODEL, _nested_not(MAX_DEPTH + 1))
    # Nested objects and list items count as levels too.
    deep: dict[str, Any] = {}
    for _ in range(MAX_DEPTH - 2):
        deep = {"parts": {"some": deep}}
    compile_where(MODEL, {"items": {"some": deep}})
    with pytest.raises(BadUserInput, match="nest"):
        compile_where(MODEL, {"items": {"some": {"parts": {"some": deep}}}})
    with pytest.raises(BadUserInput, match="nest"):
        compile_where(MODEL, {"customer": {"address": _nested_not(MAX_DEPTH - 1, "city")}})
    compile_where(MODEL, {"customer": {"address": _nested_not(MAX_DEPTH - 2, "city")}})


def test_condition_bound() -> None:
    # Each `or` item (n) and the operator in each item (n); the nested object counts nothing.
    fits = DEFAULT_CAPS.max_conditions // 2
    compile_where(MODEL, {"or": [{"qty": {"eq": i}} for i in range(fits)]})
    with pytest.raises(BadUserInput, match="conditions") as refused:
        compile_where(MODEL, {"or": [{"qty": {"eq": i}} for i in range(fits + 1)]})
    # Refused where the count went over: the item one too many.
    assert refused.value.extensions["path"] == ["where", "or", fits]
    # Empty items are evaluated per record too, so they count.
    with pytest.raises(BadUserInput, match="conditions") as refused:
        compile_where(MODEL, {"and": [{}] * (DEFAULT_CAPS.max_conditions + 1)})
    assert refused.value.extensions["path"] == ["where", "and", DEFAULT_CAPS.max_conditions]
    # The caps are the caller's settings.
    compile_where(MODEL, {"and": [{}] * 30}, FilterCaps(max_conditions=30))


def test_in_bound() -> None:
    most = DEFAULT_CAPS.max_in_values
    compile_where(MODEL, {"qty": {"in": list(range(most))}})
    with pytest.raises(BadUserInput, match="at most") as refused:
        compile_where(MODEL, {"qty": {"notIn": list(range(most + 1))}})
    assert refused.value.extensions["path"] == ["where", "qty", "notIn"]
    compile_where(MODEL, {"qty": {"in": list(range(5))}}, FilterCaps(max_in_values=5))
    with pytest.raises(BadUserInput, match="at most"):
        compile_where(MODEL, {"qty": {"in": list(range(6))}}, FilterCaps(max_in_values=5))


def test_a_nested_where_that_sets_an_empty_entry_still_needs_the_object() -> None:
    assert not _matches({"customer": {"name": {}}}, {"customer": None})
    assert _matches({"customer": {"name": {}}}, {"customer": {}})
