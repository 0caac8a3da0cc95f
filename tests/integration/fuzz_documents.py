"""Operations for the fuzz tests, generated from the schema the gateway serves.

hypothesis-graphql writes the documents (valid ones, and ones with one schema violation), with
hostile literals for the custom scalars. On top of it: topic arguments name the test's topics
(a random name reaches nothing), arguments move into variables with hostile JSON values, and
the shapes validation must price (fragments spread twice per level, aliases, one field written
many times, directives). hypothesis-graphql writes queries and mutations only; subscriptions
are the queries of a schema whose query type is the served Subscription type, one root field
each, turned into subscription operations.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import graphql
from hypothesis import strategies as st
from hypothesis_graphql import Mode, from_schema, queries

from tests.integration.fuzz_shapes import SHAPES
from tests.integration.fuzz_values import (
    TEXT,
    cursors,
    datetimes,
    encode_json,
    json_values,
    literal,
    longs,
)

HTTP_POST, HTTP_GET, HTTP_BATCH = "post", "get", "batch"


@dataclass(frozen=True)
class Operation:
    """One GraphQL request: its document, its variables (None: none sent), how it is sent."""

    document: str
    variables: dict[str, Any] | None = None
    transport: str = HTTP_POST
    operation_name: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Short, for hypothesis' reports: a long document or variables are cut."""
        variables = repr(self.variables)
        printer.text(
            f"Operation({_cut(self.document)!r}, {_cut(variables)}, {self.transport!r})"
            if len(self.document) > 400 or len(variables) > 400
            else repr(self)
        )

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {"query": self.document, **self.extra}
        if self.variables is not None:
            body["variables"] = self.variables
        if self.operation_name is not None:
            body["operationName"] = self.operation_name
        return body

    def body(self) -> str:
        """The request body as JSON text (hostile numbers and nesting written as they are)."""
        if self.transport == HTTP_BATCH:
            return encode_json([self.payload(), self.payload()])
        return encode_json(self.payload())


