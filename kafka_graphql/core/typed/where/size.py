"""How large a typed `where` is, and which fields it reads: measured before anything runs.

The cost model prices a `where` by its size (graphql/limits/filter_cost.py), the caps refuse one
that is too large (`limits.max_filter_conditions`, `limits.max_in_values`, and MAX_DEPTH levels),
and field authorization refuses one that reads a field the caller may not select
(graphql/auth/field_check.py). compile_where measures its input the same way before compiling it.

What counts as one condition (docs/limits.md#filters): each operator set in a scalar filter
(`eq`, `in`, `gt`, `exists`, ...; `{total: {gte: 10, lt: 100}}` is two), each list operator
(`some`, `every`, `none`, `isEmpty`), each item of `and`/`or` and each `not`. A nested object's
entry (`customer: {...}`) counts what it holds. Each value of an `in`/`notIn` list is one `in`
value.

The value is read leniently: this runs before variables are coerced to their types, so what does
not fit the input types (an unknown entry, a list where an object belongs) is passed over here and
refused by coercion or by compile_where.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kafka_graphql.core.errors import BadUserInput
from kafka_graphql.core.filters.bounds import FieldRead, FilterCaps, FilterCounter, FilterSize, Path
from kafka_graphql.core.typed.model import ObjectType, TypeModel
from kafka_graphql.core.typed.where.shapes import (
    IS_EMPTY,
    KEY,
    LIST_OPERATORS,
    OPERATORS,
    STRING_SHAPE,
    ListShape,
    ObjectShape,
    ScalarShape,
    Shape,
    where_entries,
)

# A where nested deeper than this (the root is level 1; each and/or/not item, nested object and
# list item where is one level more) is refused: recursion and per-record cost stay bounded.
MAX_DEPTH = 10


@dataclass(frozen=True, slots=True)
class WhereReport:
    size: FilterSize
    # In the order they are met; one per entry set.
    reads: tuple[FieldRead, ...]


def inspect_where(
    model: TypeModel, where: object, caps: FilterCaps | None, argument: str = "where"
) -> WhereReport:
    """The size and the reads of a `<Root>Where` value (plain: GraphQL names). Raises BadUserInput
    with `extensions.path` for one over the caps (None: only the depth is checked)."""
    walk = _Walk(model, caps)
    walk.where(model.root_type, where, 1, [argument])
    return WhereReport(walk.counter.size, tuple(walk.reads))


class _Walk:
    def __init__(self, model: TypeModel, caps: FilterCaps | None) -> None:
        self.model = model
        self.counter = FilterCounter(caps)
        self.reads: list[FieldRead] = []

    def where(self, object_type: ObjectType, where: object, depth: int, at: Path) -> None:
        if depth > MAX_DEPTH:
            raise BadUserInput(f"a filter may nest at most {MAX_DEPTH} levels", path=list(at))
        if not isinstance(where, Mapping):
            return
        entries = dict(where_entries(self.model, object_type))
        for name, value in where.items():
            if value is None:  # an explicit null is no condition
                continue
            inner = [*at, name]
            if name in ("and", "or"):
                for index, item in enumerate(_items(value)):
                    self.counter.condition([*inner, index])
                    self.where(object_type, item, depth + 1, [*inner, index])
            elif name == "not":
                self.counter.condition(inner)
                self.where(object_type, value, depth + 1, inner)
            elif name == KEY and object_type.name == self.model.root:
                self.reads.append(FieldRead(tuple(inner), None, KEY))
                self.field(STRING_SHAPE, value, depth, inner)
            elif name in entries:
                self.reads.append(FieldRead(tuple(inner), object_type.name, name))
                self.field(entries[name], value, depth, inner)

    def field(self, shape: Shape, spec: object, depth: int, at: Path) -> None:
        if isinstance(shape, ScalarShape):
            self.scalar(shape, spec, at)
        elif isinstance(shape, ObjectShape):
            object_type = self.model.type(shape.type_name)
            assert isinstance(object_type, ObjectType)
            self.where(object_type, spec, depth + 1, at)
        else:
            self.list(shape, spec, depth, at)

    def scalar(self, shape: ScalarShape, spec: object, at: Path) -> None:
        if not isinstance(spec, Mapping):
            return
        allowed = OPERATORS[shape.operand]
        for op, value in spec.items():
            if value is None or op not in allowed:
                continue
            self.counter.condition([*at, op])
            if op in ("in", "notIn"):
                self.counter.values([*at, op], value)

    def list(self, shape: ListShape, spec: object, depth: int, at: Path) -> None:
        if not isinstance(spec, Mapping):
            return
        for op, value in spec.items():
            if value is None:
                continue
            if op == IS_EMPTY:
                self.counter.condition([*at, op])
            elif op in LIST_OPERATORS:
                self.counter.condition([*at, op])
                self.field(shape.item, value, depth, [*at, op])


def _items(value: object) -> list[Any]:
    # A single value given for a list is a list of one, as GraphQL's input coercion reads it.
    return list(value) if isinstance(value, list | tuple) else [value]
