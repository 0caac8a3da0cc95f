"""The `[schema_registry]` table: a Confluent-compatible Schema Registry API (Confluent,
Apicurio's ccompat, Karapace...) that typed topics with `value_schema = "registry"` read."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field, SecretStr

from kafka_graphql.settings.fields import Matching, Table

HttpUrl = Annotated[
    str,
    Matching(
        "http(s) URL",
        lambda url: re.match(r"https?://[^/]", url) is not None,
        "{key} must be an http(s) URL",
    ),
]


class SchemaRegistrySettings(Table):
    """`[schema_registry]`: where typed topics' registry schemas come from."""

    url: HttpUrl | None = None
    """a Confluent-compatible Schema Registry API (e.g. `http://127.0.0.1:8081/apis/ccompat/v7`),
    needed by typed topics with `value_schema = "registry"` and by the REST face's avro and
    jsonschema v2 ([rest.md](rest.md#schema-formats))"""
    username: str | None = Field(None, repr=False)
    """the registry's basic-auth user; from the environment only, never from the file"""
    password: SecretStr | None = None
    """the registry's basic-auth password; from the environment only, never from the file, never
    shown"""
    request_timeout_s: float = Field(10.0, gt=0, allow_inf_nan=False)
    """upper bound of any single registry call"""
    cache_size: int = Field(1000, gt=0)
    """writer schemas kept in memory by id (decoding `avro-confluent` values looks them up); the
    REST face keeps as many of the schemas its requests name"""
