"""Plain values (what codecs and validators speak) <-> instances of the generated types."""

from __future__ import annotations

import enum
from collections.abc import Set
from datetime import UTC, datetime
from typing import Any

import strawberry

from kafka_graphql.core.auth.field_rules import FieldKey
from kafka_graphql.core.typed.model import (
    EnumKind,
    Kind,
    ListKind,
    ObjectKind,
    ObjectType,
    Scalar,
    ScalarKind,
    UnionKind,
    UnionType,
)
from kafka_graphql.graphql.schema.typed.values import GeneratedTypes, python_name

Path = list[str | int]


class ValueMismatch(ValueError):
    """A decoded value that the generated types cannot carry (e.g. an enum value added later)."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"{'.'.join(map(str, path)) or 'value'}: {problem}")


class OutputBuilder:
    """Builds the generated output objects from a plain value that passed validation."""

    def __init__(self, generated: GeneratedTypes) -> None:
        self._types = generated

    def build(
        self, kind: Kind, value: object, path: Path, hidden: Set[FieldKey] = frozenset()
    ) -> object:
        """The output object of `value`, with the fields in `hidden` null (the caller's view,
        core/auth/field_masks.py): they are not even read."""
        if value is None:
            return None
        match kind:
            case ScalarKind(scalar):
                return _scalar(scalar, value, path)
            case EnumKind(name):
                try:
                    return self._types.enums[name](value)
                except ValueError:
                    raise ValueMismatch(path, f"{value!r} is not a value of {name}") from None
            case ObjectKind(name):
                return self._object(name, value, path, hidden)
            case UnionKind(name):
                return self._union(name, value, path, hidden)
            case ListKind(of, items_nullable):
                if not isinstance(value, list):
                    raise ValueMismatch(path, "expected a list")
                items = [self.build(of, v, [*path, i], hidden) for i, v in enumerate(value)]
                if not items_nullable and None in items:
                    raise ValueMismatch(path, "a list item is null")
                return items
        raise AssertionError(kind)

    def _object(self, name: str, value: object, path: Path, hidden: Set[FieldKey]) -> object:
        model = self._types.models[name]
        assert isinstance(model, ObjectType)
        if not isinstance(value, dict):
            raise ValueMismatch(path, f"expected an object for {name}")
        fields: dict[str, object] = {}
        for f in model.fields:
            if (name, f.name) in hidden:
                fields[python_name(f.name)] = None
                continue
            built = self.build(f.kind, value.get(f.name), [*path, f.name], hidden)
            if built is None and not f.nullable:
                raise ValueMismatch([*path, f.name], "is missing")
            fields[python_name(f.name)] = built
        return self._types.objects[name](**fields)

    def _union(self, name: str, value: object, path: Path, hidden: Set[FieldKey]) -> object:
        model = self._types.models[name]
        assert isinstance(model, UnionType)
        if not isinstance(value, dict):
            raise ValueMismatch(path, f"expected an object for {name}")
        member = model.member_for(value)
        if member is None:
            raise ValueMismatch(path, f"matches no member of {name}")
        return self._object(member, value, path, hidden)


_INT_RANGE = {Scalar.INT: (-(2**31), 2**31 - 1), Scalar.LONG: (-(2**63), 2**63 - 1)}


def _shown(number: int | float) -> str:
    text = str(number)
    return text if len(text) <= 24 else f"{text[:20]}... ({len(text)} digits)"


def _scalar(scalar: Scalar, value: object, path: Path) -> object:
    match scalar:
        case Scalar.DATETIME:
            if isinstance(value, str):
                try:
                    moment = datetime.fromisoformat(value)
                except ValueError:
                    pass
                else:
                    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        case Scalar.INT | Scalar.LONG:
            if isinstance(value, int) and not isinstance(value, bool):
                # GraphQL's Int is 32-bit and Long 64-bit; JSON's integers have no bound.
                low, high = _INT_RANGE[scalar]
                if low <= value <= high:
                    return value
                raise ValueMismatch(path, f"{_shown(value)} is beyond a {scalar.value}")
        case Scalar.FLOAT:
            if isinstance(value, int | float) and not isinstance(value, bool):
                try:
                    return float(value)
                except OverflowError:  # an integer beyond a double
                    raise ValueMismatch(path, f"{_shown(value)} is beyond a float") from None
        case Scalar.BOOLEAN:
            if isinstance(value, bool):
                return value
        case Scalar.STRING | Scalar.BYTES:
            if isinstance(value, str):
                return value
        case Scalar.JSON:
            return value
    raise ValueMismatch(path, f"{value!r} is not a {scalar.value}")


def input_to_plain(generated: GeneratedTypes, value: Any) -> Any:
    """A generated input object as the plain value validators and codecs take.

    Unset and null fields are left out (null means "not given": the schema's own default or
    absence rule then applies); nulls inside lists are kept.
    """
    if isinstance(value, list):
        return [None if v is None else input_to_plain(generated, v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    union = generated.union_input_specs.get(type(value))
    if union is not None:
        for attribute, type_name in union.members.items():
            member = getattr(value, attribute)
            if member is not strawberry.UNSET and member is not None:
                plain = input_to_plain(generated, member)
                # Avro's unions of records are told apart by type name (see avro_values.py).
                if union.union.discriminator is None:
                    plain = {"__typename": type_name, **plain}
                return plain
        raise AssertionError("oneOf inputs are validated by the schema")
    definition = getattr(value, "__strawberry_definition__", None)
    if definition is None:
        return value
    plain_object: dict[str, Any] = {}
    for field in definition.fields:
        item = getattr(value, field.python_name)
        if item is strawberry.UNSET or item is None:
            continue
        plain_object[field.graphql_name or field.python_name] = input_to_plain(generated, item)
    return plain_object
