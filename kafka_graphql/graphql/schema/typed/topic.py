"""One typed topic's GraphQL surface: its message, edge, connection and input types, and its
root fields bound to resolvers as closures over the topic."""

from __future__ import annotations

import types
from dataclasses import dataclass
from typing import Any, Optional

import strawberry
from strawberry.types.field import StrawberryField

from kafka_graphql.core.typed.records import TypedRecords
from kafka_graphql.core.typed.where import filter_inputs
from kafka_graphql.graphql.resolvers.typed import mutation, query, subscription
from kafka_graphql.graphql.resolvers.typed.bound import BoundTopic
from kafka_graphql.graphql.resolvers.typed.values import OutputBuilder
from kafka_graphql.graphql.schema.inputs import HeaderInput
from kafka_graphql.graphql.schema.scalars import JSON, Cursor, DateTime, Long
from kafka_graphql.graphql.schema.typed.names import TopicNames
from kafka_graphql.graphql.schema.typed.values import GeneratedTypes
from kafka_graphql.graphql.schema.types import (
    EXPIRED_DOC,
    GAPS_DOC,
    HEADER_COUNT_DOC,
    HEADERS_DOC,
    KEY_DOC,
    KEY_ENCODING_DOC,
    RESET_DOC,
    RESETS_DOC,
    SKIPPED_DOC,
    Encoding,
    Gap,
    Header,
    PageInfo,
    PartitionReset,
)

# Said on a topic with field rules (`field_scopes`, `mask`): the bytes hold every field.
RAW_VALUE_RULES = (
    "\n\nNull for a caller that may not see every field of the value (this topic's field rules)."
)
SCHEMA_ERRORS_RULES = (
    " For a caller that may not see every field of the value, only that the value does not "
    "match (the reasons quote it)."
)


@dataclass(frozen=True, slots=True)
class TopicFields:
    """Root fields by GraphQL name, for the Query, Mutation and Subscription types."""

    query: dict[str, StrawberryField]
    mutation: dict[str, StrawberryField]
    subscription: dict[str, StrawberryField]


def _type(name: str, description: str, fields: dict[str, tuple[object, str | None]]) -> Any:
    namespace: dict[str, Any] = {"__annotations__": {}}
    for attribute, (annotation, doc) in fields.items():
        namespace["__annotations__"][attribute] = annotation
        namespace[attribute] = strawberry.field(description=doc)
    cls = types.new_class(name, (), {}, lambda ns: ns.update(namespace))
    return strawberry.type(cls, name=name, description=description)


def _input(name: str, description: str, fields: dict[str, tuple[object, object]]) -> Any:
    namespace: dict[str, Any] = {"__annotations__": {}}
    for attribute, (annotation, default) in fields.items():
        namespace["__annotations__"][attribute] = annotation
        if default is not ...:
            namespace[attribute] = default
    cls = types.new_class(name, (), {}, lambda ns: ns.update(namespace))
    return strawberry.input(cls, name=name, description=description)


def bind_topic(generated: GeneratedTypes, records: TypedRecords) -> TopicFields:
    topic = records.topic
    rule, model = topic.rule, topic.model
    assert rule.type is not None
    generated.add(model)
    names = TopicNames.of(rule)
    message = _message_type(names, records, generated.objects[model.root])
    edge = _type(
        names.edge,
        f"An edge of {names.connection}: one {names.message} and its cursor.",
        {"cursor": (Cursor, None), "node": (message, None)},
    )
    connection = _type(
        names.connection,
        f"A page of topic {rule.name} (a Relay connection).",
        {
            "edges": (list[edge], None),  # type: ignore[valid-type]
            "page_info": (PageInfo, None),
            "gaps": (list[Gap], GAPS_DOC),
            "resets": (list[PartitionReset], RESETS_DOC),
        },
    )
    value_input = generated.inputs[model.root]
    message_input = _input(
        names.message_input,
        f"One message of {names.produce_many}.",
        {
            "value": (value_input, ...),
            # No `= null` defaults, like the value's own input types; left out reads as null.
            "key": (Optional[str], strawberry.UNSET),  # noqa: UP045
            "headers": (Optional[list[HeaderInput]], strawberry.UNSET),  # noqa: UP045
            "partition": (Optional[int], strawberry.UNSET),  # noqa: UP045
        },
    )
    where_type = generated.add_filters(filter_inputs(model))

    bound = BoundTopic(
        records,
        generated,
        OutputBuilder(generated),
        message,
        edge,
        connection,
        where_type,
    )
    return _root_fields(names, bound, value_input, message_input)


