"""The `records` key of a `[[topics]]` entry: the record-level rule, and its start-up checks.

`records = { header = "tenant", claim = "tenant" }` or
`records = { value = "customer.tenantId", claim = "tenant" }`: a caller sees (and may write) only
records whose header, or value at the dotted path, equals the string claim of its token. With
`key_prefix = true`, every key it writes must also start with its claim and `:` (`acme:order-7`),
so that on a compacted topic no tenant can replace another's records (compaction keeps the
latest record of a key). What the rule does at run time is in record_rules.py; whether a typed
topic's schema has the path is checked when the schema is loaded (typed/paths.py); a compacted
topic under a rule without `key_prefix` is refused (compacted_topics.py); that the rule needs an
`[auth]` table is checked with the whole configuration (settings/model.py).
"""

from __future__ import annotations

from typing import Self

from pydantic import Field, model_validator

from kafka_graphql.settings.fields import Table, loading, refuse

# A path deeper than this is a mistake, not a schema (the filters' own bound, filters.py).
MAX_PATH_SEGMENTS = 32
# Between the claim and the rest of a key, with `key_prefix`: `acme:order-7`.
KEY_SEPARATOR = ":"


class RecordRule(Table):
    """Which records of a topic a caller sees and may write: exactly one of `header` and
    `value` names where a record's owner is written, `claim` the token claim it must equal."""

    header: str | None = None
    """the header that names a record's owner. The gateway stamps it from the caller's claim on
    every write and refuses a write that sets it to anything else (`FORBIDDEN`)"""
    value: str | None = None
    """instead of `header`: a dotted path into the value (a typed topic's value, or a JSON value),
    which must hold the caller's claim, as text or a whole number; a write whose value does
    not is refused (`FORBIDDEN`). On a typed topic the path must lead through object fields
    of the schema to a `String`, `Int`, `Long` or enum field, or start-up stops"""
    claim: str = Field("", json_schema_extra={"unset": "(required)"})
    """the token claim to compare with, e.g. `tenant` or `sub`. A caller without it (or with it
    empty) reads no records and writes none"""
    key_prefix: bool = False
    """every key a caller writes must start with its claim and `:` (`acme:order-7`), else the
    write is `FORBIDDEN` (a record without a key too) and nothing is written, so that no
    tenant can replace another's records on a compacted topic. Required on a compacted
    topic ([security.md](security.md#compacted-topics))"""

    @property
    def path(self) -> tuple[str, ...]:
        """The value path's segments; () for a header rule."""
        return tuple(self.value.split(".")) if self.value is not None else ()

    @model_validator(mode="after")
    def _check(self) -> Self:
        if loading() is not None:
            refuse("RecordRule", [((), text) for text in record_rule_problems(self)])
        return self


def record_rule_problems(rule: RecordRule) -> list[str]:
    """What is wrong with one `records` rule (`{key}`: `topics[i].records`)."""
    found: list[str] = []
    if (rule.header is None) == (rule.value is None):
        found.append("{key} must set exactly one of header and value")
    if not rule.claim.strip() or rule.claim != rule.claim.strip():
        found.append(
            '{key}.claim is required: the token claim the records must match, e.g. "tenant"'
        )
    if rule.header is not None and (not rule.header or rule.header != rule.header.strip()):
        found.append(f"{{key}}.header must be a header name, got {rule.header!r}")
    if rule.value is not None:
        segments = rule.path
        if any(not s or s != s.strip() for s in segments):
            found.append(
                '{key}.value must be a dotted path such as "customer.tenantId", got '
                f"{rule.value!r}"
            )
        if len(segments) > MAX_PATH_SEGMENTS:
            found.append(f"{{key}}.value may have at most {MAX_PATH_SEGMENTS} segments")
    return found
