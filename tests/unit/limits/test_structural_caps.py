"""Depth and alias caps count the operation as it executes: fragments are expanded at every
spread, so a fragment spread many times counts that many times (no bypass by indirection)."""

from __future__ import annotations

from typing import Any

import pytest

from kafka_graphql.graphql.schema import build_schema
from kafka_graphql.settings.limits import LimitsSettings

# Ten aliases, written once in a fragment.
TEN = " ".join(f"a{i}: name" for i in range(10))


async def validation_errors(query: str, **limits: Any) -> list[tuple[str, str]]:
    """The validation refusals (an operation that passes them then fails to run: there is no
    gateway behind this schema; run asynchronously, so nothing is left un-awaited)."""
    schema = build_schema(LimitsSettings(**limits))
    result = await schema.execute(query)
    errors = [((e.extensions or {}).get("code"), e.message) for e in result.errors or ()]
    return [(str(c), message) for c, message in errors if c == "GRAPHQL_VALIDATION_FAILED"]


@pytest.mark.parametrize("spreads", [3, 4])
async def test_aliases_in_a_fragment_count_once_per_spread(spreads: int) -> None:
    spread = " ".join(f"s{i}: topics {{ ...Ten }}" for i in range(spreads))
    query = f"{{ {spread} }} fragment Ten on Topic {{ {TEN} }}"
    # `spreads` aliased fields, each spreading ten aliases.
    aliases = spreads + spreads * 10
    errors = await validation_errors(query, max_aliases=40)
    if aliases <= 40:
        assert errors == []
    else:
        assert errors == [("GRAPHQL_VALIDATION_FAILED", f"{aliases} aliases found. Allowed: 40")]


@pytest.mark.parametrize("depth", [1, 2, 3])
async def test_depth_through_nested_fragments_is_the_depth_written_out(depth: int) -> None:
    inlined = "{ topics { partitions { id } } }"
    fragments = """{ topics { ...A } }
        fragment A on Topic { partitions { ...B } }
        fragment B on Partition { id }"""
    refused = await validation_errors(inlined, max_query_depth=depth)
    assert await validation_errors(fragments, max_query_depth=depth) == refused
    # The cap bites at one of these depths and not at another: the comparison is not vacuous.
    expected = (
        []
        if depth >= 2
        else [
            ("GRAPHQL_VALIDATION_FAILED", f"'anonymous' exceeds maximum operation depth of {depth}")
        ]
    )
    assert refused == expected
