"""graphql-core's validation context with its per-node caches keyed on identity.

graphql-core keeps what several rules ask of one node (the fragment spreads of a selection set,
the variables an operation or fragment uses) in dicts keyed on the node itself. Syntax-tree
nodes are frozen dataclasses whose hash is computed from their whole subtree, every time: each
lookup for an operation hashes the whole operation, and the variable rules look up every
operation and fragment, so a quarter of validating a large document went to hashing it, over
and over (measured: 21 ms of a 2,000-token document, 16 ms with these caches).

`IdentityCaches` is a validation rule that visits nothing: made with the context, before any
rule visits the document, it gives the context caches keyed on the node's identity (the same
answers: each key is a node of the document being validated, alive until validation ends).
"""

from __future__ import annotations

from typing import Any

from graphql import ValidationContext, ValidationRule

# The caches keyed on one node, in graphql-core 3.2 and 3.3 alike (3.3 keys the referenced
# fragments on a frozenset of names, which is cheap to hash: left as it is).
_NODE_KEYED = ("_fragment_spreads", "_variable_usages", "_recursive_variable_usages")


class _ByIdentity(dict[int, tuple[Any, Any]]):
    """The dict interface graphql-core uses on these caches, keyed on `id(key)`; the key is
    kept beside its value, so its id cannot be reused while the entry lives."""

    def get(self, key: Any, default: Any = None) -> Any:
        entry = super().get(id(key))
        return default if entry is None else entry[1]

    def __getitem__(self, key: Any) -> Any:
        return super().__getitem__(id(key))[1]

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(id(key), (key, value))

    def __contains__(self, key: object) -> bool:
        return super().__contains__(id(key))


class IdentityCaches(ValidationRule):
    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        for name in _NODE_KEYED:
            cache = getattr(context, name, None)
            if type(cache) is dict and not cache:
                setattr(context, name, _ByIdentity())
