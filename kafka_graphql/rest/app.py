"""The REST face on the gateway's app: its routes, its seam (one middleware: operations and
Confluent's error shape) and the requests the authentication middleware takes tokens on."""

from __future__ import annotations

from aiohttp import web

from kafka_graphql.http.bearer import FaceRoutes
from kafka_graphql.rest.consumers import consumer_instances
from kafka_graphql.rest.errors import unauthenticated_response
from kafka_graphql.rest.registry import registry
from kafka_graphql.rest.routes import add_routes, is_rest_request
from kafka_graphql.rest.seam import rest_middleware

# Bearer tokens on the REST routes, refused (40101) in Confluent's shape.
REST_ROUTES = FaceRoutes(is_rest_request, unauthenticated_response)
# After authentication (http/middlewares.py): the seam knows the caller.
REST_MIDDLEWARES = (rest_middleware,)


def add_rest(app: web.Application) -> None:
    """The v2 API's routes, the registry client its schema formats use and the consumer
    instances (every one closed when the app stops); the app's
    middlewares must include REST_MIDDLEWARES."""
    app.cleanup_ctx.append(registry)
    app.cleanup_ctx.append(consumer_instances)
    add_routes(app.router)
