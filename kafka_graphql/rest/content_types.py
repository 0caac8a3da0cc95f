"""The media types of the Confluent REST Proxy API v2: what a produce request may be sent as
(the embedded format of its keys and values), and what every answer is sent as."""

from __future__ import annotations

from enum import Enum

from kafka_graphql.http.requests import preview

RESPONSE_TYPE = "application/vnd.kafka.v2+json"


class EmbeddedFormat(Enum):
    # Keys and values are JSON values.
    JSON = "json"
    # Keys and values are base64 strings of the bytes to write.
    BINARY = "binary"
    # Keys and values are JSON written with a registered schema (Avro's JSON encoding, or
    # JSON for a JSON Schema), in Confluent's wire format.
    AVRO = "avro"
    JSONSCHEMA = "jsonschema"

    @property
    def has_schemas(self) -> bool:
        return self in (EmbeddedFormat.AVRO, EmbeddedFormat.JSONSCHEMA)


REQUEST_TYPES = {
    "application/vnd.kafka.json.v2+json": EmbeddedFormat.JSON,
    "application/vnd.kafka.binary.v2+json": EmbeddedFormat.BINARY,
    "application/vnd.kafka.avro.v2+json": EmbeddedFormat.AVRO,
    "application/vnd.kafka.jsonschema.v2+json": EmbeddedFormat.JSONSCHEMA,
    # Plain JSON reads as json v2.
    "application/json": EmbeddedFormat.JSON,
}
# Confluent's protobuf format: not served yet (docs/rest.md).
NOT_YET = ("application/vnd.kafka.protobuf.v2+json",)


class UnsupportedMediaType(Exception):
    """A produce body of a type this face does not read (415); the message says which it
    reads."""


def embedded_format(content_type: str | None) -> EmbeddedFormat:
    """The format of a produce request's keys and values, by its Content-Type (UTF-8 only)."""
    media_type, _, parameters = (content_type or "").partition(";")
    media_type = media_type.strip().lower()
    found = REQUEST_TYPES.get(media_type)
    if found is None:
        later = " yet" if media_type in NOT_YET else ""
        given = preview(media_type) if media_type else "a body without a Content-Type"
        raise UnsupportedMediaType(
            f"HTTP 415 Unsupported Media Type: {given} is not accepted{later}; send "
            f"{', '.join(REQUEST_TYPES)}"
        )
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() != "utf-8":
            raise UnsupportedMediaType("HTTP 415 Unsupported Media Type: the only charset is utf-8")
    return found
