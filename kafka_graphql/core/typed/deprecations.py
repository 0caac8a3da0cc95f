"""`deprecated = { "Type.field" = "reason" }`: mark a field deprecated, or keep one the schema
dropped so that clients that still select it keep working while they migrate."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from kafka_graphql.core.typed.errors import SchemaProblem
from kafka_graphql.core.typed.model import Field, ObjectType, Scalar, ScalarKind, TypeModel

# `deprecated_types` names (settings/topics.py's KEPT_FIELD_TYPES) -> the model's scalars.
KEPT_SCALARS: Mapping[str, Scalar] = {
    "String": Scalar.STRING,
    "Int": Scalar.INT,
    "Long": Scalar.LONG,
    "Float": Scalar.FLOAT,
    "Boolean": Scalar.BOOLEAN,
    "DateTime": Scalar.DATETIME,
    "JSON": Scalar.JSON,
}


def apply_deprecations(
    model: TypeModel,
    deprecated: Mapping[str, str],
    topic: str,
    source: str,
    kept_types: Mapping[str, str] | None = None,
) -> TypeModel:
    """The model with each configured field marked @deprecated.

    A field the schema no longer has comes back as a kept field (`Field.kept`): nullable, of the
    type `kept_types` gives it (JSON when it gives none), read from the records that still carry
    it and never written. The schema no longer says what its type was, so only the setting can.
    """
    kept_types = kept_types or {}
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
            if target in kept_types:
                raise SchemaProblem(
                    topic,
                    source,
                    "",
                    f"deprecated_types {target!r}: the schema still has the field, and gives "
                    "its type",
                )
            kept = dataclasses.replace(existing, deprecation=reason)
            fields = tuple(kept if f.name == field_name else f for f in owner.fields)
        else:
            kind = ScalarKind(KEPT_SCALARS[kept_types.get(target, "JSON")])
            fields = (*owner.fields, Field(field_name, kind, True, None, reason, kept=True))
        types[index] = dataclasses.replace(owner, fields=fields)
    return dataclasses.replace(model, types=tuple(types))
