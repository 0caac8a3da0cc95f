"""The metrics of what streams go through, on the real broker: a shared feed that stops fetching
shows its lag and then its restart, a conflating subscriber's skipped messages, the event loop's
lag, and the `topic` label's bound."""

from __future__ import annotations

import aiohttp
from aiokafka import TopicPartition

from kafka_graphql.http.state import LIMITS
from kafka_graphql.observability.metrics import METRICS
from tests.clients import GraphQLClient
from tests.clock import FakeClock
from tests.integration.conftest import TopicFactory, gateway_settings, run_gateway
from tests.integration.helpers import SUBSCRIBE, poll_until, produce, produce_batch
from tests.metrics import metrics_url, scrape, scraped_when, with_metrics

LAG = "kafka_graphql_feed_lag_records"
RESTARTS = "kafka_graphql_feed_restarts_total"
STREAM = "subscription($topic: String!) { messages(topic: $topic) { key value skipped } }"


async def test_a_feed_that_stops_fetching_shows_its_lag_then_its_restart(
    bootstrap: str, http: aiohttp.ClientSession, new_topic: TopicFactory
) -> None:
    """The feed's consumer is made to stop (its partition paused, as in test_broker_faults.py):
    the log's end that the watchdog reads shows the records the feed is behind, until the
    watchdog replaces the consumer and the feed catches up."""
    topic = await new_topic()
    settings = with_metrics(
        gateway_settings(bootstrap, request_timeout_s=2, metadata_max_age_s=0.5)
    )
    async with run_gateway(settings) as gateway:
        url = metrics_url(gateway.app)
        client = GraphQLClient(http, gateway.url)
        hub = gateway.kafka.live
        async with client.subscribe(SUBSCRIBE, {"topic": topic}) as subscription:
            await hub.wait_until(lambda: hub.subscriber_count(topic) == 1)
            feed = hub.feed(topic)
            assert feed is not None
            feed._consumer.pause(TopicPartition(topic, 0))
            for i in range(5):
                await produce(client, topic, i)
            behind = await scraped_when(
                http, url, lambda s: s.value(LAG, topic=topic, partition="0") == 5
            )
            assert behind.value(RESTARTS, topic=topic) == 0
            assert [m["value"] for m in await subscription.take(5)] == [0, 1, 2, 3, 4]
            level = await scraped_when(
                http, url, lambda s: s.value(LAG, topic=topic, partition="0") == 0
            )
            assert level.value(RESTARTS, topic=topic) == feed.restarts
            assert feed.restarts >= 1


async def test_conflated_messages_count_as_skipped(
    bootstrap: str, http: aiohttp.ClientSession, new_topic: TopicFactory
) -> None:
    """40 records of 4 keys to a caller that may receive 5 per second (the test's clock): 5 go
    out, then the newest of each key, each standing for the ones it replaced."""
    topic, clock = await new_topic(), FakeClock()
    settings = with_metrics(gateway_settings(bootstrap, delivery_messages_per_s=5))
    async with run_gateway(settings, limits_clock=clock) as gateway:
        url = metrics_url(gateway.app)
        client = GraphQLClient(http, gateway.url)
        hub = gateway.kafka.live
        async with client.subscribe(STREAM, {"topic": topic}) as subscription:
            await hub.wait_until(lambda: hub.subscriber_count(topic) == 1)
            await produce_batch(
                client, topic, [{"key": f"k{i % 4}", "value": i} for i in range(40)]
            )
            assert [m["value"] for m in await subscription.take(5)] == [0, 1, 2, 3, 4]
            state = gateway.app[LIMITS].state("ip:127.0.0.1")

            async def all_held() -> bool:
                return state.held == 35

            await poll_until(all_held, 10, 0.01)
            first = await scrape(http, url)
            assert first.value("kafka_graphql_deliveries_total", topic=topic) == 5
            assert first.value("kafka_graphql_delivered_bytes_total", topic=topic) == 5
            assert first.value("kafka_graphql_skipped_total", topic=topic) == 0
            clock.advance(1)
            newest = await subscription.take(4)
            assert sorted(m["value"] for m in newest) == [36, 37, 38, 39]
            after = await scrape(http, url)
        assert after.value("kafka_graphql_deliveries_total", topic=topic) == 9
        # Values 0-4 are a byte each, 36-39 two.
        assert after.value("kafka_graphql_delivered_bytes_total", topic=topic) == 13
        assert after.value("kafka_graphql_skipped_total", topic=topic) == 31
        assert sum(m["skipped"] for m in newest) == 31


async def test_the_event_loop_lag_histogram_holds_every_wake_up_of_the_monitor(
    bootstrap: str, http: aiohttp.ClientSession
) -> None:
    """Between two readings with no await between them and the test's own observer, the
    histogram gained exactly the monitor's wake-ups (read in the process: a scrape over HTTP
    lets the monitor wake between the reading and the answer)."""
    from kafka_graphql.server import LOOP_MONITOR

    async with run_gateway(with_metrics(gateway_settings(bootstrap))) as gateway:
        registry = gateway.app[METRICS].sink.registry
        count = "kafka_graphql_event_loop_lag_seconds_count"
        wake_ups: list[float] = []
        start = registry.get_sample_value(count)
        gateway.app[LOOP_MONITOR].observers.append(wake_ups.append)
        await poll_until(lambda: _more_than(wake_ups, 10), timeout_s=10, interval_s=0.05)
        gained = registry.get_sample_value(count)
        assert start is not None and gained is not None
        assert gained - start == len(wake_ups)
        scraped = await scrape(http, metrics_url(gateway.app))
        assert scraped.value(count) >= gained
        assert scraped.value("kafka_graphql_event_loop_lag_seconds_bucket", le="+Inf") == (
            scraped.value(count)
        )


async def _more_than(items: list[float], count: int) -> bool:
    return len(items) > count


async def test_topics_beyond_max_topics_share_other(
    bootstrap: str, http: aiohttp.ClientSession, new_topic: TopicFactory
) -> None:
    first, second, third = await new_topic(), await new_topic(), await new_topic()
    settings = with_metrics(gateway_settings(bootstrap), max_topics=1)
    async with run_gateway(settings) as gateway:
        client = GraphQLClient(http, gateway.url)
        for topic, count in ((first, 1), (second, 2), (third, 3)):
            for value in range(count):
                await produce(client, topic, value)
        after = await scrape(http, metrics_url(gateway.app))
    produced = {
        dict(labels)["topic"]: value
        for labels, value in after.series("kafka_graphql_produced_records_total").items()
    }
    assert produced == {first: 1, "other": 5}
