"""Typed topics at start-up: the registry client (when configured) and every topic loaded."""

from __future__ import annotations

from contextlib import AsyncExitStack

from kafka_graphql.core.errors import GatewayError
from kafka_graphql.core.typed.errors import SchemaProblem
from kafka_graphql.core.typed.startup import StartupFailed, check_record_paths
from kafka_graphql.core.typed.topic import TypedTopic, load_typed_topics
from kafka_graphql.schema_registry.client import SchemaRegistryClient
from kafka_graphql.settings import Settings


class typed_topics:  # lower case, as contextlib's `suppress`: `async with typed_topics(...)`
    """Every typed topic by name, with the registry client open until the block ends.

    A class rather than an `@asynccontextmanager` generator: the gateway enters it in a cleanup
    context, and when a later start-up step fails aiohttp never exits it; the event loop then
    closes the leftover async generators in no particular order, and an inner generator closed
    before the outer one that holds it makes the outer one's exit fail with a traceback (on a
    start-up that must fail with one line)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._stack = AsyncExitStack()
        # The registry's client while the block runs (None: no registry is configured).
        self.registry: SchemaRegistryClient | None = None

    async def __aenter__(self) -> dict[str, TypedTopic]:
        settings = self._settings
        async with AsyncExitStack() as stack:
            registry = None
            if settings.schema_registry.url is not None:
                registry = await stack.enter_async_context(
                    SchemaRegistryClient(settings.schema_registry)
                )
            try:
                loaded = await load_typed_topics(settings.topics, registry)
            except SchemaProblem as error:
                raise StartupFailed(str(error)) from None
            except GatewayError as error:
                raise StartupFailed(error.message) from None
            check_record_paths(settings, loaded)
            # Loaded: the registry client stays open until __aexit__.
            self._stack = stack.pop_all()
            self.registry = registry
        return loaded

    async def __aexit__(self, *exc_info: object) -> None:
        self.registry = None
        await self._stack.aclose()
