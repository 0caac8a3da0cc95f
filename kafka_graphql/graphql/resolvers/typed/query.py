"""The typed connection query (`orders(first, after, ...)`), bound per topic."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Optional

from kafka_graphql.core.pages import PageRead, read_page
from kafka_graphql.core.reads import Start
from kafka_graphql.core.selection import TypedWhere
from kafka_graphql.graphql.context import Info
from kafka_graphql.graphql.resolvers.convert import gap_mode, to_gaps, to_resets
from kafka_graphql.graphql.resolvers.filtering import report_page
from kafka_graphql.graphql.resolvers.typed.bound import BoundTopic, with_annotations
from kafka_graphql.graphql.schema.scalars import Cursor, DateTime, Long
from kafka_graphql.graphql.schema.types import OnGap, PageInfo


def connection_resolver(bound: BoundTopic) -> Callable[..., Awaitable[Any]]:
    async def resolve(
        info: Info,
        first: int | None = 20,
        after: Cursor | None = None,
        from_offset: Long | None = None,
        from_timestamp: DateTime | None = None,
        partitions: list[int] | None = None,
        where: Any = None,
        on_gap: OnGap = OnGap.REPORT,
    ) -> Any:
        if after is not None:
            # Relay clients keep the arguments that chose the list while they page through it
            # (Apollo's fetchMore adds `after` to the query's variables): the cursor says
            # where this page starts, so a starting point given with it has done its part.
            from_offset = from_timestamp = None
        context = info.context
        page = await read_page(
            context.core,
            context.principal,
            bound.topic,
            Start(after, from_offset, from_timestamp, partitions, gap_mode(on_gap)),
            TypedWhere(bound.records, bound.plain_where(where)),
            20 if first is None else first,
            bound.message,
            limit_name="first",
        )
        report_page(context, page)
        edges = [bound.edge_type(cursor=node.cursor, node=node) for node in page.messages]
        return bound.connection_type(
            edges=edges,
            page_info=_page_info(page, edges),
            gaps=to_gaps(page.gaps),
            resets=to_resets(page.resets),
        )

    where_type = Optional[bound.where_type] if bound.where_type else None  # noqa: UP045
    with_annotations(resolve, bound.connection_type, where=where_type)
    return resolve


def _page_info(page: PageRead[Any], edges: list[Any]) -> PageInfo:
    return PageInfo(
        has_next_page=page.has_more,
        # Reads go forward only (Relay allows false when it is not known cheaply).
        has_previous_page=False,
        start_cursor=edges[0].cursor if edges else None,
        # Past every record this page read, matching or not, even when it has no edges:
        # `after` for the next page or for the subscription.
        end_cursor=Cursor(page.next_cursor),
    )
