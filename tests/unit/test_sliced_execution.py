"""Long lists completed in slices (graphql/sliced_execution.py) give what graphql-core's own
executor gives, byte for byte: data, errors and their paths (a nullable item that fails is null, a
non-null one nulls its list), items that await, and short lists left to graphql-core."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import strawberry

from kafka_graphql.core.slices import Slices
from kafka_graphql.graphql import sliced_execution
from kafka_graphql.graphql.sliced_execution import SLICED_ITEMS, SlicedExecutor


@strawberry.type
class Item:
    n: int

    @strawberry.field
    def checked(self) -> int | None:
        if self.n % 7 == 3:
            raise ValueError(f"item {self.n} is bad")
        return self.n

    @strawberry.field
    def strict(self) -> int:
        if self.n == 41:
            raise ValueError("item 41 is worse")
        return self.n

    @strawberry.field
    async def later(self) -> int:
        await asyncio.sleep(0)
        return self.n * 2


@strawberry.type
class Query:
    @strawberry.field
    def items(self, count: int) -> list[Item]:
        return [Item(n=n) for n in range(count)]

    @strawberry.field
    def numbers(self, count: int) -> list[list[int]]:
        return [[n, n + 1] for n in range(count)]


QUERIES = [
    "{ items(count: 200) { n checked later } }",
    "{ items(count: 200) { n strict } }",  # item 41 nulls the whole list
    "{ items(count: 5) { n checked } }",  # short: graphql-core's own path
    "{ numbers(count: 100) }",
    "{ a: items(count: 64) { later } b: items(count: 33) { checked } }",
]


def answer(result: Any) -> str:
    errors = [{"message": e.message, "path": e.path} for e in result.errors or []]
    return json.dumps({"data": result.data, "errors": errors}, sort_keys=True)


@pytest.mark.parametrize("query", QUERIES)
async def test_the_same_answer_as_graphql_core(query: str) -> None:
    plain = strawberry.Schema(query=Query)
    sliced = strawberry.Schema(query=Query, execution_context_class=SlicedExecutor)
    assert answer(await sliced.execute(query)) == answer(await plain.execute(query))


async def test_long_lists_pause(monkeypatch: pytest.MonkeyPatch) -> None:
    pauses: list[int] = []

    class Counting(Slices):
        def due(self) -> bool:
            return True

        async def pause(self) -> None:
            pauses.append(1)
            await super().pause()

    monkeypatch.setattr(sliced_execution, "Slices", Counting)
    schema = strawberry.Schema(query=Query, execution_context_class=SlicedExecutor)
    result = await schema.execute(f"{{ items(count: {SLICED_ITEMS}) {{ n }} }}")
    assert result.errors is None
    assert len(pauses) == SLICED_ITEMS  # one per item when always due
    pauses.clear()
    await schema.execute(f"{{ items(count: {SLICED_ITEMS - 1}) {{ n }} }}")
    assert pauses == []