class Documents:
    """Strategies for operations against one served schema."""

    def __init__(self, schema: graphql.GraphQLSchema, topics: list[str], made: list[str]) -> None:
        self.schema = schema
        # Mostly the test's topics (each kind of topic, and names nothing is behind), sometimes
        # any text.
        self.topic_names = st.one_of(st.sampled_from(topics), st.sampled_from(topics), TEXT)
        self.values: dict[str, st.SearchStrategy[Any]] = {
            "Long": longs(),
            "DateTime": datetimes(),
            "JSON": json_values(),
            "Cursor": cursors(made, topics),
        }
        scalars = {name: values.map(literal) for name, values in self.values.items()}
        self._literal = {
            mode: from_schema(schema, custom_scalars=scalars, print_ast=_keep, mode=mode)
            for mode in Mode
        }
        subscription = schema.subscription_type
        assert subscription is not None
        as_query = graphql.GraphQLSchema(query=subscription, types=list(schema.type_map.values()))
        self._subscription = {
            mode: st.one_of(
                *(
                    queries(
                        as_query, fields=[name], custom_scalars=scalars, print_ast=_keep, mode=mode
                    )
                    for name in subscription.fields
                )
            )
            for mode in Mode
        }

    def operations(self) -> st.SearchStrategy[Operation]:
        """Queries and mutations, sent over HTTP."""

        @st.composite
        def operation(draw: st.DrawFn) -> Operation:
            mode = draw(st.sampled_from([Mode.POSITIVE, Mode.POSITIVE, Mode.NEGATIVE]))
            document = self._prepare(draw, draw(self._literal[mode]))
            transport = draw(st.sampled_from([HTTP_POST, HTTP_POST, HTTP_GET, HTTP_BATCH]))
            return self._finish(draw, document, transport)

        return operation()

    def subscriptions(self) -> st.SearchStrategy[Operation]:
        """Subscriptions (one root field each), for a WebSocket."""

        @st.composite
        def operation(draw: st.DrawFn) -> Operation:
            mode = draw(st.sampled_from([Mode.POSITIVE, Mode.POSITIVE, Mode.NEGATIVE]))
            (query,) = draw(self._subscription[mode]).definitions
            assert isinstance(query, graphql.OperationDefinitionNode)
            definition = graphql.OperationDefinitionNode(
                operation=graphql.OperationType.SUBSCRIPTION,
                variable_definitions=(),
                directives=(),
                selection_set=query.selection_set,
            )
            document = graphql.DocumentNode(definitions=(definition,))
            return self._finish(draw, self._prepare(draw, document), HTTP_POST)

        return operation()

    def _prepare(self, draw: st.DrawFn, document: graphql.DocumentNode) -> graphql.DocumentNode:
        document = graphql.visit(document, _TopicNames(lambda: draw(self.topic_names)))
        shape = draw(st.sampled_from(list(SHAPES)))
        return SHAPES[shape](draw, document)

    def _finish(self, draw: st.DrawFn, document: graphql.DocumentNode, transport: str) -> Operation:
        if draw(st.booleans()):
            document, variables = self._to_variables(draw, document)
        else:
            variables = None
        # Now and then the rest of the request is odd too: an operationName the document may
        # not have, `extensions` of any shape.
        name = draw(st.one_of(st.none(), st.none(), st.none(), TEXT))
        extra = draw(
            st.one_of(
                st.just({}),
                st.just({}),
                st.just({}),
                st.fixed_dictionaries({"extensions": json_values(max_leaves=4)}),
            )
        )
        return Operation(graphql.print_ast(document), variables, transport, name, extra)

    def _to_variables(
        self, draw: st.DrawFn, document: graphql.DocumentNode
    ) -> tuple[graphql.DocumentNode, dict[str, Any]]:
        """The root fields' arguments as variables of their declared types, with values of
        (mostly) the right shape and hostile contents."""
        (definition, *fragments) = document.definitions
        if not isinstance(definition, graphql.OperationDefinitionNode):
            return document, {}
        root = self.schema.get_root_type(definition.operation)
        assert root is not None
        declared: list[graphql.VariableDefinitionNode] = []
        variables: dict[str, Any] = {}
        selections: list[graphql.SelectionNode] = []
        for selection in definition.selection_set.selections:
            if not isinstance(selection, graphql.FieldNode) or selection.name.value not in (
                root.fields
            ):
                selections.append(selection)
                continue
            schema_field = root.fields[selection.name.value]
            arguments: list[graphql.ArgumentNode] = []
            for argument in selection.arguments or ():
                argument_type = schema_field.args[argument.name.value].type
                name = f"v{len(declared)}"
                declared.append(
                    graphql.VariableDefinitionNode(
                        variable=_variable(name), type=_type_node(argument_type)
                    )
                )
                arguments.append(graphql.ArgumentNode(name=argument.name, value=_variable(name)))
                choice = draw(st.sampled_from(["value", "value", "value", "null", "absent"]))
                if choice == "value":
                    if argument.name.value == "topic":
                        variables[name] = draw(self.topic_names)
                    else:
                        variables[name] = draw(self.json_for(argument_type))
                elif choice == "null":
                    variables[name] = None
            selections.append(
                graphql.FieldNode(
                    alias=selection.alias,
                    name=selection.name,
                    arguments=tuple(arguments),
                    directives=selection.directives or (),
                    selection_set=selection.selection_set,
                )
            )
        operation = graphql.OperationDefinitionNode(
            operation=definition.operation,
            name=definition.name,
            variable_definitions=tuple(declared),
            directives=definition.directives or (),
            selection_set=graphql.SelectionSetNode(selections=tuple(selections)),
        )
        return graphql.DocumentNode(definitions=(operation, *fragments)), variables

    def json_for(self, type_: graphql.GraphQLInputType, depth: int = 0) -> st.SearchStrategy[Any]:
        """Variable values for `type_`: the right shape with hostile contents, now and then
        the wrong shape."""
        wrong: st.SearchStrategy[Any] = st.one_of(
            TEXT, st.integers(), st.lists(st.none(), max_size=2), st.just({})
        )
        if isinstance(type_, graphql.GraphQLNonNull):
            inner = self.json_for(type_.of_type, depth)
            return st.one_of(inner, inner, inner, inner, wrong)
        right: st.SearchStrategy[Any]
        if isinstance(type_, graphql.GraphQLList):
            item = self.json_for(type_.of_type, depth + 1)
            right = st.lists(item, max_size=0 if depth > 3 else 4) | item
        elif isinstance(type_, graphql.GraphQLInputObjectType):
            right = self._input_object(type_, depth)
        elif isinstance(type_, graphql.GraphQLEnumType):
            right = st.sampled_from(list(type_.values)) | TEXT
        else:
            assert isinstance(type_, graphql.GraphQLScalarType)
            right = self._scalar(type_.name)
        return st.one_of(st.none(), right, right, right, right, wrong)

    def _input_object(
        self, type_: graphql.GraphQLInputObjectType, depth: int
    ) -> st.SearchStrategy[dict[str, Any]]:
        if depth > 3:
            return st.just({})
        fields = sorted(type_.fields.items())
        required = {n: self.json_for(f.type, depth + 1) for n, f in fields if _required(f)}
        optional = {n: self.json_for(f.type, depth + 1) for n, f in fields if not _required(f)}
        # One extra member sometimes: an unknown field, or (on a @oneOf input) a second one.
        extra = st.dictionaries(TEXT, st.integers(), max_size=1)
        return st.builds(
            lambda given, more, unknown: {**given, **more, **unknown},
            st.fixed_dictionaries(required),
            st.fixed_dictionaries({}, optional=optional),
            extra,
        )

    def _scalar(self, name: str) -> st.SearchStrategy[Any]:
        if name in self.values:
            return self.values[name]
        if name == "Int":
            return st.one_of(st.integers(-3, 100), st.integers(-(2**31), 2**31 - 1), longs())
        if name == "Float":
            return st.one_of(st.floats(allow_nan=False, allow_infinity=False), longs())
        if name == "Boolean":
            return st.booleans()
        return TEXT  # String, ID


