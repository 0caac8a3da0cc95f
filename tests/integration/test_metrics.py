"""The Prometheus metrics of a real gateway on the real broker, scraped from their own listener
after a scripted session (queries, produces, refused tokens, a throttled caller, subscriptions
opened and closed): every family's exact change.

The gateway's budgets run on a clock the test moves (they refill only when it says), so every
refusal is exact too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp

from kafka_graphql.dev.cursor_key import DEV_CURSOR_KEYS_ENV
from kafka_graphql.observability.metrics.families import gateway_version
from kafka_graphql.settings import Settings, settings_from_mapping
from tests.clients import LEGACY_WS, TRANSPORT_WS, GraphQLClient
from tests.clock import FakeClock
from tests.integration.auth import key_files_fixture  # noqa: F401 (a fixture)
from tests.integration.conftest import RunningGateway, TopicFactory, run_gateway
from tests.integration.helpers import PRODUCE, SUBSCRIBE, produce
from tests.metrics import Scrape, metrics_url, scrape, scraped_when
from tests.tokens import AUDIENCE, ISSUER, claims, rsa_pair

RSA = rsa_pair()
PING = "query Ping { __typename }"
PAGE = "query($topic: String!) { messages(topic: $topic, limit: 100) { messages { offset } } }"
# Values of 2, 3 and 4 bytes (JSON numbers): what counts as a record's size is its key, value
# and headers, and these have neither key nor headers.
VALUES = [10, 200, 3000]
MAX_CONNECTIONS = 3


def session_settings(bootstrap: str, public_key_file: Path) -> Settings:
    return settings_from_mapping(
        {
            "kafka": {"bootstrap_servers": bootstrap, "metadata_max_age_s": 0},
            "server": {"shutdown_grace_s": 2, "cursor_keys_env": DEV_CURSOR_KEYS_ENV},
            "metrics": {"port": 0},
            "limits": {
                "max_query_cost": 100,
                "cost_budget": 10_000,
                "produce_messages_per_s": 5,
                "max_batch_size": 5,
                "max_connections_per_principal": MAX_CONNECTIONS,
                "max_subscriptions_per_connection": 1,
            },
            "auth": {
                "algorithms": ["RS256"],
                "issuer": ISSUER,
                "audience": AUDIENCE,
                "leeway_s": 0,
                "public_key_file": str(public_key_file),
            },
            "topics": [{"name": "test-*"}],
        },
        environ={},
    )


async def live(running: RunningGateway, topic: str, count: int) -> None:
    hub = running.kafka.live
    await hub.wait_until(lambda: hub.subscriber_count(topic) == count)


async def test_a_scripted_session_changes_every_family_by_exactly_what_it_did(
    bootstrap: str,
    http: aiohttp.ClientSession,
    key_files: tuple[Path, Path],
    new_topic: TopicFactory,
) -> None:
    topic = await new_topic()
    async with run_gateway(
        session_settings(bootstrap, key_files[0]), limits_clock=FakeClock()
    ) as gateway:
        url = metrics_url(gateway.app)
        before = await scrape(http, url)
        alice = GraphQLClient(http, gateway.url, RSA.sign(claims(sub="alice")))

        # Queries: three named, one anonymous, one over max_query_cost.
        for _ in range(3):
            await alice.data(PING)
        await alice.data("{ __typename }")
        assert await alice.error_codes(PAGE, {"topic": topic}) == ["COST_LIMIT_EXCEEDED"]

        # Subscriptions on both subprotocols, each on its own socket; a socket over the cap of
        # connections, and a second subscription on a socket that may hold one.
        subscribe = [
            alice.subscribe(SUBSCRIBE, {"topic": topic}, protocol)
            for protocol in (TRANSPORT_WS, TRANSPORT_WS, LEGACY_WS)
        ]
        subscriptions = [await s.__aenter__() for s in subscribe]
        try:
            await live(gateway, topic, 3)
            _, closed = await alice.connection_init({"Authorization": f"Bearer {alice.token}"})
            assert closed is not None and closed.code == 4429
            first = subscriptions[0]
            assert first.ws is not None
            payload = {"query": SUBSCRIBE, "variables": {"topic": topic}}
            await first.ws.send_json({"id": "2", "type": "subscribe", "payload": payload})
            refused = await first.next_event()
            assert refused["type"] == "error", refused
            assert [e["extensions"]["code"] for e in refused["payload"]] == ["LIMIT_EXCEEDED"]

            for value in VALUES:
                await produce(alice, topic, value)
            for subscription in subscriptions:
                assert [m["value"] for m in await subscription.take(len(VALUES))] == VALUES
            # The refused socket is closed on the server's side too.
            during = await scraped_when(
                http,
                url,
                lambda s: s.value("kafka_graphql_connections", transport=TRANSPORT_WS) == 2,
            )
        finally:
            for subscription in subscribe:
                await subscription.__aexit__(None, None, None)
        ended = await scraped_when(
            http,
            url,
            lambda s: (
                s.delta(before, "kafka_graphql_requests_total", **_labels("subscription", "OK"))
                == 3
            ),
        )

        # A reader's write, and refused tokens over HTTP and in a WebSocket's connection_init.
        bob = alice.with_token(RSA.sign(claims(sub="bob", scope="kafka:read:*")))
        assert await bob.error_codes(PRODUCE, {"topic": topic, "value": 1}) == ["FORBIDDEN"]
        for token in ("not-a-token", rsa_pair("an-untrusted-key").sign(claims(), kid=RSA.kid)):
            response = await alice.with_token(token).raw(PING)
            assert response.status == 401, response
        expired = RSA.sign(claims(exp=1))
        _, closed = await alice.connection_init({"Authorization": f"Bearer {expired}"})
        assert closed is not None and closed.code == 4403

        # A caller who writes until the rate refuses (the clock stands still).
        dave = alice.with_token(RSA.sign(claims(sub="dave")))
        written = 0
        while "errors" not in await dave.post(PRODUCE, {"topic": topic, "value": 7}):
            written += 1
        assert written == 5
        after = await scrape(http, url)

    _assert_operations(before, after, written)
    _assert_streams(before, during, ended, topic)
    _assert_writes(before, after, topic, written)
    _assert_refusals(before, after)
    _assert_process(after)


def _labels(operation_type: str, code: str | None = None) -> dict[str, str]:
    face = {"face": "graphql", "operation_type": operation_type}
    return face if code is None else {**face, "code": code}


def _assert_operations(before: Scrape, after: Scrape, written: int) -> None:
    def delta(name: str, **labels: str) -> float:
        return after.delta(before, name, **labels)

    requests = "kafka_graphql_requests_total"
    assert delta(requests, **_labels("query", "OK")) == 4
    assert delta(requests, **_labels("query", "COST_LIMIT_EXCEEDED")) == 1
    assert delta(requests, **_labels("subscription", "OK")) == 3
    assert delta(requests, **_labels("mutation", "OK")) == len(VALUES) + written
    assert delta(requests, **_labels("mutation", "FORBIDDEN")) == 1
    assert delta(requests, **_labels("mutation", "RATE_LIMITED")) == 1
    assert sum(after.series(requests).values()) - sum(before.series(requests).values()) == 13 + (
        written
    )
    durations = "kafka_graphql_request_duration_seconds_count"
    assert delta(durations, **_labels("query")) == 5
    assert delta(durations, **_labels("mutation")) == len(VALUES) + written + 2
    assert after.series(durations).keys() == {
        frozenset(_labels(kind).items()) for kind in ("query", "mutation")
    }
    le = after.series("kafka_graphql_request_duration_seconds_bucket")
    assert {dict(labels)["le"] for labels in le} == {
        *("0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5"),
        *("1.0", "2.5", "5.0", "10.0", "+Inf"),
    }
    by_name = {
        tuple(sorted(labels)): value
        for labels, value in after.deltas(before, "kafka_graphql_operations_total").items()
    }
    assert by_name == {
        (("code", "OK"), ("operation_name", "Ping"), ("operation_type", "query")): 3,
        (("code", "OK"), ("operation_name", ""), ("operation_type", "query")): 1,
        (("code", "COST_LIMIT_EXCEEDED"), ("operation_name", ""), ("operation_type", "query")): 1,
        (("code", "OK"), ("operation_name", ""), ("operation_type", "subscription")): 3,
        (("code", "OK"), ("operation_name", ""), ("operation_type", "mutation")): 3 + written,
        (("code", "FORBIDDEN"), ("operation_name", ""), ("operation_type", "mutation")): 1,
        (("code", "RATE_LIMITED"), ("operation_name", ""), ("operation_type", "mutation")): 1,
    }


def _assert_streams(before: Scrape, during: Scrape, ended: Scrape, topic: str) -> None:
    assert during.value("kafka_graphql_connections", transport=TRANSPORT_WS) == 2
    assert during.value("kafka_graphql_connections", transport=LEGACY_WS) == 1
    assert during.value("kafka_graphql_subscriptions", topic=topic) == 3
    # One operation, one caller: the three share one execution, whatever their subprotocol.
    assert during.value("kafka_graphql_subscription_groups") == 1
    assert during.value("kafka_graphql_feed_lag_records", topic=topic, partition="0") == 0
    assert (
        "kafka_graphql_feed_lag_records",
        frozenset({("topic", topic), ("partition", "0")}),
    ) in (during.samples)
    # Folded from the live subscriptions' tallies when scraped, and again when they end.
    for scrape_ in (during, ended):
        assert scrape_.delta(before, "kafka_graphql_deliveries_total", topic=topic) == 9
        assert scrape_.delta(before, "kafka_graphql_delivered_bytes_total", topic=topic) == 27
        assert ("kafka_graphql_skipped_total", frozenset({("topic", topic)})) in scrape_.samples
        assert scrape_.value("kafka_graphql_skipped_total", topic=topic) == 0
    assert ended.value("kafka_graphql_connections", transport=TRANSPORT_WS) == 0
    assert ended.value("kafka_graphql_connections", transport=LEGACY_WS) == 0
    assert ended.value("kafka_graphql_subscriptions", topic=topic) == 0
    assert ended.value("kafka_graphql_subscription_groups") == 0
    # The feed closed with its last subscriber: no lag to tell.
    assert ended.series("kafka_graphql_feed_lag_records") == {}


def _assert_writes(before: Scrape, after: Scrape, topic: str, written: int) -> None:
    def delta(name: str, **labels: str) -> float:
        return after.delta(before, name, **labels)

    assert delta("kafka_graphql_produced_records_total", topic=topic, code="OK") == 3 + written
    assert delta("kafka_graphql_produced_records_total", topic=topic, code="RATE_LIMITED") == 1
    # The reader's write was refused before it was a write of the topic's.
    assert delta("kafka_graphql_produced_records_total", topic=topic, code="FORBIDDEN") == 0
    assert delta("kafka_graphql_produced_bytes_total", topic=topic) == 9 + written
    assert delta("kafka_graphql_produce_ack_seconds_count") == 3 + written
    assert delta("kafka_graphql_produce_ack_seconds_bucket", le="+Inf") == 3 + written
    assert after.series("kafka_graphql_feed_restarts_total") == {}
    assert after.value("kafka_graphql_producer_replacements_total") == 0


def _assert_refusals(before: Scrape, after: Scrape) -> None:
    limits = {
        dict(labels)["code"]: value
        for labels, value in after.deltas(before, "kafka_graphql_limit_refusals_total").items()
    }
    assert limits == {
        "COST_LIMIT_EXCEEDED": 1,
        "LIMIT_EXCEEDED": 1,
        "TOO_MANY_CONNECTIONS": 1,
        "RATE_LIMITED": 1,
    }
    auth = {
        dict(labels)["reason"]: value
        for labels, value in after.deltas(before, "kafka_graphql_auth_refusals_total").items()
    }
    assert auth == {"forbidden": 1, "malformed": 1, "bad_signature": 1, "expired": 1}


def _assert_process(after: Scrape) -> None:
    assert after.value("kafka_graphql_build_info", version=gateway_version()) == 1
    assert after.value("kafka_graphql_event_loop_lag_seconds_count") > 0
    assert after.value("process_resident_memory_bytes") > 0
    assert after.value("process_cpu_seconds_total") > 0
    assert any(name == "python_info" for name, _ in after.samples)
    assert after.types["python_gc_objects_collected"] == "counter"
    kinds: dict[str, Any] = {
        name: kind for name, kind in after.types.items() if name.startswith("kafka_graphql_")
    }
    assert kinds == FAMILIES


FAMILIES = {
    "kafka_graphql_requests": "counter",
    "kafka_graphql_request_duration_seconds": "histogram",
    "kafka_graphql_operations": "counter",
    "kafka_graphql_connections": "gauge",
    "kafka_graphql_subscriptions": "gauge",
    "kafka_graphql_subscription_groups": "gauge",
    "kafka_graphql_deliveries": "counter",
    "kafka_graphql_delivered_bytes": "counter",
    "kafka_graphql_skipped": "counter",
    "kafka_graphql_produced_records": "counter",
    "kafka_graphql_produced_bytes": "counter",
    "kafka_graphql_produce_ack_seconds": "histogram",
    "kafka_graphql_feed_lag_records": "gauge",
    "kafka_graphql_feed_restarts": "counter",
    "kafka_graphql_producer_replacements": "counter",
    "kafka_graphql_limit_refusals": "counter",
    "kafka_graphql_auth_refusals": "counter",
    "kafka_graphql_event_loop_lag_seconds": "histogram",
    "kafka_graphql_build_info": "gauge",
}
