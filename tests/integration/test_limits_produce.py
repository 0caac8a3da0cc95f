"""Produce limits on the real gateway and broker, for the generic and the typed mutations: a
message over `limits.max_message_bytes` is BAD_USER_INPUT, a caller over its messages or bytes
per second is RATE_LIMITED (429, Retry-After), and in both cases a raw Kafka consumer sees that
nothing was written.

The gateway runs on a clock the test moves: rates refill only when it says.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiokafka.admin import AIOKafkaAdminClient

from kafka_graphql.settings import settings_from_mapping
from tests.clients import GraphQLClient, without_request_ids
from tests.clock import FakeClock
from tests.integration.auth import end_offsets
from tests.integration.conftest import RunningGateway, run_gateway
from tests.integration.helpers import PRODUCE, PRODUCE_BATCH
from tests.integration.typed import create_topic

PRODUCE_NOTE = """mutation($v: NoteInput!, $key: String) {
  produceNote(value: $v, key: $key) { offset } }"""
PRODUCE_NOTES = "mutation($m: [NoteMessageInput!]!) { produceNotes(messages: $m) { offset } }"
NOTE_SCHEMA = {
    "title": "Note",
    "type": "object",
    "required": ["text"],
    "properties": {"text": {"type": "string"}},
}


@dataclass
class Gateway:
    client: GraphQLClient
    clock: FakeClock
    generic: str  # a topic written through produce/produceBatch
    typed: str  # the Note topic, written through produceNote/produceNotes
    bootstrap: str
    running: RunningGateway

    async def written(self) -> dict[str, int]:
        return {
            "generic": (await end_offsets(self.bootstrap, self.generic))[0],
            "typed": (await end_offsets(self.bootstrap, self.typed))[0],
        }


@pytest.fixture
async def gateway(
    bootstrap: str,
    http: aiohttp.ClientSession,
    admin: AIOKafkaAdminClient,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> AsyncIterator[Gateway]:
    limits: dict[str, Any] = request.param
    generic = await create_topic(admin, 1, prefix="test")
    typed = await create_topic(admin, 1, prefix="notes")
    schema = tmp_path / "note.schema.json"
    schema.write_text(json.dumps(NOTE_SCHEMA))
    settings = settings_from_mapping(
        {
            "kafka": {"bootstrap_servers": bootstrap, "metadata_max_age_s": 0},
            "server": {"shutdown_grace_s": 2},
            "limits": limits,
            "topics": [
                {"name": "test-*"},
                {"name": typed, "type": "Note", "value_schema": str(schema)},
            ],
        }
    )
    clock = FakeClock()
    async with run_gateway(settings, clock) as running:
        client = GraphQLClient(http, running.url)
        yield Gateway(client, clock, generic, typed, bootstrap, running)


SIZES = {"max_message_bytes": 1000}


@pytest.mark.parametrize("gateway", [SIZES], indirect=True)
async def test_a_message_over_max_message_bytes_is_refused_and_nothing_is_written(
    gateway: Gateway,
) -> None:
    client, topic = gateway.client, gateway.generic
    big = "x" * 1000  # as JSON, with its quotes: 1002 bytes
    refusals = [
        await client.post(PRODUCE, {"topic": topic, "value": big}),
        # Key and headers count too: 600 + 2 + 401 bytes.
        await client.post(
            PRODUCE,
            {
                "topic": topic,
                "value": "",
                "key": "k" * 600,
                "headers": [{"key": "h", "value": "v" * 400}],
            },
        ),
        await client.post(
            PRODUCE_BATCH, {"topic": topic, "messages": [{"value": 1}, {"value": big}]}
        ),
        await client.post(PRODUCE_NOTE, {"v": {"text": big}}),
        await client.post(
            PRODUCE_NOTES, {"m": [{"value": {"text": "a"}}, {"value": {"text": big}}]}
        ),
    ]
    for body in refusals:
        (error,) = body["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT", body
        assert "at most 1000 are allowed" in error["message"]
    assert refusals[2]["errors"][0]["extensions"]["index"] == 1
    assert refusals[4]["errors"][0]["extensions"]["index"] == 1
    assert await gateway.written() == {"generic": 0, "typed": 0}
    # Just under the limit is written.
    await client.data(PRODUCE, {"topic": topic, "value": "x" * 998})
    await client.data(PRODUCE_NOTE, {"v": {"text": "x" * 985}})  # {"text": "..."}: 998 bytes
    assert await gateway.written() == {"generic": 1, "typed": 1}


RATES = {
    "max_batch_size": 5,
    "produce_messages_per_s": 5,
    "produce_bytes_per_s": 3000,
    "max_message_bytes": 1000,
}


def refusal(body: dict[str, Any]) -> dict[str, Any]:
    """The refusal's extensions, but for its request id (tests/integration/test_logs.py)."""
    (error,) = without_request_ids(body)["errors"]
    extensions: dict[str, Any] = error["extensions"]
    return extensions


