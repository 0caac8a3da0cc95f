"""The typed connection query (`orders(first, after, ...)`), bound per topic."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Optional

from kafka_graphql.core.auth.field_masks import FieldView
from kafka_graphql.core.errors import BadUserInput
from kafka_graphql.core.slices import Slices
from kafka_graphql.graphql.context import Context, Info
from kafka_graphql.graphql.limits.filter_cost import filter_caps
from kafka_graphql.graphql.resolvers.filtering import report_page
from kafka_graphql.graphql.resolvers.positions import ReadPlan, plan_read
from kafka_graphql.graphql.resolvers.typed.bound import BoundTopic, wanted, with_annotations
from kafka_graphql.graphql.schema.scalars import Cursor, DateTime, Long
from kafka_graphql.graphql.schema.types import PageInfo
from kafka_graphql.kafka import Page


def connection_resolver(bound: BoundTopic) -> Callable[..., Awaitable[Any]]:
    async def resolve(
        info: Info,
        first: int | None = 20,
        after: Cursor | None = None,
        from_offset: Long | None = None,
        from_timestamp: DateTime | None = None,
        partitions: list[int] | None = None,
        where: Any = None,
    ) -> Any:
        context = info.context
        max_page = context.settings.limits.max_page_size
        first = 20 if first is None else first
        if not 1 <= first <= max_page:
            raise BadUserInput(f"first must be between 1 and {max_page}")
        if after is not None:
            # Relay clients keep the arguments that chose the list while they page through it
            # (Apollo's fetchMore adds `after` to the query's variables): the cursor says
            # where this page starts, so a starting point given with it has done its part.
            from_offset = from_timestamp = None
        matcher = bound.matcher(where, filter_caps(context.settings.limits))
        view = bound.view(context)
        plan = await plan_read(
            context,
            bound.topic,
            partitions=partitions,
            filter_spec=None,
            after=after,
            from_offset=from_offset,
            from_timestamp=from_timestamp,
            live=False,
            predicate=bound.wanted_now(matcher, view),
        )
        assert plan.start is not None  # history reads always have a start
        end = {p: o.latest for p, o in plan.offsets.items()}
        page = await context.kafka.read_page(
            plan.topic,
            plan.start,
            end,
            first,
            plan.predicate,
            context.settings.limits.max_scan_records,
            owner=context.principal.id,
        )
        if matcher is not None:
            report_page(context, bound.filter_size(where), plan.start, page.positions)
        edges = await _edges(bound, context, plan, page, (matcher, view))
        return bound.connection_type(edges=edges, page_info=_page_info(context, plan, page, edges))

    where_type = Optional[bound.where_type] if bound.where_type else None  # noqa: UP045
    with_annotations(resolve, bound.connection_type, where=where_type)
    return resolve


async def _edges(
    bound: BoundTopic, context: Context, plan: ReadPlan, page: Page, wants: tuple[Any, FieldView]
) -> list[Any]:
    """The page's edges: its records that match and that the caller may see, each with its
    cursor (the page's positions up to and including its record)."""
    matcher, view = wants
    assert plan.start is not None
    positions = dict(plan.start)
    edges = []
    slices = Slices()  # decoding, checking and building a page of values: in slices
    for record in page.records:
        await slices.tick()
        positions[record.partition] = record.offset + 1
        decoded = await bound.records.decode(record)
        if wanted(matcher, record, decoded, view) and plan.visible(record):
            node = bound.message(record, positions, decoded, view, context.cursors)
            edges.append(bound.edge_type(cursor=node.cursor, node=node))
    return edges


def _page_info(context: Context, plan: ReadPlan, page: Page, edges: list[Any]) -> PageInfo:
    return PageInfo(
        has_next_page=page.has_more,
        # Reads go forward only (Relay allows false when it is not known cheaply).
        has_previous_page=False,
        start_cursor=edges[0].cursor if edges else None,
        # Past every record this page read, matching or not, even when it has no edges:
        # `after` for the next page or for the subscription.
        end_cursor=Cursor(context.cursors.seal(plan.topic, page.positions)),
    )
