"""Server-side message filters, compiled once per request into a plain predicate.

The same predicate runs in history reads and in the live fan-out, so a message that does not match
never reaches the client. All conditions are ANDed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from kafka_graphql.errors import BadUserInput
from kafka_graphql.kafka.live_index import IndexHint
from kafka_graphql.kafka.records import Record

MAX_PREDICATES = 20
MAX_PATH_SEGMENTS = 32
MAX_IN_VALUES = 100

# Marks "no such operator" (eq/ne) and "no value at this path": JSON null is a real value.
ABSENT: Any = object()

Predicate = Callable[[Record], bool]


@dataclass(frozen=True, slots=True)
class ValueCondition:
    path: str
    eq: Any = ABSENT
    ne: Any = ABSENT
    one_of: Sequence[Any] | None = None
    gt: float | None = None
    gte: float | None = None
    lt: float | None = None
    lte: float | None = None
    contains: str | None = None
    exists: bool | None = None


@dataclass(frozen=True, slots=True)
class FilterSpec:
    key: str | None = None
    key_prefix: str | None = None
    # (name, value): value None means "the header is present, whatever its value".
    headers: Sequence[tuple[str, str | None]] = ()
    value: Sequence[ValueCondition] = field(default_factory=tuple)


def match_all(_: Record) -> bool:
    return True


def compile_filter(spec: FilterSpec | None) -> Predicate:
    if spec is None:
        return match_all
    if len(spec.value) + len(spec.headers) > MAX_PREDICATES:
        raise BadUserInput(f"a filter may hold at most {MAX_PREDICATES} conditions")
    checks: list[Predicate] = []
    if spec.key is not None:
        key = spec.key
        checks.append(lambda r: r.key == key)
    if spec.key_prefix is not None:
        prefix = spec.key_prefix
        checks.append(lambda r: r.key is not None and r.key.startswith(prefix))
    for name, value in spec.headers:
        checks.append(_header_check(name, value))
    for condition in spec.value:
        checks.append(_value_check(condition))
    if not checks:
        return match_all
    if len(checks) == 1:
        return checks[0]
    return lambda r: all(check(r) for check in checks)


def index_hint(spec: FilterSpec | None) -> IndexHint | None:
    """The equalities a filter requires (its key, its headers with a value), for the live
    feed's filter index; None when it requires none."""
    if spec is None:
        return None
    headers = tuple((name, value) for name, value in spec.headers if value is not None)
    if spec.key is None and not headers:
        return None
    return IndexHint(spec.key, headers)


def _header_check(name: str, value: str | None) -> Predicate:
    if value is None:
        return lambda r: any(h.key == name for h in r.headers)
    return lambda r: any(h.key == name and h.value == value for h in r.headers)


def _value_check(c: ValueCondition) -> Predicate:
    segments = _parse_path(c.path)
    tests: list[Callable[[Any], bool]] = []
    if c.exists is not None:
        wanted = c.exists
        tests.append(lambda v: (v is not ABSENT) == wanted)
    if c.eq is not ABSENT:
        eq = c.eq
        tests.append(lambda v: v is not ABSENT and _json_equal(v, eq))
    if c.ne is not ABSENT:
        ne = c.ne
        tests.append(lambda v: v is ABSENT or not _json_equal(v, ne))
    if c.one_of is not None:
        if len(c.one_of) > MAX_IN_VALUES:
            raise BadUserInput(f"'in' may list at most {MAX_IN_VALUES} values")
        options = tuple(c.one_of)
        tests.append(lambda v: v is not ABSENT and any(_json_equal(v, o) for o in options))
    for bound, compare in (
        (c.gt, lambda a, b: a > b),
        (c.gte, lambda a, b: a >= b),
        (c.lt, lambda a, b: a < b),
        (c.lte, lambda a, b: a <= b),
    ):
        if bound is not None:
            if not math.isfinite(bound):
                raise BadUserInput("numeric bounds must be finite numbers")
            tests.append(_numeric_test(bound, compare))
    if c.contains is not None:
        needle = c.contains
        tests.append(lambda v: _contains(v, needle))
    if not tests:
        raise BadUserInput(f"the condition on '{c.path}' names no operator (eq, gt, contains, ...)")

    def check(record: Record) -> bool:
        found = _lookup(record.value, segments)
        return all(test(found) for test in tests)

    return check


def _numeric_test(bound: float, compare: Callable[[float, float], bool]) -> Callable[[Any], bool]:
    def test(v: Any) -> bool:
        return _is_number(v) and compare(v, bound)

    return test


def _parse_path(path: str) -> tuple[str, ...]:
    segments = tuple(path.split("."))
    if not path or any(not s for s in segments):
        raise BadUserInput(f"value path {path!r} is not a dotted path such as 'customer.id'")
    if len(segments) > MAX_PATH_SEGMENTS:
        raise BadUserInput(f"value path may have at most {MAX_PATH_SEGMENTS} segments")
    return segments


def _lookup(value: Any, segments: tuple[str, ...]) -> Any:
    for segment in segments:
        if isinstance(value, dict):
            if segment not in value:
                return ABSENT
            value = value[segment]
        elif isinstance(value, list) and segment.isdigit():
            index = int(segment)
            if index >= len(value):
                return ABSENT
            value = value[index]
        else:
            return ABSENT
    return value


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _json_equal(a: Any, b: Any) -> bool:
    # JSON semantics: true is not 1, but 1 equals 1.0.
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if _is_number(a) and _is_number(b):
        return bool(a == b)
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(_json_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_json_equal(a[k], b[k]) for k in a)
    return bool(a == b)


def _contains(v: Any, needle: str) -> bool:
    if isinstance(v, str):
        return needle in v
    if isinstance(v, list):
        return any(isinstance(item, str) and item == needle for item in v)
    return False