@pytest.mark.parametrize("gateway", [RATES], indirect=True)
async def test_a_caller_over_its_produce_rates_is_refused_until_they_refill(
    gateway: Gateway,
) -> None:
    client, topic = gateway.client, gateway.generic
    five = [{"value": i} for i in range(5)]
    await client.data(PRODUCE_BATCH, {"topic": topic, "messages": five})
    # The sixth message within the second: refused over HTTP with 429, for both APIs.
    over = await client.raw(PRODUCE, {"topic": topic, "value": 5})
    assert (over.status, over.headers["Retry-After"]) == (429, "1")
    assert refusal(over.json()) == {"code": "RATE_LIMITED", "retryAfter": 1}
    typed = await client.raw(PRODUCE_NOTE, {"v": {"text": "a"}})
    assert typed.status == 429
    assert refusal(typed.json())["code"] == "RATE_LIMITED"
    assert await gateway.written() == {"generic": 5, "typed": 0}

    gateway.clock.advance(1)
    # Bytes, now: 3 x ~900 bytes fit in the 3000 a second allows, 400 more do not.
    notes = [{"value": {"text": "n" * 890}} for _ in range(3)]
    await client.data(PRODUCE_NOTES, {"m": notes})
    bytes_over = await client.raw(PRODUCE, {"topic": topic, "value": "b" * 398})
    assert bytes_over.status == 429
    assert refusal(bytes_over.json())["retryAfter"] == 1
    # A batch larger than a whole second's bytes could never pass: it is bad input, not a wait.
    too_big = await client.post(PRODUCE_NOTES, {"m": [*notes, {"value": {"text": "n" * 890}}]})
    assert refusal(too_big)["code"] == "BAD_USER_INPUT"
    assert "send them in smaller batches" in too_big["errors"][0]["message"]
    assert await gateway.written() == {"generic": 5, "typed": 3}

    gateway.clock.advance(1)
    await client.data(PRODUCE, {"topic": topic, "value": "b" * 398})
    assert await gateway.written() == {"generic": 6, "typed": 3}


@pytest.mark.parametrize("gateway", [RATES], indirect=True)
async def test_produce_rates_are_per_caller(gateway: Gateway) -> None:
    topic = gateway.generic
    five = [{"value": i} for i in range(5)]
    await gateway.client.data(PRODUCE_BATCH, {"topic": topic, "messages": five})
    assert await gateway.client.error_codes(PRODUCE, {"topic": topic, "value": 5}) == [
        "RATE_LIMITED"
    ]
    connector = aiohttp.TCPConnector(local_addr=("127.0.0.2", 0))
    async with aiohttp.ClientSession(connector=connector) as session:
        other = GraphQLClient(session, gateway.running.url)
        await other.data(PRODUCE_BATCH, {"topic": topic, "messages": five})
    assert await gateway.written() == {"generic": 10, "typed": 0}
