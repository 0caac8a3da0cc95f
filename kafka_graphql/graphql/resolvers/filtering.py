"""What a page's filter passed over, reported to the cost model (graphql/limits/filter_cost.py):
the records it actually cost."""

from __future__ import annotations

from typing import Any

from kafka_graphql.core.pages import PageRead
from kafka_graphql.graphql.context import Context
from kafka_graphql.graphql.limits.filter_cost import report_scan


def report_page(context: Context, page: PageRead[Any]) -> None:
    """The records a page passed over from its start (offsets, so a compacted gap counts too)
    are what its filter actually cost."""
    if page.filter_size is None:
        return
    passed = sum(max(0, page.positions.get(p, o) - o) for p, o in page.start.items())
    report_scan(context.settings.limits, page.filter_size, passed)
