"""A v2 produce request's records, read into the core's NewRecords by the request's embedded
format (json: JSON keys and values; binary: base64; avro and jsonschema: JSON written with the
request's registered schemas, rest/schemas.py), with headers `[{"name", "value"}]` whose values
are base64 (v2 has no headers; they are accepted here).

A body of another shape is refused (400) before anything else; a base64 string that does not
decode is refused with Confluent's JSON conversion code (42203). What the records may hold is the
core's to check (core/produce.py).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from kafka_graphql.core.produce import NewRecord, RawValue
from kafka_graphql.core.values import encode_value
from kafka_graphql.rest.content_types import EmbeddedFormat
from kafka_graphql.rest.errors import RestError
from kafka_graphql.rest.schemas import WireSchema

JSON_CONVERSION_FAILED = 42203
# What a request may name besides its records: the schema fields of the schema formats, which
# the json and binary formats ignore, as Confluent's do.
SCHEMA_FIELDS = frozenset({"key_schema", "key_schema_id", "value_schema", "value_schema_id"})
RECORD_FIELDS = frozenset({"key", "value", "partition", "headers"})


@dataclass(frozen=True, slots=True)
class RestHeader:
    key: str
    value: bytes | None


# The request's key schema and value schema, for the schema formats.
Schemas = tuple[WireSchema | None, WireSchema | None]
KEY_SCHEMA_MISSING = 42201
VALUE_SCHEMA_MISSING = 42202


def produce_records(
    body: object, embedded: EmbeddedFormat, partition: int | None, schemas: Schemas = (None, None)
) -> list[NewRecord]:
    """The records of a produce request; `partition` is the path's (every record goes there,
    and a record may not name one)."""
    if not isinstance(body, dict):
        raise _shape("the request body must be a JSON object with `records`")
    unknown = sorted(set(body) - SCHEMA_FIELDS - {"records"})
    if unknown:
        raise _shape(f"unknown field `{unknown[0]}` in the request (it has `records`)")
    records = body.get("records")
    if records is None:
        records = []  # refused by the core as too few, as every empty batch is
    if not isinstance(records, list):
        raise _shape("`records` must be an array of records")
    fields = RECORD_FIELDS - {"partition"} if partition is not None else RECORD_FIELDS
    return [_record(r, i, embedded, fields, partition, schemas) for i, r in enumerate(records)]


def _record(
    given: object,
    index: int,
    embedded: EmbeddedFormat,
    fields: frozenset[str],
    partition: int | None,
    schemas: Schemas,
) -> NewRecord:
    at = f"records[{index}]"
    if not isinstance(given, dict):
        raise _shape(f"{at} must be an object with `value` (and `key`, `partition`, `headers`)")
    unknown = sorted(set(given) - fields)
    if unknown:
        allowed = ", ".join(sorted(fields))
        raise _shape(f"unknown field `{unknown[0]}` in {at} (it may have {allowed})")
    if "partition" in given:
        partition = given["partition"]
        if partition is not None and type(partition) is not int:
            raise _shape(f"{at}.partition must be an integer")
    if embedded is EmbeddedFormat.BINARY:
        key: str | bytes | None = _base64(given.get("key"), f"{at}.key")
        value: object = RawValue(_base64(given.get("value"), f"{at}.value"))
    elif embedded.has_schemas:
        key = _with_schema(given.get("key"), schemas[0], f"{at}.key", KEY_SCHEMA_MISSING)
        value = RawValue(
            _with_schema(given.get("value"), schemas[1], f"{at}.value", VALUE_SCHEMA_MISSING)
        )
    else:
        key = _json_key(given.get("key"))
        value = given.get("value")
        if value is None:
            value = RawValue(None)  # null: a record without a value (a tombstone), as Confluent
    headers = _headers(given.get("headers"), at)
    return NewRecord(value, key, headers, partition)


def _with_schema(given: object, schema: WireSchema | None, at: str, missing: int) -> bytes | None:
    if given is None:
        return None
    if schema is None:
        part = "key" if missing == KEY_SCHEMA_MISSING else "value"
        raise RestError(
            422,
            f"Request includes {part}s but does not include {part} schema ({at})",
            missing,
        )
    return schema.encode(given, at)


def _json_key(key: object) -> str | None:
    """A json v2 key: a string is written as its text (keys are text to the rest of the
    gateway, its filters and record rules), any other JSON value as its JSON."""
    if key is None or isinstance(key, str):
        return key
    return encode_value(key).decode()


def _headers(given: object, at: str) -> Sequence[RestHeader] | None:
    if given is None:
        return None
    if not isinstance(given, list):
        raise _shape(f'{at}.headers must be an array of {{"name", "value"}} objects')
    return [_header(h, f"{at}.headers[{i}]") for i, h in enumerate(given)]


def _header(given: object, at: str) -> RestHeader:
    if not isinstance(given, Mapping) or not isinstance(given.get("name"), str):
        raise _shape(f"{at} must be an object with a string `name` and a base64 `value`")
    unknown = sorted(set(given) - {"name", "value"})
    if unknown:
        raise _shape(f"unknown field `{unknown[0]}` in {at} (it may have name, value)")
    return RestHeader(given["name"], _base64(given.get("value"), f"{at}.value"))


def _base64(given: object, at: str) -> bytes | None:
    return None if given is None else base64_bytes(given, at)


def base64_bytes(given: object, at: str, hint: str = "") -> bytes:
    """`given`'s bytes, for a field (`at`) that holds base64 text; 400 for anything but a
    string (`hint` says more), 42203 for a string that is not base64."""
    if not isinstance(given, str):
        raise _shape(f"{at} must be a base64 string{hint}")
    try:
        return base64.b64decode(given, validate=True)
    except (binascii.Error, ValueError):
        raise RestError(
            422,
            f"Conversion of JSON to Object failed: {at} is not valid base64",
            JSON_CONVERSION_FAILED,
        ) from None


def _shape(message: str) -> RestError:
    return RestError(400, message)
