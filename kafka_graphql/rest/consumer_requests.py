"""The bodies and parameters of the consumer API's requests, read into the core's terms
(Confluent's `entities/v2/Consumer*Request`); anything of another shape is refused before the
core is called: 422 with Confluent's invalid-consumer-config code for a bad configuration,
400 otherwise."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kafka_graphql.core.consumer_instances import InstanceSpec
from kafka_graphql.kafka.group_consumer import GroupOptions
from kafka_graphql.rest.errors import RestError

INVALID_CONSUMER_CONFIG = 42204
# The formats an instance shows records in; the schema formats need the schema registry.
FORMATS = ("json", "binary", "avro", "jsonschema")
SCHEMA_FORMATS = ("avro", "jsonschema")
RESETS = {"earliest": "earliest", "smallest": "earliest", "latest": "latest", "largest": "latest"}
CREATE_FIELDS = frozenset(
    {
        "name",
        "id",
        "format",
        "auto.offset.reset",
        "auto.commit.enable",
        "fetch.min.bytes",
        "consumer.request.timeout.ms",
    }
)
# Confluent's consumer.request.timeout.ms default; the most a records request may wait.
DEFAULT_TIMEOUT_MS = 1000
MAX_TIMEOUT_MS = 30_000
DEFAULT_MAX_BYTES = 1 << 20
MAX_BYTES = 64 << 20
Partition = tuple[str, int]


def _config(problem: str) -> RestError:
    return RestError(422, f"Invalid consumer configuration: {problem}", INVALID_CONSUMER_CONFIG)


def _bad(problem: str) -> RestError:
    return RestError(400, f"HTTP 400 Bad Request: {problem}")


def _object(body: object, what: str) -> Mapping[str, Any]:
    if not isinstance(body, dict):
        raise _bad(f"the body must be a JSON object with {what}")
    return body


def instance_request(group: str, body: object, registry: bool) -> tuple[GroupOptions, InstanceSpec]:
    """`POST /consumers/{group}`: the group member and the instance to make (`registry`:
    whether the gateway has a schema registry, which the schema formats read through)."""
    given = _object({} if body is None else body, "the instance's configuration")
    unknown = sorted(set(given) - CREATE_FIELDS)
    if unknown:
        raise _config(f"unknown field {unknown[0]!r}")
    name = given.get("name", given.get("id"))
    if name is not None and (not isinstance(name, str) or not 1 <= len(name) <= 249):
        raise _config("name must be a string of 1 to 249 characters")
    format = given.get("format", "binary")
    if format not in FORMATS:
        raise _config(f"format must be one of {', '.join(FORMATS)}")
    if format in SCHEMA_FORMATS and not registry:
        raise _config(f"format {format} needs the gateway's schema registry (schema_registry.url)")
    reset = RESETS.get(str(given.get("auto.offset.reset", "latest")))
    if reset is None:
        raise _config("auto.offset.reset must be earliest or latest")
    commit = str(given.get("auto.commit.enable", "true")).lower()
    if commit not in ("true", "false"):
        raise _config("auto.commit.enable must be true or false")
    fetch_min = _number(given, "fetch.min.bytes", 1, 1, 1 << 20)
    timeout_ms = _number(
        given, "consumer.request.timeout.ms", DEFAULT_TIMEOUT_MS, 0, MAX_TIMEOUT_MS
    )
    options = GroupOptions(group, reset, commit == "true", fetch_min)
    return options, InstanceSpec(name, format, timeout_ms / 1000)


def _number(given: Mapping[str, Any], name: str, default: int, low: int, high: int) -> int:
    """Confluent's configuration values are strings or numbers."""
    raw = given.get(name, default)
    try:
        value = int(raw) if isinstance(raw, int | str) and not isinstance(raw, bool) else None
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise _config(f"{name} must be a whole number from {low} to {high}")
    return value


def subscription_request(body: object) -> tuple[list[str] | None, str | None]:
    """`{"topics": [...]}` or `{"topic_pattern": "..."}`."""
    given = _object(body, '"topics" or "topic_pattern"')
    topics, pattern = given.get("topics"), given.get("topic_pattern")
    if (topics is None) == (pattern is None):
        raise _bad('give one of "topics" and "topic_pattern"')
    if pattern is not None:
        if not isinstance(pattern, str) or not pattern:
            raise _bad("topic_pattern must be a regular expression")
        return None, pattern
    if not isinstance(topics, list) or not topics or not all(isinstance(t, str) for t in topics):
        raise _bad("topics must be a list of topic names")
    return list(dict.fromkeys(topics)), None


def partitions_request(body: object) -> list[Partition]:
    """`{"partitions": [{"topic", "partition"}]}`."""
    entries = _object(body, '"partitions"').get("partitions")
    if not isinstance(entries, list):
        raise _bad('"partitions" must be a list of {"topic", "partition"}')
    return [_partition(entry, "partitions") for entry in entries]


def offsets_request(body: object, empty: bool) -> dict[Partition, int] | None:
    """`{"offsets": [{"topic", "partition", "offset"}]}`; with `empty`, no body (or no
    offsets) is None: every position."""
    if empty and (body is None or body == {} or body == {"offsets": []}):
        return None
    entries = _object(body, '"offsets"').get("offsets")
    if not isinstance(entries, list):
        raise _bad('"offsets" must be a list of {"topic", "partition", "offset"}')
    found: dict[Partition, int] = {}
    for entry in entries:
        where = _partition(entry, "offsets")
        offset = entry.get("offset")
        if type(offset) is not int or offset < 0:
            raise _bad("each offset must be a whole number of at least 0")
        found[where] = offset
    return found


def _partition(entry: object, field: str) -> Partition:
    if not isinstance(entry, dict):
        raise _bad(f"each of {field} must be an object")
    topic, partition = entry.get("topic"), entry.get("partition")
    if not isinstance(topic, str) or type(partition) is not int or partition < 0:
        raise _bad(f"each of {field} needs a topic name and a partition number")
    return topic, partition


def records_parameters(query: Mapping[str, str], default_timeout_s: float) -> tuple[float, int]:
    """`?timeout=` (ms) and `?max_bytes=`."""
    timeout_s, max_bytes = default_timeout_s, DEFAULT_MAX_BYTES
    if "timeout" in query:
        timeout_s = _parameter(query["timeout"], "timeout", MAX_TIMEOUT_MS) / 1000
    if "max_bytes" in query:
        max_bytes = _parameter(query["max_bytes"], "max_bytes", MAX_BYTES)
    return timeout_s, max_bytes


def _parameter(raw: str, name: str, high: int) -> int:
    if not raw.isdigit() or int(raw) > high:
        raise _bad(f"{name} must be a whole number from 0 to {high}")
    return int(raw)
