"""Which `[[topics]]` entries can never apply: checked at start-up, so that a broader pattern
listed first does not silently take a narrower one's `read_scopes` and `records` rule.

A topic gets the entry with its exact name, else the first pattern that matches it
(topics.py). So an entry is refused when no topic could ever get it:
- an exact name listed twice (the second one);
- a pattern whose every topic is an exact name of another entry or matched by an earlier
  pattern: `*` covers everything, `a.*` covers `a.b.*` and `a.b?`, and `a.[bc]*` together with an
  earlier `a.b*` and `a.c*` covers too;
- a pattern that matches no valid topic name.
An exact name listed after a pattern that matches it is not shadowed (exact names win).

Patterns are fnmatch globs (`*`, `?`, `[seq]`, `[!seq]`, no escapes), matched against names that
Kafka allows: ASCII letters, digits, `.`, `_` and `-`. Over that alphabet, containment of globs is
decided exactly, by running the patterns' automata side by side over every word (their states
are sets of positions in the pattern; the characters are grouped by what they match).
"""

from __future__ import annotations

import string
from collections.abc import Callable, Sequence
from fnmatch import fnmatchcase

# What Kafka accepts in a topic name (org.apache.kafka.common.internals.Topic).
LEGAL = string.ascii_letters + string.digits + "._-"
GLOB_CHARACTERS = "*?["
# Product states explored at most per check: beyond, the entry is let through (patterns this
# intricate are not what a configuration holds; the bound keeps start-up short).
MAX_STATES = 50_000

# A token: None for `*`, else the legal characters it matches.
Token = frozenset[str] | None
States = frozenset[int]


class ShadowedTopic(ValueError):
    """A `[[topics]]` entry that can never apply; the message names it and what covers it."""

    def __init__(self, index: int, message: str) -> None:
        super().__init__(message)
        self.index = index


def is_pattern(name: str) -> bool:
    return any(c in name for c in GLOB_CHARACTERS)


def check_topic_order(names: Sequence[str]) -> None:
    """Raise ShadowedTopic for the first entry of `names` (the `[[topics]]` names, in order)
    that no topic could ever get."""
    exact: dict[str, int] = {}
    for i, name in enumerate(names):
        if not is_pattern(name):
            if name in exact:
                raise ShadowedTopic(
                    i,
                    f'topics[{i}] ("{name}") repeats topics[{exact[name]}]: a topic gets the '
                    "first entry with its exact name, so this one is never used; merge them",
                )
            exact[name] = i
    for i, name in enumerate(names):
        if not is_pattern(name):
            continue
        if _search([name], lambda accepts: accepts[0]) is False:
            raise ShadowedTopic(
                i,
                f'topics[{i}] ("{name}") matches no valid topic name (Kafka allows letters, '
                "digits, '.', '_' and '-')",
            )
        earlier = [j for j in range(i) if is_pattern(names[j])]
        others = earlier + [j for j in exact.values() if j != i]
        for j in earlier:
            if covers([names[j]], name):
                raise ShadowedTopic(i, _shadowed(i, name, [j], names))
        if covers([names[j] for j in others], name):
            overlapping = [j for j in sorted(others) if overlaps(names[j], name)]
            raise ShadowedTopic(i, _shadowed(i, name, overlapping, names))


def _shadowed(i: int, name: str, by: list[int], names: Sequence[str]) -> str:
    entries = ", ".join(f'topics[{j}] ("{names[j]}")' for j in by)
    return (
        f'topics[{i}] ("{name}") is never used: every topic it matches goes to {entries} '
        "(a topic gets its exact name's entry, else the first pattern that matches it); list "
        "the narrower pattern first, or remove it"
    )


def covers(patterns: Sequence[str], pattern: str) -> bool:
    """Whether every valid topic name `pattern` matches is matched by one of `patterns`."""
    return _search([pattern, *patterns], lambda a: a[0] and not any(a[1:])) is False


def overlaps(first: str, second: str) -> bool:
    """Whether some valid topic name matches both."""
    return _search([second, first], lambda accepts: accepts[0] and accepts[1]) is not False


def _tokens(pattern: str) -> list[Token]:
    """The pattern's tokens, split as fnmatch.translate splits them; what a `[...]` set
    matches is asked of fnmatch itself, so that ranges and `!` mean what they mean there."""
    tokens: list[Token] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        i += 1
        if c == "*":
            tokens.append(None)
        elif c == "?":
            tokens.append(frozenset(LEGAL))
        elif c == "[":
            j = i
            if j < n and pattern[j] == "!":
                j += 1
            if j < n and pattern[j] == "]":
                j += 1
            while j < n and pattern[j] != "]":
                j += 1
            if j >= n:  # no closing bracket: a plain "["
                tokens.append(frozenset())
            else:
                group = pattern[i - 1 : j + 1]
                tokens.append(frozenset(x for x in LEGAL if fnmatchcase(x, group)))
                i = j + 1
        else:
            tokens.append(frozenset(c) & frozenset(LEGAL))
    return tokens


def _closure(tokens: list[Token], states: set[int]) -> States:
    # A `*` may match nothing: being before it is being after it too.
    todo = list(states)
    while todo:
        state = todo.pop()
        if state < len(tokens) and tokens[state] is None and state + 1 not in states:
            states.add(state + 1)
            todo.append(state + 1)
    return frozenset(states)


def _step(tokens: list[Token], states: States, character: str) -> States:
    after: set[int] = set()
    for state in states:
        if state < len(tokens):
            token = tokens[state]
            if token is None:
                after.add(state)
            elif character in token:
                after.add(state + 1)
    return _closure(tokens, after)


def _search(patterns: Sequence[str], goal: Callable[[list[bool]], bool]) -> bool | None:
    """Whether some non-empty valid name brings the patterns to a state where `goal` holds of
    which ones match it (None: not decided within MAX_STATES); names the first pattern cannot
    match are not followed."""
    automata = [_tokens(p) for p in patterns]
    # One character per group of characters that every token treats alike.
    groups: dict[tuple[bool, ...], str] = {}
    for character in LEGAL:
        signature = tuple(
            token is None or character in token for tokens in automata for token in tokens
        )
        groups.setdefault(signature, character)
    start = tuple(_closure(tokens, {0}) for tokens in automata)
    seen = {start}
    todo = [start]
    while todo:
        if len(seen) > MAX_STATES:
            return None
        state = todo.pop()
        for character in groups.values():
            following = tuple(
                _step(tokens, states, character)
                for tokens, states in zip(automata, state, strict=True)
            )
            if not following[0]:
                continue
            accepts = [len(tokens) in s for tokens, s in zip(automata, following, strict=True)]
            if goal(accepts):
                return True
            if following not in seen:
                seen.add(following)
                todo.append(following)
    return False
