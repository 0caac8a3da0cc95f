"""Typed topics at start-up: the registry client (when configured) and every topic loaded."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from kafka_graphql.errors import GatewayError
from kafka_graphql.settings import Settings
from kafka_graphql.typed.errors import SchemaProblem
from kafka_graphql.typed.paths import claim_path_problem
from kafka_graphql.typed.registry import SchemaRegistryClient
from kafka_graphql.typed.topic import TypedTopic, load_typed_topics


class StartupFailed(Exception):
    """A typed topic cannot be served; the message is the one line `main()` exits with."""


@asynccontextmanager
async def typed_topics(settings: Settings) -> AsyncIterator[dict[str, TypedTopic]]:
    """Every typed topic by name, with the registry client open until the block ends."""
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
        yield loaded


def check_record_paths(settings: Settings, loaded: dict[str, TypedTopic]) -> None:
    """A typed topic's `records.value` must name a field of its schema that can hold a claim
    (a rule that can never match would hide every record without saying why)."""
    for i, rule in enumerate(settings.topics):
        typed = loaded.get(rule.name)
        if typed is None or rule.records is None or rule.records.value is None:
            continue
        problem = claim_path_problem(typed.model, rule.records.path)
        if problem is not None:
            raise StartupFailed(
                f"topics[{i}].records.value {rule.records.value!r} of topic {rule.name} "
                f"({typed.source}): {problem}"
            )
