"""The filter arguments of a field in an operation's document, as plain values.

Two checks read them before anything runs, from the document and the variables: the cost model
(graphql/limits/filter_cost.py: a filter's size, and its caps) and field authorization
(graphql/auth/field_check.py: the fields a filter reads). A filter argument is the generic
`filter: MessageFilter`, or a typed topic's `where: <Root>Where`; the schema builder says which
input types are which typed topic's (`where_models`).

Values are plain, as a document or a variable writes them (GraphQL names; a variable inside a
literal resolved; an unset one left out), and not yet coerced: whoever reads them reads leniently.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import FieldNode, GraphQLField, get_named_type

from kafka_graphql.core.typed.model import TypeModel
from kafka_graphql.graphql.limits.values import ABSENT, literal

# The generic API's filter input (graphql/schema/inputs.py).
MESSAGE_FILTER = "MessageFilter"


@dataclass(frozen=True, slots=True)
class FilterArgument:
    # The argument's name: the first element of `extensions.path` in a refusal.
    name: str
    value: Any
    # The typed topic's model for a `where`; None for the generic MessageFilter.
    model: TypeModel | None


def filter_arguments(
    definition: GraphQLField,
    node: FieldNode,
    variables: Mapping[str, Any],
    where_models: Mapping[str, TypeModel],
) -> Iterator[FilterArgument]:
    """The filter arguments `node` gives (null or unset ones left out). `variables` are read
    with `get` only (graphql/limits/walk.py notes what is read)."""
    for argument in node.arguments or ():
        name = argument.name.value
        declared = definition.args.get(name)
        if declared is None:
            continue  # refused by validation
        type_name = get_named_type(declared.type).name
        model = where_models.get(type_name)
        if type_name != MESSAGE_FILTER and model is None:
            continue
        value = literal(argument.value, variables)
        if value is not ABSENT and value is not None:
            yield FilterArgument(name, value, model)
