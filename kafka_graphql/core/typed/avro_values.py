"""Plain values (what GraphQL sees) <-> the values fastavro reads and writes, with validation.

Plain values are JSON-like: datetimes are ISO 8601 strings with an offset, bytes are base64
strings, and a member of a union of records carries `__typename` (its GraphQL type name).
"""

from __future__ import annotations

import base64
import binascii
import math
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import fastavro
from fastavro.validation import validate as fastavro_validate

from kafka_graphql.core.typed.problems import Problem, parse_datetime

Path = list[str | int]
DATETIMES = ("timestamp-millis", "timestamp-micros")


def short_name(full_name: str) -> str:
    return full_name.rpartition(".")[2]


class AvroValues:
    """One Avro schema's conversions; `parsed` is the fastavro schema for readers and writers."""

    def __init__(self, schema: object) -> None:
        self.named: dict[str, Any] = {}
        self.parsed: Any = fastavro.parse_schema(schema, named_schemas=self.named)  # type: ignore[arg-type]

    def validate(self, value: object) -> list[Problem]:
        return self.to_avro(value)[1]

    def to_avro(self, value: object) -> tuple[object, list[Problem]]:
        """The fastavro datum for a plain value, and every problem met on the way."""
        problems: list[Problem] = []
        datum = self._to_avro(value, self.parsed, [], problems)
        return datum, problems

    def _to_avro(self, value: object, schema: Any, path: Path, problems: list[Problem]) -> object:
        if isinstance(schema, str) and schema in self.named:
            schema = self.named[schema]
        if isinstance(schema, list):
            return self._union(value, schema, path, problems)
        if isinstance(schema, str):
            return self._primitive(value, schema, path, problems)
        kind, logical = schema["type"], schema.get("logicalType")
        if logical in DATETIMES and kind == "long":
            why = parse_datetime(value)
            if why is not None:
                problems.append((path, why))
                return None
            assert isinstance(value, str)
            return datetime.fromisoformat(value)
        if kind == "record":
            return self._record(value, schema, path, problems)
        if kind == "enum":
            if value not in schema["symbols"]:
                problems.append((path, f"{value!r} is not one of {', '.join(schema['symbols'])}"))
            return value
        if kind == "array":
            if not isinstance(value, list):
                problems.append((path, "expected a list"))
                return None
            return [
                self._to_avro(v, schema["items"], [*path, i], problems) for i, v in enumerate(value)
            ]
        if kind == "map":
            if not isinstance(value, dict):
                problems.append((path, "expected an object"))
                return None
            return {
                k: self._to_avro(v, schema["values"], [*path, k], problems)
                for k, v in value.items()
            }
        if kind == "fixed":
            raw = _bytes(value, path, problems)
            if raw is not None and len(raw) != schema["size"]:
                problems.append((path, f"expected {schema['size']} bytes, got {len(raw)}"))
            return raw
        return self._to_avro(value, kind, path, problems)  # a primitive with a logical type

    def _primitive(self, value: object, name: str, path: Path, problems: list[Problem]) -> object:
        if name == "bytes":
            return _bytes(value, path, problems)
        # bool is an int in Python; Avro (and GraphQL) keep them apart.
        wrong_bool = isinstance(value, bool) and name != "boolean"
        if wrong_bool or not fastavro_validate(value, name, raise_errors=False):
            problems.append((path, f"{value!r} is not a valid Avro {name}"))
        return value

    def _record(
        self, value: object, schema: Mapping[str, Any], path: Path, problems: list[Problem]
    ) -> object:
        if not isinstance(value, dict):
            problems.append((path, "expected an object"))
            return None
        datum: dict[str, object] = {}
        names = {f["name"] for f in schema["fields"]}
        for key in value:
            if key not in names and key != "__typename":
                problems.append(
                    ([*path, key], f"{key!r} is not a field of {short_name(schema['name'])}")
                )
        for field in schema["fields"]:
            name, field_type = field["name"], field["type"]
            if name in value:
                datum[name] = self._to_avro(value[name], field_type, [*path, name], problems)
            elif "default" in field:
                datum[name] = field["default"]
            elif isinstance(field_type, list) and "null" in field_type:
                datum[name] = None
            else:
                problems.append(([*path, name], "is required"))
        return datum

    def _union(
        self, value: object, branches: list[Any], path: Path, problems: list[Problem]
    ) -> object:
        if value is None:
            if "null" not in branches:
                problems.append((path, "must not be null"))
            return None
        others = [b for b in branches if b != "null"]
        if len(others) == 1:
            return self._to_avro(value, others[0], path, problems)
        # A union of records: `__typename` names the member; fastavro takes (full name, record).
        names = {short_name(b if isinstance(b, str) else b["name"]): b for b in others}
        typename = value.get("__typename") if isinstance(value, dict) else None
        if typename not in names:
            problems.append((path, f"__typename must be one of {', '.join(names)}"))
            return None
        branch = names[typename]
        full = branch if isinstance(branch, str) else branch["name"]
        return (full, self._to_avro(value, branch, path, problems))

    def from_avro(self, datum: object) -> object:
        """The plain value of a datum fastavro read with `return_record_name=True`."""
        return plain(datum)


class NotFinite(ValueError):
    """An Avro `double` or `float` that is NaN or infinite: JSON has no such number, and
    GraphQL's Float refuses it (a server error, were it served)."""


def plain(datum: object) -> object:
    if isinstance(datum, float) and not math.isfinite(datum):
        raise NotFinite(f"a double or float is {datum}")
    if isinstance(datum, tuple):  # a union of records: (full name, record)
        name, record = datum
        return {"__typename": short_name(name), **plain(record)}  # type: ignore[dict-item]
    if isinstance(datum, dict):
        return {k: plain(v) for k, v in datum.items()}
    if isinstance(datum, list):
        return [plain(v) for v in datum]
    if isinstance(datum, datetime):
        return datum.isoformat()
    if isinstance(datum, bytes):
        return base64.b64encode(datum).decode("ascii")
    if isinstance(datum, uuid.UUID):
        return str(datum)
    return datum


def _bytes(value: object, path: Path, problems: list[Problem]) -> bytes | None:
    if isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except binascii.Error:
            pass
    problems.append((path, "expected a base64 string"))
    return None
