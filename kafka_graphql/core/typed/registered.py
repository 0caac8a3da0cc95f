"""What typed topics need of a schema registry: a subject's latest schema at start-up, and the
writer schema of an `avro-confluent` value by its id. The client that asks a registry over HTTP
is schema_registry/client.py; the core knows only this protocol."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class RegisteredSchema:
    id: int
    # "AVRO", "JSON" or "PROTOBUF"; Confluent leaves it out for Avro.
    schema_type: str
    text: str
    subject: str | None = None
    version: int | None = None


class SchemaRegistry(Protocol):
    async def latest(self, subject: str) -> RegisteredSchema:
        """The latest version of `subject`; NotFound when it has none."""
        ...

    async def by_id(self, schema_id: int) -> RegisteredSchema:
        """The schema with this id (immutable: a client may cache it for good)."""
        ...
