"""A bounded read of a topic's history (no consumer group, nothing committed): `read_page`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from kafka_graphql.core.auth.principal import Principal
from kafka_graphql.core.errors import BadUserInput
from kafka_graphql.core.filters.bounds import FilterSize
from kafka_graphql.core.gateway import Core
from kafka_graphql.core.reads import ReadPlan, Start, expired, plan_read
from kafka_graphql.core.selection import Build, RecordFilter, Selection, select, wanted
from kafka_graphql.core.slices import Slices
from kafka_graphql.core.typed.generic import decoded_record
from kafka_graphql.core.typed.records import Decoded
from kafka_graphql.kafka import Gap, Page, Reset

M = TypeVar("M")


@dataclass(frozen=True, slots=True)
class PageRead(Generic[M]):
    topic: str
    # The records of the page that match and that the caller may see, as `build` made them.
    messages: list[M]
    # Where the page started, and the positions past every record it read, matching or not.
    start: Mapping[int, int]
    positions: Mapping[int, int]
    # `positions` sealed: where the next page (or a subscription) continues.
    next_cursor: str
    has_more: bool
    # What the page's filter actually cost per record it passed over; None: nothing to report.
    filter_size: FilterSize | None
    # Offsets gone before the page could read them (its start was below a partition's
    # earliest offset, or they were deleted while it read), and positions past a partition's
    # end that it read from the end instead (docs/api.md#when-records-are-gone).
    gaps: list[Gap]
    resets: list[Reset]


async def read_page(
    core: Core,
    principal: Principal,
    topic: str,
    start: Start,
    given: RecordFilter,
    limit: int,
    build: Build[M],
    *,
    limit_name: str = "limit",
) -> PageRead[M]:
    """At most `limit` matches of `given` from `start`, as the caller may see them.
    `limit_name` is the argument that gave `limit`, for its refusal."""
    max_page = core.settings.limits.max_page_size
    if not 1 <= limit <= max_page:
        raise BadUserInput(f"{limit_name} must be between 1 and {max_page}")
    selection = select(core, principal, topic, given)
    plan = await plan_read(
        core, principal, topic, start, selection.predicate, selection.hint, live=False
    )
    assert plan.start is not None  # history reads always have a start
    end = {p: o.latest for p, o in plan.offsets.items()}
    page = await core.kafka.read_page(
        plan.topic,
        plan.start,
        end,
        limit,
        plan.predicate,
        core.settings.limits.max_scan_records,
        owner=principal.id,
    )
    if plan.fail_on_gap and page.gaps.waiting:  # deleted after the plan, before the read
        raise expired(await core.kafka.offsets(plan.topic, plan.partitions), page.gaps)
    size = None if selection.size is None else selection.size()
    messages = await _shown(core, selection, plan, page, build)
    return PageRead(
        plan.topic,
        messages,
        plan.start,
        page.positions,
        core.cursors.seal(plan.topic, page.positions),
        page.has_more,
        size,
        plan.gaps.gaps + page.gaps.gaps,
        plan.gaps.resets + page.gaps.resets,
    )


async def _shown(
    core: Core, selection: Selection, plan: ReadPlan, page: Page, build: Build[M]
) -> list[M]:
    """The page's records that match and that the caller may see, each with the page's
    positions up to and including it (its cursor)."""
    assert plan.start is not None
    typed, view, cursors = selection.typed, selection.view, core.cursors
    positions = dict(plan.start)
    messages = []
    slices = Slices()  # a typed topic's values are decoded here, up to a page of them
    for record in page.records:
        await slices.tick()
        positions[record.partition] = record.offset + 1
        # Checked again: a value decoded only now (a new writer schema) may not match.
        decoded: Decoded | None = None
        if selection.typed_api:
            assert typed is not None
            shown, decoded = record, await typed.decode(record)
            keep = wanted(selection.matcher, record, decoded, view) and plan.visible(record)
        else:
            shown = await decoded_record(typed, view, record)
            keep = (typed is None or plan.predicate(shown)) and plan.visible(record)
        if keep:
            messages.append(build(shown, positions, decoded, view, cursors))
    return messages
