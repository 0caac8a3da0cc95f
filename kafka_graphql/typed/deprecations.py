"""`deprecated = { "Type.field" = "reason" }`: mark a field deprecated, or keep one the schema
dropped so that clients that still select it keep working while they migrate."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from kafka_graphql.typed.errors import SchemaProblem
from kafka_graphql.typed.model import Field, ObjectType, Scalar, ScalarKind, TypeModel


def apply_deprecations(
    model: TypeModel, deprecated: Mapping[str, str], topic: str, source: str
) -> TypeModel:
    """The model with each configured field marked @deprecated.

    A field the schema no longer has comes back as a nullable free-form (json) field: its old
    values still sit in the topic, and new values simply lack it.
    """
    types = list(model.types)
    for target, reason in deprecated.items():
        type_name, _, field_name = target.partition(".")
        index = next((i for i, t in enumerate(types) if t.name == type_name), None)
        owner = types[index] if index is not None else None
        if index is None or not isinstance(owner, ObjectType):
            raise SchemaProblem(
                topic, source, "", f"deprecated {target!r}: no object type {type_name} here"
            )
        existing = owner.field(field_name)
        if existing is not None:
            kept = dataclasses.replace(existing, deprecation=reason)
            fields = tuple(kept if f.name == field_name else f for f in owner.fields)
        else:
            fields = (*owner.fields, Field(field_name, ScalarKind(Scalar.JSON), True, None, reason))
        types[index] = dataclasses.replace(owner, fields=fields)
    return dataclasses.replace(model, types=tuple(types))
