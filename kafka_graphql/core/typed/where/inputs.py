"""The GraphQL input types of a typed topic's filter, as plain specs for the binder.

The binder turns each `InputSpec` into a GraphQL input object type; it never needs the model.
"""

from __future__ import annotations

from dataclasses import dataclass

from kafka_graphql.core.typed.model import ObjectType, TypeModel
from kafka_graphql.core.typed.where.shapes import (
    IS_EMPTY,
    KEY,
    LIST_OPERATORS,
    OPERATORS,
    STRING_SHAPE,
    ListShape,
    ObjectShape,
    Operand,
    ScalarShape,
    Shape,
    where_entries,
)


@dataclass(frozen=True, slots=True)
class InputField:
    """One field of an input type; it is always optional (nullable)."""

    name: str
    # Another InputSpec's name, a GraphQL scalar or an enum type name from the model.
    type_name: str
    # [type_name!]
    is_list: bool
    description: str | None = None
    # The model field's deprecation: its filter entry is deprecated too (all entries are
    # optional, so GraphQL allows it).
    deprecation: str | None = None


@dataclass(frozen=True, slots=True)
class InputSpec:
    name: str
    fields: tuple[InputField, ...]
    description: str | None = None


class FilterNameConflict(ValueError):
    """Two different filter inputs (or a filter input and a model type) share one name."""


_OPERATOR_DOCS = {
    "eq": "Equal to the value.",
    "ne": "Present and not equal to the value (a missing or null field does not match).",
    "in": "Equal to one of the values.",
    "notIn": "Present and equal to none of the values.",
    "gt": "Greater than the value.",
    "gte": "Greater than or equal to the value.",
    "lt": "Less than the value.",
    "lte": "Less than or equal to the value.",
    "contains": "Contains the text (case-sensitive).",
    "startsWith": "Starts with the text (case-sensitive).",
    "endsWith": "Ends with the text (case-sensitive).",
    "exists": "true: present and not null; false: missing or null.",
}
_LIST_DOCS = {
    "some": "At least one item matches.",
    "every": "Every item matches (true for an empty list).",
    "none": "No item matches.",
    IS_EMPTY: "true: the list is empty; false: it has items (a missing or null list matches "
    "neither).",
}


def filter_inputs(model: TypeModel) -> tuple[InputSpec, ...]:
    """Every input type the root `<Root>Where` needs, the root first, then in the order they are
    met. Shared scalar filters (StringFilter, IntFilter, ...) are included, and are the same in
    every model. Other names may mean different inputs in two topics' models (the root type's
    where has `key`, the same type's where elsewhere has not): the start-up name check
    (graphql/schema/typed/clashes.py) refuses that before the binder de-duplicates specs by name.

    Raises FilterNameConflict when two different inputs would share a name (e.g. an enum named
    `Int`), or when an input's name is also one of the model's type names.
    """
    specs: dict[str, InputSpec] = {}
    for _, spec in input_specs(model):
        if specs.setdefault(spec.name, spec) != spec:
            raise FilterNameConflict(f"two different filter inputs are named {spec.name}")
    model_names = {named.name for named in model.types}
    for name in specs:
        if name in model_names:
            raise FilterNameConflict(f"the filter input {name} has the name of a model type")
    return tuple(specs.values())


def input_specs(model: TypeModel) -> tuple[tuple[Shape, InputSpec], ...]:
    """Each filter shape the root's `<Root>Where` needs, once, with its input spec: the root
    first, then in the order they are met. Two shapes may give one name (a list of `X` and an
    object named `XList` both give `XListWhere`); filter_inputs refuses that."""
    found: list[tuple[Shape, InputSpec]] = []
    seen: set[Shape] = set()
    pending: list[Shape] = [ObjectShape(model.root)]
    while pending:
        shape = pending.pop(0)
        if shape in seen:
            continue
        seen.add(shape)
        spec, needs = _spec(model, shape)
        found.append((shape, spec))
        pending.extend(needs)
    return tuple(found)


def scalar_filter_inputs() -> tuple[InputSpec, ...]:
    """The filters of the GraphQL scalars and of lists of them (`StringFilter`,
    `StringListFilter`, ...): the gateway's own, the same in every topic that uses them."""
    specs: list[InputSpec] = []
    for operand in Operand:
        if operand is not Operand.ENUM:
            shape = ScalarShape(operand.value, operand)
            specs += (_scalar_spec(shape), _list_spec(ListShape(shape)))
    return tuple(specs)


def _spec(model: TypeModel, shape: Shape) -> tuple[InputSpec, list[Shape]]:
    """The spec of one shape and the shapes its fields refer to."""
    if isinstance(shape, ScalarShape):
        return _scalar_spec(shape), []
    if isinstance(shape, ListShape):
        return _list_spec(shape), [shape.item]
    object_type = model.type(shape.type_name)
    assert isinstance(object_type, ObjectType), f"{shape.type_name} is not an object type"
    return _where_spec(model, object_type, shape)


def _list_spec(shape: ListShape) -> InputSpec:
    fields = [InputField(op, shape.item.input_name, False, _LIST_DOCS[op]) for op in LIST_OPERATORS]
    fields.append(InputField(IS_EMPTY, Operand.BOOLEAN.value, False, _LIST_DOCS[IS_EMPTY]))
    description = (
        f"Conditions on lists of {shape.item.type_name}: every entry set must match; a "
        "missing or null list fails every one."
    )
    return InputSpec(shape.input_name, tuple(fields), description)


_SCALAR_NAMES = frozenset(o.value for o in Operand if o is not Operand.ENUM)


def _scalar_spec(shape: ScalarShape) -> InputSpec:
    # An enum named like a scalar would make e.g. an IntFilter unlike every other topic's one.
    if shape.operand is Operand.ENUM and shape.type_name in _SCALAR_NAMES:
        raise FilterNameConflict(f"the enum {shape.type_name} would take a scalar's filter name")
    fields = []
    for op in OPERATORS[shape.operand]:
        type_name = Operand.BOOLEAN.value if op == "exists" else shape.type_name
        fields.append(InputField(op, type_name, op in ("in", "notIn"), _OPERATOR_DOCS[op]))
    description = (
        f"Conditions on {shape.type_name} values: every operator set must match; a missing or "
        "null value fails every operator but `exists`."
    )
    return InputSpec(shape.input_name, tuple(fields), description)


def _where_spec(
    model: TypeModel, object_type: ObjectType, shape: ObjectShape
) -> tuple[InputSpec, list[Shape]]:
    name = shape.input_name
    fields = [
        InputField("and", name, True, "Every one of these matches."),
        InputField("or", name, True, "At least one of these matches."),
        InputField("not", name, False, "This does not match."),
    ]
    needs: list[Shape] = []
    if object_type.name == model.root:
        fields.append(InputField(KEY, STRING_SHAPE.input_name, False, "The record key."))
        needs.append(STRING_SHAPE)
    for field_name, field_shape in where_entries(model, object_type):
        field = object_type.field(field_name)
        assert field is not None
        fields.append(
            InputField(
                field_name, field_shape.input_name, False, field.description, field.deprecation
            )
        )
        needs.append(field_shape)
    return InputSpec(name, tuple(fields), _where_doc(object_type)), needs


def _where_doc(object_type: ObjectType) -> str:
    return (
        f"A filter on {object_type.name}: every entry set must match. A missing or null field "
        "fails every operator but `exists`."
    )
