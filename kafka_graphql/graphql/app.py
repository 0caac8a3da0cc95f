"""The GraphQL face on the gateway's app: its view at `/graphql` (with GraphiQL's own files when
they are here, and shared subscription execution when it is on), and at start-up the schema
with the typed topics' types."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

from aiohttp import web
from strawberry.http.ides import get_graphql_ide_html
from strawberry.subscriptions import (
    GRAPHQL_SSE_PROTOCOL,
    GRAPHQL_TRANSPORT_WS_PROTOCOL,
    GRAPHQL_WS_PROTOCOL,
    MULTIPART_SUBSCRIPTION_PROTOCOL,
)

from kafka_graphql.core.auth.field_rules import FieldRules
from kafka_graphql.core.typed.records import TypedRecords
from kafka_graphql.core.typed.startup import StartupFailed
from kafka_graphql.graphql.graphiql import ASSETS_URL, local_graphiql_html
from kafka_graphql.graphql.graphiql_page import graphiql_page
from kafka_graphql.graphql.limits.cost import UnknownWeight
from kafka_graphql.graphql.limits.operation import CostedSchema
from kafka_graphql.graphql.persisted import PersistedDocuments
from kafka_graphql.graphql.schema import build_schema
from kafka_graphql.graphql.schema.typed import NameClash
from kafka_graphql.graphql.shared import SharedGroups
from kafka_graphql.graphql.view import GRAPHQL_PATH, VIEW, GatewayView
from kafka_graphql.http.state import LIMITS, REGISTRY, SETTINGS, TELEMETRY, TYPED
from kafka_graphql.schema_registry.typed_topics import typed_topics
from kafka_graphql.settings import Settings

SUBSCRIPTION_PROTOCOLS = (
    GRAPHQL_TRANSPORT_WS_PROTOCOL,
    GRAPHQL_WS_PROTOCOL,
    GRAPHQL_SSE_PROTOCOL,
    MULTIPART_SUBSCRIPTION_PROTOCOL,
)


def add_graphql(
    app: web.Application, settings: Settings, dev_token: str | None = None
) -> GatewayView:
    """The view, served at GRAPHQL_PATH; `typed_schema` must be among the app's cleanup
    contexts (it replaces the schema when there are typed topics). GraphiQL starts with
    `dev_token` (the development token, dev/dev_token.py) in its Headers tab."""
    view = GatewayView(
        # Replaced at start-up when there are typed topics (their schemas may be in a registry).
        schema=build_schema(
            settings.limits, server=settings.server, rules=FieldRules.configured(settings.auth)
        ),
        graphql_ide="graphiql" if settings.server.serves_graphiql else None,
        allowed_origins=settings.server.cors_allow_origins,
        # Both WebSocket subprotocols, and the HTTP streams of graphql/streams.py.
        subscription_protocols=SUBSCRIPTION_PROTOCOLS,
        # Our own limit answers with a coded error first (graphql/ws/, the same count); this one
        # is Strawberry's backstop.
        max_subscriptions_per_connection=settings.limits.max_subscriptions_per_connection + 1,
        connection_init_wait_timeout=timedelta(seconds=settings.limits.connection_init_timeout_s),
    )
    if settings.server.serves_graphiql:
        assets = Path(settings.server.graphiql_assets_dir)
        local = local_graphiql_html(assets)
        if local is not None:
            app.router.add_static(ASSETS_URL, assets)
        tabs = [Path(tab).read_text(encoding="utf-8") for tab in settings.server.graphiql_tabs]
        page = local if local is not None else get_graphql_ide_html(graphql_ide="graphiql")
        view.graphiql_html = graphiql_page(page, tabs, dev_token)
    view.persisted = PersistedDocuments.configured(settings.server, settings.limits.max_query_bytes)
    if settings.server.shared_subscriptions:
        view.shared_groups = SharedGroups(
            view.encode_json, settings.limits, app[LIMITS].memory, app[TELEMETRY]
        )
    app[VIEW] = view
    app.router.add_route("*", GRAPHQL_PATH, view)
    return view


async def typed_schema(app: web.Application) -> AsyncIterator[None]:
    """Typed topics' schemas -> the schema served; the registry client lives until shutdown."""
    settings = app[SETTINGS]
    topics = typed_topics(settings)
    async with topics as typed:
        if topics.registry is not None:
            app[REGISTRY] = topics.registry  # its health, for /readyz
        if typed:
            rules = FieldRules.configured(settings.auth, typed.values())
            app[TYPED] = {name: TypedRecords(topic, rules) for name, topic in typed.items()}
            try:
                app[VIEW].schema = build_schema(
                    settings.limits, app[TYPED].values(), settings.server, rules
                )
            except NameClash as error:
                raise StartupFailed(str(error)) from None
        check_cost_weights(app[VIEW].schema)
        yield


def check_cost_weights(schema: object) -> None:
    assert isinstance(schema, CostedSchema)
    try:
        schema.costs.check_weights()
    except UnknownWeight as error:
        raise StartupFailed(str(error)) from None
