"""What a read lets through, compiled from a client's filter: the generic API's `filter` over
any topic (on a typed topic, over its values as the topic's schema decodes them), or a typed
topic's `where`. Both see a value as the caller does (its field view), so that a filter tells
nothing about fields the caller may not see; both are measured against the filter caps first.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from kafka_graphql.core.auth.field_masks import FieldView
from kafka_graphql.core.auth.principal import Principal
from kafka_graphql.core.cursor import CursorSealer
from kafka_graphql.core.filters.bounds import FilterSize, filter_caps, measure_filter
from kafka_graphql.core.filters.predicates import (
    Predicate,
    compile_filter,
    index_hint,
    spec_from_plain,
)
from kafka_graphql.core.gateway import Core
from kafka_graphql.core.typed.generic import caller_view, decoded_predicate
from kafka_graphql.core.typed.records import Decoded, TypedRecords
from kafka_graphql.core.typed.where import inspect_where
from kafka_graphql.core.typed.where.compile import compile_where, key_equality
from kafka_graphql.kafka import IndexHint, Record

# (key, decoded plain value or None) -> whether the record is wanted.
Matcher = Callable[[str | None, object], bool]

M = TypeVar("M")

# A face's message of a record the caller may see: (the record, as the caller sees it; the
# read's positions just after it, to copy if kept; its decoded value for the typed API, else
# None; the caller's view of the values; the cursor sealer) -> the face's message.
Build = Callable[[Record, Mapping[int, int], Decoded | None, FieldView, CursorSealer], M]


@dataclass(frozen=True, slots=True)
class MessageFilter:
    """The generic API's filter as plain data, in the names a request writes (`keyPrefix`,
    `value: [{path, eq}]`: core/filters/); None: every record."""

    plain: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class TypedWhere:
    """A typed topic's `where` as plain data (core/typed/where/); None: every record. Its
    records come back with their decoded values (`Decoded`)."""

    records: TypedRecords
    plain: Mapping[str, Any] | None = None


RecordFilter = MessageFilter | TypedWhere


@dataclass(frozen=True, slots=True)
class Selection:
    # The codec a record's value is decoded with: the typed API's, or the topic's when the
    # generic API reads a typed topic; None for an untyped topic.
    typed: TypedRecords | None
    view: FieldView
    # What the Kafka layer runs. A typed value whose writer schema is not fetched yet passes,
    # and is checked again once decoded.
    predicate: Predicate
    # Equalities `predicate` requires, for the live feed's filter index.
    hint: IndexHint | None
    # The typed API's compiled `where` (None for the generic API, or without `where`).
    matcher: Matcher | None
    typed_api: bool
    # The filter's size, what a page's filter actually cost per record; None: not reported.
    size: Callable[[], FilterSize] | None


def select(core: Core, principal: Principal, topic: str, given: RecordFilter) -> Selection:
    """Raises BadUserInput (with `extensions.path`) for a filter the caps refuse."""
    caps = filter_caps(core.settings.limits)
    if isinstance(given, MessageFilter):
        size = measure_filter(given.plain, caps)
        spec = spec_from_plain(given.plain)
        typed = core.typed.get(topic)
        view = caller_view(typed, principal.scopes)
        predicate = decoded_predicate(typed, view, compile_filter(spec))
        return Selection(typed, view, predicate, index_hint(spec), None, False, lambda: size)
    records, plain = given.records, given.plain
    matcher = None if plain is None else compile_where(records.topic.model, plain, caps)
    view = records.view(principal.scopes)
    key = None if plain is None else key_equality(plain)
    hint = None if key is None else IndexHint(key=key)

    def sized() -> FilterSize:
        return inspect_where(records.topic.model, plain, None).size

    predicate = wanted_now(records, matcher, view)
    return Selection(
        records, view, predicate, hint, matcher, True, None if matcher is None else sized
    )


def wanted_now(records: TypedRecords, matcher: Matcher | None, view: FieldView) -> Predicate:
    """The predicate the Kafka layer runs. A record whose writer schema is not fetched yet
    passes, and is checked again once decoded (`wanted`)."""

    def predicate(record: Record) -> bool:
        if matcher is None:
            return True
        decoded = records.decode_now(record)
        return decoded is None or wanted(matcher, record, decoded, view)

    return predicate


# The key a `where` sees of a record whose key is not UTF-8: present, and no string.
_BINARY_KEY: Any = object()


def wanted(matcher: Matcher | None, record: Record, decoded: Decoded, view: FieldView) -> bool:
    """Whether the caller wants the record. The filter sees the value as the caller does, so
    that it tells nothing about fields the caller may not see. A key that is not UTF-8 (shown
    in base64) matches no string condition, only `exists: true`."""
    if matcher is None:
        return True
    key = record.key if record.binary_key is None else _BINARY_KEY
    return matcher(key, view.value(decoded.value))
