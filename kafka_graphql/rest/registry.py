"""The schema registry the REST face's schema formats resolve through (produce's schemas, the
consumers' writer schemas): its own client of the configured registry (`[schema_registry]`),
open while the app runs."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from kafka_graphql.core.typed.wire import WireValues
from kafka_graphql.http.state import SETTINGS
from kafka_graphql.rest.schemas import RequestSchemas
from kafka_graphql.schema_registry.client import SchemaRegistryClient

SCHEMAS = web.AppKey("rest_schemas", RequestSchemas)
# What the consumer API's schema formats read keys and values with.
WIRE = web.AppKey("rest_wire_values", WireValues)


async def registry(app: web.Application) -> AsyncIterator[None]:
    """A cleanup context: the registry's client (when one is configured) from start-up on."""
    settings = app[SETTINGS].schema_registry
    if settings.url is None:
        app[SCHEMAS] = RequestSchemas(None, settings.cache_size)
        app[WIRE] = WireValues(None, settings.cache_size)
        yield
        return
    async with SchemaRegistryClient(settings) as client:
        app[SCHEMAS] = RequestSchemas(client, settings.cache_size)
        app[WIRE] = WireValues(client, settings.cache_size)
        yield
