"""Model types -> Strawberry types, created at start-up: output objects, enums, unions and inputs.

The binder knows no schema language: it reads only the neutral model (core/typed/model.py). Types of
several topics share one GeneratedTypes, so a name two topics generate (with one shape, which the
start-up name check in clashes.py ensures) is one GraphQL type.
"""

from __future__ import annotations

import enum
import keyword
import types
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Optional, Union

import strawberry

from kafka_graphql.core.typed.model import (
    EnumKind,
    EnumType,
    Field,
    Kind,
    ListKind,
    NamedType,
    ObjectKind,
    ObjectType,
    Scalar,
    ScalarKind,
    TypeModel,
    UnionKind,
    UnionType,
)
from kafka_graphql.core.typed.where import InputSpec
from kafka_graphql.graphql.schema.scalars import JSON, DateTime, Long
from kafka_graphql.graphql.schema.typed.names import input_name

SCALARS: dict[Scalar, object] = {
    Scalar.STRING: str,
    Scalar.INT: int,
    Scalar.LONG: Long,
    Scalar.FLOAT: float,
    Scalar.BOOLEAN: bool,
    Scalar.DATETIME: DateTime,
    # Base64 text at the edge, as the model's plain values carry it.
    Scalar.BYTES: str,
    Scalar.JSON: JSON,
}
# The scalars filter inputs name (core/typed/where/inputs.py).
FILTER_SCALARS: dict[str, object] = {
    "String": str,
    "Int": int,
    "Long": Long,
    "Float": float,
    "Boolean": bool,
    "DateTime": DateTime,
}


def field_description(field: Field) -> str | None:
    """The schema's description; a bytes field also says how its String carries them, which the
    type alone does not tell a client."""
    kind = field.kind.of if isinstance(field.kind, ListKind) else field.kind
    if kind != ScalarKind(Scalar.BYTES):
        return field.description
    encoding = "Bytes, as base64 text."
    return f"{field.description}\n\n{encoding}" if field.description else encoding


def masked_note(scope: str, nullable: bool) -> str:
    note = f"Masked: null for callers without the scope {scope}."
    if nullable:
        return note
    return f"{note} Values always have it; it is nullable here because it is masked."


def python_name(field_name: str) -> str:
    """The attribute a GraphQL field lives in (GraphQL names may be Python keywords)."""
    return field_name + "_" if keyword.iskeyword(field_name) else field_name


@dataclass(frozen=True, slots=True)
class UnionInput:
    """How a `oneOf` input of a union becomes a plain value: the member set names its type."""

    union: UnionType
    # Python attribute -> member type name.
    members: dict[str, str]


