"""The generic `messages` API on a typed topic: the value decoded with the topic's codec (Avro
bytes as the object they hold), falling back to the generic decoding when it does not decode."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from kafka_graphql.kafka import Record
from kafka_graphql.resolvers.typed.records import TypedRecords

Predicate = Callable[[Record], bool]


def _with_value(record: Record, value: object) -> Record:
    return record if value is None else dataclasses.replace(record, value=value)


def decoded_predicate(typed: TypedRecords | None, predicate: Predicate) -> Predicate:
    """`predicate` seeing the decoded value, as the client does."""
    if typed is None:
        return predicate

    def check(record: Record) -> bool:
        decoded = typed.decode_now(record)
        # Not decodable without the registry yet: the record is checked again once decoded.
        return decoded is None or predicate(_with_value(record, decoded.value))

    return check


async def decoded_record(typed: TypedRecords | None, record: Record) -> Record:
    if typed is None:
        return record
    return _with_value(record, (await typed.decode(record)).value)
