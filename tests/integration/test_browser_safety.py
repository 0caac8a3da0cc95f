"""Browser safety: POSTs a page on another site could send without a CORS preflight are refused
(CSRF), and nothing is written. The other refusals (the CSRF check's way through, CORS, WebSocket
origins) run without a broker: tests/unit/transport/test_browser_origins.py."""

from __future__ import annotations

import json

import aiohttp
import pytest

from tests.clients import GraphQLClient
from tests.integration.conftest import RunningGateway, TopicFactory

LATEST = "query($n: String!) { topic(name: $n) { partitions { latestOffset } } }"


def _produce_body(topic: str) -> str:
    query = f'mutation {{ produce(topic: "{topic}", value: "forged") {{ offset }} }}'
    return json.dumps({"query": query})


async def _latest_offset(client: GraphQLClient, topic: str) -> int:
    data = await client.data(LATEST, {"n": topic})
    offset: int = data["topic"]["partitions"][0]["latestOffset"]
    return offset


CSRF_CASES: dict[str, dict[str, str]] = {
    "text/plain": {"Content-Type": "text/plain"},
    "text/plain with a charset": {"Content-Type": "Text/Plain; charset=utf-8"},
    "a form": {"Content-Type": "application/x-www-form-urlencoded"},
    "multipart": {"Content-Type": "multipart/form-data; boundary=x"},
    "no content type": {},
    "an empty preflight header": {"Content-Type": "text/plain", "X-Apollo-Operation-Name": ""},
}


@pytest.mark.parametrize("headers", CSRF_CASES.values(), ids=CSRF_CASES.keys())
async def test_post_a_browser_sends_without_preflight_is_refused(
    headers: dict[str, str],
    gateway: RunningGateway,
    client: GraphQLClient,
    http: aiohttp.ClientSession,
    new_topic: TopicFactory,
) -> None:
    topic = await new_topic()
    async with http.post(
        gateway.url,
        data=_produce_body(topic).encode(),
        headers={"Origin": "https://evil.example", **headers},
        skip_auto_headers={"Content-Type"},
    ) as response:
        assert response.status == 400
        body = await response.json()
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert "cross-site request forgery" in error["message"]
    assert await _latest_offset(client, topic) == 0  # nothing was written
