"""The typed produce mutations (`produceOrder`, `produceOrders`), bound per topic."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import strawberry

from kafka_graphql.core.produce import NewRecord, produce
from kafka_graphql.graphql.context import Info
from kafka_graphql.graphql.resolvers.mutation import to_produce_result
from kafka_graphql.graphql.resolvers.typed.bound import BoundTopic, with_annotations
from kafka_graphql.graphql.resolvers.typed.values import input_to_plain
from kafka_graphql.graphql.schema.inputs import HeaderInput
from kafka_graphql.graphql.schema.types import ProduceResult


def produce_one_resolver(
    bound: BoundTopic, value_input: type[Any]
) -> Callable[..., Awaitable[ProduceResult]]:
    async def resolve(
        info: Info,
        value: Any,
        key: str | None = None,
        headers: list[HeaderInput] | None = None,
        partition: int | None = None,
    ) -> ProduceResult:
        record = NewRecord(input_to_plain(bound.generated, value), key, headers, partition)
        context = info.context
        written = await produce(context.core, context.principal, bound.topic, [record])
        return to_produce_result(written[0])

    with_annotations(resolve, ProduceResult, value=value_input)
    return resolve


def produce_many_resolver(
    bound: BoundTopic, message_input: type[Any]
) -> Callable[..., Awaitable[list[ProduceResult]]]:
    async def resolve(info: Info, messages: list[Any]) -> list[ProduceResult]:
        records = [
            NewRecord(
                input_to_plain(bound.generated, m.value),
                _given(m.key),
                _given(m.headers),
                _given(m.partition),
            )
            for m in messages
        ]
        context = info.context
        written = await produce(
            context.core, context.principal, bound.topic, records, batch="messages"
        )
        return [to_produce_result(w) for w in written]

    with_annotations(resolve, list[ProduceResult], messages=list[message_input])  # type: ignore[valid-type]
    return resolve


def _given(value: Any) -> Any:
    # A message input's optional fields are UNSET when left out (the SDL gives them no default).
    return None if value is strawberry.UNSET else value
