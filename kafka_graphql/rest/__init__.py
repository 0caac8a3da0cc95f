"""The REST face: the Confluent REST Proxy API v2 (produce and metadata) over the core."""

from kafka_graphql.rest.app import REST_MIDDLEWARES, REST_ROUTES, add_rest

__all__ = ["REST_MIDDLEWARES", "REST_ROUTES", "add_rest"]
