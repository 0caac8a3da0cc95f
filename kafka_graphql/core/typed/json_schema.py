"""JSON Schema (draft 2020-12 or draft-07) -> the neutral type model.

Only constructs whose GraphQL shape is unambiguous are accepted; every other one stops start-up
with a message naming the JSON pointer and the construct. Keywords that only constrain values
(minLength, pattern, ...) are fine: `json_values.py` enforces them with the whole schema.
`oneOf` and `anyOf` are json_schema_unions.py's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NoReturn

import jsonschema
from jsonschema.protocols import Validator

from kafka_graphql.core.typed.catalog import TypeCatalog
from kafka_graphql.core.typed.errors import SchemaProblem
from kafka_graphql.core.typed.json_schema_unions import alternatives
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
)
from kafka_graphql.core.typed.names import is_enum_value, is_graphql_name, pascal

# Keywords that change the shape of a value in ways GraphQL types cannot follow.
UNSUPPORTED = (
    "patternProperties",
    "if",
    "then",
    "else",
    "not",
    "allOf",
    "dependentSchemas",
    "dependencies",
    "prefixItems",
    "contains",
    "propertyNames",
    "unevaluatedItems",
    "unevaluatedProperties",
    "additionalItems",
    "$dynamicRef",
    "$recursiveRef",
)
INT32 = (-(2**31), 2**31 - 1)
JSON = ScalarKind(Scalar.JSON)


def validator_class(schema: Mapping[str, Any]) -> type[Validator] | None:
    """The validator for the schema's `$schema` (2020-12 when absent); None if unsupported."""
    dialect = str(schema.get("$schema", "2020-12"))
    if "2020-12" in dialect:
        return jsonschema.Draft202012Validator
    if "draft-07" in dialect:
        return jsonschema.Draft7Validator
    return None


def json_schema_model(
    topic: str, root: str, schema: object, source: str, description: str | None = None
) -> TypeModel:
    """The model of `schema` (a parsed JSON document) whose root object type is named `root`.

    `source` names the schema in messages (a file path or `registry subject ...`); the root's
    description is `description`, else the schema's own.
    """
    return Walker(topic, source, schema).model(root, description)


