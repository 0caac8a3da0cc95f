"""The argument values costing reads (sizes, list lengths, `@skip`/`@include` conditions, filters),
from the document's literals and the request's variables.

Read here rather than through graphql-core's coercion, whose interface differs between the
versions the project supports. A value of the wrong type is refused by execution before any
resolver runs, so costing only has to stay conservative about it: it answers UNKNOWN.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

from graphql import (
    ArgumentNode,
    BooleanValueNode,
    EnumValueNode,
    FloatValueNode,
    GraphQLArgument,
    IntValueNode,
    ListValueNode,
    NullValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    StringValueNode,
    Undefined,
    ValueNode,
    VariableNode,
)


class _Unknown:
    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Final = _Unknown()
# An argument that is not given at all (its default applies).
ABSENT: Final = object()


def operation_variables(
    operation: OperationDefinitionNode, provided: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The variables as execution sees them: those provided, else their declared defaults."""
    values: dict[str, Any] = {}
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        if provided is not None and name in provided:
            values[name] = provided[name]
        elif definition.default_value is not None:
            values[name] = literal(definition.default_value, {})
    return values


def argument_value(
    arguments: Iterable[ArgumentNode] | None, name: str, variables: Mapping[str, Any]
) -> Any:
    """The argument's value, ABSENT when not given (or given as an unset variable), UNKNOWN
    when it is not a plain value costing can read."""
    for argument in arguments or ():
        if argument.name.value == name:
            return literal(argument.value, variables)
    return ABSENT


def literal(node: ValueNode, variables: Mapping[str, Any]) -> Any:
    if isinstance(node, VariableNode):
        return variables.get(node.name.value, ABSENT)
    if isinstance(node, NullValueNode):
        return None
    if isinstance(node, BooleanValueNode):
        return node.value
    if isinstance(node, IntValueNode):
        # Beyond a 64-bit integer no Int argument accepts it (nor would Python parse 4,300 digits).
        return int(node.value) if len(node.value) <= 20 else UNKNOWN
    if isinstance(node, ListValueNode):
        # An unset variable in a list is a null item, as GraphQL coerces it.
        return [_given(literal(item, variables)) for item in node.values]
    # Filters are read whole (graphql/limits/filter_cost.py): input objects and their leaves too. A
    # field set to an unset variable is not given.
    if isinstance(node, ObjectValueNode):
        fields = ((f.name.value, literal(f.value, variables)) for f in node.fields)
        return {name: value for name, value in fields if value is not ABSENT}
    if isinstance(node, StringValueNode | EnumValueNode):
        return node.value
    if isinstance(node, FloatValueNode):
        return float(node.value)  # 1e999 is inf: only a count is read of it
    return UNKNOWN


def _given(value: Any) -> Any:
    return None if value is ABSENT else value


def argument_default(argument: GraphQLArgument) -> Any:
    """An argument's default: `default_value` (graphql-core 3.2, and schemas built in code), or
    graphql-core 3.3's `default` (a literal for schemas built from SDL)."""
    if argument.default_value is not Undefined:
        return argument.default_value
    default = getattr(argument, "default", None)
    if getattr(default, "literal", None) is not None:
        return literal(default.literal, {})  # type: ignore[union-attr]
    return getattr(default, "value", UNKNOWN)
