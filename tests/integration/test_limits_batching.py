"""Batched HTTP requests (a JSON array of operations, as Apollo's BatchHttpLink sends): off by
default; when `server.batching` is on, at most `limits.max_batch_operations` per request, each
operation priced and charged on its own, and 429 only when every one of them was throttled."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
from aiokafka import AIOKafkaConsumer

from kafka_graphql.settings import Settings, settings_from_mapping
from tests.clock import FakeClock
from tests.integration.conftest import TopicFactory, run_gateway
from tests.integration.helpers import PRODUCE

TOPICS = "{ topics { name } }"
RATE_LIMIT = "{ rateLimit { remaining } }"


def batching_settings(bootstrap: str, **limits: Any) -> Settings:
    return settings_from_mapping(
        {
            "kafka": {"bootstrap_servers": bootstrap, "metadata_max_age_s": 0},
            "server": {"shutdown_grace_s": 2, "batching": True},
            "limits": {"max_batch_operations": 3, **limits},
            "topics": [{"name": "test-*"}],
        }
    )


async def post(
    http: aiohttp.ClientSession, url: str, body: object
) -> tuple[int, dict[str, str], Any]:
    async with http.post(url, data=json.dumps(body), headers=JSON) as response:
        return response.status, dict(response.headers), await response.json()


JSON = {"Content-Type": "application/json"}


async def test_a_batch_runs_each_operation_and_answers_an_array_in_order(
    bootstrap: str, http: aiohttp.ClientSession, new_topic: TopicFactory
) -> None:
    topic = await new_topic()
    async with run_gateway(batching_settings(bootstrap), FakeClock()) as gateway:
        status, _, body = await post(
            http,
            gateway.url,
            [
                {"query": PRODUCE, "variables": {"topic": topic, "value": {"n": 1}}},
                {"query": "{ nope }"},
                {"query": RATE_LIMIT},
            ],
        )
        assert status == 200
        produced, invalid, rate = body
        assert produced["data"]["produce"]["offset"] == 0
        assert produced["extensions"]["cost"]["requestedQueryCost"] == 10
        # One bad operation is its own error; the others ran.
        assert invalid["data"] is None
        assert [e["extensions"]["code"] for e in invalid["errors"]] == ["GRAPHQL_VALIDATION_FAILED"]
        assert rate["data"]["rateLimit"]["remaining"] <= 2000 - 10
    # The write in the batch is in Kafka.
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None
    )
    await consumer.start()
    try:
        record = await consumer.getone()
        assert json.loads(record.value) == {"n": 1}
    finally:
        await consumer.stop()


async def test_a_batch_over_max_batch_operations_is_refused_whole_and_nothing_runs(
    bootstrap: str, http: aiohttp.ClientSession, new_topic: TopicFactory
) -> None:
    topic = await new_topic()
    async with run_gateway(batching_settings(bootstrap), FakeClock()) as gateway:
        operation = {"query": PRODUCE, "variables": {"topic": topic, "value": 1}}
        status, headers, body = await post(http, gateway.url, [operation] * 4)
        assert status == 400
        (error,) = body["errors"]
        assert error["extensions"] == {"code": "BAD_REQUEST", "requestId": headers["X-Request-ID"]}
        assert "at most 3 operations (limits.max_batch_operations)" in error["message"]
        for bad, message in (
            ([], "at least one operation"),
            ([operation, 42], "operation 1 of the batch must be a JSON object"),
            ([operation, {"query": 1}], "operation 1 of the batch: `query` must be a string"),
        ):
            status, _, body = await post(http, gateway.url, bad)
            assert status == 400
            assert message in body["errors"][0]["message"]
        # None of the refused batches wrote anything: the next write is the topic's first.
        status, _, body = await post(http, gateway.url, [operation])
        assert body[0]["data"]["produce"]["offset"] == 0


async def test_a_batch_is_charged_per_operation_and_is_429_only_when_all_are_throttled(
    bootstrap: str, http: aiohttp.ClientSession, new_topic: TopicFactory
) -> None:
    topic = await new_topic()
    settings = batching_settings(bootstrap, max_query_cost=20, cost_budget=25)
    async with run_gateway(settings, FakeClock()) as gateway:
        produce = {"query": PRODUCE, "variables": {"topic": topic, "value": 1}}
        # 25 points: two writes of 10 pass, the third is throttled; the request is still 200.
        status, headers, body = await post(http, gateway.url, [produce] * 3)
        assert status == 200
        assert "Retry-After" not in headers
        codes = [[e["extensions"]["code"] for e in r.get("errors", ())] for r in body]
        assert sorted(map(tuple, codes)) == [(), (), ("RATE_LIMITED",)]
        # 5 left: every operation of the next batch is throttled, so the request is.
        status, headers, body = await post(http, gateway.url, [produce] * 2)
        assert status == 429
        assert int(headers["Retry-After"]) >= 1
        assert all(r["errors"][0]["extensions"]["code"] == "RATE_LIMITED" for r in body)


async def test_batching_is_off_by_default(
    bootstrap: str, http: aiohttp.ClientSession, new_topic: TopicFactory
) -> None:
    settings = settings_from_mapping(
        {"kafka": {"bootstrap_servers": bootstrap}, "topics": [{"name": "test-*"}]}
    )
    assert settings.server.batching is False
    async with run_gateway(settings, FakeClock()) as gateway:
        status, _, body = await post(http, gateway.url, [{"query": TOPICS}])
        assert status == 400
        assert "server.batching" in body["errors"][0]["message"]
