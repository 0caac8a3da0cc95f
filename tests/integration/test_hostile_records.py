"""Hostile records (issue 14, points 5, 6 and 12).

Point 5: whatever another Kafka producer writes (bytes that are not UTF-8 or not JSON, JSON beyond
Python's digit or nesting limits, numbers beyond a double or beyond 64 bits, tombstones, empty
bytes, header names that are not UTF-8, values of megabytes) is delivered, in pages and in
streams (both subprotocols, shared groups, typed topics): never a server error, never a lost
record, and a plain subscriber of the same topic gets every record.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import fastavro
import pytest
from aiohttp import web
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.record.default_records import _DefaultRecordBatchBuilderPy

from kafka_graphql.core.typed.startup import StartupFailed
from kafka_graphql.graphql.view import VIEW
from kafka_graphql.server import create_app
from kafka_graphql.settings import Settings
from tests.clients import LEGACY_WS, TRANSPORT_WS, GraphQLClient
from tests.integration.auth import (  # noqa: F401 (a fixture)
    auth_settings,
    end_offsets,
    key_files_fixture,
)
from tests.integration.conftest import RunningGateway, TopicFactory, run_gateway
from tests.integration.helpers import poll_until, produce
from tests.integration.records import READ_WRITE
from tests.integration.test_schema_registry import register
from tests.integration.typed import SCHEMAS, create_topic, typed_gateway
from tests.tokens import claims, rsa_pair

FIELDS = "offset key keyEncoding value valueError headers { key keyEncoding value valueEncoding }"
PAGE = f"""
query($t: String!, $limit: Int, $filter: MessageFilter) {{
  messages(topic: $t, limit: $limit, filter: $filter) {{
    messages {{ {FIELDS} }} nextCursor hasMore
  }}
}}"""
STREAM = f"""
subscription($t: String!, $from: Long, $filter: MessageFilter) {{
  messages(topic: $t, fromOffset: $from, filter: $filter) {{ {FIELDS} }}
}}"""
PLAIN = "subscription($t: String!) { messages(topic: $t) { offset value } }"

Name = str | bytes


@dataclass(frozen=True)
class Hostile:
    """A record as another producer writes it, and what `value`/`valueError` must be."""

    key: bytes | None
    value: bytes | None
    headers: list[tuple[Name, bytes | None]] = field(default_factory=list)
    expected: Any = None
    # A word of `valueError`; None: no error.
    error: str | None = None


async def live(gateway: RunningGateway, topic: str, count: int) -> None:
    """Until `count` subscribers of `topic` receive from its live feed."""
    hub = gateway.kafka.live
    await asyncio.wait_for(hub.wait_until(lambda: hub.subscriber_count(topic) == count), 30)


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


# The sizes the issue names (Python's limits), not the gateway's constants.
DIGITS = 4300

HOSTILE = [
    Hostile(b"\xff", b'{"n": ' + b"9" * (DIGITS + 1) + b"}", [("h", b"\xc3\x28")], None, "digits"),
    # A real UTF-8 key that looks like the old marker; a header value likewise.
    Hostile(b"base64:/w==", b"1e400", [("base64:/w==", b"base64:/w==")], None, "double"),
    Hostile(None, None, [("null value", None)]),  # a tombstone
    Hostile(b"", b"", [("", b"")], ""),
    Hostile(b"deep", nested(255), [], None, "levels"),
    Hostile(b"deepest", nested(254), [], json.loads(nested(254))),
    Hostile(
        b"wide",
        b'{"big": 123456789012345678901234567890, "neg": -18446744073709551617, "x": 1e-400}',
        [],
        {"big": 123456789012345678901234567890, "neg": -18446744073709551617, "x": 0.0},
    ),
    Hostile(b"\xc3\x28", b"\xff\x00binary", [(b"\xfe\xffname", b"v")], "BINARY"),
    Hostile(b"lone", b'"\\ud800 alone"', [(b"\x80", None), ("ok", b"\xff")], "\ud800 alone"),
    Hostile(b"nan", b"NaN", [], "NaN"),
    Hostile(b"inf", b'{"a": [1, -2e308]}', [], None, "double"),
    Hostile(b"plain", b'{"ok": true}', [("h", b"eu")], {"ok": True}),
]
# A header name that is not UTF-8 (aiokafka's producer writes names as text), and a record with
# neither key nor value (its producer refuses one), are written in one batch of their own; the
# records before and after them in that batch must arrive too.
RAW_NAMES = [
    i
    for i, h in enumerate(HOSTILE)
    if any(isinstance(n, bytes) for n, _ in h.headers) or h.key is h.value is None
]


def as_text(raw: bytes | None) -> tuple[str | None, str]:
    """What the API shows of a key or header: text if UTF-8, else base64, with the flag."""
    if raw is None:
        return None, "UTF8"
    try:
        return raw.decode("utf-8"), "UTF8"
    except UnicodeDecodeError:
        return base64.b64encode(raw).decode(), "BASE64"


def expected_message(offset: int, record: Hostile) -> dict[str, Any]:
    key, key_encoding = as_text(record.key)
    value: Any = record.expected
    if value == "BINARY":
        assert record.value is not None
        value = {"$binary": {"encoding": "base64", "data": base64.b64encode(record.value).decode()}}
    headers = []
    for name, raw in record.headers:
        name_text, name_encoding = as_text(name.encode() if isinstance(name, str) else name)
        value_text, value_encoding = as_text(raw)
        headers.append(
            {
                "key": name_text,
                "keyEncoding": name_encoding,
                "value": value_text,
                "valueEncoding": value_encoding,
            }
        )
    return {
        "offset": offset,
        "key": key,
        "keyEncoding": key_encoding,
        "value": value,
        "headers": headers,
    }


def check(message: dict[str, Any], offset: int, record: Hostile) -> None:
    error = message.pop("valueError")
    assert message == expected_message(offset, record)
    if record.error is None:
        assert error is None
    else:
        assert record.error in error


class _RawName(str):
    """A header name aiokafka's Python batch builder writes as these bytes."""

    raw: bytes

    def __new__(cls, raw: bytes) -> _RawName:
        name = super().__new__(cls, "?")
        name.raw = raw
        return name

    def encode(self, *_: Any, **__: Any) -> bytes:
        return self.raw


