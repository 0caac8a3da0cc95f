"""The root types with every typed topic's fields added to the generic API's."""

from __future__ import annotations

import types
from collections.abc import Iterable, Mapping
from typing import Any

import strawberry
from strawberry.types.field import StrawberryField

from kafka_graphql.core.typed.records import TypedRecords
from kafka_graphql.graphql.schema.root import Mutation, Query, Subscription
from kafka_graphql.graphql.schema.typed.topic import bind_topic
from kafka_graphql.graphql.schema.typed.values import GeneratedTypes


def typed_roots(
    typed: Iterable[TypedRecords], masks: Mapping[tuple[str, str], str] | None = None
) -> tuple[type[Any], type[Any], type[Any]]:
    """Query, Mutation and Subscription with the typed topics' fields (sorted by topic name,
    so that the SDL is the same on every start). `masks`: the fields masked for callers
    without a scope, which are nullable in output types."""
    generated = GeneratedTypes(masks)
    query: dict[str, StrawberryField] = {}
    mutation: dict[str, StrawberryField] = {}
    subscription: dict[str, StrawberryField] = {}
    for records in sorted(typed, key=lambda r: r.topic.rule.name):
        fields = bind_topic(generated, records)
        query.update(fields.query)
        mutation.update(fields.mutation)
        subscription.update(fields.subscription)
    return (
        _extend(Query, query),
        _extend(Mutation, mutation),
        _extend(Subscription, subscription),
    )


def _extend(base: type[Any], fields: dict[str, StrawberryField]) -> type[Any]:
    namespace: dict[str, Any] = {"__annotations__": {}}
    for name, field in fields.items():
        attribute = f"typed_{name}"
        namespace[attribute] = field
    cls = types.new_class(base.__name__, (base,), {}, lambda ns: ns.update(namespace))
    return strawberry.type(cls, name=base.__name__)
