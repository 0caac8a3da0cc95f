"""One typed topic as its resolvers see it: its values, its generated types, its filter."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from strawberry import UNSET

from kafka_graphql.core.auth.field_masks import FieldView
from kafka_graphql.core.cursor import CursorSealer
from kafka_graphql.core.typed.model import ObjectKind
from kafka_graphql.core.typed.records import TOO_DEEP, Decoded, TypedRecords
from kafka_graphql.graphql.resolvers.messages import typed_message_class
from kafka_graphql.graphql.resolvers.typed.values import (
    OutputBuilder,
    ValueMismatch,
    input_to_plain,
)
from kafka_graphql.graphql.schema.typed.values import GeneratedTypes
from kafka_graphql.kafka import Record

# `schemaErrors` for a caller that may not see every field of the value.
REDACTED_ERRORS = "the value does not match the topic's schema"


@dataclass(frozen=True, slots=True)
class BoundTopic:
    records: TypedRecords
    generated: GeneratedTypes
    builder: OutputBuilder
    message_type: type[Any]
    edge_type: type[Any]
    connection_type: type[Any]
    # The `where` input's type; None without filters.
    where_type: type[Any] | None = None

    @property
    def topic(self) -> str:
        return self.records.topic.rule.name

    def message(
        self,
        record: Record,
        positions: Mapping[int, int],
        decoded: Decoded | None,
        view: FieldView,
        cursors: CursorSealer,
    ) -> Any:
        """The message of a record the core's typed read let through (core/selection.py `Build`),
        decoded."""
        assert decoded is not None
        value, errors = None, decoded.errors
        if decoded.value is not None:
            try:
                value = self.builder.build(
                    ObjectKind(self.records.topic.model.root), decoded.value, [], view.hidden
                )
            except ValueMismatch as error:
                errors = (str(error),)
            except RecursionError:
                errors = (TOO_DEEP,)
        if errors and not view.full:
            # Validation messages quote the value, hidden fields included.
            errors = (REDACTED_ERRORS,)
        return typed_message_class(self.message_type)(
            record,
            positions,
            cursors,
            value=value,
            # The whole value, which no caller sees unless it may see every field.
            raw_value=record.value if view.full else None,
            schema_errors=list(errors),
        )

    def plain_where(self, where: object) -> dict[str, Any] | None:
        """A `where` (a generated input object) as the core compiles it; None when there is
        none."""
        if where is None:
            return None
        plain: dict[str, Any] = input_to_plain(self.generated, where)
        return plain


def with_annotations(function: Callable[..., Any], returns: object, **arguments: object) -> None:
    """Gives a resolver closure the generated types in its signature, which Strawberry reads to
    make the field's arguments and type. An argument annotated None is removed.

    An argument whose default is None gets no default in the SDL (`after: Cursor`, not
    `after: Cursor = null`, as the typed API is documented): Strawberry passes only the arguments
    a request gives, so one left out still takes the function's own default, None.
    """
    signature = inspect.signature(function)
    parameters = [
        _unset_if_none(p.replace(annotation=arguments[p.name]) if p.name in arguments else p)
        for p in signature.parameters.values()
        if arguments.get(p.name, True) is not None
    ]
    function.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=parameters, return_annotation=returns
    )


def _unset_if_none(parameter: inspect.Parameter) -> inspect.Parameter:
    return parameter.replace(default=UNSET) if parameter.default is None else parameter
