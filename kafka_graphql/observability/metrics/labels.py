"""Label values with a bound: a metric's series are as many as its labels' values multiply to, so
every label that comes from a caller or the cluster takes at most so many values, and the rest
share one, `"other"`.

A value keeps the label it got first (one it was refused stays `"other"`, one it was given stays
its own), so a gauge's increment and decrement always land on the same series.
"""

from __future__ import annotations

import re
from collections.abc import Callable

OTHER = "other"
# GraphQL's Name, no longer than this: an operation's name is a label, never a document.
MAX_NAME_CHARS = 100
_OPERATION_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*")
_CODE = re.compile(r"[A-Z][A-Z0-9_]*")
_WORD = re.compile(r"[a-z][a-z0-9_.-]*")


class Bounded:
    """At most `limit` distinct values that `admits` accepts; every other value is `"other"`."""

    def __init__(self, limit: int, admits: Callable[[str], bool] = lambda _: True) -> None:
        self._limit = limit
        self._admits = admits
        self._admitted: set[str] = set()

    def __call__(self, value: str) -> str:
        if value in self._admitted:
            return value
        if len(self._admitted) < self._limit and value != OTHER and self._admits(value):
            self._admitted.add(value)
            return value
        return OTHER

    def __len__(self) -> int:
        return len(self._admitted)


def is_operation_name(name: str) -> bool:
    return len(name) <= MAX_NAME_CHARS and _OPERATION_NAME.fullmatch(name) is not None


def is_code(code: str) -> bool:
    """An error code (`RATE_LIMITED`): upper case, digits and underscores."""
    return len(code) <= MAX_NAME_CHARS and _CODE.fullmatch(code) is not None


def is_word(word: str) -> bool:
    """A lower-case word (`bad_signature`, `graphql-transport-ws`)."""
    return len(word) <= MAX_NAME_CHARS and _WORD.fullmatch(word) is not None


class OperationNames:
    """`operation_name` values: at most `limit` names, `""` for an operation without one."""

    def __init__(self, limit: int) -> None:
        self._bounded = Bounded(limit, is_operation_name)

    def __call__(self, name: str | None) -> str:
        return "" if not name else self._bounded(name)
