"""Every answer of the REST face: JSON as `application/vnd.kafka.v2+json`; the links in answers
start at the gateway's public root."""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web

from kafka_graphql.http.state import SETTINGS
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


def public_base(request: web.Request) -> str:
    """Where links (a consumer's `base_uri`, v3's `self`) start: `server.public_url` when set
    (a gateway behind a proxy), else the scheme and host the request came to; no final `/`."""
    base = request.app[SETTINGS].server.public_url or f"{request.scheme}://{request.host}"
    return base.rstrip("/")
