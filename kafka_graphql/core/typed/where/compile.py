"""`<Root>Where` input values -> one predicate over (record key, decoded value), compiled once.

The input is plain dicts and lists keyed by the InputField names (the binder converts GraphQL
input objects to this form). It is measured first (size.py: the caps, the depth), so an oversized
filter is refused before it ever meets a record.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from kafka_graphql.core.errors import BadUserInput
from kafka_graphql.core.filters.bounds import DEFAULT_CAPS, FilterCaps
from kafka_graphql.core.typed.model import EnumType, ObjectType, TypeModel
from kafka_graphql.core.typed.where.scalars import compile_scalar
from kafka_graphql.core.typed.where.shapes import (
    IS_EMPTY,
    KEY,
    LIST_OPERATORS,
    STRING_SHAPE,
    ListShape,
    ObjectShape,
    ScalarShape,
    Shape,
    where_entries,
)
from kafka_graphql.core.typed.where.size import MAX_DEPTH, inspect_where

Predicate = Callable[[str | None, Any], bool]  # (record key, decoded value) -> matches


def match_all(_key: str | None, _value: Any) -> bool:
    return True


def compile_where(
    model: TypeModel,
    where: Mapping[str, Any] | None,
    caps: FilterCaps | None = DEFAULT_CAPS,
    argument: str = "where",
) -> Predicate:
    """The predicate of a `<Root>Where` value; None or {} matches everything.

    Raises BadUserInput for a filter over the bounds (`caps`, with `extensions.path` under
    `argument`; MAX_DEPTH), an unknown entry or an operand of the wrong type.
    """
    if where is None:
        return match_all
    inspect_where(model, where, caps, argument)
    check = _Compiler(model).where(model.root_type, where, 1)
    return match_all if check is None else check


def key_equality(where: object) -> str | None:
    """The record key every record matching `where` has: that of a top-level `key: {eq}`
    (the entries of a `<Root>Where` are ANDed, and so are a filter's operators)."""
    if not isinstance(where, Mapping):
        return None
    spec = where.get(KEY)
    operand = spec.get("eq") if isinstance(spec, Mapping) else None
    return operand if isinstance(operand, str) else None


class _Compiler:
    def __init__(self, model: TypeModel) -> None:
        self.model = model

    def where(self, object_type: ObjectType, where: object, depth: int) -> Predicate | None:
        """The predicate of a `<Type>Where` over (key, object), None when it sets no entry.

        It reads fields of a dict; any other value has every field missing. Callers that need
        the object itself to be present say so (see `field`)."""
        if depth > MAX_DEPTH:
            raise BadUserInput(f"a filter may nest at most {MAX_DEPTH} levels")
        spec = _mapping(where, f"{object_type.name}Where")
        entries = dict(where_entries(self.model, object_type))
        checks: list[Predicate] = []
        sets_anything = False
        for name, value in spec.items():
            if value is None:  # an explicit null is no condition
                continue
            sets_anything = True
            if name in ("and", "or"):
                checks.append(self.logical(object_type, name, value, depth))
            elif name == "not":
                inner = self.where(object_type, value, depth + 1) or match_all
                checks.append(_negation(inner))
            elif name == KEY and object_type.name == self.model.root:
                test = self.field(STRING_SHAPE, value, depth)
                if test is not None:
                    checks.append(_key_check(test))
            elif name in entries:
                test = self.field(entries[name], value, depth)
                if test is not None:
                    checks.append(_field_check(name, test))
            else:
                raise BadUserInput(f"{object_type.name}Where has no field {name!r}")
        if sets_anything and not checks:
            # e.g. `customer: {name: {}}`: it sets an entry, so the customer must be present.
            return match_all
        return _all(checks)

    def logical(self, object_type: ObjectType, op: str, items: object, depth: int) -> Predicate:
        if not isinstance(items, list | tuple):
            raise BadUserInput(f"{op}: expected a list")
        # An empty item sets nothing, so it matches everything.
        checks = [self.where(object_type, item, depth + 1) or match_all for item in items]
        if op == "and":
            return _all(checks) or match_all
        # `or: []` matches nothing, as in Prisma (an OR of no alternatives).
        return lambda key, obj: any(check(key, obj) for check in checks)

    def field(self, shape: Shape, spec: object, depth: int) -> Predicate | None:
        """The test of one field's filter over (key, field value), None when it sets nothing.

        A filter that sets anything needs the value present (and of its kind); only
        `exists: false` asks for a missing or null one."""
        if isinstance(shape, ScalarShape):
            test = compile_scalar(shape, _mapping(spec, shape.input_name), self.enum_values(shape))
            return None if test is None else lambda _key, value: test(value)
        if isinstance(shape, ObjectShape):
            object_type = self.model.type(shape.type_name)
            assert isinstance(object_type, ObjectType)
            check = self.where(object_type, spec, depth + 1)
            if check is None:
                return None
            return lambda key, value: isinstance(value, dict) and check(key, value)
        return self.list(shape, spec, depth)

    def list(self, shape: ListShape, spec: object, depth: int) -> Predicate | None:
        checks: list[Callable[[str | None, list[Any]], bool]] = []
        for op, value in _mapping(spec, shape.input_name).items():
            if value is None:
                continue
            if op == IS_EMPTY:
                if not isinstance(value, bool):
                    raise BadUserInput(f"{IS_EMPTY}: expected a Boolean, got {value!r}")
                checks.append(_is_empty(value))
            elif op in LIST_OPERATORS:
                # An item filter that sets nothing still matches every item.
                item = self.field(shape.item, value, depth) or match_all
                checks.append(_quantifier(op, item))
            else:
                raise BadUserInput(f"{shape.input_name} has no operator {op!r}")
        if not checks:
            return None
        return lambda key, value: isinstance(value, list) and all(c(key, value) for c in checks)

    def enum_values(self, shape: ScalarShape) -> frozenset[str]:
        if shape.type_name not in {t.name for t in self.model.types}:
            return frozenset()
        named = self.model.type(shape.type_name)
        return frozenset(named.values) if isinstance(named, EnumType) else frozenset()


def _mapping(value: object, input_name: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise BadUserInput(f"{input_name}: expected an input object, got {value!r}")
    return value


def _all(checks: list[Predicate]) -> Predicate | None:
    if not checks:
        return None
    if len(checks) == 1:
        return checks[0]
    return lambda key, obj: all(check(key, obj) for check in checks)


def _field_check(name: str, test: Predicate) -> Predicate:
    def check(key: str | None, obj: Any) -> bool:
        return test(key, obj.get(name) if isinstance(obj, dict) else None)

    return check


def _negation(inner: Predicate) -> Predicate:
    return lambda key, obj: not inner(key, obj)


def _key_check(test: Predicate) -> Predicate:
    return lambda key, _obj: test(key, key)


def _is_empty(empty: bool) -> Callable[[str | None, list[Any]], bool]:
    return lambda _key, items: (not items) == empty


def _quantifier(op: str, item: Predicate) -> Callable[[str | None, list[Any]], bool]:
    if op == "some":
        return lambda key, items: any(item(key, v) for v in items)
    if op == "every":
        return lambda key, items: all(item(key, v) for v in items)
    return lambda key, items: not any(item(key, v) for v in items)