async def write_batch(producer: AIOKafkaProducer, topic: str, records: list[Hostile]) -> None:
    """One batch, with header names as any bytes (as librdkafka lets a producer write them)."""
    batch = producer.create_batch()
    batch._builder = _DefaultRecordBatchBuilderPy(
        2,
        0,
        is_transactional=0,
        producer_id=-1,
        producer_epoch=-1,
        base_sequence=0,
        batch_size=1 << 24,
    )
    for record in records:
        headers = [(_RawName(n) if isinstance(n, bytes) else n, v) for n, v in record.headers]
        assert batch.append(key=record.key, value=record.value, timestamp=None, headers=headers)
    await (await producer.send_batch(batch, topic, partition=0))


async def write_hostile(producer: AIOKafkaProducer, topic: str) -> None:
    """HOSTILE in order: one at a time, but the records with raw header names and their
    neighbours in one batch."""
    first, last = RAW_NAMES[0] - 1, RAW_NAMES[-1] + 1
    for record in HOSTILE[:first]:
        await producer.send_and_wait(
            topic, record.value, key=record.key, headers=record.headers, partition=0
        )
    await write_batch(producer, topic, HOSTILE[first : last + 1])
    for record in HOSTILE[last + 1 :]:
        await producer.send_and_wait(
            topic, record.value, key=record.key, headers=record.headers, partition=0
        )


async def page(client: GraphQLClient, topic: str, **variables: Any) -> list[dict[str, Any]]:
    body = await client.post(PAGE, {"t": topic, "limit": 50, **variables})
    assert "errors" not in body, body["errors"]
    messages: list[dict[str, Any]] = body["data"]["messages"]["messages"]
    return messages


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_every_record_another_producer_can_write_is_delivered(
    gateway: RunningGateway,
    client: GraphQLClient,
    http: aiohttp.ClientSession,
    raw_producer: AIOKafkaProducer,
    new_topic: TopicFactory,
    protocol: str,
) -> None:
    topic = await new_topic()
    other = GraphQLClient(http, gateway.url)
    async with (
        # Three equal subscribers (one shared group), a plain one, and a bystander's.
        client.subscribe(STREAM, {"t": topic}, protocol) as first,
        client.subscribe(STREAM, {"t": topic}, protocol) as second,
        client.subscribe(STREAM, {"t": topic}, protocol) as third,
        other.subscribe(PLAIN, {"t": topic}, protocol) as plain,
    ):
        await live(gateway, topic, 4)
        groups = gateway.app[VIEW].shared_groups
        await write_hostile(raw_producer, topic)
        await produce(other, topic, {"after": "the hostile ones"})
        count = len(HOSTILE) + 1
        streams = [await s.take(count) for s in (first, second, third)]
        plain_messages = await plain.take(count)

    assert [m["offset"] for m in plain_messages] == list(range(count))
    assert plain_messages[-1]["value"] == {"after": "the hostile ones"}
    assert streams[0] == streams[1] == streams[2]
    assert groups is not None
    for offset, record in enumerate(HOSTILE):
        check(streams[0][offset], offset, record)

    # A page, and a replaying stream, read the same.
    read = await page(client, topic)
    assert len(read) == count
    for offset, record in enumerate(HOSTILE):
        check(read[offset], offset, record)
    async with client.subscribe(STREAM, {"t": topic, "from": 0}, protocol) as replay:
        replayed = await replay.take(count)
    for offset, record in enumerate(HOSTILE):
        check(replayed[offset], offset, record)


