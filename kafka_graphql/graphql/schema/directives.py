"""`@auth(requires: [String!]!)`: a field that only callers with one of these scopes may select.

The schema builder puts it on the fields from the same table the gate checks
(graphql/auth/field_check.py), so the SDL a client reads is the rule the gateway applies. Guards
come from the settings, and the generic API's types are module classes that every schema built in a
process shares, so the directive goes on the fields of each built schema rather than on those
classes.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping

import strawberry
from graphql import GraphQLObjectType, GraphQLSchema
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.schema_directive import Location

from kafka_graphql.core.auth.field_rules import FieldKey, FieldRuleProblem, needs

BACKREF = GraphQLCoreConverter.DEFINITION_BACKREF
# The generic API's record type. A guard on one of its fields also guards that field of every
# typed topic's `<Type>Message`, so that no typed topic serves what the generic API guards.
MESSAGE = "Message"
# A guard on `Message.value` also guards the value's other forms on `<Type>Message`.
VALUE_FORMS = ("rawValue", "schemaErrors")
# Fields that tell of another field (why a value is null, whether a key is UTF-8): guarded with
# it, unless `auth.field_scopes` guards them itself.
TELLING = {
    (MESSAGE, "value"): ("valueError",),
    (MESSAGE, "key"): ("keyEncoding",),
    (MESSAGE, "headers"): ("headerCount",),
    ("Header", "key"): ("keyEncoding",),
    ("Header", "value"): ("valueEncoding",),
}


@strawberry.schema_directive(
    locations=[Location.FIELD_DEFINITION],
    name="auth",
    description="Selecting this field needs one of these scopes (or kafka:admin); an operation "
    "that selects it without one is refused with FORBIDDEN before anything runs.",
)
class Auth:
    requires: list[str]


def check_generic_guards(schema: GraphQLSchema, guards: Mapping[FieldKey, tuple[str, ...]]) -> None:
    """Raises FieldRuleProblem for an `auth.field_scopes` key that is not a field of an object
    type of the generic API."""
    for type_name, field_name in guards:
        where = f'auth.field_scopes "{type_name}.{field_name}"'
        named = None if type_name.startswith("__") else schema.type_map.get(type_name)
        if not isinstance(named, GraphQLObjectType):
            raise FieldRuleProblem(
                f"{where}: the generic API has no object type {type_name} (a typed topic guards "
                "its own types with its field_scopes)"
            )
        if field_name not in named.fields:
            fields = ", ".join(named.fields)
            raise FieldRuleProblem(
                f"{where}: type {type_name} has no field {field_name} (its fields: {fields})"
            )


def with_typed_messages(
    schema: GraphQLSchema,
    guards: Mapping[FieldKey, tuple[str, ...]],
    message_types: Iterable[str],
) -> dict[FieldKey, tuple[str, ...]]:
    """`guards` (of the generic API) plus the fields that tell of a guarded one (TELLING), and
    their copies on the typed topics' message types."""
    shared = with_telling(guards)
    message_types = tuple(message_types)
    for (type_name, field_name), scopes in guards.items():
        if type_name != MESSAGE:
            continue
        telling = TELLING.get((MESSAGE, field_name), ())
        forms = VALUE_FORMS if field_name == "value" else ()
        targets = (field_name, *forms, *telling)
        for message in message_types:
            typed_message = schema.type_map[message]
            assert isinstance(typed_message, GraphQLObjectType)
            for target in targets:
                if target in typed_message.fields:
                    shared[(message, target)] = scopes
    return shared


def with_telling(
    guards: Mapping[FieldKey, tuple[str, ...]],
) -> dict[FieldKey, tuple[str, ...]]:
    """`guards` plus the fields of the generic API that tell of a guarded one."""
    telling = {
        (type_name, other): scopes
        for (type_name, field_name), scopes in guards.items()
        for other in TELLING.get((type_name, field_name), ())
    }
    return {**telling, **guards}


def add_auth_directives(
    schema: strawberry.Schema, guards: Mapping[FieldKey, tuple[str, ...]]
) -> None:
    """Puts @auth on each guarded field of a built schema, and says what it needs in the field's
    description too (GraphiQL shows descriptions; introspection has no applied directives)."""
    type_map = schema._schema.type_map
    for (type_name, field_name), scopes in guards.items():
        named = type_map[type_name]
        assert isinstance(named, GraphQLObjectType)
        field = named.fields[field_name]
        definition = field.extensions[BACKREF]
        # A copy: the definition may belong to a class other schemas are built from too.
        guarded = copy.copy(definition)
        guarded.directives = [*definition.directives, Auth(requires=list(scopes))]
        field.extensions = {**field.extensions, BACKREF: guarded}
        note = f"Selecting it {needs(scopes)}."
        field.description = f"{field.description}\n\n{note}" if field.description else note
