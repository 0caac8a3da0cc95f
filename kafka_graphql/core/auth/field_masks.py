"""What one caller sees of a typed topic's values under the field rules.

Decoded values are cached per record and shared by every caller and subscriber of a topic
(core/typed/records.py), so a view never changes a value: it returns a new one, copying only
the objects and lists on the way to a field it hides, and the value itself when it hides nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from dataclasses import dataclass, field

from kafka_graphql.core.auth.field_rules import FieldKey, FieldRules
from kafka_graphql.core.auth.scopes import may_see
from kafka_graphql.core.typed.model import (
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
        self._types: Mapping[str, NamedType] = {t.name: t for t in model.types}
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
        owners = {type_name for type_name, _ in nulled | omitted}
        reaching = _reaching(self._model, owners)
        return FieldView(nulled, omitted - nulled, self._model.root, self._types, reaching)


@dataclass(frozen=True, slots=True)
class FieldView:
    """One caller's view of one topic's values: masked fields it may not see are null, guarded
    ones are left out (the typed API refuses to select them; plain values drop them)."""

    nulled: frozenset[FieldKey] = frozenset()
    omitted: frozenset[FieldKey] = frozenset()
    root: str = ""
    # The topic's named types, and those whose values may hold a hidden field (the only ones
    # worth walking), worked out once per view rather than per record.
    types: Mapping[str, NamedType] = field(default_factory=dict, compare=False, repr=False)
    reaching: frozenset[str] = field(default=frozenset(), compare=False, repr=False)
    # Both kinds together: what the typed API builds as null (read once per record).
    hidden: frozenset[FieldKey] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "hidden", self.nulled | self.omitted)

    @property
    def full(self) -> bool:
        """True when the caller may see every field of the value. Only such a caller sees the
        value's other forms (`rawValue`, the wording of `schemaErrors`), which carry every
        field and cannot be masked field by field."""
        return not self.hidden

    def value(self, plain: object) -> object:
        """`plain` (a value that decoded and matched the topic's schema) as this caller sees
        it. Masked fields are null, present or not, so that not even their absence shows."""
        if self.full:
            return plain
        return self._object(self.root, plain)

    def _value(self, kind: Kind, value: object) -> object:
        match kind:
            case ObjectKind(name):
                return self._object(name, value)
            case UnionKind(name) if isinstance(value, dict):
                union = self.types[name]
                assert isinstance(union, UnionType)
                member = union.member_for(value)
                return value if member is None else self._object(member, value)
            case ListKind(of) if isinstance(value, list):
                items = [self._value(of, item) for item in value]
                changed = any(a is not b for a, b in zip(items, value, strict=True))
                return items if changed else value
        return value

    def _object(self, name: str, value: object) -> object:
        if name not in self.reaching or not isinstance(value, dict):
            return value
        model = self.types[name]
        assert isinstance(model, ObjectType)
        copy: dict[str, object] | None = None
        for f in model.fields:
            key = (name, f.name)
            if key in self.omitted:
                if f.name in value:
                    copy = copy if copy is not None else dict(value)
                    del copy[f.name]
            elif key in self.nulled:
                copy = copy if copy is not None else dict(value)
                copy[f.name] = None
            elif f.name in value:
                inner = self._value(f.kind, value[f.name])
                if inner is not value[f.name]:
                    copy = copy if copy is not None else dict(value)
                    copy[f.name] = inner
        return value if copy is None else copy


FULL_VIEW = FieldView()


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
