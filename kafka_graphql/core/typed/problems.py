"""What value validation reports: where (a GraphQL-style path) and what is wrong."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

# (["items", 2, "sku"], "'x' does not match '^[A-Z]+$'")
Problem = tuple[list[str | int], str]


class ValueValidator(Protocol):
    def validate(self, value: object) -> list[Problem]:
        """Every problem of `value` (a plain JSON-like value); empty when it is valid."""
        ...


def parse_datetime(text: object) -> str | None:
    """Why `text` is not an ISO 8601 date-time with an offset, or None when it is one."""
    if not isinstance(text, str):
        return "expected an ISO 8601 date-time string"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return f"{text!r} is not an ISO 8601 date-time"
    if moment.tzinfo is None:
        return f"{text!r} has no UTC offset (add Z or +hh:mm)"
    return None
