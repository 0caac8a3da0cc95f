"""Every answer of the REST face: JSON as `application/vnd.kafka.v2+json`."""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web

from kafka_graphql.http.strict_json import dumps
from kafka_graphql.rest.content_types import RESPONSE_TYPE


def answer(
    data: object, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    # Bytes, so that the type goes out as Confluent's, without a charset parameter.
    body = dumps(data).encode()
    return web.Response(
        status=status, body=body, content_type=RESPONSE_TYPE, headers=dict(headers or {})
    )
