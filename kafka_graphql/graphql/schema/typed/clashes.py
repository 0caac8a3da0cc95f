"""The start-up check that every GraphQL name the typed topics generate means one thing.

Names come from three places: the loaders (model types, named by `type`, a `title`, parent +
property, or an Avro name), the binder (names.py: `<Type>Input`, `<Type>Message`, `<Type>Edge`,
`<Type>Connection`, `<Type>MessageInput` and the root fields) and the filters (core/typed/where:
`<Type>Where`, `<Enum>Filter`, `<Item>ListWhere`, `<Scalar>ListFilter`, ...). Two topics may share
a type name only for one shape (an `Address` both schemas define alike is one type). Anything else
would let one topic's type silently stand in for another's, or replace a generic root field, so
it fails start-up with one message naming the topics, the name and where each meaning comes from,
before any typed GraphQL type is built.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import strawberry
from graphql import specified_scalar_types
from strawberry.types.base import get_object_definition

from kafka_graphql.core.typed.model import EnumType, NamedType, ObjectType, UnionType
from kafka_graphql.core.typed.topic import TypedTopic
from kafka_graphql.core.typed.where import input_specs, scalar_filter_inputs
from kafka_graphql.core.typed.where.shapes import ListShape, ObjectShape, ScalarShape, Shape
from kafka_graphql.graphql.schema.typed.names import TopicNames, input_name
from kafka_graphql.graphql.schema.types import PageInfo

ROOTS = ("Query", "Mutation", "Subscription")
_KINDS: dict[type[NamedType], str] = {
    ObjectType: "object type",
    EnumType: "enum",
    UnionType: "union",
}
_RENAME = (
    "Rename one of them: `type` in the settings, `title` in a JSON Schema, the record or enum "
    "name in Avro."
)


class NameClash(ValueError):
    """Two different things would get one GraphQL name; the message says which and where."""


@dataclass(frozen=True, slots=True)
class GatewayNames:
    """The names the gateway's own API takes: its types and its root fields."""

    types: frozenset[str]
    # Root type name -> its field names.
    fields: Mapping[str, frozenset[str]]


def gateway_names(generic: strawberry.Schema) -> GatewayNames:
    """The names of the generic API (read from its schema, so they never drift), GraphQL's
    built-in scalars, and the fixed types typed topics share (PageInfo, the scalar filters)."""
    types = generic.introspect()["__schema"]["types"]
    page_info = get_object_definition(PageInfo, strict=True).name
    return GatewayNames(
        types=frozenset({t["name"] for t in types} | set(specified_scalar_types) | {page_info}),
        fields={
            t["name"]: frozenset(f["name"] for f in t["fields"] or ())
            for t in types
            if t["name"] in ROOTS
        },
    )


@dataclass(frozen=True, slots=True)
class _Claim:
    topic: str | None  # None: the gateway's own
    what: str  # "object type Customer (order.json at /properties/customer)"
    shape: object  # claims with equal shapes may share the name


@dataclass(frozen=True, slots=True)
class TypedNames:
    """What the typed topics add: type names, and (root type, field) pairs."""

    types: frozenset[str]
    fields: frozenset[tuple[str, str]]


def check_names(topics: Iterable[TypedTopic], gateway: GatewayNames) -> TypedNames:
    """Every name the typed topics generate; raises NameClash at the first one that would mean
    two things (in topic name order)."""
    claims = _Claims(gateway)
    for topic in sorted(topics, key=lambda t: t.rule.name):
        _claim_types(claims, topic)
        _claim_fields(claims, topic)
    return TypedNames(
        types=frozenset(claims.typed_types),
        fields=frozenset(f for f, c in claims.fields.items() if c.topic is not None),
    )


class _Claims:
    """Who took each name so far: the gateway's own API first, then topic by topic."""

    def __init__(self, gateway: GatewayNames) -> None:
        self.types: dict[str, _Claim] = {
            name: _Claim(None, "", ("gateway", name)) for name in gateway.types
        }
        for spec in scalar_filter_inputs():
            self.types[spec.name] = _Claim(None, "", ("filter", spec))
        self.fields: dict[tuple[str, str], _Claim] = {
            (root, name): _Claim(None, "", None)
            for root, names in gateway.fields.items()
            for name in names
        }
        self.typed_types: set[str] = set()

    def type_name(self, name: str, claimed: _Claim) -> None:
        first = self.types.setdefault(name, claimed)
        if first.shape != claimed.shape:
            raise NameClash(_type_clash(name, first, claimed))
        self.typed_types.add(name)

    def root_field(self, root: str, name: str, claimed: _Claim) -> None:
        first = self.fields.setdefault((root, name), claimed)
        if first is not claimed:
            raise NameClash(_field_clash(f"{root}.{name}", first, claimed))


