"""Which filter each field of the model gets: the one mapping shared by the inputs and the compiler.

The input specs (names and fields) and the compiled predicates both read a field's kind through
`field_shape`, so the API can never offer a filter the compiler does not understand.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from kafka_graphql.core.typed.model import (
    EnumKind,
    Kind,
    ListKind,
    ObjectKind,
    ObjectType,
    Scalar,
    ScalarKind,
    TypeModel,
)

# Entries of every `<Type>Where`; a model field with one of these names gets no filter entry.
LOGICAL = ("and", "or", "not")
KEY = "key"


class Operand(enum.Enum):
    """How a scalar filter reads values: which operators it has and which values are comparable."""

    STRING = "String"
    INT = "Int"
    LONG = "Long"
    FLOAT = "Float"
    BOOLEAN = "Boolean"
    DATETIME = "DateTime"
    ENUM = "enum"


_EQUALITY = ("eq", "ne")
_MEMBERSHIP = ("in", "notIn")
_ORDER = ("gt", "gte", "lt", "lte")
_TEXT = ("contains", "startsWith", "endsWith")

OPERATORS: dict[Operand, tuple[str, ...]] = {
    Operand.STRING: (*_EQUALITY, *_MEMBERSHIP, *_TEXT, "exists"),
    Operand.INT: (*_EQUALITY, *_MEMBERSHIP, *_ORDER, "exists"),
    Operand.LONG: (*_EQUALITY, *_MEMBERSHIP, *_ORDER, "exists"),
    Operand.FLOAT: (*_EQUALITY, *_MEMBERSHIP, *_ORDER, "exists"),
    Operand.DATETIME: (*_EQUALITY, *_MEMBERSHIP, *_ORDER, "exists"),
    Operand.BOOLEAN: (*_EQUALITY, "exists"),
    Operand.ENUM: (*_EQUALITY, *_MEMBERSHIP, "exists"),
}
LIST_OPERATORS = ("some", "every", "none")
IS_EMPTY = "isEmpty"

# Bytes are base64 text at the edge, so they filter as strings; JSON has no shape to filter on.
_SCALAR_OPERANDS: dict[Scalar, Operand] = {
    Scalar.STRING: Operand.STRING,
    Scalar.BYTES: Operand.STRING,
    Scalar.INT: Operand.INT,
    Scalar.LONG: Operand.LONG,
    Scalar.FLOAT: Operand.FLOAT,
    Scalar.BOOLEAN: Operand.BOOLEAN,
    Scalar.DATETIME: Operand.DATETIME,
}


@dataclass(frozen=True, slots=True)
class ScalarShape:
    """A `<type_name>Filter`: type_name is a GraphQL scalar or the model's enum name."""

    type_name: str
    operand: Operand

    @property
    def input_name(self) -> str:
        return f"{self.type_name}Filter"


@dataclass(frozen=True, slots=True)
class ObjectShape:
    """A nested `<type_name>Where`."""

    type_name: str

    @property
    def input_name(self) -> str:
        return f"{self.type_name}Where"


@dataclass(frozen=True, slots=True)
class ListShape:
    """`<Scalar>ListFilter` or `<Item>ListWhere`: some / every / none / isEmpty."""

    item: ScalarShape | ObjectShape

    @property
    def input_name(self) -> str:
        suffix = "Filter" if isinstance(self.item, ScalarShape) else "Where"
        return f"{self.item.type_name}List{suffix}"


Shape = ScalarShape | ObjectShape | ListShape


def field_shape(kind: Kind) -> Shape | None:
    """The filter of a field of this kind, or None when it has none (JSON, unions, lists of
    those, lists of lists)."""
    match kind:
        case ScalarKind(scalar):
            operand = _SCALAR_OPERANDS.get(scalar)
            return None if operand is None else ScalarShape(operand.value, operand)
        case EnumKind(name):
            return ScalarShape(name, Operand.ENUM)
        case ObjectKind(name):
            return ObjectShape(name)
        case ListKind(of):
            item = field_shape(of)
            # A list of lists has no natural `some` item filter; it is left out for now.
            return ListShape(item) if isinstance(item, ScalarShape | ObjectShape) else None
    return None


def where_entries(model: TypeModel, object_type: ObjectType) -> list[tuple[str, Shape]]:
    """The field entries of `<Type>Where`, in the model's order; the root type also reserves
    `key` (the record key), wherever it appears."""
    reserved = set(LOGICAL)
    if object_type.name == model.root:
        reserved.add(KEY)
    entries: list[tuple[str, Shape]] = []
    for field in object_type.fields:
        shape = field_shape(field.kind)
        if shape is not None and field.name not in reserved:
            entries.append((field.name, shape))
    return entries


STRING_SHAPE = ScalarShape(Operand.STRING.value, Operand.STRING)
