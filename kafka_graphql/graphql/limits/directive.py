"""`@cost(weight: N)` in the SDL: the weights costing uses, where clients and codegen read them."""

from __future__ import annotations

import copy

import strawberry
from graphql import GraphQLObjectType
from strawberry.schema_directive import Location

from kafka_graphql.graphql.limits.cost import CostModel

DEFINITION = "strawberry-definition"


@strawberry.schema_directive(
    locations=[Location.FIELD_DEFINITION],
    description="What this field costs, in points of the caller's budget, in place of the "
    "default (1 for a field that returns one object, 0 otherwise); the objects in a list cost "
    "1 each on top. On a subscription it is the opening cost. See the gateway's docs/limits.md.",
)
class Cost:
    weight: int


def show_weights(schema: strawberry.Schema, model: CostModel) -> None:
    """Puts `@cost(weight: N)` on every field whose weight is not its structural one.

    The fields' Strawberry definitions may be shared by several schemas (the generic root types
    are), each with its own weights: the printed definition is a copy that belongs to this
    schema's field alone.
    """
    graphql_schema = schema._schema
    for parent, name, weight in model.explicit_weights():
        parent_type = graphql_schema.get_type(parent)
        assert isinstance(parent_type, GraphQLObjectType)
        field = parent_type.fields[name]
        definition = (field.extensions or {}).get(DEFINITION)
        if definition is None:
            continue
        shown = copy.copy(definition)
        shown.directives = [
            *(d for d in definition.directives or () if not isinstance(d, Cost)),
            Cost(weight=weight),
        ]
        field.extensions = {**field.extensions, DEFINITION: shown}
