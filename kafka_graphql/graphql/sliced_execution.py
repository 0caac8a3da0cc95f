"""GraphQL execution that completes long lists in slices.

graphql-core completes a list's items one after the other without ever giving the event loop
back: a typed page of 200 messages with 200 fields each is ~40,000 field completions, ~200 ms
held in one go (benchmark P11). This executor completes a list of `SLICED_ITEMS` or more items
item by item and pauses between them when the slice is spent (core/slices.py). Everything else is
graphql-core's own: the items are completed by its own methods, errors are handled where it
handles them, and items whose completion awaits (resolvers, data loaders) are still awaited
together at the end, as graphql-core does.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from graphql import GraphQLOutputType, GraphQLResolveInfo
from graphql.pyutils import AwaitableOrValue, Path, gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from kafka_graphql.core.slices import Slices

# Shorter lists are completed as graphql-core does: they cannot hold the loop for long unless
# their items are large, which a long list of them would be too.
SLICED_ITEMS = 32


class SlicedExecutor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's executor, with long lists completed in slices."""

    def complete_iterable_value(
        self,
        item_type: GraphQLOutputType,
        field_details_list: Any,
        info: GraphQLResolveInfo[Any],
        path: Path,
        items: Iterable[Any],
        position_context: Any,
    ) -> AwaitableOrValue[list[Any]]:
        if (
            not isinstance(items, list | tuple)
            or len(items) < SLICED_ITEMS
            # @stream hands items out as it goes: graphql-core's own path.
            or self.get_stream_usage(field_details_list, path) is not None
        ):
            return super().complete_iterable_value(
                item_type, field_details_list, info, path, items, position_context
            )
        return self._complete_in_slices(
            item_type, field_details_list, info, path, items, position_context
        )

    async def _complete_in_slices(
        self,
        item_type: GraphQLOutputType,
        field_details_list: Any,
        info: GraphQLResolveInfo[Any],
        path: Path,
        items: list[Any] | tuple[Any, ...],
        position_context: Any,
    ) -> list[Any]:
        slices = Slices()
        completed: list[Any] = []
        awaiting: list[int] = []
        try:
            for index, item in enumerate(items):
                item_path = path.add_key(index, None)
                if self.is_awaitable(item):
                    completed.append(
                        self.complete_awaitable_list_item_value(
                            item, item_type, field_details_list, info, item_path, position_context
                        )
                    )
                    awaiting.append(index)
                elif self.complete_list_item_value(
                    item,
                    completed,
                    item_type,
                    field_details_list,
                    info,
                    item_path,
                    position_context,
                ):
                    awaiting.append(index)
                if slices.due():
                    await slices.pause()
        except BaseException:
            # As graphql-core does: what was started settles in the background, not orphaned.
            pending = [completed[index] for index in awaiting]
            if pending:
                self.settle_in_background(pending)
            raise
        if awaiting:
            results = await gather_with_cancel(*(completed[index] for index in awaiting))
            for index, result in zip(awaiting, results, strict=True):
                completed[index] = result
        return completed
