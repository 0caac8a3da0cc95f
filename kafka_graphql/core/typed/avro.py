"""Avro schema (.avsc or a registry's AVRO schema) -> the neutral type model.

fastavro validates the schema first; the walk below then maps each construct, and stops start-up
at the first one GraphQL types cannot follow, naming its Avro path (`Record.field[]`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NoReturn

import fastavro

from kafka_graphql.core.typed.catalog import TypeCatalog
from kafka_graphql.core.typed.errors import SchemaProblem
from kafka_graphql.core.typed.model import (
    EnumKind,
    EnumType,
    Field,
    Kind,
    ListKind,
    ObjectKind,
    ObjectType,
    Scalar,
    ScalarKind,
    TypeModel,
    UnionKind,
    UnionMember,
    UnionType,
)
from kafka_graphql.core.typed.names import is_enum_value, is_graphql_name, pascal

PRIMITIVES: Mapping[str, Scalar] = {
    "boolean": Scalar.BOOLEAN,
    "int": Scalar.INT,
    "long": Scalar.LONG,
    "float": Scalar.FLOAT,
    "double": Scalar.FLOAT,
    "bytes": Scalar.BYTES,
    "string": Scalar.STRING,
}
DATETIME_LOGICAL_TYPES = ("timestamp-millis", "timestamp-micros")
# Logical types fastavro turns into Python values (Decimal, date, time, naive datetime) that have
# no agreed GraphQL form yet. Unknown logical types fall back to their underlying type (Avro spec).
UNSUPPORTED_LOGICAL_TYPES = (
    "decimal",
    "date",
    "time-millis",
    "time-micros",
    "local-timestamp-millis",
    "local-timestamp-micros",
)


def avro_model(
    topic: str, root: str, schema: object, source: str, description: str | None = None
) -> TypeModel:
    """The model of an Avro schema (parsed JSON) whose top-level record becomes type `root`."""
    return _Walker(topic, source).model(schema, root, description)


def full_name(node: Mapping[str, Any], namespace: str | None) -> str:
    name = str(node["name"])
    if "." in name:
        return name
    space = node.get("namespace", namespace)
    return f"{space}.{name}" if space else name


class _Walker:
    def __init__(self, topic: str, source: str) -> None:
        self.topic = topic
        self.source = source
        self.catalog = TypeCatalog(self.fail)
        # Named Avro types (records, enums, fixed) by full name, for later references.
        self.named: dict[str, Kind] = {}

    def fail(self, path: str, problem: str) -> NoReturn:
        raise SchemaProblem(self.topic, self.source, path, problem)

    def model(self, schema: object, root: str, description: str | None) -> TypeModel:
        try:
            fastavro.parse_schema(schema)  # type: ignore[arg-type]
        except fastavro.schema.UnknownType as error:
            # fastavro's own message is the bare name.
            self.fail("", f"not a valid Avro schema: unknown type {error.name!r}")
        except Exception as error:  # noqa: BLE001 - fastavro raises several unrelated types
            self.fail("", f"not a valid Avro schema: {error}")
        if not isinstance(schema, dict) or schema.get("type") not in ("record", "error"):
            self.fail("", "the top-level type must be a record")
        self.record(schema, None, root, description)
        return self.catalog.model(root)

    def kind(self, node: object, path: str, hint: str, space: str | None) -> tuple[Kind, bool]:
        """The kind of an Avro type and whether it admits null; `hint` names an unnamed type."""
        if isinstance(node, list):
            return self.union(node, path, hint, space)
        if isinstance(node, str):
            if node in PRIMITIVES:
                return ScalarKind(PRIMITIVES[node]), False
            if node == "null":
                self.fail(path, 'a lone "null" type is not supported')
            name = node if "." in node or space is None else f"{space}.{node}"
            kind = self.named.get(name) or self.named.get(node)
            if kind is None:
                self.fail(path, f"unknown type {node!r}")
            return kind, False
        assert isinstance(node, dict)  # parse_schema accepted the schema
        avro_type = node["type"]
        logical = node.get("logicalType")
        if logical in UNSUPPORTED_LOGICAL_TYPES:
            self.fail(path, f'logicalType "{logical}" is not supported')
        if avro_type == "long" and logical in DATETIME_LOGICAL_TYPES:
            return ScalarKind(Scalar.DATETIME), False
        match avro_type:
            case "record" | "error":
                return self.record(node, space, None, None), False
            case "enum":
                return self.enum(node, path, space), False
            case "array":
                of, items_nullable = self.kind(node["items"], f"{path}[]", hint, space)
                return ListKind(of, items_nullable), False
            case "map":
                return ScalarKind(Scalar.JSON), False
            case "fixed":
                self.named[full_name(node, space)] = ScalarKind(Scalar.BYTES)
                return ScalarKind(Scalar.BYTES), False
        return self.kind(avro_type, path, hint, space)

    def record(
        self, node: Mapping[str, Any], space: str | None, root: str | None, doc: str | None
    ) -> ObjectKind:
        name = full_name(node, space)
        space = name.rpartition(".")[0] or None
        # The GraphQL name drops the namespace; the top-level record takes the configured name.
        graphql_name = root or name.rpartition(".")[2]
        if not is_graphql_name(graphql_name):
            self.fail(name, f"record name {graphql_name!r} is not a valid GraphQL name")
        kind = ObjectKind(graphql_name)
        self.named[name] = kind
        seen_before = self.catalog.reserved(graphql_name)
        if not seen_before:
            self.catalog.reserve(graphql_name, name)
        fields: list[Field] = []
        for avro_field in node["fields"]:
            field_name = avro_field["name"]
            path = f"{name}.{field_name}"
            if not is_graphql_name(field_name):
                self.fail(path, f"field name {field_name!r} is not a valid GraphQL name")
            # The Avro spec requires unique names, but fastavro does not check it.
            if any(f.name == field_name for f in fields):
                self.fail(path, f"field name {field_name!r} appears twice in record {name}")
            of, nullable = self.kind(
                avro_field["type"], path, graphql_name + pascal(field_name), space
            )
            has_default = "default" in avro_field
            fields.append(
                Field(field_name, of, nullable, avro_field.get("doc"), has_default=has_default)
            )
        built = ObjectType(graphql_name, tuple(fields), doc or node.get("doc"))
        if seen_before:
            self.catalog.add(built, name)  # the same short name elsewhere: same shape or fail
        else:
            self.catalog.complete(built)
        return kind

    def enum(self, node: Mapping[str, Any], path: str, space: str | None) -> EnumKind:
        name = full_name(node, space)
        short = name.rpartition(".")[2]
        for symbol in node["symbols"]:
            if not is_enum_value(symbol):
                self.fail(path, f"enum {name} symbol {symbol!r} is not a valid GraphQL enum value")
        self.catalog.add(EnumType(short, tuple(node["symbols"]), node.get("doc")), name)
        self.named[name] = EnumKind(short)
        return EnumKind(short)

    def union(
        self, branches: list[Any], path: str, hint: str, space: str | None
    ) -> tuple[Kind, bool]:
        others = [b for b in branches if b != "null"]
        nullable = len(others) < len(branches)
        if len(others) == 1:
            kind, _ = self.kind(others[0], path, hint, space)
            return kind, nullable
        members = []
        for i, branch in enumerate(others):
            kind, _ = self.kind(branch, f"{path}|{i}", hint, space)
            if not isinstance(kind, ObjectKind):
                self.fail(path, "a union of anything but records (and null) is not supported")
            avro_name = next(n for n, k in self.named.items() if k == kind)
            members.append(UnionMember(kind.name, avro_name))
        if not is_graphql_name(hint):
            self.fail(path, f"union name {hint!r} is not a valid GraphQL name")
        # Avro's binary encoding carries the branch index, so a union of records is always
        # decidable; the member's Avro full name is its tag.
        self.catalog.add(UnionType(hint, tuple(members), None), path)
        return UnionKind(hint), nullable
