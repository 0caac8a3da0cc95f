"""How large a filter is, and the caps on it (`limits.max_filter_conditions`,
`limits.max_in_values`): what the cost model prices (graphql/limits/filter_cost.py) and what is
refused before anything runs, with `extensions.path` saying where in the operation's arguments.

The generic `filter: MessageFilter` is measured here, in its plain form (GraphQL names, as a
document or a variable writes it); typed `where` in core/typed/where/size.py, by the same caps.

What counts as one condition of a generic filter (docs/limits.md#filters): `key`, `keyPrefix`,
each header, and each operator set in a `value` condition (`eq`, `ne`, `in`, `gt`, `gte`, `lt`,
`lte`, `contains`, `exists`; `{path: "total", gte: 10, lt: 100}` is two). Each value of an `in`
list is one `in` value.

Values are read leniently: this runs before variables are coerced to their types, so a value of
the wrong type is left to coercion, which refuses it (BAD_USER_INPUT) before anything runs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kafka_graphql.core.errors import BadUserInput
from kafka_graphql.core.filters.paths import parse_path
from kafka_graphql.settings.limits import LimitsSettings

# The operators of a generic `value` condition, as GraphQL names them.
VALUE_OPERATORS = ("eq", "ne", "in", "gt", "gte", "lt", "lte", "contains", "exists")
# `eq: null` and `ne: null` are conditions (on JSON null); any other operator set to null is not.
_NULL_OPERANDS = frozenset({"eq", "ne"})
_BOUNDS = ("gt", "gte", "lt", "lte")

Path = list[str | int]


@dataclass(frozen=True, slots=True)
class FilterCaps:
    """`limits.max_filter_conditions` and `limits.max_in_values` (per `in`/`notIn` list)."""

    max_conditions: int = 20
    max_in_values: int = 100


DEFAULT_CAPS = FilterCaps()


def filter_caps(limits: LimitsSettings) -> FilterCaps:
    return FilterCaps(limits.max_filter_conditions, limits.max_in_values)


@dataclass(frozen=True, slots=True)
class FilterSize:
    conditions: int = 0
    in_values: int = 0

    def __add__(self, other: FilterSize) -> FilterSize:
        return FilterSize(self.conditions + other.conditions, self.in_values + other.in_values)


@dataclass(frozen=True, slots=True)
class FieldRead:
    """A field a filter reads, and where in the arguments: field authorization refuses a filter
    that reads a field its caller may not select. `type_name` None is the record itself
    (`Message`: its key, headers or value)."""

    at: tuple[str | int, ...]
    type_name: str | None
    field: str


class FilterCounter:
    """Counts a filter's conditions and `in` values as it is walked, and refuses it at the
    entry that goes over a cap (caps None: counts only)."""

    def __init__(self, caps: FilterCaps | None) -> None:
        self.caps = caps
        self.conditions = 0
        self.in_values = 0

    @property
    def size(self) -> FilterSize:
        return FilterSize(self.conditions, self.in_values)

    def condition(self, at: Path, count: int = 1) -> None:
        self.conditions += count
        if self.caps is not None and self.conditions > self.caps.max_conditions:
            raise BadUserInput(
                f"a filter may hold at most {self.caps.max_conditions} conditions "
                f"(limits.max_filter_conditions); this one has more at {dotted_path(at)}",
                path=list(at),
            )

    def values(self, at: Path, items: object) -> None:
        """An `in` (or `notIn`) list; a single value stands for a list of one, as GraphQL's
        input coercion reads it."""
        count = len(items) if isinstance(items, list | tuple) else 1
        if self.caps is not None and count > self.caps.max_in_values:
            raise BadUserInput(
                f"{dotted_path(at)} may list at most {self.caps.max_in_values} values "
                f"(limits.max_in_values), not {count}",
                path=list(at),
            )
        self.in_values += count


def measure_filter(plain: object, caps: FilterCaps | None, argument: str = "filter") -> FilterSize:
    """The size of a generic filter (a MessageFilter's plain value), after checking what can be
    checked before it runs: its caps, its value paths (core/filters/paths.py), an operator in every
    condition and finite bounds. Raises BadUserInput with `extensions.path`."""
    counter = FilterCounter(caps)
    if not isinstance(plain, Mapping):
        return counter.size
    for name in ("key", "keyPrefix"):
        if plain.get(name) is not None:
            counter.condition([argument, name])
    for index, _ in enumerate(_items(plain.get("headers"))):
        counter.condition([argument, "headers", index])
    for index, condition in enumerate(_items(plain.get("value"))):
        if isinstance(condition, Mapping):
            _value_condition(counter, [argument, "value", index], condition)
    return counter.size


def message_filter_reads(plain: object, argument: str = "filter") -> list[FieldRead]:
    """What a generic filter reads: `key` and `keyPrefix` the record's key, each header the
    record's headers and the header's key (and its value, when it gives one), each `value`
    condition the record's value."""
    reads: list[FieldRead] = []
    if not isinstance(plain, Mapping):
        return reads
    for name in ("key", "keyPrefix"):
        if plain.get(name) is not None:
            reads.append(FieldRead((argument, name), None, "key"))
    for index, header in enumerate(_items(plain.get("headers"))):
        at = (argument, "headers", index)
        reads += [FieldRead(at, None, "headers"), FieldRead((*at, "key"), "Header", "key")]
        if isinstance(header, Mapping) and header.get("value") is not None:
            reads.append(FieldRead((*at, "value"), "Header", "value"))
    for index, _ in enumerate(_items(plain.get("value"))):
        reads.append(FieldRead((argument, "value", index), None, "value"))
    return reads


def _value_condition(counter: FilterCounter, at: Path, condition: Mapping[str, Any]) -> None:
    path = condition.get("path")
    if isinstance(path, str):
        parse_path(path, [*at, "path"])
    operators = [
        op
        for op in VALUE_OPERATORS
        if op in condition and (condition[op] is not None or op in _NULL_OPERANDS)
    ]
    if not operators:
        raise BadUserInput(
            f"the condition at {dotted_path(at)} names no operator (eq, gt, contains, ...)",
            path=list(at),
        )
    for op in _BOUNDS:
        bound = condition.get(op)
        if isinstance(bound, float) and not math.isfinite(bound):
            raise BadUserInput("numeric bounds must be finite numbers", path=[*at, op])
    counter.condition(at, len(operators))
    if "in" in operators:
        counter.values([*at, "in"], condition["in"])


def _items(value: object) -> Sequence[Any]:
    if value is None:
        return ()
    return value if isinstance(value, list | tuple) else (value,)


def dotted_path(at: Sequence[str | int]) -> str:
    """`filter.value[20]`: an argument path as a person reads it (in refusals' messages)."""
    text = ""
    for part in at:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text
