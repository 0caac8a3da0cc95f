"""Which topics a caller's scopes let it read and write.

By convention `kafka:read:<glob>` and `kafka:write:<glob>` (globs as in the topic list, so
`kafka:read:*` reads every exposed topic), and `kafka:admin` allows everything. A topic whose
rule sets `read_scopes` / `write_scopes` asks for one of those instead of the convention.
Field-level rules (`field_scopes`, `mask`) ask for one of theirs, or `kafka:admin`, alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Set
from fnmatch import fnmatchcase

from kafka_graphql.settings import TopicRule

ADMIN = "kafka:admin"
READ = "kafka:read:"
WRITE = "kafka:write:"


def may_read(scopes: Set[str], rule: TopicRule, topic: str) -> bool:
    return _allowed(scopes, rule.read_scopes, READ, topic)


def may_write(scopes: Set[str], rule: TopicRule, topic: str) -> bool:
    return _allowed(scopes, rule.write_scopes, WRITE, topic)


def may_see(scopes: Set[str], required: Iterable[str]) -> bool:
    """Field-level rules: one of the `required` scopes (any of them, like `read_scopes`), or
    `kafka:admin`. An empty `required` leaves only `kafka:admin`."""
    return ADMIN in scopes or not scopes.isdisjoint(required)


def _allowed(scopes: Set[str], configured: tuple[str, ...] | None, prefix: str, topic: str) -> bool:
    if ADMIN in scopes:
        return True
    if configured is not None:
        return not scopes.isdisjoint(configured)
    return any(
        fnmatchcase(topic, scope[len(prefix) :])
        for scope in scopes
        if scope.startswith(prefix) and len(scope) > len(prefix)
    )
