"""A brute-force reference for typed filters, written from the documented meaning alone.

It walks the filter and the record together, every time, with no compilation and no sharing of
code with kafka_graphql.core.typed.where: numbers compare as exact fractions, datetimes as UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from fractions import Fraction
from typing import Any

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

BAD = object()  # present, but not comparable as the field's kind


def matches(model: TypeModel, where: dict[str, Any] | None, key: str | None, value: Any) -> bool:
    if where is None:
        return True
    return _where(model, model.root_type, where, key, value)


def _where(model: TypeModel, t: ObjectType, where: dict[str, Any], key: Any, obj: Any) -> bool:
    fields = obj if isinstance(obj, dict) else {}
    result = True
    for name, cond in where.items():
        if cond is None:
            continue
        if name == "and":
            ok = all(_where(model, t, item, key, obj) for item in cond)
        elif name == "or":
            ok = any(_where(model, t, item, key, obj) for item in cond)
        elif name == "not":
            ok = not _where(model, t, cond, key, obj)
        elif name == "key":
            ok = _condition(model, ScalarKind(Scalar.STRING), cond, key, key)
        else:
            field = t.field(name)
            assert field is not None
            ok = _condition(model, field.kind, cond, key, fields.get(name))
        result = result and ok
    return result


def _sets_something(cond: dict[str, Any]) -> bool:
    return any(v is not None for v in cond.values())


def _condition(model: TypeModel, kind: Kind, cond: dict[str, Any], key: Any, value: Any) -> bool:
    if not _sets_something(cond):
        return True
    if isinstance(kind, ObjectKind):
        if not isinstance(value, dict):
            return False
        nested = model.type(kind.name)
        assert isinstance(nested, ObjectType)
        return _where(model, nested, cond, key, value)
    if isinstance(kind, ListKind):
        if not isinstance(value, list):
            return False
        ok = True
        for op, arg in cond.items():
            if arg is None:
                continue
            if op == "isEmpty":
                ok = ok and ((len(value) == 0) is arg)
                continue
            hits = [_condition(model, kind.of, arg, key, item) for item in value]
            if op == "some":
                ok = ok and True in hits
            elif op == "every":
                ok = ok and False not in hits
            else:
                ok = ok and True not in hits
        return ok
    return _scalar(kind, cond, value)


def _scalar(kind: Kind, cond: dict[str, Any], value: Any) -> bool:
    ok = True
    for op, arg in cond.items():
        if arg is None:
            continue
        if op == "exists":
            ok = ok and ((value is not None) == arg)
            continue
        if value is None:
            return False
        v = _comparable(kind, value)
        if v is BAD:
            return False
        if op in ("in", "notIn"):
            found = False
            for option in arg:
                if v == _comparable(kind, option):
                    found = True
            ok = ok and (found if op == "in" else not found)
            continue
        a = _comparable(kind, arg)
        if op == "eq":
            ok = ok and v == a
        elif op == "ne":
            ok = ok and v != a
        elif op == "gt":
            ok = ok and v > a
        elif op == "gte":
            ok = ok and v >= a
        elif op == "lt":
            ok = ok and v < a
        elif op == "lte":
            ok = ok and v <= a
        elif op == "contains":
            ok = ok and a in v
        elif op == "startsWith":
            ok = ok and v[: len(a)] == a
        elif op == "endsWith":
            ok = ok and (len(a) == 0 or v[-len(a) :] == a)
        else:
            raise AssertionError(op)
    return ok


def _comparable(kind: Kind, value: Any) -> Any:
    if isinstance(kind, EnumKind):
        return value if type(value) is str else BAD
    assert isinstance(kind, ScalarKind)
    scalar = kind.scalar
    if scalar in (Scalar.STRING, Scalar.BYTES):
        return value if type(value) is str else BAD
    if scalar is Scalar.BOOLEAN:
        return value if type(value) is bool else BAD
    if scalar in (Scalar.INT, Scalar.LONG, Scalar.FLOAT):
        return Fraction(value) if type(value) in (int, float) else BAD
    assert scalar is Scalar.DATETIME
    if type(value) is str:
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return BAD
    if not isinstance(value, datetime):
        return BAD
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def cost(model: TypeModel, where: dict[str, Any] | None) -> tuple[int, int]:
    """(conditions, deepest level of where objects) by the documented rule: each operator set in
    a scalar filter, each list operator, each and/or item and each `not` is one condition; the
    root where is level 1."""
    if where is None:
        return 0, 0
    return _where_cost(model, model.root_type, where, 1)


def _where_cost(
    model: TypeModel, t: ObjectType, where: dict[str, Any], depth: int
) -> tuple[int, int]:
    count, deepest = 0, depth
    for name, cond in where.items():
        if cond is None:
            continue
        if name in ("and", "or"):
            count += len(cond)
            parts = [_where_cost(model, t, item, depth + 1) for item in cond]
        elif name == "not":
            count += 1
            parts = [_where_cost(model, t, cond, depth + 1)]
        elif name == "key":
            parts = [_filter_cost(model, ScalarKind(Scalar.STRING), cond, depth)]
        else:
            field = t.field(name)
            assert field is not None
            parts = [_filter_cost(model, field.kind, cond, depth)]
        for c, d in parts:
            count, deepest = count + c, max(deepest, d)
    return count, deepest


def _filter_cost(model: TypeModel, kind: Kind, cond: dict[str, Any], depth: int) -> tuple[int, int]:
    if isinstance(kind, ObjectKind):
        nested = model.type(kind.name)
        assert isinstance(nested, ObjectType)
        return _where_cost(model, nested, cond, depth + 1)
    count, deepest = 0, 0
    for op, arg in cond.items():
        if arg is None:
            continue
        count += 1
        if isinstance(kind, ListKind) and op != "isEmpty":
            c, d = _filter_cost(model, kind.of, arg, depth)
            count, deepest = count + c, max(deepest, d)
    return count, deepest
