"""The filter index of a live feed: which subscribers a record can be for, found without asking
each of them.

A subscriber whose filter requires the record key to be K, or a header `name` with the value V,
is filed under that key or header pair; a record is offered to the subscribers filed under its
key and its header pairs, and to every subscriber that is filed under nothing. That is only a
pre-selection: each subscriber still runs its whole predicate on what it is offered, so the index
can skip work but never change which records a subscriber gets.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from kafka_graphql.kafka.records import Record

S = TypeVar("S", bound=Hashable)

# (None, key) or (header name, value): the one equality a subscriber is filed under.
Slot = tuple[str | None, str]


@dataclass(frozen=True, slots=True)
class IndexHint:
    """Equalities that every record a subscriber accepts satisfies: its key is `key`, and it
    carries each (name, value) of `headers`. Any one of them is a safe place to file it."""

    key: str | None = None
    headers: tuple[tuple[str, str], ...] = ()

    def slot(self) -> Slot | None:
        # The key first: it is what keyed topics are partitioned and filtered by.
        if self.key is not None:
            return (None, self.key)
        if self.headers:
            return self.headers[0]
        return None

    def __and__(self, other: IndexHint | None) -> IndexHint:
        """The hint of both filters at once (a record must satisfy both)."""
        if other is None:
            return self
        return IndexHint(
            self.key if self.key is not None else other.key, self.headers + other.headers
        )


def both(first: IndexHint | None, second: IndexHint | None) -> IndexHint | None:
    return second if first is None else first & second


class FeedIndex(Generic[S]):
    """The receiving subscribers of one feed, filed by the slot of their hint."""

    def __init__(self) -> None:
        self._slots: dict[S, Slot] = {}
        # Per key, and per (header name, value): the subscribers filed there, in join order.
        self._by_key: dict[str, dict[S, None]] = {}
        self._by_header: dict[tuple[str, str], dict[S, None]] = {}
        self.unfiled: dict[S, None] = {}

    def hint(self, subscriber: S, hint: IndexHint | None) -> None:
        """Say where `subscriber` is filed while it receives (before it is added)."""
        slot = hint.slot() if hint is not None else None
        if slot is not None:
            self._slots[subscriber] = slot

    def add(self, subscriber: S) -> None:
        slot = self._slots.get(subscriber)
        if slot is None:
            self.unfiled[subscriber] = None
        elif slot[0] is None:
            self._by_key.setdefault(slot[1], {})[subscriber] = None
        else:
            self._by_header.setdefault((slot[0], slot[1]), {})[subscriber] = None

    def discard(self, subscriber: S) -> None:
        """Stop offering to `subscriber` (it may be added again)."""
        self.unfiled.pop(subscriber, None)
        slot = self._slots.get(subscriber)
        if slot is None:
            return
        if slot[0] is None:
            _remove(self._by_key, slot[1], subscriber)
        else:
            _remove(self._by_header, (slot[0], slot[1]), subscriber)

    def forget(self, subscriber: S) -> None:
        self.discard(subscriber)
        self._slots.pop(subscriber, None)

    def clear(self) -> None:
        self._slots.clear()
        self._by_key.clear()
        self._by_header.clear()
        self.unfiled.clear()

    def filed_subscribers(self) -> list[S]:
        return [s for index in (self._by_key, self._by_header) for f in index.values() for s in f]

    @property
    def filed(self) -> bool:
        return bool(self._by_key or self._by_header)

    def route(self, records: Iterable[Record]) -> dict[S, list[Record]]:
        """Per filed subscriber, the records of `records` (in order) it may want."""
        routed: dict[S, list[Record]] = {}
        by_key, by_header = self._by_key, self._by_header
        for record in records:
            if by_key and record.key is not None:
                for subscriber in by_key.get(record.key, ()):
                    routed.setdefault(subscriber, []).append(record)
            if by_header and record.headers:
                # A set: a record may carry the same header pair twice, and is offered once.
                # A name or value that is not UTF-8 (None here) equals no filter's text.
                pairs = {
                    (h.key, h.value)
                    for h in record.headers
                    if h.key is not None and h.value is not None
                }
                for h in pairs:
                    for subscriber in by_header.get(h, ()):
                        routed.setdefault(subscriber, []).append(record)
        return routed


K = TypeVar("K")


def _remove(index: dict[K, dict[S, None]], slot: K, subscriber: S) -> None:
    filed = index.get(slot)
    if filed is not None:
        filed.pop(subscriber, None)
        if not filed:
            del index[slot]
