"""Scalar and enum filters (`StringFilter`, `IntFilter`, `<Enum>Filter`, ...) compiled to tests.

Operands are checked and normalised once, at compile time; a record's value is normalised once
per test (a DateTime string is parsed once, whatever the number of operators).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from kafka_graphql.core.errors import BadUserInput
from kafka_graphql.core.typed.where.shapes import OPERATORS, Operand, ScalarShape

# A test of one value read from a record (None when the field is missing or null).
ValueTest = Callable[[Any], bool]

# A present value that is not of the field's kind (a record the schema did not validate): it
# answers `exists` like any present value and fails every other operator.
_UNCOMPARABLE: Any = object()

_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}
_TEXT: dict[str, Callable[[str, str], bool]] = {
    "contains": lambda value, text: text in value,
    "startsWith": str.startswith,
    "endsWith": str.endswith,
}


def is_number(value: object) -> bool:
    # bool is an int in Python; JSON and GraphQL keep them apart.
    return isinstance(value, int | float) and not isinstance(value, bool)


def as_instant(value: object) -> datetime | None:
    """An aware datetime for a datetime or an ISO 8601 string (UTC when it has no offset, as the
    DateTime scalar reads it), else None."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _read(operand: Operand, value: Any) -> Any:
    """A record's (non-null) value in comparable form, or _UNCOMPARABLE."""
    match operand:
        case Operand.STRING | Operand.ENUM:
            return value if isinstance(value, str) else _UNCOMPARABLE
        case Operand.INT | Operand.LONG | Operand.FLOAT:
            return value if is_number(value) else _UNCOMPARABLE
        case Operand.BOOLEAN:
            return value if isinstance(value, bool) else _UNCOMPARABLE
        case Operand.DATETIME:
            instant = as_instant(value)
            return _UNCOMPARABLE if instant is None else instant


def _operand(shape: ScalarShape, op: str, value: object, enum_values: frozenset[str]) -> Any:
    """The filter's value for `op`, normalised; BadUserInput when it has the wrong type."""
    wanted = shape.type_name
    match shape.operand:
        case Operand.STRING if isinstance(value, str):
            return value
        case Operand.ENUM if isinstance(value, str):
            if value not in enum_values:
                raise BadUserInput(f"{op}: {value!r} is not a value of {wanted}")
            return value
        case Operand.INT | Operand.LONG if is_number(value) and isinstance(value, int):
            return value
        case Operand.FLOAT if is_number(value):
            assert isinstance(value, int | float)
            if not math.isfinite(value):
                raise BadUserInput(f"{op}: Float bounds must be finite numbers")
            return value
        case Operand.BOOLEAN if isinstance(value, bool):
            return value
        case Operand.DATETIME:
            instant = as_instant(value)
            if instant is not None:
                return instant
    raise BadUserInput(f"{op}: expected a {wanted}, got {value!r}")


def compile_scalar(
    shape: ScalarShape, spec: Mapping[str, Any], enum_values: frozenset[str] = frozenset()
) -> ValueTest | None:
    """The test of one scalar filter; None when it sets none.

    `enum_values` are the values of the enum an `<Enum>Filter` filters on.
    """
    allowed = OPERATORS[shape.operand]
    exists: bool | None = None
    tests: list[ValueTest] = []
    for op, raw in spec.items():
        if raw is None:  # an explicit null is no condition
            continue
        if op not in allowed:
            raise BadUserInput(f"{shape.input_name} has no operator {op!r}")
        if op == "exists":
            if not isinstance(raw, bool):
                raise BadUserInput(f"exists: expected a Boolean, got {raw!r}")
            exists = raw
        elif op in ("in", "notIn"):
            tests.append(_membership(shape, op, raw, enum_values))
        else:
            tests.append(_compare(op, _operand(shape, op, raw, enum_values)))
    if not tests and exists is None:
        return None
    return _scalar_test(shape.operand, exists, tests)


def _membership(shape: ScalarShape, op: str, raw: object, enum_values: frozenset[str]) -> ValueTest:
    if not isinstance(raw, list | tuple):
        raise BadUserInput(f"{op}: expected a list")
    # Numbers (1 == 1.0) and aware datetimes (by instant) hash by value, so a set is exact.
    options = frozenset(_operand(shape, op, v, enum_values) for v in raw)
    if op == "in":
        return lambda value: value in options
    return lambda value: value not in options


def _compare(op: str, operand: Any) -> ValueTest:
    if op == "eq":
        return lambda value: bool(value == operand)
    if op == "ne":
        return lambda value: bool(value != operand)
    if op in _ORDER:
        compare = _ORDER[op]
        return lambda value: compare(value, operand)
    text = _TEXT[op]
    return lambda value: text(value, operand)


def _scalar_test(operand: Operand, exists: bool | None, tests: list[ValueTest]) -> ValueTest:
    # Decided once here rather than per record: what a null, and an uncomparable value, answer.
    null_answer = exists is False and not tests
    uncomparable_answer = not tests  # exists: false already failed it

    def test(value: Any) -> bool:
        if value is None:
            return null_answer
        if exists is False:
            return False
        comparable = _read(operand, value)
        if comparable is _UNCOMPARABLE:
            return uncomparable_answer
        return all(check(comparable) for check in tests)

    return test
