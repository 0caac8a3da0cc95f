"""The v3 API's produce (confluentinc/kafka-rest `resources/v3/ProduceAction`): `GET /v3/clusters`
names the cluster; `POST /v3/clusters/{cluster_id}/topics/{topic}/records` writes one record per
JSON object of its body, through the core's one write path (core/produce.py `produce_each`).

A body may hold one record, or many concatenated (a chunked request, streaming): each is
written once it has arrived, in order, and answered in order on a chunked answer, with its own
`error_code` (200 when written). The answer's status is its first record's (so a one-record
request is answered as a plain request would be); the caller, the cluster and the topic are
checked before any record is read, and refused with Confluent's error body."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import hdrs, web

from kafka_graphql.core import metadata
from kafka_graphql.core.access import writable_topic
from kafka_graphql.core.errors import GatewayError, NotFound
from kafka_graphql.core.produce import produce_each
from kafka_graphql.http.state import SETTINGS
from kafka_graphql.http.strict_json import NotJSON, dumps, loads_strict
from kafka_graphql.rest.call import Call, rest_call
from kafka_graphql.rest.content_types import UnsupportedMediaType
from kafka_graphql.rest.errors import RestError, rest_code
from kafka_graphql.rest.responses import public_base
from kafka_graphql.rest.v3_records import error_answer, v3_record, written_answer
from kafka_graphql.rest.v3_stream import record_texts

JSON = "application/json"
# One record's answer: its body, and the HTTP status and headers it would be answered with alone.
Answer = tuple[dict[str, Any], int, dict[str, str]]


async def list_clusters(request: web.Request) -> web.Response:
    call = rest_call(request)
    cluster_id = await metadata.cluster_id(call.core, call.principal)
    clusters = f"{public_base(request)}/v3/clusters"
    return web.json_response(
        {
            "kind": "KafkaClusterList",
            "metadata": {"self": clusters, "next": None},
            "data": [
                {
                    "kind": "KafkaCluster",
                    "metadata": {
                        "self": f"{clusters}/{cluster_id}",
                        "resource_name": f"crn:///kafka={cluster_id}",
                    },
                    "cluster_id": cluster_id,
                }
            ],
        },
        dumps=dumps,
    )


async def produce_records(request: web.Request) -> web.StreamResponse:
    call = rest_call(request)
    _json_only(request.headers.get(hdrs.CONTENT_TYPE))
    cluster_id = await metadata.cluster_id(call.core, call.principal)
    if request.match_info["cluster_id"] != cluster_id:
        raise RestError(
            404, f"cluster {request.match_info['cluster_id']!r} not found", 404, NotFound.code
        )
    topic = writable_topic(call.core, call.principal, request.match_info["topic"])
    limit = request.app[SETTINGS].limits.max_request_bytes
    response: web.StreamResponse | None = None
    with contextlib.suppress(ConnectionError):  # the client went away
        async for body, status, headers in _answers(call, cluster_id, topic, request, limit):
            if response is None:
                response = web.StreamResponse(
                    status=status, headers={hdrs.CONTENT_TYPE: JSON, **headers}
                )
                await response.prepare(request)
            await response.write(dumps(body).encode() + b"\n")
        if response is None:
            raise RestError(400, "the request holds no record (send one JSON object or more)")
        await response.write_eof()
    assert response is not None
    return response


async def _answers(
    call: Call, cluster_id: str, topic: str, request: web.Request, limit: int
) -> AsyncIterator[Answer]:
    """Each record's answer, once it is written (or refused); a body that cannot be read
    further ends with its error."""
    texts = record_texts(request.content, limit)
    while True:
        try:
            text = await anext(texts)
        except StopAsyncIteration:
            return
        except RestError as error:
            yield error_answer(error), error.status, {}
            return
        yield await _one(call, cluster_id, topic, text)


async def _one(call: Call, cluster_id: str, topic: str, text: bytes) -> Answer:
    try:
        try:
            sent = v3_record(loads_strict(text))
        except NotJSON as error:
            raise RestError(400, f"a record is not JSON: {error}") from None
        (outcome,) = await produce_each(call.core, call.principal, topic, [sent.record], batch=None)
    except RestError as error:
        return error_answer(error), error.status, {}
    except GatewayError as error:
        return error_answer(error), *_status(error)
    if isinstance(outcome, GatewayError):
        return error_answer(outcome, written=True), *_status(outcome)
    return written_answer(cluster_id, sent, outcome), 200, {}


def _status(error: GatewayError) -> tuple[int, dict[str, str]]:
    found = rest_code(error)
    if found.status != 429:
        return found.status, {}
    retry_after = error.extensions.get("retryAfter")
    return 429, {hdrs.RETRY_AFTER: str(retry_after if isinstance(retry_after, int) else 1)}


def _json_only(content_type: str | None) -> None:
    media_type, _, parameters = (content_type or "").partition(";")
    if media_type.strip().lower() != JSON:
        raise UnsupportedMediaType(
            f"HTTP 415 Unsupported Media Type: v3 produce takes {JSON} (concatenated records)"
        )
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() != "utf-8":
            raise UnsupportedMediaType("HTTP 415 Unsupported Media Type: the only charset is utf-8")
