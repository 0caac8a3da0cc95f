"""The neutral model of a typed topic's values: named types, fields and kinds.

It knows no GraphQL and no Kafka. Loaders (JSON Schema, Avro) build it; the GraphQL binder reads it.
Object, union and enum types are referenced by name, so recursive schemas need no cycles here.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from dataclasses import dataclass


class Scalar(enum.Enum):
    STRING = "string"
    INT = "int"  # fits in 32 bits (GraphQL's Int)
    LONG = "long"  # 64-bit; GraphQL's Int cannot carry it
    FLOAT = "float"
    BOOLEAN = "boolean"
    DATETIME = "datetime"  # an ISO 8601 string with an offset at the edge
    BYTES = "bytes"  # a base64 string at the edge
    JSON = "json"  # free-form: maps, untyped objects


@dataclass(frozen=True, slots=True)
class ScalarKind:
    scalar: Scalar


@dataclass(frozen=True, slots=True)
class EnumKind:
    name: str


@dataclass(frozen=True, slots=True)
class ObjectKind:
    name: str


@dataclass(frozen=True, slots=True)
class UnionKind:
    name: str


@dataclass(frozen=True, slots=True)
class ListKind:
    of: Kind
    items_nullable: bool = False


Kind = ScalarKind | EnumKind | ObjectKind | UnionKind | ListKind


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    kind: Kind
    # Required and not explicitly nullable in the schema -> non-null in the API.
    nullable: bool
    description: str | None = None
    deprecation: str | None = None
    # Not in the schema: kept by the `deprecated` setting for the records that still carry it.
    # It is read (and filtered on) but never written.
    kept: bool = False
    # The schema fills it in when a written value leaves it out (Avro's `default`), so a writer
    # need not give it: adding such a field must not break producers that do not know it yet.
    has_default: bool = False


@dataclass(frozen=True, slots=True)
class ObjectType:
    name: str
    fields: tuple[Field, ...]
    description: str | None = None

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)


@dataclass(frozen=True, slots=True)
class EnumType:
    name: str
    values: tuple[str, ...]
    description: str | None = None


@dataclass(frozen=True, slots=True)
class UnionMember:
    type_name: str
    # The discriminator property's value for JSON Schema unions; the Avro full name of the record
    # for Avro unions (Avro's binary encoding carries the branch, so no property is needed).
    tag: str | int


@dataclass(frozen=True, slots=True)
class UnionType:
    name: str
    members: tuple[UnionMember, ...]
    # The property whose value tells members apart; None for Avro unions (see UnionMember.tag).
    discriminator: str | None
    description: str | None = None

    def member_for(self, value: Mapping[str, object]) -> str | None:
        """The type name of the member a plain value is, or None when it is none of them."""
        for member in self.members:
            if self.discriminator is None:
                found = value.get("__typename") == member.type_name
            else:
                found = value.get(self.discriminator) == member.tag
            if found:
                return member.type_name
        return None


NamedType = ObjectType | EnumType | UnionType


@dataclass(frozen=True, slots=True)
class TypeModel:
    """The types of one topic's values: `root` names the object type of a whole value."""

    root: str
    types: tuple[NamedType, ...]
    # Where each named type comes from in its schema (a JSON pointer, an Avro name or path), for
    # start-up messages; it takes no part in comparing models.
    locations: Mapping[str, str] = dataclasses.field(default_factory=dict, compare=False)

    def type(self, name: str) -> NamedType:
        for named in self.types:
            if named.name == name:
                return named
        raise KeyError(name)

    @property
    def root_type(self) -> ObjectType:
        root = self.type(self.root)
        assert isinstance(root, ObjectType)
        return root
