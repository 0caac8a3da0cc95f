"""One typed topic as its resolvers see it: its values, its generated types, its filter."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from strawberry import UNSET

from kafka_graphql.core.auth.field_masks import FieldView
from kafka_graphql.core.cursor import CursorSealer
from kafka_graphql.core.filters.bounds import FilterCaps, FilterSize
from kafka_graphql.core.typed.model import ObjectKind
from kafka_graphql.core.typed.records import TOO_DEEP, Decoded, TypedRecords
from kafka_graphql.core.typed.where import inspect_where
from kafka_graphql.core.typed.where.compile import key_equality
from kafka_graphql.graphql.context import Context
from kafka_graphql.graphql.resolvers.messages import typed_message_class
from kafka_graphql.graphql.resolvers.typed.values import (
    OutputBuilder,
    ValueMismatch,
    input_to_plain,
)
from kafka_graphql.graphql.schema.typed.values import GeneratedTypes
from kafka_graphql.kafka import IndexHint, Record

# (key, decoded plain value or None) -> whether the record is wanted.
Matcher = Callable[[str | None, object], bool]
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
    # The `where` input's type and how a plain `where` becomes a matcher; None without filters.
    where_type: type[Any] | None = None
    compile_where: Callable[[dict[str, Any] | None, FilterCaps], Matcher] | None = None

    @property
    def topic(self) -> str:
        return self.records.topic.rule.name

    def view(self, context: Context) -> FieldView:
        """What the caller may see of this topic's values."""
        return self.records.view(context.principal.scopes)

    def message(
        self,
        record: Record,
        positions: Mapping[int, int],
        decoded: Decoded,
        view: FieldView,
        cursors: CursorSealer,
    ) -> Any:
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

    def matcher(self, where: object, caps: FilterCaps) -> Matcher | None:
        """The compiled `where` (a generated input object), or None when there is none.
        Raises BadUserInput for one over `caps` (as admission did:
        graphql/limits/filter_cost.py)."""
        if where is None or self.compile_where is None:
            return None
        return self.compile_where(input_to_plain(self.generated, where), caps)

    def filter_size(self, where: object) -> FilterSize:
        """The size of `where` (what its page's filter actually costs per record)."""
        if where is None:
            return FilterSize()
        plain = input_to_plain(self.generated, where)
        return inspect_where(self.records.topic.model, plain, None).size

    def index_hint(self, where: object) -> IndexHint | None:
        """`where`'s key equality (a top-level `key: {eq}`), for the live feed's filter index."""
        if where is None or self.compile_where is None:
            return None
        key = key_equality(input_to_plain(self.generated, where))
        return None if key is None else IndexHint(key=key)

    def wanted_now(self, matcher: Matcher | None, view: FieldView) -> Callable[[Record], bool]:
        """The predicate the Kafka layer runs. A record whose writer schema is not fetched yet
        passes, and is checked again once decoded (`wanted`)."""

        def predicate(record: Record) -> bool:
            if matcher is None:
                return True
            decoded = self.records.decode_now(record)
            return decoded is None or wanted(matcher, record, decoded, view)

        return predicate


# The key a `where` sees of a record whose key is not UTF-8: present, and no string.
_BINARY_KEY: Any = object()


def wanted(matcher: Matcher | None, record: Record, decoded: Decoded, view: FieldView) -> bool:
    """Whether the caller wants the record. The filter sees the value as the caller does, so
    that it tells nothing about fields the caller may not see. A key that is not UTF-8 (shown
    in base64) matches no string condition, only `exists: true`."""
    if matcher is None:
        return True
    key = record.key if record.binary_key is None else _BINARY_KEY
    return matcher(key, view.value(decoded.value))


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