async def test_filters_match_text_never_the_base64_of_bytes(
    client: GraphQLClient, raw_producer: AIOKafkaProducer, new_topic: TopicFactory
) -> None:
    """A key or header shown in base64 is bytes: no text filter matches it, whatever text it
    is shown as; the UTF-8 key that reads like the old `base64:` marker is text."""
    topic = await new_topic()
    await write_hostile(raw_producer, topic)
    binary_key = base64.b64encode(b"\xff").decode()

    async def offsets(filter_: dict[str, Any]) -> list[int]:
        return [m["offset"] for m in await page(client, topic, filter=filter_)]

    marker = HOSTILE.index(next(h for h in HOSTILE if h.key == b"base64:/w=="))
    assert await offsets({"key": binary_key}) == []
    assert await offsets({"key": "base64:/w=="}) == [marker]
    assert await offsets({"keyPrefix": "base64:"}) == [marker]
    assert await offsets({"keyPrefix": binary_key[:2]}) == []
    assert await offsets({"headers": [{"key": "h", "value": "wyg="}]}) == []
    assert await offsets({"headers": [{"key": "h", "value": "eu"}]}) == [len(HOSTILE) - 1]
    # Present with a value that is not text: it is there, whatever its value.
    assert await offsets({"headers": [{"key": "h"}]}) == [0, len(HOSTILE) - 1]
    named_ok = [i for i, h in enumerate(HOSTILE) if any(n == "ok" for n, _ in h.headers)]
    assert await offsets({"headers": [{"key": "ok"}]}) == named_ok
    assert await offsets({"headers": [{"key": "/v9uYW1l"}]}) == []  # a raw name's base64


async def test_a_value_of_megabytes_is_delivered_in_pages_and_streams(
    admin: AIOKafkaAdminClient,
    bootstrap: str,
    gateway: RunningGateway,
    client: GraphQLClient,
    http: aiohttp.ClientSession,
) -> None:
    """A topic whose `max.message.bytes` is raised holds records far beyond a fetch's
    per-partition size (1 MiB): the gateway's readers still get them whole."""
    topic = f"test-big-{uuid.uuid4().hex[:10]}"
    config = {"max.message.bytes": "6000000"}
    await admin.create_topics([NewTopic(topic, 1, 1, topic_configs=config)])

    async def served() -> bool:
        (described,) = await admin.describe_topics([topic])
        return described["error_code"] == 0 and all(
            p["leader"] >= 0 for p in described["partitions"]
        )

    await poll_until(served, timeout_s=30, interval_s=0.05)
    text = "x" * 5_000_000
    big = json.dumps({"text": text}).encode()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, max_request_size=6_000_000)
    await producer.start()
    try:
        async with client.subscribe(PLAIN, {"t": topic}, max_msg_size=0) as stream:
            await live(gateway, topic, 1)
            await producer.send_and_wait(topic, big, partition=0)
            await producer.send_and_wait(topic, b'{"small": 1}', partition=0)
            first, second = await stream.take(2)
    finally:
        await producer.stop()
    assert first["value"] == {"text": text}
    assert second["value"] == {"small": 1}
    read = await page(client, topic)
    assert [m["value"] for m in read] == [{"text": text}, {"small": 1}]


def tree(depth: int) -> dict[str, Any]:
    node: dict[str, Any] = {"label": "leaf"}
    for level in range(depth - 1):
        node = {"label": f"n{level}", "children": [node]}
    return {"root": node}


TREE_NODE = "label children { label }"
TREES = f"""
query {{ trees(first: 50) {{ edges {{ node {{
  offset key keyEncoding schemaErrors rawValue value {{ root {{ {TREE_NODE} }} }}
}} }} }} }}"""
TREE_STREAM = f"""
subscription($from: Long) {{ trees(fromOffset: $from) {{
  offset key keyEncoding schemaErrors rawValue value {{ root {{ {TREE_NODE} }} }}
}} }}"""

# (key, bytes, a word of schemaErrors, or None: the value decodes)
TYPED_HOSTILE: list[tuple[bytes | None, bytes | None, str | None]] = [
    (b"ok", json.dumps(tree(2)).encode(), None),
    (b"\xff\x01", json.dumps(tree(1)).encode(), None),  # a key that is not UTF-8
    (b"digits", b'{"root": {"label": "a", "weight": ' + b"9" * (DIGITS + 1) + b"}}", "digits"),
    (b"double", b'{"root": {"label": "a", "weight": 1e400}}', "double"),
    (b"nan", b'{"root": {"label": "a", "weight": NaN}}', "not UTF-8 JSON"),
    (b"deep", b'{"root": ' + nested(300) + b"}", "levels"),
    (b"binary", b"\xff\xfe\x00", "not UTF-8 JSON"),
    (b"tomb", None, "tombstone"),
    # 252 levels of JSON (the deepest its reader reads), 256 (too deep for it).
    (b"deep tree", json.dumps(tree(126)).encode(), None),
    (b"deeper tree", json.dumps(tree(128)).encode(), "levels"),
    (b"last", json.dumps(tree(3)).encode(), None),
]


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_a_typed_topic_answers_schema_errors_for_what_its_codec_cannot_read(
    admin: AIOKafkaAdminClient,
    bootstrap: str,
    http: aiohttp.ClientSession,
    raw_producer: AIOKafkaProducer,
    protocol: str,
) -> None:
    topic = await create_topic(admin, partitions=1)
    rule = {
        "name": topic,
        "type": "Tree",
        "field": "trees",
        "value_schema": "tree.draft7.schema.json",
    }
    async with typed_gateway(bootstrap, [rule]) as running:
        client = GraphQLClient(http, running.url)
        other = GraphQLClient(http, running.url)
        async with (
            client.subscribe(TREE_STREAM, {}, protocol) as first,
            client.subscribe(TREE_STREAM, {}, protocol) as second,
            other.subscribe(PLAIN, {"t": topic}, protocol) as plain,
        ):
            await live(running, topic, 3)
            for key, value, _ in TYPED_HOSTILE:
                await raw_producer.send_and_wait(topic, value, key=key, partition=0)
            streamed = await first.take(len(TYPED_HOSTILE), "trees")
            assert await second.take(len(TYPED_HOSTILE), "trees") == streamed
            plain_messages = await plain.take(len(TYPED_HOSTILE))
        body = await client.post(TREES)
        assert "errors" not in body, body["errors"]
        paged = [e["node"] for e in body["data"]["trees"]["edges"]]
        async with client.subscribe(TREE_STREAM, {"from": 0}, protocol) as replay:
            replayed = await replay.take(len(TYPED_HOSTILE), "trees")

    assert [m["offset"] for m in plain_messages] == list(range(len(TYPED_HOSTILE)))
    for messages in (streamed, paged, replayed):
        assert [m["offset"] for m in messages] == list(range(len(TYPED_HOSTILE)))
        for message, (key, raw, reason) in zip(messages, TYPED_HOSTILE, strict=True):
            assert (message["key"], message["keyEncoding"]) == as_text(key)
            if reason is None:
                assert message["schemaErrors"] == []
                assert raw is not None
                expected = json.loads(raw)["root"]
                assert message["value"]["root"]["label"] == expected["label"]
            else:
                assert message["value"] is None
                assert any(reason in error for error in message["schemaErrors"]), message