def _cut(text: str, keep: int = 400) -> str:
    return text if len(text) <= keep else f"{text[:keep]}...<{len(text)} characters>"


def _required(input_field: graphql.GraphQLInputField) -> bool:
    return graphql.is_required_input_field(input_field)


def _keep(document: graphql.DocumentNode) -> graphql.DocumentNode:
    return document


def _variable(name: str) -> graphql.VariableNode:
    return graphql.VariableNode(name=graphql.NameNode(value=name))


def _type_node(type_: graphql.GraphQLInputType) -> graphql.TypeNode:
    if isinstance(type_, graphql.GraphQLNonNull):
        inner = _type_node(type_.of_type)
        assert isinstance(inner, graphql.NamedTypeNode | graphql.ListTypeNode)
        return graphql.NonNullTypeNode(type=inner)
    if isinstance(type_, graphql.GraphQLList):
        return graphql.ListTypeNode(type=_type_node(type_.of_type))
    assert isinstance(type_, graphql.GraphQLNamedType)
    return graphql.NamedTypeNode(name=graphql.NameNode(value=type_.name))


class _TopicNames(graphql.Visitor):
    """Every `topic:` (and `topic(name:)`) string argument: one of the test's topics."""

    def __init__(self, topic_name: Callable[[], str]) -> None:
        super().__init__()
        self.topic_name = topic_name

    def enter_argument(self, node: graphql.ArgumentNode, *_: Any) -> graphql.ArgumentNode | None:
        if node.name.value in ("topic", "name") and isinstance(node.value, graphql.StringValueNode):
            value = graphql.StringValueNode(value=self.topic_name())
            return graphql.ArgumentNode(name=node.name, value=value)
        return None
