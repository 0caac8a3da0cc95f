"""Parsed and validated documents, kept for the next request that sends the same text.

Clients send the same few documents over and over (only the variables change); parsing and
validating one again was most of a `produce` request's CPU. One cache belongs to one schema (the
gate of that schema holds it), and an entry is keyed on the document's text, so a cached answer is
always the one this schema gave this text.

Only what depends on nothing but the document and the schema is kept: the syntax tree, the
schema's validation errors (the structural caps of graphql/limits/structure.py, refusals included,
and graphql-core's rules with the introspection rule), and
each operation's requested cost by the shapes of the variables it read (graphql/limits/memo.py).
What depends on the caller (field-level authorization, budgets) runs on every request. Documents
that do not parse are not kept: they are answered by parsing them again.

The bound is in tokens, which is what an entry's memory follows (a syntax tree holds every token
of its document, comments too, ~450 bytes each), so many small documents or a few large ones fit
the same space; the least recently used go first. Text weighs too (the key, and the values of its
comments and strings, ~2 bytes a character): every 200 characters count as one more token, so a
long comment cannot make a large entry look small.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

from graphql import DocumentNode, GraphQLError

from kafka_graphql.graphql.limits.memo import CostMemo


@dataclass(slots=True)
class CachedDocument:
    """One document's parse, and what was derived from it so far."""

    document: DocumentNode
    weight: int
    # The schema's validation errors; None until validated once.
    errors: list[GraphQLError] | None = None
    # Per operation name: its requested costs, by the shapes of the variables
    # (graphql/limits/memo.py).
    costs: dict[str | None, CostMemo] = field(default_factory=dict)

    def cost_memo(self, operation_name: str | None) -> CostMemo:
        memo = self.costs.get(operation_name)
        if memo is None:
            memo = self.costs[operation_name] = CostMemo()
        return memo


CHARACTERS_PER_TOKEN = 200


def weight(text: str, document: DocumentNode) -> int:
    """What an entry counts against the bound, in tokens."""
    return token_count(document) + len(text) // CHARACTERS_PER_TOKEN


def token_count(document: DocumentNode) -> int:
    location = document.loc
    token = location.start_token if location is not None else None
    count = 0
    while token is not None:
        count += 1
        token = token.next
    return count


class DocumentCache:
    """A least-recently-used map of document text -> CachedDocument, holding at most
    `max_tokens` tokens of documents (0 keeps nothing)."""

    def __init__(self, max_tokens: int) -> None:
        self.max_tokens = max_tokens
        self._entries: OrderedDict[str, CachedDocument] = OrderedDict()
        self._tokens = 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def tokens(self) -> int:
        return self._tokens

    def get(self, text: str) -> CachedDocument | None:
        entry = self._entries.get(text)
        if entry is not None:
            self._entries.move_to_end(text)
        return entry

    def add(self, text: str, document: DocumentNode) -> CachedDocument | None:
        """Keeps `document` (parsed from `text`); None when it is larger than the whole cache."""
        tokens = weight(text, document)
        if tokens > self.max_tokens:
            return None
        old = self._entries.pop(text, None)
        if old is not None:
            self._tokens -= old.weight
        entry = CachedDocument(document, tokens)
        self._entries[text] = entry
        self._tokens += tokens
        while self._tokens > self.max_tokens:
            _, evicted = self._entries.popitem(last=False)
            self._tokens -= evicted.weight
        return entry
