"""The REST face's routes: Confluent REST Proxy API v2 produce, metadata and consumers. Each
route is an operation for telemetry: its name and its kind (a write is a mutation, a read a
query)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from kafka_graphql.rest import metadata, produce, push, v3
from kafka_graphql.rest.consumers import CONSUMER_ROUTES

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# A partition in a path is a number; anything else names no route (404, as Confluent answers).
PARTITION = "{partition:[0-9]+}"


@dataclass(frozen=True, slots=True)
class Endpoint:
    method: str
    path: str
    handler: Handler
    # The operation's name and type (core/telemetry.py's Operation).
    name: str
    operation_type: str


ENDPOINTS = (
    Endpoint("GET", "/topics", metadata.list_topics, "list_topics", "query"),
    Endpoint("GET", "/topics/{topic}", metadata.get_topic, "get_topic", "query"),
    Endpoint("POST", "/topics/{topic}", produce.produce_to_topic, "produce", "mutation"),
    Endpoint(
        "GET", "/topics/{topic}/partitions", metadata.list_partitions, "list_partitions", "query"
    ),
    Endpoint(
        "GET",
        f"/topics/{{topic}}/partitions/{PARTITION}",
        metadata.get_partition,
        "get_partition",
        "query",
    ),
    Endpoint(
        "POST",
        f"/topics/{{topic}}/partitions/{PARTITION}",
        produce.produce_to_partition,
        "produce_to_partition",
        "mutation",
    ),
    Endpoint(
        "GET",
        f"/topics/{{topic}}/partitions/{PARTITION}/offsets",
        metadata.partition_offsets,
        "partition_offsets",
        "query",
    ),
    Endpoint("GET", "/topics/{topic}/records", push.push_records, "push_records", "subscription"),
    Endpoint("GET", "/brokers", metadata.list_brokers, "list_brokers", "query"),
    *(Endpoint(*route) for route in CONSUMER_ROUTES),
    Endpoint("GET", "/v3/clusters", v3.list_clusters, "list_clusters", "query"),
    Endpoint(
        "POST",
        "/v3/clusters/{cluster_id}/topics/{topic}/records",
        v3.produce_records,
        "produce_v3",
        "mutation",
    ),
)
_BY_HANDLER = {endpoint.handler: endpoint for endpoint in ENDPOINTS}


def add_routes(router: web.UrlDispatcher) -> None:
    for endpoint in ENDPOINTS:
        router.add_route(endpoint.method, endpoint.path, endpoint.handler)


def endpoint_of(request: web.Request) -> Endpoint | None:
    """The REST endpoint the request was routed to; None for another face's route, or for a
    request no route took."""
    return _BY_HANDLER.get(request.match_info.handler)


def is_rest_request(request: web.Request) -> bool:
    return endpoint_of(request) is not None
