"""The `records` key of a `[[topics]]` entry: the record-level rule, and its start-up checks.

`records = { header = "tenant", claim = "tenant" }` or
`records = { value = "customer.tenantId", claim = "tenant" }`: a caller sees (and may write) only
records whose header, or value at the dotted path, equals the string claim of its token. With
`key_prefix = true`, every key it writes must also start with its claim and `:` (`acme:order-7`),
so that on a compacted topic no tenant can replace another's records (compaction keeps the
latest record of a key). What the rule does at run time is in record_rules.py; whether a typed
topic's schema has the path is checked when the schema is loaded (typed/paths.py); a compacted
topic under a rule without `key_prefix` is refused (compacted_topics.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


class RecordSettingsError(ValueError):
    """A problem in a `records` key; the message names it."""


# A path deeper than this is a mistake, not a schema (the filters' own bound, filters.py).
MAX_PATH_SEGMENTS = 32
# Between the claim and the rest of a key, with `key_prefix`: `acme:order-7`.
KEY_SEPARATOR = ":"


@dataclass(frozen=True, slots=True)
class RecordRule:
    # Exactly one of `header` (a header name) and `value` (a dotted path into the value).
    header: str | None = None
    value: str | None = None
    # The token claim (a string claim, such as `tenant` or `sub`) the header or value must equal.
    claim: str = ""
    # Writes: the key must start with the claim and `:` (KEY_SEPARATOR).
    key_prefix: bool = False

    @property
    def path(self) -> tuple[str, ...]:
        """The value path's segments; () for a header rule."""
        return tuple(self.value.split(".")) if self.value is not None else ()


def validate_record_rules(rules: Iterable[RecordRule | None], has_auth: bool) -> None:
    """Check each topic's `records` (in the order of `[[topics]]`); each problem names its key."""
    for i, rule in enumerate(rules):
        if rule is None:
            continue
        key = f"topics[{i}].records"
        if not has_auth:
            # A rule keyed on token claims, with no tokens, would only look like protection.
            raise RecordSettingsError(f"{key} needs an [auth] table")
        if (rule.header is None) == (rule.value is None):
            raise RecordSettingsError(f"{key} must set exactly one of header and value")
        if not rule.claim.strip() or rule.claim != rule.claim.strip():
            raise RecordSettingsError(
                f'{key}.claim is required: the token claim the records must match, e.g. "tenant"'
            )
        if rule.header is not None and (not rule.header or rule.header != rule.header.strip()):
            raise RecordSettingsError(f"{key}.header must be a header name, got {rule.header!r}")
        if rule.value is not None:
            segments = rule.path
            if any(not s or s != s.strip() for s in segments):
                raise RecordSettingsError(
                    f'{key}.value must be a dotted path such as "customer.tenantId", got '
                    f"{rule.value!r}"
                )
            if len(segments) > MAX_PATH_SEGMENTS:
                raise RecordSettingsError(
                    f"{key}.value may have at most {MAX_PATH_SEGMENTS} segments"
                )
