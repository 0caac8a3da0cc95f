"""Server-side message filters, compiled once per request into a plain predicate.

The same predicate runs in history reads and in the live fan-out, so a message that does not match
never reaches the client. All conditions are ANDed. A filter is measured and checked against its
caps before it is compiled (core/filters/bounds.py); compiling checks its paths again, so that a
predicate never meets a segment it cannot look up.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kafka_graphql.core.errors import BadUserInput
from kafka_graphql.core.filters.paths import ABSENT, lookup, parse_path
from kafka_graphql.kafka.live_index import IndexHint
from kafka_graphql.kafka.records import Record

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


def spec_from_plain(plain: Mapping[str, Any] | None) -> FilterSpec | None:
    """A MessageFilter's plain value (GraphQL names, coerced) as a FilterSpec."""
    if plain is None:
        return None
    return FilterSpec(
        key=plain.get("key"),
        key_prefix=plain.get("keyPrefix"),
        headers=tuple((h["key"], h.get("value")) for h in plain.get("headers") or ()),
        value=tuple(_condition(c) for c in plain.get("value") or ()),
    )


def _condition(plain: Mapping[str, Any]) -> ValueCondition:
    return ValueCondition(
        path=plain["path"],
        eq=plain.get("eq", ABSENT),
        ne=plain.get("ne", ABSENT),
        one_of=plain.get("in"),
        gt=plain.get("gt"),
        gte=plain.get("gte"),
        lt=plain.get("lt"),
        lte=plain.get("lte"),
        contains=plain.get("contains"),
        exists=plain.get("exists"),
    )


def compile_filter(spec: FilterSpec | None, argument: str = "filter") -> Predicate:
    """The predicate of `spec`. Raises BadUserInput (with `extensions.path` under `argument`) for
    a condition it cannot run; the caps are core/filters/bounds.py's."""
    if spec is None:
        return match_all
    checks: list[Predicate] = []
    if spec.key is not None:
        key = spec.key
        checks.append(lambda r: r.key == key)
    if spec.key_prefix is not None:
        prefix = spec.key_prefix
        checks.append(lambda r: r.key is not None and r.key.startswith(prefix))
    for name, value in spec.headers:
        checks.append(_header_check(name, value))
    for index, condition in enumerate(spec.value):
        checks.append(_value_check(condition, [argument, "value", index]))
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


def _value_check(c: ValueCondition, at: list[str | int]) -> Predicate:
    segments = parse_path(c.path, [*at, "path"])
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
        tests.append(_membership(c.one_of))
    for op, bound, compare in (
        ("gt", c.gt, lambda a, b: a > b),
        ("gte", c.gte, lambda a, b: a >= b),
        ("lt", c.lt, lambda a, b: a < b),
        ("lte", c.lte, lambda a, b: a <= b),
    ):
        if bound is not None:
            if not math.isfinite(bound):
                raise BadUserInput("numeric bounds must be finite numbers", path=[*at, op])
            tests.append(_numeric_test(bound, compare))
    if c.contains is not None:
        needle = c.contains
        tests.append(lambda v: _contains(v, needle))
    if not tests:
        raise BadUserInput("the condition names no operator (eq, gt, contains, ...)", path=list(at))

    def check(record: Record) -> bool:
        found = lookup(record.value, segments)
        return all(test(found) for test in tests)

    return check


def _numeric_test(bound: float, compare: Callable[[float, float], bool]) -> Callable[[Any], bool]:
    def test(v: Any) -> bool:
        return _is_number(v) and compare(v, bound)

    return test


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


def _membership(options: Sequence[Any]) -> Callable[[Any], bool]:
    """`in`: one hash lookup per record, not one comparison per value. Values are compared by
    their canonical form (`_canonical`), which is equal exactly when `_json_equal` holds."""
    canonical = frozenset(_canonical(o) for o in options)
    # A list or an object in the record can only equal a list or an object in the filter: when
    # the filter has none, it is not even made canonical.
    containers = any(isinstance(o, list | dict) for o in options)

    def test(v: Any) -> bool:
        if v is ABSENT:
            return False
        if isinstance(v, list | dict) and not containers:
            return False
        try:
            return _canonical(v) in canonical
        except RecursionError:
            # Nested deeper than Python walks: a request's JSON cannot nest that deep either
            # (http/requests.py refuses it), so no value of `in` can equal it.
            return False

    return test


_BOOL, _NUMBER, _LIST, _OBJECT = range(4)


def _canonical(v: Any) -> Hashable:
    """A hashable form of a JSON value: true is not 1, 1 is 1.0, lists by their items in order,
    objects by their fields in any order (the rules of `_json_equal`)."""
    if v is None or isinstance(v, str):
        return v
    if isinstance(v, bool):
        return _BOOL, v
    if isinstance(v, int | float):
        return _NUMBER, v
    if isinstance(v, list):
        return _LIST, tuple(_canonical(item) for item in v)
    if isinstance(v, dict):
        return _OBJECT, frozenset((k, _canonical(item)) for k, item in v.items())
    # Not a JSON value (a typed topic's bytes or datetime): equal to nothing a filter names.
    return object()


def _contains(v: Any, needle: str) -> bool:
    if isinstance(v, str):
        return needle in v
    if isinstance(v, list):
        return any(isinstance(item, str) and item == needle for item in v)
    return False
