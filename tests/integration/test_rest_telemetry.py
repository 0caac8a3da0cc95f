"""The REST face in the gateway's own metrics, on the real broker: each request one operation of
face `rest` with its type, name and the code it ended with; its writes counted as GraphQL's are
(records, bytes, acknowledgement times); a spent budget a limit refusal. Every change exact."""

from __future__ import annotations

import aiohttp

from kafka_graphql.settings import settings_from_mapping
from tests.clients import RestClient
from tests.clock import FakeClock
from tests.integration.conftest import TopicFactory, run_gateway
from tests.metrics import Scrape, metrics_url, scrape


def rest_requests(before: Scrape, after: Scrape) -> dict[tuple[str, str], float]:
    return {
        (dict(labels)["operation_type"], dict(labels)["code"]): value
        for labels, value in after.deltas(before, "kafka_graphql_requests_total").items()
        if dict(labels)["face"] == "rest" and value
    }


async def test_rest_operations_writes_and_refusals_in_the_metrics(
    bootstrap: str, http: aiohttp.ClientSession, new_topic: TopicFactory
) -> None:
    topic = await new_topic()
    settings = settings_from_mapping(
        {
            "kafka": {"bootstrap_servers": bootstrap, "metadata_max_age_s": 0},
            "server": {"shutdown_grace_s": 2},
            "metrics": {"port": 0},
            "limits": {"produce_messages_per_s": 3, "max_batch_size": 3},
            "rest": {"enabled": True},
            "topics": [{"name": "test-*"}],
        }
    )
    async with run_gateway(settings, limits_clock=FakeClock()) as gateway:
        url = metrics_url(gateway.app)
        rest = RestClient.of(http, gateway.url)
        before = await scrape(http, url)
        await rest.produce(topic, [{"value": 10}, {"value": 200}])  # 2 and 3 bytes
        assert (await rest.get("/topics")).status == 200
        assert (await rest.get(f"/topics/{topic}/partitions/0/offsets")).status == 200
        assert (
            await rest.post("/topics/test-rest-none", {"records": [{"value": 1}]})
        ).status == 404
        assert (await rest.post(f"/topics/{topic}", b"1", "text/plain")).status == 415
        assert (await rest.get("/consumers")).status == 404
        spent = await rest.post(f"/topics/{topic}", {"records": [{"value": 1}, {"value": 2}]})
        assert spent.status == 429
        after = await scrape(http, url)

    assert rest_requests(before, after) == {
        ("mutation", "OK"): 1,
        ("query", "OK"): 2,
        ("mutation", "NOT_FOUND"): 1,
        ("mutation", "BAD_REQUEST"): 1,
        ("unknown", "NOT_FOUND"): 1,
        ("mutation", "RATE_LIMITED"): 1,
    }
    names = {
        (dict(labels)["operation_name"], dict(labels)["code"]): value
        for labels, value in after.deltas(before, "kafka_graphql_operations_total").items()
        if value
    }
    assert names == {
        ("produce", "OK"): 1,
        ("list_topics", "OK"): 1,
        ("partition_offsets", "OK"): 1,
        ("produce", "NOT_FOUND"): 1,
        ("produce", "BAD_REQUEST"): 1,
        ("", "NOT_FOUND"): 1,
        ("produce", "RATE_LIMITED"): 1,
    }
    assert after.delta(before, "kafka_graphql_produced_records_total", topic=topic, code="OK") == 2
    assert after.delta(before, "kafka_graphql_produced_bytes_total", topic=topic) == 5
    assert after.delta(before, "kafka_graphql_produce_ack_seconds_count") == 1
    limits = after.deltas(before, "kafka_graphql_limit_refusals_total")
    assert {dict(labels)["code"]: v for labels, v in limits.items() if v} == {"RATE_LIMITED": 1}