class Walker:
    def __init__(self, topic: str, source: str, document: object) -> None:
        self.topic = topic
        self.source = source
        self.document = document
        self.catalog = TypeCatalog(self.fail)
        # Kinds of the object, enum and union nodes already walked, by JSON pointer: a `$ref`
        # met twice is one type, and a recursive one resolves to the name being built.
        self.kinds: dict[str, Kind] = {}

    def fail(self, pointer: str, problem: str) -> NoReturn:
        raise SchemaProblem(self.topic, self.source, pointer, problem)

    def model(self, root: str, description: str | None) -> TypeModel:
        schema = self.document
        if not isinstance(schema, dict):
            self.fail("", "the schema must be a JSON object")
        validator = validator_class(schema)
        if validator is None:
            self.fail("/$schema", "only JSON Schema draft 2020-12 and draft-07 are supported")
        try:
            validator.check_schema(schema)
        except jsonschema.SchemaError as error:
            where = "".join(f"/{p}" for p in error.path)
            self.fail(where, f"not a valid JSON Schema: {error.message}")
        if schema.get("type") not in ("object", None) or "properties" not in schema:
            self.fail("", "the root must be an object with properties")
        self._object(schema, "", root, description or schema.get("description"))
        return self.catalog.model(root)

    def kind(self, node: object, pointer: str, hint: str) -> tuple[Kind, bool]:
        """The kind of `node` and whether null is allowed; `hint` names an unnamed type."""
        if node is True or node == {}:
            return JSON, True
        if not isinstance(node, dict):
            self.fail(pointer, "a schema that accepts nothing is not supported")
        for keyword in UNSUPPORTED:
            if keyword in node:
                self.fail(pointer, f'"{keyword}" is not supported')
        if "$ref" in node:
            target, target_pointer = self.resolve(node["$ref"], pointer)
            if target_pointer in self.kinds:
                return self.kinds[target_pointer], False
            name = target.get("title") or pascal(target_pointer.rsplit("/", 1)[-1])
            return self.kind(target, target_pointer, name)
        if pointer in self.kinds:
            return self.kinds[pointer], False
        for keyword in ("oneOf", "anyOf"):
            if keyword in node:
                return alternatives(self, node, keyword, pointer, hint)
        types = node.get("type")
        types = [types] if isinstance(types, str) else list(types or [])
        nullable = "null" in types
        types = [t for t in types if t != "null"]
        if len(types) > 1:
            self.fail(pointer, f"a value of several types ({', '.join(types)}) is not supported")
        kind_name = types[0] if types else self.implied_type(node)
        if "enum" in node:
            kind, enum_nullable = self.enum(node, pointer, hint, kind_name)
            return kind, nullable or enum_nullable
        return self.typed(node, pointer, hint, kind_name), nullable

    def implied_type(self, node: Mapping[str, Any]) -> str | None:
        if "properties" in node:
            return "object"
        if "items" in node:
            return "array"
        if "enum" in node or isinstance(node.get("const"), str):
            return "string"
        return None

    def typed(self, node: Mapping[str, Any], pointer: str, hint: str, name: str | None) -> Kind:
        match name:
            case "string":
                if node.get("format") == "date-time":
                    return ScalarKind(Scalar.DATETIME)
                if node.get("contentEncoding") == "base64":
                    return ScalarKind(Scalar.BYTES)
                return ScalarKind(Scalar.STRING)
            case "integer":
                low = node.get("minimum", node.get("exclusiveMinimum"))
                high = node.get("maximum", node.get("exclusiveMaximum"))
                bounded = low is not None and high is not None
                if bounded and INT32[0] <= low and high <= INT32[1]:
                    return ScalarKind(Scalar.INT)
                return ScalarKind(Scalar.LONG)
            case "number":
                return ScalarKind(Scalar.FLOAT)
            case "boolean":
                return ScalarKind(Scalar.BOOLEAN)
            case "array":
                items = node.get("items", True)
                if isinstance(items, list):
                    self.fail(pointer, '"items" as an array (a tuple) is not supported')
                of, items_nullable = self.kind(items, f"{pointer}/items", hint)
                return ListKind(of, items_nullable)
            case "object" if node.get("properties"):
                return self._object(node, pointer, node.get("title") or hint)
            case "object" | None:
                # No properties: a free-form object (or any value at all).
                return JSON
        self.fail(pointer, f'type "{name}" is not supported')

    def _object(
        self, node: Mapping[str, Any], pointer: str, name: str, description: str | None = None
    ) -> ObjectKind:
        self.check_type_name(name, pointer)
        kind = ObjectKind(name)
        self.kinds[pointer] = kind
        seen_before = self.catalog.reserved(name)
        if seen_before and not self.catalog.is_complete(name):
            self.fail(
                pointer,
                f"type name {name} is also given to the type around it, at "
                f"{self.catalog.location(name)}",
            )
        if not seen_before:
            self.catalog.reserve(name, pointer or "/")
        required = set(node.get("required", ()))
        fields = []
        for prop, sub in node["properties"].items():
            where = f"{pointer}/properties/{_escape(prop)}"
            if not is_graphql_name(prop):
                self.fail(where, f"property name {prop!r} is not a valid GraphQL name")
            of, nullable = self.kind(sub, where, name + pascal(prop))
            sub = sub if isinstance(sub, dict) else {}
            deprecation = "deprecated in the schema" if sub.get("deprecated") is True else None
            fields.append(
                Field(
                    prop, of, nullable or prop not in required, sub.get("description"), deprecation
                )
            )
        built = ObjectType(name, tuple(fields), description or node.get("description"))
        if seen_before:
            self.catalog.add(built, pointer or "/")
        else:
            self.catalog.complete(built)
        return kind

    def enum(
        self, node: Mapping[str, Any], pointer: str, hint: str, kind_name: str | None
    ) -> tuple[Kind, bool]:
        values = list(node["enum"])
        nullable = None in values
        values = [v for v in values if v is not None]
        if kind_name != "string" or not all(isinstance(v, str) for v in values):
            self.fail(pointer, "only enums of strings are supported")
        for value in values:
            if not is_enum_value(value):
                self.fail(pointer, f"enum value {value!r} is not a valid GraphQL enum value")
        name = node.get("title") or hint
        self.check_type_name(name, pointer)
        self.catalog.add(EnumType(name, tuple(values), node.get("description")), pointer)
        self.kinds[pointer] = EnumKind(name)
        return EnumKind(name), nullable

    def resolve(self, ref: object, pointer: str) -> tuple[Mapping[str, Any], str]:
        if not isinstance(ref, str) or not ref.startswith("#"):
            self.fail(pointer, f"$ref {ref!r} to another document is not supported")
        target: object = self.document
        for part in ref[1:].split("/")[1:]:
            part = part.replace("~1", "/").replace("~0", "~")
            if isinstance(target, dict) and part in target:
                target = target[part]
            else:
                self.fail(pointer, f"$ref {ref!r} points to nothing")
        if not isinstance(target, dict):
            self.fail(pointer, f"$ref {ref!r} does not point to a schema object")
        return target, ref[1:]

    def check_type_name(self, name: str, pointer: str) -> None:
        if not is_graphql_name(name):
            self.fail(pointer, f"type name {name!r} (from its title) is not a valid GraphQL name")


def _escape(prop: str) -> str:
    return prop.replace("~", "~0").replace("/", "~1")
