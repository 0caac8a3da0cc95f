"""Kept fields (`Field.kept`): fields a newer schema dropped that the `deprecated` setting keeps
serving, because records written with an older schema still carry them.

Reading must neither refuse nor lose them: a JSON value is validated without its kept fields (a
schema with `additionalProperties: false` would refuse them), and an Avro value, which schema
resolution into the topic's schema drops them from, gets them back from the writer's own reading.
"""

from __future__ import annotations

from collections.abc import Mapping

from kafka_graphql.core.typed.model import (
    Kind,
    ListKind,
    ObjectKind,
    ObjectType,
    TypeModel,
    UnionKind,
    UnionType,
)


class KeptFields:
    """The kept fields of one model, by the object type that has them."""

    def __init__(self, model: TypeModel) -> None:
        self._model = model
        self._kept = {
            named.name: frozenset(f.name for f in named.fields if f.kept)
            for named in model.types
            if isinstance(named, ObjectType)
        }

    def __bool__(self) -> bool:
        return any(self._kept.values())

    def stripped(self, value: object) -> object:
        """A copy of a plain value without its kept fields, for the schema's validator."""
        return self._strip(ObjectKind(self._model.root), value)

    def graft(self, resolved: object, written: object) -> object:
        """`resolved` (a value read into the topic's schema) with the kept fields that `written`
        (the same bytes read with the writer's schema alone) carries."""
        return self._graft(ObjectKind(self._model.root), resolved, written)

    def _object_type(self, kind: Kind, value: Mapping[str, object]) -> ObjectType | None:
        """The object type of a value of this kind (a union's member type), if it is one."""
        if isinstance(kind, UnionKind):
            union = self._model.type(kind.name)
            assert isinstance(union, UnionType)
            member = union.member_for(value)
            if member is None:
                return None
            kind = ObjectKind(member)
        if not isinstance(kind, ObjectKind):
            return None
        named = self._model.type(kind.name)
        return named if isinstance(named, ObjectType) else None

    def _strip(self, kind: Kind, value: object) -> object:
        if isinstance(kind, ListKind):
            return [self._strip(kind.of, v) for v in value] if isinstance(value, list) else value
        if not isinstance(value, dict):
            return value
        object_type = self._object_type(kind, value)
        if object_type is None:
            return value
        kept = self._kept[object_type.name]
        stripped: dict[str, object] = {}
        for name, item in value.items():
            if name in kept:
                continue
            field = object_type.field(name)
            stripped[name] = item if field is None else self._strip(field.kind, item)
        return stripped

    def _graft(self, kind: Kind, resolved: object, written: object) -> object:
        if isinstance(kind, ListKind):
            if not (isinstance(resolved, list) and isinstance(written, list)):
                return resolved
            if len(resolved) != len(written):
                return resolved
            return [self._graft(kind.of, r, w) for r, w in zip(resolved, written, strict=True)]
        if not isinstance(resolved, dict) or not isinstance(written, dict):
            return resolved
        object_type = self._object_type(kind, resolved)
        if object_type is None or self._object_type(kind, written) != object_type:
            return resolved
        grafted = dict(resolved)
        for field in object_type.fields:
            if field.kept:
                if field.name in written:
                    grafted[field.name] = written[field.name]
            elif field.name in resolved and field.name in written:
                grafted[field.name] = self._graft(
                    field.kind, resolved[field.name], written[field.name]
                )
        return grafted
