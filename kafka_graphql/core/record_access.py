"""The record-level rule of a topic, for one caller: what its reads let through and what its
writes must carry (the rule itself: core/record_rules.py).

`kafka:admin` is not bound by record rules: it reads every record, those without the header
included, and its writes are written as given (nothing stamped, nothing refused), so that an
operator can repair, replay or write on behalf of any tenant.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from kafka_graphql.core.auth.field_masks import FULL_VIEW
from kafka_graphql.core.auth.principal import Principal
from kafka_graphql.core.auth.scopes import ADMIN
from kafka_graphql.core.compacted_topics import check_write
from kafka_graphql.core.filters.predicates import Predicate
from kafka_graphql.core.gateway import Core
from kafka_graphql.core.items import Item
from kafka_graphql.core.record_rules import (
    caller_claim,
    checked_write,
    compile_record_rule,
    record_rule_hint,
)
from kafka_graphql.core.typed.generic import decoded_predicate
from kafka_graphql.core.typed.records import TypedRecords
from kafka_graphql.kafka import IndexHint, OutgoingRecord, Record
from kafka_graphql.settings import RecordRule


def record_rule(core: Core, principal: Principal, topic: str) -> RecordRule | None:
    """The rule that binds this caller on an exposed `topic`; None when there is none."""
    rule = core.topics.rule_for(topic)
    assert rule is not None
    if rule.records is None or ADMIN in principal.scopes:
        return None
    # Settings refuse `records` without [auth]; a caller is then always a token's or anonymous.
    assert core.settings.auth is not None
    return rule.records


@dataclass(frozen=True, slots=True)
class ReadGuard:
    # Runs in the Kafka layer with the client's filter. On a typed topic it lets through a
    # record whose writer schema is not fetched yet, which `visible` decides once it is.
    prefilter: Predicate
    # Exact, for a record whose value has been decoded (awaited) by then.
    visible: Predicate
    # A header rule's equality, for the live feed's filter index.
    hint: IndexHint | None = None


def read_guard(core: Core, principal: Principal, topic: str) -> ReadGuard | None:
    rule = record_rule(core, principal, topic)
    if rule is None:
        return None
    claim = caller_claim(rule, principal.claims)
    predicate = compile_record_rule(rule, claim)
    typed = core.typed.get(topic)
    if typed is None or rule.header is not None:
        return ReadGuard(predicate, predicate, record_rule_hint(rule, claim))
    # A typed topic's rule reads the value as its schema decodes it, as `where` does, but whole:
    # a field hidden from the caller still decides which records are the caller's.
    return ReadGuard(
        decoded_predicate(typed, FULL_VIEW, predicate), _once_decoded(typed, predicate)
    )


def _once_decoded(typed: TypedRecords, predicate: Predicate) -> Predicate:
    def check(record: Record) -> bool:
        decoded = typed.decode_now(record)
        if decoded is None:
            # Its writer schema could not be fetched: the value is unknown, so is its owner.
            return False
        if decoded.value is None:
            # Not valid for the schema: judged by the value as the generic API shows it.
            return predicate(record)
        return predicate(dataclasses.replace(record, value=decoded.value))

    return check


def checked_writes(
    core: Core,
    principal: Principal,
    topic: str,
    records: Sequence[OutgoingRecord],
    values: Sequence[object],
    items: Sequence[Item | None],
) -> list[OutgoingRecord]:
    """`records` as they may be written (headers stamped), or FORBIDDEN for the first that may
    not be: then none is. `values` are the plain values they were encoded from."""
    rule = record_rule(core, principal, topic)
    if rule is None:
        return list(records)
    claim = caller_claim(rule, principal.claims)
    return [
        checked_write(rule, claim, topic, record, value, item)
        for record, value, item in zip(records, values, items, strict=True)
    ]


async def check_compaction(core: Core, principal: Principal, topic: str) -> None:
    """FORBIDDEN for a caller bound by a record rule without `key_prefix` when `topic` is
    compacted (core/compacted_topics.py)."""
    bound = record_rule(core, principal, topic)
    if bound is None:
        return
    rule = core.topics.rule_for(topic)
    assert rule is not None
    await check_write(core.kafka, core.settings.topics, rule, bound, topic)
