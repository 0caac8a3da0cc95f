"""The consumer API's schema formats (`avro`, `jsonschema`): a record's key and value read from
Confluent's wire format through the schema registry (core/typed/wire.py), as Confluent's
deserializers read them; a record that does not read stops the read at it (UndecodableRecord).

Two choices of the gateway's: a key that is not in the wire format but is text is shown as its
text (the gateway's own produce writes keys as text, and its filters and record rules read
them so); and a typed topic's value is read by the topic's own codec and shown in the caller's
view (masks applied), as the json format shows it: a registry Avro topic's in `avro`, a JSON
topic's (written in the wire format) in `jsonschema`. Any other typed topic's value does not read.
"""

from __future__ import annotations

from dataclasses import dataclass

from kafka_graphql.core.auth.field_masks import FieldView
from kafka_graphql.core.errors import GatewayError
from kafka_graphql.core.typed.codecs import UndecodableValue
from kafka_graphql.core.typed.records import TypedRecords
from kafka_graphql.core.typed.wire import AVRO, JSON, WireValues, is_wire
from kafka_graphql.kafka import Record

# The consumer API's formats read from the wire format, and the schema type each reads.
WIRE_FORMATS = {"avro": AVRO, "jsonschema": JSON}
# The topic's value format its typed values must have to be read in each schema type.
TYPED_FORMATS = {AVRO: "avro-confluent", JSON: "json"}


class UndecodableRecord(GatewayError):
    """A record whose key or value is not in the instance's format (Confluent's message: its
    consumer stops at such a record until the caller seeks past it)."""

    code = "UNDECODABLE_RECORD"


@dataclass(frozen=True, slots=True)
class WireReader:
    values: WireValues
    kind: str

    async def key_and_value(
        self, record: Record, typed: TypedRecords | None, view: FieldView
    ) -> tuple[object, object]:
        try:
            return await self._key(record), await self._value(record, typed, view)
        except UndecodableValue:
            raise UndecodableRecord(
                f"Error deserializing key/value for partition {record.topic}-"
                f"{record.partition} at offset {record.offset}. If needed, please seek past "
                "the record to continue consumption."
            ) from None

    async def _key(self, record: Record) -> object:
        raw = record.binary_key if record.key is None else record.key.encode()
        if raw is None:
            return None
        if is_wire(raw):
            return await self.values.read(raw, self.kind)
        if record.key is None:
            raise UndecodableValue("a key neither in the wire format nor text")
        return record.key

    async def _value(self, record: Record, typed: TypedRecords | None, view: FieldView) -> object:
        raw = record.raw_value
        if raw is None:
            return None
        if typed is None:
            return await self.values.read(raw, self.kind)
        if typed.topic.rule.format != TYPED_FORMATS[self.kind]:
            raise UndecodableValue("the topic's values are of another format")
        if self.kind == JSON:
            decoded = typed.validated(await self.values.read(raw, JSON))
        else:
            decoded = await typed.decode(record)
        if decoded.value is None:
            raise UndecodableValue("; ".join(decoded.errors))
        return view.value(decoded.value)


def wire_reader(format: str, values: WireValues | None) -> WireReader | None:
    """The reader of an instance's format; None for the formats shown as stored (json, binary)."""
    kind = WIRE_FORMATS.get(format)
    if kind is None or values is None:
        return None
    return WireReader(values, kind)
