"""What a filter costs (docs/limits.md#filters): its conditions and `in` values, times the records
it may look at.

- A history page with a filter (`messages(filter:)`, a typed connection's `where`) may pass over
  `limits.max_scan_records` records before it returns: it is charged for reading them (a page
  without a filter stops at `limit`) and for running the filter on each one.
- A subscription's filter runs on every record of the topic's live feed, for as long as the
  stream lives (the records themselves are read and decoded once for every subscriber). Its
  opening cost is charged for `limits.max_scan_records` records of that, paid once.

Requested, a filter is priced at those records; the page then reports how many it passed over
(`report_scan`), and the actual cost charges those alone: the rest goes back to the budget with
the unused part of the page. The weights are calibrated on this machine with
benchmarks/filter_cpu.py, so that a point is worth about a millisecond of the gateway's CPU.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any, Protocol

from graphql import FieldNode, GraphQLField

from kafka_graphql.core.filters.bounds import FilterSize, filter_caps, measure_filter
from kafka_graphql.core.limits.call_cost import page_filter_cost as page_filter_cost
from kafka_graphql.core.limits.call_cost import stream_filter_cost as stream_filter_cost
from kafka_graphql.core.typed.model import TypeModel
from kafka_graphql.core.typed.where import inspect_where
from kafka_graphql.graphql.filter_arguments import filter_arguments
from kafka_graphql.settings.limits import LimitsSettings


class VariableReads(Protocol):
    def whole(self, name: str, default: Any = None) -> Any:
        """A variable's value, read whole: no shape of it stands for the cost (walk.py)."""


class FilterPricing:
    """The filters of one schema, for its cost model: which arguments are filters, their caps,
    and the records a filter is priced at."""

    def __init__(
        self,
        limits: LimitsSettings,
        where_models: Mapping[str, TypeModel] | None = None,
    ) -> None:
        self.caps = filter_caps(limits)
        self.records = limits.max_scan_records
        self.where_models = dict(where_models or {})

    def cost(
        self, definition: GraphQLField, node: FieldNode, variables: VariableReads, stream: bool
    ) -> int:
        """The filter part of a field's requested cost. Raises BadUserInput (with
        `extensions.path`) for a filter over its caps or with a path that is not one."""
        size = FilterSize()
        reads = _Whole(variables)
        for argument in filter_arguments(definition, node, reads, self.where_models):
            if argument.model is None:
                size += measure_filter(argument.value, self.caps, argument.name)
            else:
                size += inspect_where(argument.model, argument.value, self.caps, argument.name).size
        if stream:
            return stream_filter_cost(size, self.records)
        return page_filter_cost(size, self.records)


class _Whole(Mapping[str, Any]):
    """The variables as filter_arguments reads them (`get`), each read whole."""

    def __init__(self, reads: VariableReads) -> None:
        self._reads = reads

    def get(self, name: str, default: Any = None) -> Any:
        return self._reads.whole(name, default)

    def __getitem__(self, name: str) -> Any:
        raise KeyError(name)  # read with `get` only

    def __iter__(self) -> Any:
        return iter(())

    def __len__(self) -> int:
        return 0


# The actual cost of the filters of the query being executed: each page adds what it passed over.
_SCANS: ContextVar[list[int] | None] = ContextVar("kafka_graphql_filter_scans", default=None)


def open_scans() -> list[int]:
    """Where the pages of the operation about to run report their filters' actual costs (set
    in the task that executes it; the tasks of its resolvers see the same list)."""
    scans: list[int] = []
    _SCANS.set(scans)
    return scans


def report_scan(limits: LimitsSettings, size: FilterSize, records: int) -> None:
    """A page with a filter of `size` passed over `records` records."""
    scans = _SCANS.get()
    if scans is not None:
        scans.append(page_filter_cost(size, min(records, limits.max_scan_records)))
