"""What `GET .../records` answers: each record as `{"topic", "key", "value", "partition",
"offset"}` (and `headers`, `[{"name", "value": base64}]`, when it has any; `expired` and
`reset` after records that were gone, docs/rest.md) in the instance's
format, sent as that format's media type; an `Accept` of another format is refused (40601).
In the schema formats (avro, jsonschema) the key and value are those the core read from
Confluent's wire format (core/wire_records.py)."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import Any

from aiohttp import web

from kafka_graphql.core.consumer_reads import Shown
from kafka_graphql.core.values import encode_value
from kafka_graphql.http.strict_json import dumps
from kafka_graphql.kafka import Header, Record
from kafka_graphql.rest.errors import RestError

FORMAT_MISMATCH = 40601
ANY = ("*/*", "application/*")


def media_type(format: str) -> str:
    return f"application/vnd.kafka.{format}.v2+json"


def check_accept(accept: str | None, format: str) -> None:
    """An `Accept` that takes none of the instance's format (plain JSON for json) is refused."""
    if not accept:
        return
    takes = {media_type(format), *ANY, *(("application/json",) if format == "json" else ())}
    for kind in accept.split(","):
        if kind.split(";")[0].strip().lower() in takes:
            return
    raise RestError(
        406,
        "The requested embedded data format does not match the deserializer for this "
        "consumer instance",
        FORMAT_MISMATCH,
    )


def records_response(records: Sequence[Shown], format: str) -> web.Response:
    body = dumps([_record(shown, format) for shown in records]).encode()
    return web.Response(body=body, content_type=media_type(format))


def _record(shown: Shown, format: str) -> dict[str, Any]:
    record = shown.record
    if shown.read is not None:
        key, value = shown.read
    elif format == "binary":
        key, value = _b64(_key_bytes(record)), _b64(_value_bytes(shown))
    else:
        key, value = _json_key(record), record.value
    answer: dict[str, Any] = {
        "topic": record.topic,
        "key": key,
        "value": value,
        "partition": record.partition,
        "offset": record.offset,
    }
    if record.headers:
        answer["headers"] = [_header(h) for h in record.headers]
    if shown.expired:  # records of its partition gone before it (docs/rest.md)
        answer["expired"] = shown.expired
    if shown.reset:
        answer["reset"] = True
    return answer


def _key_bytes(record: Record) -> bytes | None:
    return record.binary_key if record.key is None else record.key.encode()


def _value_bytes(shown: Shown) -> bytes | None:
    # A caller that may not see every field gets its view of the value, never the stored bytes.
    if shown.whole:
        return shown.record.raw_value
    return None if shown.record.value is None else encode_value(shown.record.value)


def _json_key(record: Record) -> Any:
    if record.key is None:
        return None if record.binary_key is None else _b64(record.binary_key)
    try:
        return json.loads(record.key)
    except ValueError:
        return record.key


def _header(header: Header) -> dict[str, Any]:
    name = header.key if header.key is not None else _b64(header.binary_key)
    raw = header.binary_value if header.value is None else header.value.encode()
    return {"name": name, "value": _b64(raw)}


def _b64(raw: bytes | None) -> str | None:
    return None if raw is None else base64.b64encode(raw).decode()