def _message_type(names: TopicNames, records: TypedRecords, root: Any) -> Any:
    """`<Type>Message`: a record of the topic, its value decoded as the root type."""
    rule, model = records.topic.rule, records.topic.model
    return _type(
        names.message,
        f"A record of topic {rule.name}; `value` is null, and `schemaErrors` says why, when "
        "the record does not decode or match the topic's schema.",
        {
            "topic": (str, None),
            "partition": (int, None),
            "offset": (Long, None),
            "timestamp": (DateTime, None),
            "key": (Optional[str], KEY_DOC),  # noqa: UP045
            "key_encoding": (Encoding, KEY_ENCODING_DOC),
            "headers": (list[Header], HEADERS_DOC),
            "header_count": (int, HEADER_COUNT_DOC),
            "cursor": (Cursor, "Where this message is: pass it as `after` to continue after it."),
            "value": (Optional[root], f"The value, decoded as {model.root}."),  # noqa: UP045
            "raw_value": (
                Optional[JSON],  # noqa: UP045
                "The value as the generic `messages` API reads bytes: JSON, else UTF-8 text, "
                'else {"$binary": ...}.' + (RAW_VALUE_RULES if records.masker.has_rules else ""),
            ),
            "schema_errors": (
                list[str],
                "Why `value` is null; empty when it is not."
                + (SCHEMA_ERRORS_RULES if records.masker.has_rules else ""),
            ),
            "skipped": (int, SKIPPED_DOC),
            "expired": (int, EXPIRED_DOC),
            "reset": (bool, RESET_DOC),
        },
    )


def _root_fields(
    names: TopicNames, bound: BoundTopic, value_input: Any, message_input: Any
) -> TopicFields:
    """The topic's page query, produce mutations and subscription, bound to `bound`."""
    rule, model = bound.records.topic.rule, bound.records.topic.model
    description = rule.description or model.root_type.description
    about = f" ({description})" if description else ""
    return TopicFields(
        query={
            names.field: strawberry.field(
                resolver=query.connection_resolver(bound),
                name=names.field,
                description=f"A page of topic {rule.name}{about}, oldest first, as a Relay "
                "connection. Starts at the earliest offset unless fromOffset or fromTimestamp "
                "says otherwise; after (a cursor) continues from there, and then fromOffset "
                "and fromTimestamp are ignored, so that a client may keep them while paging.",
            )
        },
        mutation={
            names.produce_one: strawberry.mutation(
                resolver=mutation.produce_one_resolver(bound, value_input),
                name=names.produce_one,
                description=f"Write one {rule.type} to topic {rule.name}, validated against its "
                "schema first; answered once Kafka acknowledged it (acks=all).",
            ),
            names.produce_many: strawberry.mutation(
                resolver=mutation.produce_many_resolver(bound, message_input),
                name=names.produce_many,
                description=f"Write several {rule.type} values to topic {rule.name}. All are "
                "validated first: one bad message refuses the batch and nothing is written.",
            ),
        },
        subscription={
            names.field: strawberry.subscription(
                resolver=subscription.stream_resolver(bound),
                name=names.field,
                description=f"Messages of topic {rule.name} as they arrive. With after, "
                "fromOffset or fromTimestamp it first replays from there, then continues live "
                "without a gap.",
            )
        },
    )
