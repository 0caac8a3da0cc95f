"""Translations between GraphQL inputs/outputs and the gateway's own values."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import strawberry

from kafka_graphql.core.auth.field_masks import FieldView
from kafka_graphql.core.cursor import CursorSealer
from kafka_graphql.core.typed.records import Decoded
from kafka_graphql.graphql.resolvers.messages import RecordMessage
from kafka_graphql.graphql.schema.inputs import MessageFilter, ValuePredicate
from kafka_graphql.graphql.schema.scalars import Long
from kafka_graphql.graphql.schema.types import Gap, Message, OnGap, PartitionReset
from kafka_graphql.kafka import Gap as KafkaGap
from kafka_graphql.kafka import Record
from kafka_graphql.kafka import Reset as KafkaReset


def to_message(record: Record, positions: Mapping[int, int], cursors: CursorSealer) -> Message:
    """`positions`: the stream's positions just after `record` (the message's cursor, sealed
    by `cursors` when it is read)."""
    return RecordMessage(record, positions, cursors)


def build_message(
    record: Record,
    positions: Mapping[int, int],
    _decoded: Decoded | None,
    _view: FieldView,
    cursors: CursorSealer,
) -> Message:
    """`to_message` as the core's reads build them (core/selection.py `Build`): the generic API's
    record comes with its value as the caller sees it already."""
    return RecordMessage(record, positions, cursors)


def filter_plain(f: MessageFilter | None) -> dict[str, Any] | None:
    """The filter as a document writes it (GraphQL names; fields not given left out): what
    core/filters/bounds.py measures and core/filters/predicates.py compiles."""
    if f is None:
        return None
    plain: dict[str, Any] = {}
    if f.key is not None:
        plain["key"] = f.key
    if f.key_prefix is not None:
        plain["keyPrefix"] = f.key_prefix
    if f.headers is not None:
        plain["headers"] = [{"key": h.key, "value": h.value} for h in f.headers]
    if f.value is not None:
        plain["value"] = [_condition_plain(v) for v in f.value]
    return plain


def _condition_plain(v: ValuePredicate) -> dict[str, Any]:
    plain: dict[str, Any] = {"path": v.path}
    # eq/ne given as null are conditions on JSON null; left out, they are none.
    for name, operand in (("eq", v.eq), ("ne", v.ne)):
        if operand is not strawberry.UNSET:
            plain[name] = operand
    operators: tuple[tuple[str, object], ...] = (
        ("in", v.in_),
        ("gt", v.gt),
        ("gte", v.gte),
        ("lt", v.lt),
        ("lte", v.lte),
        ("contains", v.contains),
        ("exists", v.exists),
    )
    for name, value in operators:
        if value is not None:
            plain[name] = value
    return plain


def to_gaps(gaps: list[KafkaGap]) -> list[Gap]:
    return [Gap(partition=g.partition, from_=Long(g.start), to=Long(g.end)) for g in gaps]


def to_resets(resets: list[KafkaReset]) -> list[PartitionReset]:
    return [
        PartitionReset(
            partition=r.partition, requested=Long(r.requested), resumed_at=Long(r.resumed)
        )
        for r in resets
    ]


def gap_mode(value: OnGap | None) -> Literal["REPORT", "FAIL"]:
    return "FAIL" if value is OnGap.FAIL else "REPORT"
