"""The typed produce mutations (`produceOrder`, `produceOrders`), bound per topic."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import strawberry

from kafka_graphql.graphql.context import Info
from kafka_graphql.graphql.resolvers.access import writable_topic
from kafka_graphql.graphql.resolvers.convert import to_outgoing
from kafka_graphql.graphql.resolvers.mutation import check_batch_size, produce_records
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
        writable_topic(info.context, bound.topic)
        plain = input_to_plain(bound.generated, value)
        limits = info.context.settings.limits
        record = to_outgoing(plain, key, headers, partition, bound.records.encode, limits)
        return (await produce_records(info.context, bound.topic, [record], [plain]))[0]

    with_annotations(resolve, ProduceResult, value=value_input)
    return resolve


def produce_many_resolver(
    bound: BoundTopic, message_input: type[Any]
) -> Callable[..., Awaitable[list[ProduceResult]]]:
    async def resolve(info: Info, messages: list[Any]) -> list[ProduceResult]:
        writable_topic(info.context, bound.topic)
        check_batch_size(info.context, len(messages))
        # The whole batch is checked before anything is written: one bad message refuses it.
        values = [input_to_plain(bound.generated, m.value) for m in messages]
        limits = info.context.settings.limits
        records = [
            to_outgoing(
                value,
                _given(m.key),
                _given(m.headers),
                _given(m.partition),
                lambda plain, i=i: bound.records.encode(plain, i),  # type: ignore[misc]
                limits,
                ("messages", i),
            )
            for i, (m, value) in enumerate(zip(messages, values, strict=True))
        ]
        return await produce_records(info.context, bound.topic, records, values, batch=True)

    with_annotations(resolve, list[ProduceResult], messages=list[message_input])  # type: ignore[valid-type]
    return resolve


def _given(value: Any) -> Any:
    # A message input's optional fields are UNSET when left out (the SDL gives them no default).
    return None if value is strawberry.UNSET else value
