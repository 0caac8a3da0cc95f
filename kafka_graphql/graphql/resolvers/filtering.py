"""A client's filter as the resolvers use it: measured against its caps, compiled, and, for a
page, what it passed over reported to the cost model (graphql/limits/filter_cost.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from kafka_graphql.core.filters.bounds import FilterSize, measure_filter
from kafka_graphql.core.filters.predicates import (
    FilterSpec,
    Predicate,
    compile_filter,
    spec_from_plain,
)
from kafka_graphql.graphql.context import Context
from kafka_graphql.graphql.limits.filter_cost import filter_caps, report_scan
from kafka_graphql.graphql.resolvers.convert import filter_plain
from kafka_graphql.graphql.schema.inputs import MessageFilter


@dataclass(frozen=True, slots=True)
class ClientFilter:
    spec: FilterSpec | None
    predicate: Predicate
    size: FilterSize


def client_filter(context: Context, given: MessageFilter | None) -> ClientFilter:
    """Raises BadUserInput (with `extensions.path`) for a filter admission would have refused."""
    plain = filter_plain(given)
    size = measure_filter(plain, filter_caps(context.settings.limits))
    spec = spec_from_plain(plain)
    return ClientFilter(spec, compile_filter(spec), size)


def report_page(
    context: Context, size: FilterSize, start: Mapping[int, int], positions: Mapping[int, int]
) -> None:
    """A page read from `start` to `positions` with a filter of `size`: the records it passed
    over (offsets, so a compacted gap counts too) are what its filter actually cost."""
    passed = sum(max(0, positions.get(p, o) - o) for p, o in start.items())
    report_scan(context.settings.limits, size, passed)