async def test_avro_topics_answer_schema_errors_for_bytes_of_no_schema(
    admin: AIOKafkaAdminClient,
    bootstrap: str,
    registry_url: str,
    http: aiohttp.ClientSession,
    raw_producer: AIOKafkaProducer,
) -> None:
    """Schemaless Avro with bytes it cannot read, and Confluent's format with another magic
    byte, a schema id the registry never gave, or too few bytes."""
    plain_avro = await create_topic(admin, partitions=1)
    confluent = await create_topic(admin, partitions=1)
    schema = {
        "type": "record",
        "name": "Refund",
        "fields": [{"name": "id", "type": "string"}, {"name": "cents", "type": "long"}],
    }
    await register(registry_url, f"{confluent}-value", schema)
    rules: list[Mapping[str, Any]] = [
        {
            "name": plain_avro,
            "type": "Payment",
            "value_schema": "payment.avsc",
            "value_format": "avro",
        },
        {
            "name": confluent,
            "type": "Refund",
            "value_schema": "registry",
            "value_format": "avro-confluent",
        },
    ]
    payment = fastavro.parse_schema(json.loads((SCHEMAS / "payment.avsc").read_text()))
    hostile = {
        plain_avro: [
            (b"\xff\xff\xff\xff\xff", "Avro"),
            (b"", "Avro"),
            # Avro doubles may be NaN or infinite; JSON and GraphQL's Float may not.
            (avro_bytes(payment, {**PAYMENT, "rate": math.nan}), "is nan"),
            (avro_bytes(payment, {**PAYMENT, "ratio": -math.inf}), "is -inf"),
        ],
        confluent: [
            (b"\x01\x00\x00\x00\x01\x02a\x02", "magic byte"),
            (b"\x00\x00\x0f\x12\x06\x02a\x02", "987654"),  # an id never given
            (b"\x00", "magic byte"),
        ],
    }
    async with typed_gateway(bootstrap, rules, registry_url) as running:
        client = GraphQLClient(http, running.url)
        for topic, records in hostile.items():
            for value, _ in records:
                await raw_producer.send_and_wait(topic, value, partition=0)
        for topic, field_name in ((plain_avro, "payments"), (confluent, "refunds")):
            query = (
                f"{{ {field_name}(first: 10) {{ edges {{ node {{ offset schemaErrors }} }} }} }}"
            )
            body = await client.post(query)
            assert "errors" not in body, body["errors"]
            nodes = [e["node"] for e in body["data"][field_name]["edges"]]
            assert [n["offset"] for n in nodes] == list(range(len(hostile[topic])))
            for node, (_, reason) in zip(nodes, hostile[topic], strict=True):
                assert any(reason in error for error in node["schemaErrors"]), node
            # The generic API reads the same bytes as it reads any: never an error.
            generic = await page(client, topic)
            assert [m["value"] for m in generic] == [
                {"$binary": {"encoding": "base64", "data": base64.b64encode(v).decode()}}
                if not _is_text(v)
                else v.decode()
                for v, _ in hostile[topic]
            ]


PAYMENT = {
    "id": "p-1",
    "orderId": "7b0c2c2e-55a4-4a8e-9b8a-2f4f7d0c9f11",
    "amountCents": 1,
    "attempt": 1,
    "rate": 1.5,
    "ratio": 0.5,
    "captured": True,
    "at": 1_700_000_000_000,
    "signature": b"\x00",
    "digest": b"\x00\x01\x02\x03",
    "status": "DONE",
    "labels": {},
    "notes": [],
    "payer": {"name": "Ada"},
    "method": ("com.shop.payments.Transfer", {"iban": "DE00"}),
    "history": [],
}


