"""A live stream of a topic, replaying history first when asked: `open_stream`.

Everything is checked before the stream exists (the topic, the filter, the start), so that a
face answers bad input with an error rather than with a broken stream. What the stream then
yields has passed the filter and the caller's record rule, and is the face's message already:
`build` runs once per match, in the same step as the checks (this is every live delivery's
path: docs/performance.md)."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Mapping
from dataclasses import dataclass

from kafka_graphql.core.auth.field_masks import FieldView
from kafka_graphql.core.auth.principal import Principal
from kafka_graphql.core.errors import StreamInterrupted
from kafka_graphql.core.gateway import Core
from kafka_graphql.core.limits.delivery import Matched
from kafka_graphql.core.reads import ReadPlan, Start, expired, plan_read
from kafka_graphql.core.selection import Build, RecordFilter, Selection, select, wanted
from kafka_graphql.core.typed.generic import decoded_record
from kafka_graphql.core.typed.records import Decoded
from kafka_graphql.kafka import Record

Positioned = tuple[Record, Mapping[int, int]]


@dataclass(frozen=True, slots=True)
class Stream:
    topic: str
    # The caller's view of the topic's values (which subscribers may share what they are sent).
    view: FieldView
    # (record, positions just after it, the face's message), for the delivery budget
    # (core/limits/delivery.py).
    matched: AsyncGenerator[Matched, None]
    # The Kafka stream under `matched`.
    records: AsyncIterator[Positioned]

    async def aclose(self) -> None:
        await self.matched.aclose()
        await self.records.aclose()  # type: ignore[attr-defined]


async def open_stream(
    core: Core,
    principal: Principal,
    topic: str,
    start: Start,
    given: RecordFilter,
    build: Build[object],
) -> Stream:
    """The caller's stream of `topic`'s records that match `given`, from `start` (from the end
    when it gives no starting point). A failure of the stream's own on a record ends it with
    StreamInterrupted, which says where to resume."""
    selection = select(core, principal, topic, given)
    plan = await plan_read(
        core, principal, topic, start, selection.predicate, selection.hint, live=True
    )
    records = core.kafka.stream(
        plan.topic,
        plan.start,
        frozenset(plan.partitions) if plan.chosen else None,
        plan.predicate,
        core.settings.limits.subscriber_buffer_batches,
        plan.hint,
        owner=principal.id,
        holder=core.limits.holdings(principal.id),
        gaps=plan.gaps,
    )
    matched = _matched(core, selection, plan, records, build)
    return Stream(plan.topic, selection.view, matched, records)


async def _mark(core: Core, plan: ReadPlan, message: object, partition: int) -> None:
    """`message`, the first of its partition after a gap or a reset, says so (its `expired`
    and `reset`); a stream that asked to fail on gaps ends instead, before it is sent."""
    if plan.fail_on_gap:
        raise expired(await core.kafka.offsets(plan.topic, plan.partitions), plan.gaps)
    count, reset = plan.gaps.take(partition)
    if count:
        message.expired = count  # type: ignore[attr-defined]
    if reset:
        message.reset = True  # type: ignore[attr-defined]


def resume_at(record: Record, positions: Mapping[int, int]) -> dict[int, int]:
    """Positions that resume at `record` itself (`positions`: the stream's, just after it)."""
    return {**positions, record.partition: record.offset}


async def _matched(
    core: Core,
    selection: Selection,
    plan: ReadPlan,
    records: AsyncIterator[Positioned],
    build: Build[object],
) -> AsyncGenerator[Matched, None]:
    typed, view, cursors = selection.typed, selection.view, core.cursors
    predicate, visible, matcher = plan.predicate, plan.visible, selection.matcher
    typed_api, gaps = selection.typed_api, plan.gaps
    async for record, positions in records:
        try:
            # Checked again: a value decoded only now (a new writer schema) may not match.
            # Built for this subscriber alone: its view, never another's, and never a change
            # to the decoded value the topic's subscribers share.
            decoded: Decoded | None = None
            if typed_api:
                assert typed is not None
                shown, decoded = record, await typed.decode(record)
                keep = wanted(matcher, record, decoded, view) and visible(record)
            else:
                shown = await decoded_record(typed, view, record)
                keep = (typed is None or predicate(shown)) and visible(record)
            message = build(shown, positions, decoded, view, cursors) if keep else None
        except Exception as error:  # this stream's own failure, on this record
            raise StreamInterrupted(record.topic, resume_at(record, positions), error) from error
        if message is not None:
            if gaps.waiting:  # once per partition per gap, never per record
                await _mark(core, plan, message, record.partition)
            yield record, positions, message
        # Nothing of this record is kept while the next one is awaited.
        del record, shown, decoded, message
