"""The structural caps of a document, checked before any other validation rule (the operation
gate runs them first, and graphql-core's rules only on a document that passed them).

Each is linear in the document, however its fragment spreads multiply (shape.py, merges.py):

- `limits.max_expanded_fields`: the fields the document would have with every spread written
  out. First, since it bounds the work of everything after it, graphql-core's rules included.
- `limits.max_query_depth` and `limits.max_aliases`, counted as the query written out, with
  the messages of Strawberry's QueryDepthLimiter and MaxAliasesLimiter (which expand fragments
  at every spread, so that a chain of spreads doubling at each level held validation for hours).
  The selections of introspection fields, which Strawberry's depth leaves out, may nest twice
  `limits.max_query_depth` (a deeper `ofType` chain overflowed the cost walk's stack).
- `limits.max_field_merges`: the pairs of same-named fields validation compares to merge them
  (graphql-core's OverlappingFieldsCanBeMergedRule is quadratic in them).

Before them, a number literal Python cannot convert is refused: an integer of more than 4,300
digits (graphql-core's Int converts it with int(), which Python refuses: a server error), or a
float beyond the largest double (which its Float takes as an infinity).

A refusal is a validation error (GRAPHQL_VALIDATION_FAILED), kept with the cached document like
any other, so a document sent again is refused without being measured again.
"""

from __future__ import annotations

import math

from graphql import DocumentNode, GraphQLError, OperationDefinitionNode, TokenKind

from kafka_graphql.graphql.limits.merges import merge_pairs
from kafka_graphql.graphql.limits.shape import fragments_of, measure, roots
from kafka_graphql.settings.limits import LimitsSettings

# Python converts integers of at most this many digits (sys.get_int_max_str_digits).
MAX_INT_DIGITS = 4300


class StructuralLimits:
    """The structural caps of one schema's `[limits]`."""

    __slots__ = ("max_aliases", "max_depth", "max_fields", "max_introspection_depth", "max_merges")

    def __init__(self, settings: LimitsSettings) -> None:
        self.max_fields = settings.max_expanded_fields
        self.max_depth = settings.max_query_depth
        # Introspection fields' selections count too, with room for introspection queries'
        # chains of `ofType` (GraphiQL's nests 11 deep): they ask only for the schema.
        self.max_introspection_depth = 2 * settings.max_query_depth
        self.max_aliases = settings.max_aliases
        self.max_merges = settings.max_field_merges

    def check(self, document: DocumentNode) -> list[GraphQLError]:
        """The refusals of `document` (none: graphql-core's rules may run)."""
        unconvertible = _unconvertible_number(document)
        if unconvertible is not None:
            return [unconvertible]
        shape = measure(document, self.max_fields)
        if shape.fields > self.max_fields:
            return [
                GraphQLError(
                    f"the document has more than {self.max_fields} fields once its fragment "
                    f"spreads are written out: at most {self.max_fields} are allowed "
                    "(limits.max_expanded_fields)"
                )
            ]
        errors = []
        for operation, own in shape.operations:
            if own.depth > self.max_depth:
                errors.append(
                    GraphQLError(
                        f"'{_name(operation)}' exceeds maximum operation depth of {self.max_depth}",
                        operation,
                    )
                )
            elif own.full_depth > self.max_introspection_depth:
                errors.append(
                    GraphQLError(
                        f"'{_name(operation)}' exceeds maximum introspection depth of "
                        f"{self.max_introspection_depth} (twice limits.max_query_depth)",
                        operation,
                    )
                )
        if shape.aliases > self.max_aliases:
            errors.append(
                GraphQLError(f"{shape.aliases} aliases found. Allowed: {self.max_aliases}")
            )
        if errors:
            return errors
        fragments = fragments_of(document)
        if merge_pairs(roots(document, fragments), fragments, self.max_merges) > self.max_merges:
            errors.append(
                GraphQLError(
                    "the document selects the same response names or spreads fragments into "
                    f"one selection set too many times: merging them takes more than "
                    f"{self.max_merges} comparisons (k fields under one response name, or k "
                    "fragments in one selection set, counted through fragments and same-named "
                    f"parents, take k(k-1)/2), at most {self.max_merges} are allowed "
                    "(limits.max_field_merges); select each field once"
                )
            )
        return errors


def _unconvertible_number(document: DocumentNode) -> GraphQLError | None:
    """A number literal Python cannot convert: an integer of more than 4,300 digits, which
    graphql-core's Int converts with int() (a server error rather than a refusal), or a float
    beyond the largest double (1e999), which its Float lets through as an infinity."""
    token = document.loc.start_token if document.loc is not None else None
    while token is not None:
        problem = None
        if token.kind is TokenKind.INT and len(token.value or "") > MAX_INT_DIGITS:
            problem = f"an integer literal may have at most {MAX_INT_DIGITS} digits"
        elif token.kind is TokenKind.FLOAT and not math.isfinite(float(token.value or "0")):
            problem = "a float literal must be finite: it is beyond the largest double"
        if problem is not None:
            source = document.loc.source if document.loc is not None else None
            return GraphQLError(problem, source=source, positions=[token.start])
        token = token.next
    return None


def _name(operation: OperationDefinitionNode) -> str:
    return operation.name.value if operation.name is not None else "anonymous"