def avro_bytes(schema: Any, datum: dict[str, Any]) -> bytes:
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, schema, datum)
    return buffer.getvalue()


def _is_text(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


# Point 6: headers are bounded.

PRODUCE_HEADERS = """
mutation($t: String!, $h: [HeaderInput!]) {
  produce(topic: $t, value: 1, headers: $h) { offset }
}"""
BATCH = """
mutation($t: String!, $m: [MessageInput!]!) { produceBatch(topic: $t, messages: $m) { offset } }"""
HEADERS_PAGE = """
query($t: String!, $filter: MessageFilter) {
  messages(topic: $t, limit: 10, filter: $filter) {
    messages { offset headerCount headers { key value } }
  }
}"""
HEADERS_STREAM = """
subscription($t: String!) {
  messages(topic: $t, fromOffset: 0) { offset headerCount headers { key } }
}"""


def named(count: int, prefix: str = "h") -> list[dict[str, Any]]:
    return [{"key": f"{prefix}{i}", "value": str(i)} for i in range(count)]


async def refusal(client: GraphQLClient, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    body = await client.post(query, variables)
    assert body.get("data") is None, body
    (error,) = body["errors"]
    assert "Traceback" not in error["message"]
    return dict(error["extensions"])


async def end_offset(bootstrap: str, topic: str) -> int:
    return (await end_offsets(bootstrap, topic))[0]


@pytest.mark.parametrize(
    ("headers", "path"),
    [
        (named(65), ["headers", 64]),
        (named(1_000), ["headers", 64]),
        ([{"key": ""}] * 60_000, ["headers", 64]),  # 60,000 in one request of under 1 MB
        ([*named(3), {"key": "k" * 257}], ["headers", 3, "key"]),
        ([{"key": "é" * 129, "value": "x"}], ["headers", 0, "key"]),  # 258 bytes, 129 chars
    ],
    ids=["65", "1000", "60000", "key of 257 bytes", "key of 129 two-byte chars"],
)
async def test_a_produce_with_too_many_or_too_long_headers_writes_nothing(
    bootstrap: str,
    client: GraphQLClient,
    http: aiohttp.ClientSession,
    gateway: RunningGateway,
    new_topic: TopicFactory,
    headers: list[dict[str, Any]],
    path: list[Any],
) -> None:
    topic = await new_topic()
    extensions = await refusal(client, PRODUCE_HEADERS, {"t": topic, "h": headers})
    assert extensions["code"] == "BAD_USER_INPUT"
    assert extensions["path"] == path
    assert await end_offset(bootstrap, topic) == 0
    # Another caller, and this one, write within the bounds as before.
    other = GraphQLClient(http, gateway.url)
    await other.data(PRODUCE_HEADERS, {"t": topic, "h": named(64)})
    await client.data(PRODUCE_HEADERS, {"t": topic, "h": [{"key": "k" * 256}]})
    assert await end_offset(bootstrap, topic) == 2


async def test_a_batch_with_one_message_over_the_header_caps_writes_nothing(
    bootstrap: str, client: GraphQLClient, new_topic: TopicFactory
) -> None:
    topic = await new_topic()
    messages = [{"value": i, "headers": named(64)} for i in range(3)]
    for bad, path in (
        ({"value": 3, "headers": named(65)}, ["messages", 3, "headers", 64]),
        ({"value": 3, "headers": [{"key": "x" * 300}]}, ["messages", 3, "headers", 0, "key"]),
    ):
        extensions = await refusal(client, BATCH, {"t": topic, "m": [*messages, bad]})
        assert (extensions["code"], extensions["path"]) == ("BAD_USER_INPUT", path)
        assert await end_offset(bootstrap, topic) == 0
    await client.data(BATCH, {"t": topic, "m": messages})
    assert await end_offset(bootstrap, topic) == 3


async def test_typed_produces_have_the_same_header_caps(
    admin: AIOKafkaAdminClient, bootstrap: str, http: aiohttp.ClientSession
) -> None:
    topic = await create_topic(admin, partitions=1)
    rule = {
        "name": topic,
        "type": "Tree",
        "field": "trees",
        "value_schema": "tree.draft7.schema.json",
    }
    one = """mutation($v: TreeInput!, $h: [HeaderInput!]) {
      produceTree(value: $v, headers: $h) { offset } }"""
    many = "mutation($m: [TreeMessageInput!]!) { produceTrees(messages: $m) { offset } }"
    value = {"root": {"label": "a"}}
    async with typed_gateway(bootstrap, [rule]) as running:
        client = GraphQLClient(http, running.url)
        extensions = await refusal(client, one, {"v": value, "h": named(65)})
        assert (extensions["code"], extensions["path"]) == ("BAD_USER_INPUT", ["headers", 64])
        messages = [{"value": value}, {"value": value, "headers": [{"key": "y" * 257}]}]
        extensions = await refusal(client, many, {"m": messages})
        assert (extensions["code"], extensions["path"]) == (
            "BAD_USER_INPUT",
            ["messages", 1, "headers", 0, "key"],
        )
        assert await end_offset(bootstrap, topic) == 0
        await client.data(one, {"v": value, "h": named(64)})
        assert await end_offset(bootstrap, topic) == 1


async def test_a_record_with_thousands_of_headers_reads_as_its_first_64_and_their_count(
    client: GraphQLClient,
    raw_producer: AIOKafkaProducer,
    new_topic: TopicFactory,
) -> None:
    """Another producer may write any number of headers: a read shows the first 64 (what
    filters and record rules see too), `headerCount` all of them, and it costs what it shows."""
    topic = await new_topic()
    many = [(f"h{i}", str(i).encode()) for i in range(5_000)]
    await raw_producer.send_and_wait(topic, b'{"n": 1}', headers=many, partition=0)
    await raw_producer.send_and_wait(topic, b'{"n": 2}', headers=many[:3], partition=0)

    body = await client.post(HEADERS_PAGE, {"t": topic})
    assert "errors" not in body, body
    first, second = body["data"]["messages"]["messages"]
    assert first["headerCount"] == 5_000
    assert first["headers"] == [{"key": f"h{i}", "value": str(i)} for i in range(64)]
    assert second["headerCount"] == 3 and len(second["headers"]) == 3
    cost = body["extensions"]["cost"]
    # The page 1 + 10 x (message 1 + 2 for its headers, a point per 32); came back: 2 messages,
    # 64 and 3 headers (2 and 1 points).
    assert (cost["requestedQueryCost"], cost["actualQueryCost"]) == (1 + 10 * 3, 1 + 3 + 2)

    async def offsets(filter_: dict[str, Any]) -> list[int]:
        data = await client.data(HEADERS_PAGE, {"t": topic, "filter": filter_})
        return [m["offset"] for m in data["messages"]["messages"]]

    assert await offsets({"headers": [{"key": "h63", "value": "63"}]}) == [0]
    assert await offsets({"headers": [{"key": "h64"}]}) == []  # beyond what is read
    async with client.subscribe(HEADERS_STREAM, {"t": topic}) as stream:
        streamed = await stream.take(2)
    assert [(m["headerCount"], len(m["headers"])) for m in streamed] == [(5_000, 64), (3, 3)]


# Point 12: tenants cannot overwrite each other's keys.

RSA = rsa_pair()
TENANT_RULE = {"header": "tenant", "claim": "tenant"}
KEYED = {**TENANT_RULE, "key_prefix": True}
PRODUCE_KEYED = """
mutation($t: String!, $k: String, $v: JSON!) {
  produce(topic: $t, key: $k, value: $v) { offset }
}"""


async def create_compacted(admin: AIOKafkaAdminClient, name: str, policy: str = "compact") -> str:
    await admin.create_topics([NewTopic(name, 1, 1, topic_configs={"cleanup.policy": policy})])

    async def served() -> bool:
        (described,) = await admin.describe_topics([name])
        return described["error_code"] == 0 and all(
            p["leader"] >= 0 for p in described["partitions"]
        )

    await poll_until(served, timeout_s=30, interval_s=0.05)
    return name


def tenant(gateway: RunningGateway, http: aiohttp.ClientSession, name: str | None) -> GraphQLClient:
    scope = "kafka:admin" if name == "admin" else READ_WRITE
    token = RSA.sign(claims(scope=scope, tenant=None if name == "admin" else name))
    return GraphQLClient(http, gateway.url, token)


async def forbidden(client: GraphQLClient, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    extensions = await refusal(client, query, variables)
    assert extensions["code"] == "FORBIDDEN"
    return extensions


async def test_with_key_prefix_a_tenant_writes_only_keys_that_start_with_its_claim(
    admin: AIOKafkaAdminClient,
    bootstrap: str,
    http: aiohttp.ClientSession,
    key_files: tuple[Path, Path],
) -> None:
    run = uuid.uuid4().hex[:8]
    compacted = await create_compacted(admin, f"test-keyed-{run}")
    typed = await create_topic(admin, partitions=1, prefix="test-keyed-typed")
    topics: list[dict[str, Any]] = [
        {
            "name": typed,
            "type": "Tree",
            "field": "trees",
            "value_schema": str(SCHEMAS / "tree.draft7.schema.json"),
            "records": KEYED,
        },
        {"name": "test-keyed-*", "records": KEYED},
    ]
    settings = auth_settings(bootstrap, key_files[0], topics=topics)
    async with run_gateway(settings) as gateway:
        acme, globex = tenant(gateway, http, "acme"), tenant(gateway, http, "globex")
        await acme.data(PRODUCE_KEYED, {"t": compacted, "k": "acme:order-1", "v": 1})
        await acme.data(PRODUCE_KEYED, {"t": compacted, "k": "acme:", "v": 2})
        written = await end_offset(bootstrap, compacted)
        for key in ("globex:order-1", "acme", "acmex:1", "ACME:1", " acme:1", None, ""):
            extensions = await forbidden(acme, PRODUCE_KEYED, {"t": compacted, "k": key, "v": 3})
            assert extensions["path"] == ["key"]
        # The other tenant cannot replace acme's record either, and writes its own.
        extensions = await forbidden(
            globex, PRODUCE_KEYED, {"t": compacted, "k": "acme:order-1", "v": 666}
        )
        assert extensions["path"] == ["key"]
        assert await end_offset(bootstrap, compacted) == written
        await globex.data(PRODUCE_KEYED, {"t": compacted, "k": "globex:order-1", "v": 4})

        batch = [{"key": f"acme:{i}", "value": i} for i in range(3)]
        extensions = await forbidden(
            acme, BATCH, {"t": compacted, "m": [*batch, {"key": "globex:x", "value": 9}]}
        )
        assert (extensions["path"], extensions["index"]) == (["messages", 3, "key"], 3)
        extensions = await forbidden(acme, BATCH, {"t": compacted, "m": [*batch, {"value": 9}]})
        assert extensions["path"] == ["messages", 3, "key"]
        assert await end_offset(bootstrap, compacted) == written + 1
        await acme.data(BATCH, {"t": compacted, "m": batch})

        # Typed produces: the same rule.
        one = """mutation($v: TreeInput!, $k: String) {
          produceTree(value: $v, key: $k) { offset } }"""
        many = "mutation($m: [TreeMessageInput!]!) { produceTrees(messages: $m) { offset } }"
        value = {"root": {"label": "a"}}
        assert (await forbidden(acme, one, {"v": value, "k": "globex:1"}))["path"] == ["key"]
        assert (await forbidden(acme, one, {"v": value}))["path"] == ["key"]
        messages = [{"value": value, "key": "acme:1"}, {"value": value, "key": "x"}]
        extensions = await forbidden(acme, many, {"m": messages})
        assert extensions["path"] == ["messages", 1, "key"]
        assert await end_offset(bootstrap, typed) == 0
        await acme.data(one, {"v": value, "k": "acme:1"})
        assert await end_offset(bootstrap, typed) == 1

        # kafka:admin is not bound by record rules: it may repair any key.
        operator = tenant(gateway, http, "admin")
        await operator.data(PRODUCE_KEYED, {"t": compacted, "k": "acme:order-1", "v": 5})

        # Each tenant reads its own records, the latest of its keys included.
        mine = await page(acme, compacted)
        assert [(m["key"], m["value"]) for m in mine] == [
            ("acme:order-1", 1),
            ("acme:", 2),
            *((f"acme:{i}", i) for i in range(3)),
        ]
        theirs = await page(globex, compacted)
        assert [(m["key"], m["value"]) for m in theirs] == [("globex:order-1", 4)]


async def startup_failure(settings: Settings) -> str:
    app = create_app(settings)
    runner = web.AppRunner(app)
    try:
        await runner.setup()
    except StartupFailed as failed:
        return str(failed)
    finally:
        await runner.cleanup()
    raise AssertionError("the gateway started")


@pytest.mark.parametrize("policy", ["compact", "compact,delete"])
async def test_a_compacted_topic_under_a_rule_without_key_prefix_fails_start_up(
    admin: AIOKafkaAdminClient,
    bootstrap: str,
    http: aiohttp.ClientSession,
    key_files: tuple[Path, Path],
    policy: str,
) -> None:
    run = uuid.uuid4().hex[:8]
    exact = await create_compacted(admin, f"test-cexact-{run}", policy)
    matched = await create_compacted(admin, f"test-cpattern-{run}", policy)
    plain = await create_topic(admin, partitions=1, prefix=f"test-cplain-{run}")
    cases: list[tuple[list[dict[str, Any]], str, str]] = [
        ([{"name": "test-*"}, {"name": exact, "records": TENANT_RULE}], "topics[1].records", exact),
        ([{"name": f"test-cpattern-{run}*", "records": TENANT_RULE}], "topics[0].records", matched),
    ]
    for topics, entry, topic in cases:
        settings = auth_settings(bootstrap, key_files[0], topics=topics)
        message = await startup_failure(settings)
        assert message.startswith(
            f"{entry}: topic {topic!r} is compacted (cleanup.policy={policy})"
        )
        assert "key_prefix = true" in message
    # With key_prefix, or on a topic that is not compacted, the gateway starts.
    for topics in (
        [{"name": exact, "records": KEYED}, {"name": f"test-cpattern-{run}*", "records": KEYED}],
        [{"name": f"test-cplain-{run}*", "records": TENANT_RULE}],
    ):
        async with run_gateway(auth_settings(bootstrap, key_files[0], topics=topics)) as gateway:
            acme = tenant(gateway, http, "acme")
            target = exact if topics[0]["name"] == exact else plain
            key = "acme:1" if topics[0]["records"] == KEYED else None
            await acme.data(PRODUCE_KEYED, {"t": target, "k": key, "v": 1})


async def test_a_topic_compacted_after_start_up_refuses_tenant_writes(
    admin: AIOKafkaAdminClient,
    bootstrap: str,
    http: aiohttp.ClientSession,
    key_files: tuple[Path, Path],
) -> None:
    """A pattern's rule without key_prefix: a compacted topic created after start-up, or a topic
    whose policy is altered to compact, refuses tenants' writes (FORBIDDEN, nothing written);
    reading goes on, kafka:admin may still write, and other topics are unaffected."""
    run = uuid.uuid4().hex[:8]
    pattern = f"test-late-{run}-*"
    settings = auth_settings(
        bootstrap, key_files[0], topics=[{"name": pattern, "records": TENANT_RULE}]
    )
    async with run_gateway(settings) as gateway:
        acme, operator = tenant(gateway, http, "acme"), tenant(gateway, http, "admin")
        plain = await create_topic(admin, partitions=1, prefix=f"test-late-{run}")
        late = await create_compacted(admin, f"test-late-{run}-compacted")
        await acme.data(PRODUCE_KEYED, {"t": plain, "v": 1})
        extensions = await forbidden(acme, PRODUCE_KEYED, {"t": late, "k": "acme:1", "v": 1})
        assert "path" not in extensions
        assert await end_offset(bootstrap, late) == 0
        await operator.data(PRODUCE_KEYED, {"t": late, "k": "acme:1", "v": 1})
        assert await page(operator, late) != []
        assert await page(acme, late) == []  # readable: no record carries acme's header

        # The plain topic's policy altered while the gateway runs: seen within metadata_max_age_s.
        await admin.alter_configs(
            [ConfigResource(ConfigResourceType.TOPIC, plain, configs={"cleanup.policy": "compact"})]
        )

        async def refused() -> bool:
            body = await acme.post(PRODUCE_KEYED, {"t": plain, "v": 2})
            codes = [e["extensions"]["code"] for e in body.get("errors", [])]
            return codes == ["FORBIDDEN"]

        await poll_until(refused, timeout_s=30, interval_s=0.2)
        before = await end_offset(bootstrap, plain)
        await forbidden(acme, PRODUCE_KEYED, {"t": plain, "v": 3})
        assert await end_offset(bootstrap, plain) == before


def order(**fields: Any) -> bytes:
    value = {
        "id": "o-1",
        "placedAt": "2026-11-26T09:30:00Z",
        "status": "PLACED",
        "customer": {"name": "Ada"},
        "items": [],
        "quantity": 3,
        **fields,
    }
    return json.dumps(value).encode()


async def test_numbers_beyond_a_typed_field_s_scalar_are_schema_errors(
    admin: AIOKafkaAdminClient,
    bootstrap: str,
    http: aiohttp.ClientSession,
    raw_producer: AIOKafkaProducer,
) -> None:
    """JSON integers have no bound; a typed `Long` is 64-bit and a `Float` a double. A value
    beyond them is the record's schema error, never a field error of the response."""
    topic = await create_topic(admin, partitions=1)
    rule = {"name": topic, "type": "Order", "value_schema": "order.schema.json"}
    records = [
        (order(total=2**63 - 1, amount=1e308), None),
        (order(total=2**63), "beyond a long"),
        (order(total=-(2**63) - 1), "beyond a long"),
        (order(amount=10**400), "beyond a float"),
        (order(total=10**4000), "beyond a long"),
    ]
    query = (
        "{ orders(first: 10) { edges { node { offset schemaErrors value { total amount } } } } }"
    )
    stream = "subscription { orders(fromOffset: 0) { offset schemaErrors value { total } } }"
    async with typed_gateway(bootstrap, [rule]) as running:
        client = GraphQLClient(http, running.url)
        for value, _ in records:
            await raw_producer.send_and_wait(topic, value, partition=0)
        body = await client.post(query)
        assert "errors" not in body, body["errors"]
        async with client.subscribe(stream, {}) as subscription:
            streamed = await subscription.take(len(records), "orders")
    nodes = [e["node"] for e in body["data"]["orders"]["edges"]]
    for messages in (nodes, streamed):
        assert [m["offset"] for m in messages] == list(range(len(records)))
        first, *others = messages
        assert first["value"]["total"] == 2**63 - 1 and first["schemaErrors"] == []
        for message, (_, reason) in zip(others, records[1:], strict=True):
            assert message["value"] is None
            assert reason is not None and reason in message["schemaErrors"][0]


@pytest.mark.parametrize(
    ("guarded", "telling"),
    [
        ("Message.value", "valueError"),
        ("Message.key", "keyEncoding"),
        ("Message.headers", "headerCount"),
        ("Header.value", "headers { valueEncoding }"),
        ("Header.key", "headers { keyEncoding }"),
    ],
)
async def test_a_field_that_tells_of_a_guarded_one_is_guarded_with_it(
    bootstrap: str,
    http: aiohttp.ClientSession,
    key_files: tuple[Path, Path],
    new_topic: TopicFactory,
    guarded: str,
    telling: str,
) -> None:
    """`valueError` says what a value holds (its digits, its depth), an encoding whether bytes
    are text: a caller that may not select the field may not select what tells of it."""
    topic = await new_topic()
    auth = {"field_scopes": {guarded: ["kafka:secrets"]}}
    settings = auth_settings(bootstrap, key_files[0], auth=auth)
    query = f"query($t: String!) {{ messages(topic: $t) {{ messages {{ offset {telling} }} }} }}"
    async with run_gateway(settings) as gateway:
        token = RSA.sign(claims(scope=READ_WRITE))
        without = GraphQLClient(http, gateway.url, token)
        extensions = await forbidden(without, query, {"t": topic})
        assert extensions["code"] == "FORBIDDEN"
        allowed = GraphQLClient(
            http, gateway.url, RSA.sign(claims(scope=f"{READ_WRITE} kafka:secrets"))
        )
        assert (await allowed.data(query, {"t": topic}))["messages"]["messages"] == []
