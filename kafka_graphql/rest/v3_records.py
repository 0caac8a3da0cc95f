"""One v3 produce record (`entities/v3/ProduceRequest` of confluentinc/kafka-rest), read into the
core's NewRecord: `partition_id`, `headers` (`[{"name", "value": base64}]`), `key` and `value` as
`{"type": "JSON"|"BINARY"|"STRING", "data"}`, `timestamp` (ISO 8601); and its answer
(`entities/v3/ProduceResponse`), or a record's error, each with its own `error_code`.

Schema-registry data (`schema_id`, `subject`, ...) is not read in v3 (the v2 schema formats
are): such a record is refused with 400 rather than written as something else."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from kafka_graphql.core.errors import BadUserInput, GatewayError
from kafka_graphql.core.produce import NewRecord, RawValue, Written
from kafka_graphql.core.values import encode_value
from kafka_graphql.rest.errors import RestError, record_error_code, rest_code
from kafka_graphql.rest.records import RestHeader, base64_bytes

RECORD_FIELDS = frozenset({"partition_id", "headers", "key", "value", "timestamp"})
DATA_FIELDS = frozenset({"type", "data"})
TYPES = ("JSON", "BINARY", "STRING")


@dataclass(frozen=True, slots=True)
class Part:
    """A key or value as written: its type and size in bytes, for the answer."""

    type: str
    size: int


@dataclass(frozen=True, slots=True)
class V3Record:
    record: NewRecord
    key: Part | None
    value: Part | None


def v3_record(given: object) -> V3Record:
    """The record a v3 request sends; RestError (400, or 42203 for base64 that does not
    decode) for one of another shape."""
    if not isinstance(given, dict):
        raise _shape("a record must be a JSON object with `value` (and `key`, `partition_id`, ...)")
    unknown = sorted(set(given) - RECORD_FIELDS)
    if unknown:
        raise _shape(f"unknown field `{unknown[0]}` (a record may have {_names(RECORD_FIELDS)})")
    partition = given.get("partition_id")
    if partition is not None and type(partition) is not int:
        raise _shape("partition_id must be an integer")
    key, key_part = _data(given.get("key"), "key")
    value, value_part = _data(given.get("value"), "value")
    record = NewRecord(
        RawValue(None) if value is None else value,
        key if not isinstance(key, RawValue) else key.data,
        _headers(given.get("headers")),
        partition,
        _timestamp(given.get("timestamp")),
    )
    return V3Record(record, key_part, value_part)


def _data(given: object, at: str) -> tuple[Any, Part | None]:
    """The key's or value's data as the core takes it (a plain JSON value, text, or RawValue
    bytes), and what the answer says of it; (None, None) for none."""
    if given is None:
        return None, None
    if not isinstance(given, dict) or "data" not in given:
        raise _shape(f'{at} must be an object {{"type": "JSON"|"BINARY"|"STRING", "data": ...}}')
    unknown = sorted(set(given) - DATA_FIELDS)
    if unknown:
        raise _shape(f"unknown field `{unknown[0]}` in {at} (only type and data are read)")
    kind, data = given.get("type", "JSON"), given["data"]
    if kind == "BINARY":
        raw = _base64(data, f"{at}.data")
        return RawValue(raw), Part(kind, len(raw))
    if kind == "STRING":
        if not isinstance(data, str):
            raise _shape(f"{at}.data must be a string (type STRING)")
        text = data.encode("utf-8", "surrogatepass")
        return (data if at == "key" else RawValue(text)), Part(kind, len(text))
    if kind == "JSON":
        if at == "key":
            key = data if isinstance(data, str) else _json(data).decode()
            return key, Part(kind, len(key.encode("utf-8", "surrogatepass")))
        return data, Part(kind, len(_json(data)))
    raise _shape(f"{at}.type must be one of {', '.join(TYPES)}")


def _json(data: object) -> bytes:
    try:
        return encode_value(data)
    except ValueError:  # a lone surrogate ("\ud800"), which UTF-8, and so Kafka, cannot hold
        raise RestError(
            422, "text must be valid Unicode (no lone surrogates)", code=BadUserInput.code
        ) from None


def _headers(given: object) -> list[RestHeader] | None:
    if given is None:
        return None
    if not isinstance(given, list):
        raise _shape('headers must be an array of {"name", "value"} objects')
    headers = []
    for index, header in enumerate(given):
        at = f"headers[{index}]"
        if not isinstance(header, Mapping) or not isinstance(header.get("name"), str):
            raise _shape(f"{at} must be an object with a string `name` and a base64 `value`")
        if set(header) - {"name", "value"}:
            raise _shape(f"{at} may have name and value only")
        value = header.get("value")
        headers.append(
            RestHeader(header["name"], None if value is None else _base64(value, f"{at}.value"))
        )
    return headers


def _timestamp(given: object) -> int | None:
    if given is None:
        return None
    if not isinstance(given, str):
        raise _shape("timestamp must be an ISO 8601 date and time (2026-12-07T10:00:00Z)")
    try:
        moment = datetime.fromisoformat(given)
    except ValueError:
        raise _shape(f"timestamp {given!r} is not an ISO 8601 date and time") from None
    if moment.tzinfo is None:
        raise _shape(f"timestamp {given!r} needs a time zone (Z, or an offset)")
    return int(moment.timestamp() * 1000)


def _base64(given: object, at: str) -> bytes:
    return base64_bytes(given, at, " (type BINARY)")


def _shape(message: str) -> RestError:
    return RestError(400, message)


def _names(fields: frozenset[str]) -> str:
    return ", ".join(sorted(fields))


def written_answer(cluster_id: str, sent: V3Record, written: Written) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "error_code": 200,
        "cluster_id": cluster_id,
        "topic_name": written.topic,
        "partition_id": written.partition,
        "offset": written.offset,
        "timestamp": iso_timestamp(written.timestamp_ms),
    }
    # Left out when absent, as Confluent's (JsonInclude NON_ABSENT).
    for name, part in (("key", sent.key), ("value", sent.value)):
        if part is not None:
            answer[name] = {"type": part.type, "size": part.size}
    return answer


def error_answer(error: GatewayError | RestError, written: bool = False) -> dict[str, Any]:
    """A record's error: `written`, an error of Kafka's for a record handed to it (Confluent's
    per-record 50002/50003), else the error's own code."""
    if isinstance(error, RestError):
        return {"error_code": error.error_code, "message": error.message}
    code = record_error_code(error) if written else rest_code(error).error_code
    return {"error_code": code, "message": error.message}


def iso_timestamp(ms: int) -> str:
    moment = datetime.fromtimestamp(ms / 1000, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