def _claim_types(claims: _Claims, topic: TypedTopic) -> None:
    """The topic's model types, their inputs, its generated types and its filters."""
    name, model = topic.rule.name, topic.model
    for named in model.types:
        claims.type_name(named.name, _Claim(name, _describe(topic, named), ("type", named)))
    for named in model.types:
        if not isinstance(named, EnumType):
            what = f"the input of {_describe(topic, named)}"
            claims.type_name(input_name(named.name), _Claim(name, what, ("input", named)))
    names = TopicNames.of(topic.rule)
    origin = f'(from type = "{topic.rule.type}")'
    for generated, what in (
        (names.message, f"the type of its records {origin}"),
        (names.edge, f"its connection's edge type {origin}"),
        (names.connection, f"its connection type {origin}"),
        (names.message_input, f"the message input of {names.produce_many} {origin}"),
    ):
        claims.type_name(generated, _Claim(name, what, ("topic", name, what)))
    for shape, spec in input_specs(model):
        claims.type_name(spec.name, _Claim(name, _describe_filter(topic, shape), ("filter", spec)))


def _claim_fields(claims: _Claims, topic: TypedTopic) -> None:
    """The topic's root fields."""
    names = TopicNames.of(topic.rule)
    field_origin = (
        f'field = "{names.field}"'
        if topic.rule.field
        else f'the default field of type = "{topic.rule.type}"'
    )
    for root, field, what in (
        ("Query", names.field, f"its page query ({field_origin})"),
        ("Subscription", names.field, f"its subscription ({field_origin})"),
        ("Mutation", names.produce_one, f'its one-value produce (type = "{topic.rule.type}")'),
        ("Mutation", names.produce_many, f"its batch produce ({field_origin})"),
    ):
        claims.root_field(root, field, _Claim(topic.rule.name, what, None))


def _describe(topic: TypedTopic, named: NamedType) -> str:
    if named.name == topic.model.root:
        return f"root type {named.name} ({topic.source})"
    location = topic.model.locations.get(named.name)
    where = f"{topic.source} at {location}" if location else topic.source
    return f"{_KINDS[type(named)]} {named.name} ({where})"


def _describe_filter(topic: TypedTopic, shape: Shape) -> str:
    if isinstance(shape, ListShape):
        return f"the list filter of {_filtered(topic, shape.item)}"
    described = f"the filter of {_filtered(topic, shape)}"
    if isinstance(shape, ObjectShape) and shape.type_name == topic.model.root:
        described += ", with a `key` entry for the record key"
    return described


def _filtered(topic: TypedTopic, shape: ScalarShape | ObjectShape) -> str:
    named = next((t for t in topic.model.types if t.name == shape.type_name), None)
    return f"{shape.type_name} values" if named is None else _describe(topic, named)


def _type_clash(name: str, first: _Claim, second: _Claim) -> str:
    if first.topic is None:
        return (
            f"topic {second.topic}: {second.what} takes the name {name}, which the gateway's own "
            f"API uses. {_RENAME.replace('one of them', 'it')}"
        )
    if first.topic == second.topic:
        return (
            f"topic {first.topic}: {name} would name two different types: {first.what}, and "
            f"{second.what}. {_RENAME}"
        )
    return (
        f"topics {first.topic} and {second.topic}: {name} would name two different types: in "
        f"{first.topic}, {first.what}; in {second.topic}, {second.what}. {_RENAME}"
    )


def _field_clash(field: str, first: _Claim, second: _Claim) -> str:
    fix = "Set another `field` (or `type`)."
    if first.topic is None:
        return (
            f"topic {second.topic}: {field}, {second.what}, is a root field of the gateway's own "
            f"API. {fix}"
        )
    if first.topic == second.topic:
        return (
            f"topic {first.topic}: {field} would be generated twice: {first.what} and "
            f"{second.what}. {fix}"
        )
    return (
        f"topics {first.topic} and {second.topic} would both generate {field}: in "
        f"{first.topic}, {first.what}; in {second.topic}, {second.what}. {fix}"
    )
