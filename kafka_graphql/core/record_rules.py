"""Record-level rules at run time: which records a caller sees, and what its writes must carry.

A rule and the caller's claim are compiled once per request into a predicate of the same kind as
a client filter (filters/predicates.py), so that it runs where filters run: in the Kafka layer,
before a record is queued for a subscriber or counted into a page.

Reading, a record is seen when
- header rule: it has the header, and every header of that name (Kafka allows several) is the
  claim. A record without it is seen by nobody but `kafka:admin`;
- value rule: the value at the path is the claim: a string equal to it, or a whole number whose
  decimal text is (JSON Web Token claims are strings, tenant ids are often numbers). A missing
  path, null or any other value matches no claim.
A caller without the claim (or with an empty one) sees nothing and writes nothing.

Writing, a header rule stamps the header from the claim on every record, and refuses a record
whose client-given header says anything else; a value rule refuses a value that does not carry
the claim at its path; with `key_prefix`, a record whose key does not start with the claim and
`:` (or that has no key) is refused too. All refuse with FORBIDDEN before anything is written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from kafka_graphql.core.errors import Forbidden
from kafka_graphql.core.filters.predicates import Predicate
from kafka_graphql.core.items import Item
from kafka_graphql.kafka import IndexHint, OutgoingRecord, Record
from kafka_graphql.settings.records import KEY_SEPARATOR, RecordRule

ABSENT = object()


def caller_claim(rule: RecordRule, claims: Mapping[str, str]) -> str | None:
    """The caller's value of the rule's claim; None when it has none (an empty claim is none)."""
    return claims.get(rule.claim) or None


def match_nothing(_: Record) -> bool:
    return False


def compile_record_rule(rule: RecordRule, claim: str | None) -> Predicate:
    """The predicate of the records a caller with `claim` sees. It reads `record.value`, so a
    typed topic hands it the decoded value, as it does a client filter."""
    if claim is None:
        return match_nothing
    if rule.header is not None:
        name = rule.header

        def header_check(record: Record) -> bool:
            values = [h.value for h in record.headers if h.key == name]
            return bool(values) and all(v == claim for v in values)

        return header_check
    path = rule.path
    return lambda record: is_claim(value_at(record.value, path), claim)


def record_rule_hint(rule: RecordRule, claim: str | None) -> IndexHint | None:
    """A header rule's equality (the caller's records carry the header with its claim), for
    the live feed's filter index; None for a value rule or a caller without the claim."""
    if rule.header is None or claim is None:
        return None
    return IndexHint(headers=((rule.header, claim),))


def value_at(value: object, path: Sequence[str]) -> object:
    """The value at a dotted path through objects; ABSENT when there is none."""
    for segment in path:
        if not isinstance(value, dict) or segment not in value:
            return ABSENT
        value = value[segment]
    return value


def is_claim(found: object, claim: str) -> bool:
    if isinstance(found, str):
        return found == claim
    if isinstance(found, int) and not isinstance(found, bool):
        return str(found) == claim
    return False


def _check_key(rule: RecordRule, claim: str, key: bytes | None, item: Item | None) -> None:
    prefix = f"{claim}{KEY_SEPARATOR}"
    if key is not None and key.startswith(prefix.encode()):
        return
    where = f"{item}: " if item is not None else ""
    path: list[str | int] = [*item.path, "key"] if item is not None else ["key"]
    extensions: dict[str, object] = {"path": path}
    if item is not None:
        extensions["index"] = item.index
    problem = "has no key" if key is None else f"has a key that does not start with {prefix!r}"
    raise Forbidden(
        f"{where}the record {problem}: every key written to this topic starts with the "
        f"token's {rule.claim!r} claim and {KEY_SEPARATOR!r} ({prefix!r})",
        **extensions,
    )


def checked_write(
    rule: RecordRule,
    claim: str | None,
    topic: str,
    record: OutgoingRecord,
    value: object,
    item: Item | None = None,
) -> OutgoingRecord:
    """`record` as it may be written by a caller with `claim` (the header stamped), or FORBIDDEN.
    `value` is the plain value the record's bytes were encoded from; `item` its place in a
    batch."""
    where = f"{item}: " if item is not None else ""
    extensions = {"index": item.index} if item is not None else {}
    if claim is None:
        raise Forbidden(
            f"{where}no permission to write to topic {topic!r}: its records belong to the "
            f"{rule.claim!r} claim, which the token does not carry",
            **extensions,
        )
    if rule.key_prefix:
        _check_key(rule, claim, record.key, item)
    if rule.header is None:
        if not is_claim(value_at(value, rule.path), claim):
            raise Forbidden(
                f"{where}the value's {rule.value} must be the token's {rule.claim!r} claim",
                **extensions,
            )
        return record
    stamped = claim.encode()
    others = []
    for name, given in record.headers:
        if name != rule.header:
            others.append((name, given))
        elif given != stamped:
            raise Forbidden(
                f"{where}header {rule.header!r} is set by the gateway from the token's "
                f"{rule.claim!r} claim; it may not be set to anything else",
                **extensions,
            )
    return OutgoingRecord(
        value=record.value,
        key=record.key,
        headers=(*others, (rule.header, stamped)),
        partition=record.partition,
        timestamp_ms=record.timestamp_ms,
    )
