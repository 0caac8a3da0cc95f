"""The gRPC face in the gateway's own metrics, on the real broker: each call one operation of
face `grpc` with its type, its method's name and the code it ended with; its writes counted as
the other faces' are; a stream a subscription whose deliveries and conflated messages (the
delivery budget, `skipped`) are counted, and which a cancelled call ends at once."""

from __future__ import annotations

import json

import aiohttp
import pytest
from grpc import aio

from kafka_graphql.http.state import LIMITS
from tests.clock import FakeClock
from tests.grpc_client import json_message, pb, received, stub_of, with_grpc
from tests.integration.conftest import TopicFactory, gateway_settings, run_gateway
from tests.integration.helpers import poll_until
from tests.metrics import Scrape, metrics_url, scrape, scraped_when, with_metrics


def grpc_requests(before: Scrape, after: Scrape) -> dict[tuple[str, str], float]:
    return {
        (dict(labels)["operation_type"], dict(labels)["code"]): value
        for labels, value in after.deltas(before, "kafka_graphql_requests_total").items()
        if dict(labels)["face"] == "grpc" and value
    }


async def test_grpc_calls_writes_and_streams_in_the_metrics(
    bootstrap: str, http: aiohttp.ClientSession, new_topic: TopicFactory
) -> None:
    topic, clock = await new_topic(), FakeClock()
    settings = with_grpc(with_metrics(gateway_settings(bootstrap, delivery_messages_per_s=5)))
    async with run_gateway(settings, limits_clock=clock) as gateway, stub_of(gateway) as stub:
        url = metrics_url(gateway.app)
        before = await scrape(http, url)
        messages = [json_message(json.dumps(i), key=f"k{i % 4}".encode()) for i in range(40)]
        await stub.SendMessages(pb.SendMessagesRequest(topic=topic, messages=messages))
        await stub.ListTopics(pb.ListTopicsRequest())
        with pytest.raises(aio.AioRpcError, match="not found"):
            await stub.SendMessage(
                pb.SendMessageRequest(topic=f"{topic}-none", message=json_message("1"))
            )
        stream = stub.ReceiveMessages(pb.ReceiveMessagesRequest(topic=topic, from_offset=0))
        assert [json.loads(m.json) for m in await received(stream, 5)] == [0, 1, 2, 3, 4]
        state = gateway.app[LIMITS].state("ip:127.0.0.1")

        async def all_held() -> bool:
            return state.held == 35

        await poll_until(all_held, 10, 0.01)
        clock.advance(1)
        newest = await received(stream, 4)
        assert sorted(json.loads(m.json) for m in newest) == [36, 37, 38, 39]
        assert sum(m.skipped for m in newest) == 31
        stream.cancel()
        # A cancelled call frees its subscription at once.
        after = await scraped_when(
            http, url, lambda s: s.value("kafka_graphql_subscriptions", topic=topic) == 0
        )
    assert grpc_requests(before, after) == {
        ("mutation", "OK"): 1,
        ("mutation", "NOT_FOUND"): 1,
        ("query", "OK"): 1,
        ("subscription", "OK"): 1,
    }
    names = {
        (dict(labels)["operation_name"], dict(labels)["code"]): value
        for labels, value in after.deltas(before, "kafka_graphql_operations_total").items()
        if value
    }
    assert names == {
        ("SendMessages", "OK"): 1,
        ("SendMessage", "NOT_FOUND"): 1,
        ("ListTopics", "OK"): 1,
        ("ReceiveMessages", "OK"): 1,
    }
    assert after.delta(before, "kafka_graphql_produced_records_total", topic=topic, code="OK") == 40
    assert after.value("kafka_graphql_deliveries_total", topic=topic) == 9
    assert after.value("kafka_graphql_skipped_total", topic=topic) == 31
    assert state.subscriptions == 0