class GeneratedTypes:
    """Every generated Strawberry type by its model name. `masks` ("Type", "field") -> scope:
    fields that are null for callers without the scope, and so nullable in output types."""

    def __init__(self, masks: Mapping[tuple[str, str], str] | None = None) -> None:
        self.masks = dict(masks or {})
        self.models: dict[str, NamedType] = {}
        self.objects: dict[str, type[Any]] = {}
        self.inputs: dict[str, type[Any]] = {}
        self.enums: dict[str, type[enum.Enum]] = {}
        self.unions: dict[str, object] = {}
        self.union_inputs: dict[str, type[Any]] = {}
        self.union_input_specs: dict[type[Any], UnionInput] = {}
        self.filters: dict[str, type[Any]] = {}

    def add(self, model: TypeModel) -> None:
        """Creates the types of `model` not created yet (a topic's root type among them)."""
        new = [t for t in model.types if t.name not in self.models]
        self.models.update((t.name, t) for t in new)
        # Classes first, fields second: recursive and mutually referring types need the other
        # class to exist when their annotations are written.
        for named in new:
            match named:
                case EnumType(name, values, description):
                    make_enum: Any = enum.Enum
                    python_enum = make_enum(name, [(v, v) for v in values])
                    self.enums[name] = strawberry.enum(python_enum, description=description)
                case ObjectType(name):
                    self.objects[name] = types.new_class(name)
                    self.inputs[name] = types.new_class(input_name(name))
                case UnionType(name):
                    self.union_inputs[name] = types.new_class(input_name(name))
        for named in new:
            if isinstance(named, UnionType):
                classes = tuple(self.objects[m.type_name] for m in named.members)
                self.unions[named.name] = Annotated[
                    Union[classes],  # noqa: UP007 - a runtime-built union needs the subscript form
                    strawberry.union(named.name, description=named.description),
                ]
        for named in new:
            if isinstance(named, ObjectType):
                self._object(named)
                self._input(named)
            elif isinstance(named, UnionType):
                self._union_input(named)

    def add_filters(self, specs: tuple[InputSpec, ...]) -> type[Any]:
        """Creates the filter inputs not created yet; returns the first (the root's Where).

        Specs of one name are identical across topics (the start-up name check refuses anything
        else), so the first one wins."""
        new = [spec for spec in specs if spec.name not in self.filters]
        for spec in new:
            self.filters[spec.name] = types.new_class(spec.name)
        for spec in new:
            cls = self.filters[spec.name]
            cls.__annotations__ = {}
            for f in spec.fields:
                attribute = python_name(f.name)
                base = (
                    self.filters.get(f.type_name)
                    or FILTER_SCALARS.get(f.type_name)
                    or self.enums[f.type_name]
                )
                annotation = list[base] if f.is_list else base  # type: ignore[valid-type]
                cls.__annotations__[attribute] = Optional[annotation]  # noqa: UP045
                setattr(
                    cls,
                    attribute,
                    strawberry.field(
                        name=f.name,
                        description=f.description,
                        deprecation_reason=f.deprecation,
                        default=strawberry.UNSET,
                    ),
                )
            strawberry.input(cls, name=spec.name, description=spec.description)
        return self.filters[specs[0].name]

    def output(self, kind: Kind, nullable: bool) -> object:
        """The annotation of an output field of this kind."""
        match kind:
            case ScalarKind(scalar):
                base = SCALARS[scalar]
            case EnumKind(name):
                base = self.enums[name]
            case ObjectKind(name):
                base = self.objects[name]
            case UnionKind(name):
                base = self.unions[name]
            case ListKind(of, items_nullable):
                base = list[self.output(of, items_nullable)]  # type: ignore[misc]
        return Optional[base] if nullable else base  # noqa: UP045 - built at runtime

    def input(self, kind: Kind, nullable: bool) -> object:
        """The annotation of an input field of this kind."""
        match kind:
            case ObjectKind(name):
                base: object = self.inputs[name]
            case UnionKind(name):
                base = self.union_inputs[name]
            case ListKind(of, items_nullable):
                base = list[self.input(of, items_nullable)]  # type: ignore[misc]
            case _:
                return self.output(kind, nullable)
        return Optional[base] if nullable else base  # noqa: UP045 - built at runtime

    def _object(self, model: ObjectType) -> None:
        cls = self.objects[model.name]
        cls.__annotations__ = {}
        for f in model.fields:
            attribute = python_name(f.name)
            mask = self.masks.get((model.name, f.name))
            cls.__annotations__[attribute] = self.output(f.kind, f.nullable or mask is not None)
            description = field_description(f)
            if mask is not None:
                note = masked_note(mask, f.nullable)
                description = f"{description}\n\n{note}" if description else note
            setattr(
                cls,
                attribute,
                strawberry.field(
                    name=f.name,
                    description=description,
                    deprecation_reason=f.deprecation,
                    default=None,
                ),
            )
        strawberry.type(cls, name=model.name, description=model.description)

    def _input(self, model: ObjectType) -> None:
        cls = self.inputs[model.name]
        cls.__annotations__ = {}
        # A kept field is not in the schema: values are written as the schema says (kept.py).
        for f in (f for f in model.fields if not f.kept):
            attribute = python_name(f.name)
            # Null means "not given" (graphql/resolvers/typed/values.py): the schema's default
            # applies.
            optional = f.nullable or f.has_default
            cls.__annotations__[attribute] = self.input(f.kind, optional)
            if optional:
                description = field_description(f)
                if not f.nullable:
                    default = "Not given or null: the schema's default."
                    description = f"{description} {default}" if description else default
                # GraphQL allows deprecating only optional input fields.
                field = strawberry.field(
                    name=f.name,
                    description=description,
                    deprecation_reason=f.deprecation,
                    default=strawberry.UNSET,
                )
            else:
                field = strawberry.field(name=f.name, description=field_description(f))
            setattr(cls, attribute, field)
        description = f"Input of {model.name}: validated against the topic's schema first."
        strawberry.input(cls, name=input_name(model.name), description=description)

    def _union_input(self, model: UnionType) -> None:
        cls = self.union_inputs[model.name]
        cls.__annotations__ = {}
        members: dict[str, str] = {}
        for member in model.members:
            field_name = member.type_name[:1].lower() + member.type_name[1:]
            attribute = python_name(field_name)
            members[attribute] = member.type_name
            cls.__annotations__[attribute] = Optional[self.inputs[member.type_name]]  # noqa: UP045
            setattr(cls, attribute, strawberry.field(name=field_name, default=strawberry.UNSET))
        strawberry.input(
            cls,
            name=input_name(model.name),
            description=f"Exactly one member of {model.name}.",
            one_of=True,
        )
        self.union_input_specs[cls] = UnionInput(model, members)
