"""The generic `messages` API on a typed topic: the value decoded with the topic's codec (Avro
bytes as the object they hold), falling back to the generic decoding when it does not decode.

The value is the caller's view of it (core/auth/field_masks.py): masked fields null, guarded ones
left out, and no fallback for a caller that may not see every field (the bytes hold them all).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Set

from kafka_graphql.core.auth.field_masks import FULL_VIEW, FieldView
from kafka_graphql.core.typed.records import Decoded, TypedRecords
from kafka_graphql.kafka import Record

Predicate = Callable[[Record], bool]


def caller_view(typed: TypedRecords | None, scopes: Set[str]) -> FieldView:
    return FULL_VIEW if typed is None else typed.view(scopes)


def decoded_predicate(
    typed: TypedRecords | None, view: FieldView, predicate: Predicate
) -> Predicate:
    """`predicate` seeing the decoded value, as the client does (so a filter tells nothing about
    fields the caller may not see)."""
    if typed is None:
        return predicate

    def check(record: Record) -> bool:
        decoded = typed.decode_now(record)
        # Not decodable without the registry yet: the record is checked again once decoded.
        return decoded is None or predicate(_as_seen(record, decoded, view))

    return check


async def decoded_record(typed: TypedRecords | None, view: FieldView, record: Record) -> Record:
    if typed is None:
        return record
    return _as_seen(record, await typed.decode(record), view)


def _as_seen(record: Record, decoded: Decoded, view: FieldView) -> Record:
    # `value_error` belongs to the generic decoding: with the codec's value, or with no value
    # for a caller that may not see every field, it says nothing.
    if decoded.value is not None:
        return dataclasses.replace(record, value=view.value(decoded.value), value_error=None)
    if view.full:
        return record  # the generic decoding of bytes that do not decode or match the schema
    return dataclasses.replace(record, value=None, value_error=None)
