"""What one caller sees of a typed topic's values under the field rules.

Decoded values are cached per record and shared by every caller and subscriber of a topic
(resolvers/typed/records.py), so a view never changes a value: it returns a new one, copying only
the objects and lists on the way to a field it hides, and the value itself when it hides nothing.
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass

from kafka_graphql.auth.field_rules import FieldKey, FieldRules
from kafka_graphql.auth.scopes import may_see
from kafka_graphql.typed.model import (
    Kind,
    ListKind,
    NamedType,
    ObjectKind,
    ObjectType,
    TypeModel,
    UnionKind,
    UnionType,
)


class ValueMasker:
    """The field rules of one typed topic's value types."""

    def __init__(self, model: TypeModel, rules: FieldRules) -> None:
        objects = {t.name for t in model.types if isinstance(t, ObjectType)}
        self._model = model
        self._guards = {k: v for k, v in rules.guards.items() if k[0] in objects}
        self._masks = {k: v for k, v in rules.masks.items() if k[0] in objects}

    @property
    def has_rules(self) -> bool:
        return bool(self._guards or self._masks)

    def view(self, scopes: Set[str]) -> FieldView:
        """What a caller with these scopes sees."""
        if not self.has_rules:
            return FULL_VIEW
        nulled = frozenset(k for k, s in self._masks.items() if not may_see(scopes, (s,)))
        omitted = frozenset(k for k, s in self._guards.items() if not may_see(scopes, s))
        if not nulled and not omitted:
            return FULL_VIEW
        return FieldView(self._model, nulled, omitted - nulled)


@dataclass(frozen=True, slots=True)
class FieldView:
    """One caller's view of one topic's values: masked fields it may not see are null, guarded
    ones are left out (the typed API refuses to select them; plain values drop them)."""

    model: TypeModel | None = None
    nulled: frozenset[FieldKey] = frozenset()
    omitted: frozenset[FieldKey] = frozenset()

    @property
    def full(self) -> bool:
        """True when the caller may see every field of the value. Only such a caller sees the
        value's other forms (`rawValue`, the wording of `schemaErrors`), which carry every
        field and cannot be masked field by field."""
        return not self.nulled and not self.omitted

    @property
    def hidden(self) -> frozenset[FieldKey]:
        return self.nulled | self.omitted

    def value(self, plain: object) -> object:
        """`plain` (a value that decoded and matched the topic's schema) as this caller sees
        it. Masked fields are null, present or not, so that not even their absence shows."""
        if self.full:
            return plain
        assert self.model is not None
        return _Masking(self).object(self.model.root, plain)


FULL_VIEW = FieldView()


class _Masking:
    def __init__(self, view: FieldView) -> None:
        assert view.model is not None
        self.view = view
        self.types: dict[str, NamedType] = {t.name: t for t in view.model.types}
        self.reaching = _reaching(view.model, {k[0] for k in view.hidden})

    def value(self, kind: Kind, value: object) -> object:
        match kind:
            case ObjectKind(name):
                return self.object(name, value)
            case UnionKind(name) if isinstance(value, dict):
                union = self.types[name]
                assert isinstance(union, UnionType)
                member = union.member_for(value)
                return value if member is None else self.object(member, value)
            case ListKind(of) if isinstance(value, list):
                items = [self.value(of, item) for item in value]
                changed = any(a is not b for a, b in zip(items, value, strict=True))
                return items if changed else value
        return value

    def object(self, name: str, value: object) -> object:
        if name not in self.reaching or not isinstance(value, dict):
            return value
        model = self.types[name]
        assert isinstance(model, ObjectType)
        copy: dict[str, object] | None = None
        for f in model.fields:
            key = (name, f.name)
            if key in self.view.omitted:
                if f.name in value:
                    copy = copy if copy is not None else dict(value)
                    del copy[f.name]
            elif key in self.view.nulled:
                copy = copy if copy is not None else dict(value)
                copy[f.name] = None
            elif f.name in value:
                inner = self.value(f.kind, value[f.name])
                if inner is not value[f.name]:
                    copy = copy if copy is not None else dict(value)
                    copy[f.name] = inner
        return value if copy is None else copy


def _reaching(model: TypeModel, owners: set[str]) -> frozenset[str]:
    """The types whose values may hold a field of `owners`' types: the only ones worth walking."""
    reaching = set(owners)
    grew = True
    while grew:
        grew = False
        for named in model.types:
            if named.name in reaching:
                continue
            if isinstance(named, ObjectType):
                inner = {_type_name(f.kind) for f in named.fields}
            elif isinstance(named, UnionType):
                inner = {m.type_name for m in named.members}
            else:
                continue
            if inner & reaching:
                reaching.add(named.name)
                grew = True
    return frozenset(reaching)


def _type_name(kind: Kind) -> str | None:
    while isinstance(kind, ListKind):
        kind = kind.of
    return kind.name if isinstance(kind, ObjectKind | UnionKind) else None
