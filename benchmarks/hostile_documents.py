"""The hostile documents of V1 (benchmarks/validation.py): families of documents, each a function
of a size, from the shapes that made validation superlinear (docs/limits.md#validation-is-linear)
and from what is simply large."""

from __future__ import annotations

from collections.abc import Callable

Family = Callable[[int], str]


def _chain(spread: Callable[[int], str]) -> Family:
    """F0 spreads F1 several times, F1 spreads F2 ...: doubling (or more) at each level."""

    def family(n: int) -> str:
        fragments = [f"fragment F{i} on Topic {{ name {spread(i + 1)} }}" for i in range(n)]
        return "{ topics { ...F0 } } " + " ".join(fragments) + f" fragment F{n} on Topic {{ name }}"

    return family


GENERIC: dict[str, Family] = {
    "spread chain x2": _chain(lambda i: f"...F{i} ...F{i}"),
    "spread chain x3": _chain(lambda i: f"...F{i} ...F{i} ...F{i}"),
    "spread chain through inline fragments": _chain(
        lambda i: f"... on Topic {{ ...F{i} }} ... {{ ...F{i} }}"
    ),
    "spread chain with directives": _chain(
        lambda i: f"...F{i} @include(if: true) ...F{i} @skip(if: false)"
    ),
    "spread chain under aliases": lambda n: (
        "{ topics { ...F0 } } "
        + " ".join(
            f"fragment F{i} on Topic {{ a{i}: partitions {{ id }} ...F{i + 1} ...F{i + 1} }}"
            for i in range(n)
        )
        + f" fragment F{n} on Topic {{ name }}"
    ),
    "same-named fields under same-named fields": lambda n: (
        "{ " + " ".join("topics { " + "name " * n + "}" for _ in range(n)) + " }"
    ),
    "same-named composite fields": lambda n: (
        "{ "
        + " ".join("topics { partitions { id earliestOffset latestOffset } }" for _ in range(n))
        + " }"
    ),
    "fragments spread in one selection set": lambda n: (
        "{ topics { "
        + " ".join(f"...A{i}" for i in range(n))
        + " } } fragment B on Topic { name } "
        + " ".join(f"fragment A{i} on Topic {{ ...B }}" for i in range(n))
    ),
    "fragments with arguments and variables": lambda n: (
        "query($v: String!) { "
        + " ".join(f"...F{i}" for i in range(n))
        + " } "
        + " ".join(f"fragment F{i} on Query {{ topic(name: $v) {{ name }} }}" for i in range(n))
    ),
    "operations sharing a fragment chain": lambda n: (
        " ".join(f"query Q{i} {{ topics {{ ...F0 }} }}" for i in range(n))
        + " "
        + " ".join(f"fragment F{i} on Topic {{ ...F{i + 1} }}" for i in range(n))
        + f" fragment F{n} on Topic {{ name }}"
    ),
    "variables and directives": lambda n: (
        "query("
        + " ".join(f"$v{i}: Boolean!" for i in range(n))
        + ") { topics { "
        + " ".join(f"name @include(if: $v{i}) @skip(if: $v{i})" for i in range(n))
        + " } }"
    ),
    "unknown fields, each with suggestions": lambda n: (
        "{ topics { " + " ".join(f"nam{i}" for i in range(n)) + " } }"
    ),
    "unused variables": lambda n: (
        "query(" + " ".join(f"$v{i}: String" for i in range(n)) + ") { topics { name } }"
    ),
    "aliases, wide and deep": lambda n: (
        "{ "
        + " ".join(
            f'a{i}: messages(topic: "t", limit: 1) {{ messages {{ topic partition offset '
            "timestamp key value headers { key value } cursor skipped } nextCursor hasMore }"
            for i in range(min(n, 30))
        )
        + " topics { name partitions { id earliestOffset latestOffset } } " * max(0, n - 30)
        + " }"
    ),
    "large list literal": lambda n: (
        '{ messages(topic: "t", partitions: ['
        + ", ".join(str(i) for i in range(n))
        + "]) { hasMore } }"
    ),
    "nested filter literal": lambda n: (
        '{ messages(topic: "t", filter: { value: ['
        + ", ".join(f'{{ path: "p{i}", in: [1, "a", true, {{ x: [1] }}] }}' for i in range(n))
        + "] }) { hasMore } }"
    ),
    "introspection, deep": lambda n: (
        "{ __schema { types { name fields { type "
        + "{ ofType " * n
        + "{ name }"
        + " }" * n
        + " } } } }"
    ),
}

TYPED: dict[str, Family] = {
    "typed: every field, aliased pages": lambda n: (
        "{ "
        + " ".join(
            f"o{i}: orders(first: 1) {{ edges {{ cursor node {{ offset key value {{ id placedAt "
            "status customer { id name email } items { sku name quantity unitPrice } total "
            "currency "
            "shippingAddress { street city postalCode country } couponCode tags } "
            "schemaErrors } } pageInfo { endCursor hasNextPage } }"
            for i in range(n)
        )
        + " }"
    ),
    "typed: nested where": lambda n: (
        "{ orders(where: "
        + "{ and: [" * n
        + '{ id: { eq: "x" } }'
        + "] }" * n
        + ") { pageInfo { hasNextPage } } }"
    ),
    "typed: where with many conditions": lambda n: (
        "{ orders(where: { or: ["
        + ", ".join(
            f'{{ id: {{ in: ["a{i}", "b", "c"] }}, total: {{ gt: {i} }} }}' for i in range(n)
        )
        + "] }) { pageInfo { hasNextPage } } }"
    ),
    "typed: fragments on a union of members": lambda n: (
        "{ orders(first: 1) { edges { node { ...M0 } } } } "
        + " ".join(
            f"fragment M{i} on OrderMessage {{ value {{ id ...V{i} }} ...M{i + 1} }} "
            f"fragment V{i} on Order {{ customer {{ name }} }}"
            for i in range(n)
        )
        + f" fragment M{n} on OrderMessage {{ offset }}"
    ),
}


# Generic families measured against the typed schema too (it is larger: more to look up).
TYPED_TOO = ("aliases, wide and deep", "variables and directives")
