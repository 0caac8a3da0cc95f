"""The REST face's refusals of what it cannot read, made before any Kafka call (over the stand-in
for Kafka, which fails a test that reaches it): media types (415), JSON (400), body shapes (400),
base64 (42203), the core's checks that need no broker (422, 40401), paths and methods it does
not serve (404, 405) and bodies over the limit (413), each in Confluent's shape, and the gateway
serving afterwards (the same codes with a broker: tests/integration/test_rest_*.py)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest
import pytest_asyncio

from tests.clients import BINARY_V2, JSON_V2, V2, RestClient
from tests.gateways import RunningGateway
from tests.kafka_stand_in import NotReached
from tests.unit.transport.answers import assert_still_serving
from tests.unit.transport.serving import serve, settings_without_kafka

AVRO_V2 = "application/vnd.kafka.avro.v2+json"
JSONSCHEMA_V2 = "application/vnd.kafka.jsonschema.v2+json"
PROTOBUF_V2 = "application/vnd.kafka.protobuf.v2+json"
MAX_BATCH = 3
MAX_BYTES = 4096


@pytest_asyncio.fixture(scope="module")
async def gateway(kafka: NotReached) -> AsyncIterator[RunningGateway]:
    settings = settings_without_kafka(
        rest={"enabled": True},
        limits={"max_batch_size": MAX_BATCH, "max_request_bytes": MAX_BYTES},
    )
    async with serve(settings, kafka) as running:
        yield running


@pytest.fixture
def rest(gateway: RunningGateway, http: aiohttp.ClientSession) -> RestClient:
    return RestClient.of(http, gateway.url)


@dataclass(frozen=True)
class Refusal:
    status: int
    error_code: int
    message: str  # a part of the message
    body: bytes = b'{"records": [{"value": 1}]}'
    content_type: str | None = JSON_V2
    path: str = "/topics/test-x"


def records(*given: object) -> bytes:
    return json.dumps({"records": list(given)}).encode()


PRODUCE_REFUSALS = {
    # Media types: json, binary, avro and jsonschema v2, and plain JSON (protobuf later).
    "text/plain": Refusal(415, 415, "text/plain is not accepted; send", content_type="text/plain"),
    "no Content-Type": Refusal(415, 415, "a body without a Content-Type", content_type=None),
    "form": Refusal(415, 415, "not accepted", content_type="application/x-www-form-urlencoded"),
    "protobuf v2": Refusal(
        415, 415, "protobuf.v2+json is not accepted yet", content_type=PROTOBUF_V2
    ),
    # The schema formats: what needs no registry to be refused.
    "avro v2 values without a value schema": Refusal(
        422,
        42202,
        "Request includes values but does not include value schema (records[0].value)",
        content_type=AVRO_V2,
    ),
    "jsonschema v2 keys without a key schema": Refusal(
        422,
        42201,
        "Request includes keys but does not include key schema (records[0].key)",
        body=b'{"records": [{"key": "k"}]}',
        content_type=JSONSCHEMA_V2,
    ),
    "a schema id that is not a number": Refusal(
        422,
        42205,
        "Invalid schema: value_schema_id must be an integer",
        body=b'{"value_schema_id": "1", "records": [{"value": 1}]}',
        content_type=AVRO_V2,
    ),
    "a schema on a gateway without a registry": Refusal(
        422,
        42205,
        "Invalid schema: the gateway has no schema registry (schema_registry.url)",
        body=b'{"value_schema": "\\"long\\"", "records": [{"value": 1}]}',
        content_type=AVRO_V2,
    ),
    "the answers' type": Refusal(415, 415, "not accepted", content_type=V2),
    "latin-1": Refusal(415, 415, "utf-8", content_type="application/json; charset=latin-1"),
    # JSON as RFC 8259 has it.
    "empty body": Refusal(400, 400, "not valid JSON", body=b""),
    "malformed JSON": Refusal(400, 400, "not valid JSON", body=b'{"records": [1,]}'),
    "duplicate keys": Refusal(400, 400, "same key twice", body=b'{"records": [], "records": []}'),
    "NaN": Refusal(400, 400, "NaN is not a JSON value", body=b'{"records": [{"value": NaN}]}'),
    # Body shapes.
    "an array body": Refusal(400, 400, "must be a JSON object with `records`", body=b"[]"),
    "records not an array": Refusal(400, 400, "`records` must be an array", body=b'{"records": 1}'),
    "unknown request field": Refusal(400, 400, "unknown field `record`", body=b'{"record": []}'),
    "a record not an object": Refusal(400, 400, "records[0] must be an object", body=records(1)),
    "unknown record field": Refusal(
        400, 400, "unknown field `valu` in records[0]", body=records({"valu": 1})
    ),
    "partition not a number": Refusal(
        400, 400, "records[0].partition must be an integer", body=records({"partition": "0"})
    ),
    "headers not an array": Refusal(
        400, 400, "records[0].headers must be an array", body=records({"headers": {}})
    ),
    "header without a name": Refusal(
        400, 400, "records[0].headers[0] must be an object", body=records({"headers": [{}]})
    ),
    "binary value not a string": Refusal(
        400, 400, "records[0].value must be a base64 string", records({"value": 5}), BINARY_V2
    ),
    # Base64 that does not decode: Confluent's JSON conversion failure.
    "binary value not base64": Refusal(
        422, 42203, "records[0].value is not valid base64", records({"value": "!!"}), BINARY_V2
    ),
    "binary key not base64": Refusal(
        422, 42203, "records[0].key is not valid base64", records({"key": "AA=A"}), BINARY_V2
    ),
    "header value not base64": Refusal(
        422,
        42203,
        "headers[0].value is not valid base64",
        records({"headers": [{"name": "h", "value": "*"}]}),
    ),
    # The core's checks before any Kafka call.
    "no records": Refusal(422, 422, "got 0", body=b'{"records": []}'),
    "records null": Refusal(422, 422, "got 0", body=b'{"records": null}'),
    "a batch over max_batch_size": Refusal(
        422, 422, f"1 to {MAX_BATCH} messages", body=records(*[{"value": 1}] * (MAX_BATCH + 1))
    ),
    "a negative partition": Refusal(
        422, 422, "partition must not be negative", body=records({"value": 1, "partition": -1})
    ),
    "a lone surrogate": Refusal(
        422, 422, "valid Unicode", body=b'{"records": [{"value": "\\ud800"}]}'
    ),
    "an unexposed topic": Refusal(404, 40401, "topic 'secret' not found", path="/topics/secret"),
    "a partition in the path and the record": Refusal(
        400,
        400,
        "unknown field `partition` in records[0]",
        body=records({"value": 1, "partition": 0}),
        path="/topics/test-x/partitions/0",
    ),
    "a body over max_request_bytes": Refusal(
        413, 413, f"at most {MAX_BYTES} bytes", body=records({"value": "x" * MAX_BYTES})
    ),
}


@pytest.mark.parametrize("case", PRODUCE_REFUSALS.values(), ids=PRODUCE_REFUSALS.keys())
async def test_a_produce_it_cannot_read_is_refused_before_kafka(
    case: Refusal, rest: RestClient, gateway: RunningGateway, http: aiohttp.ClientSession
) -> None:
    answer = await rest.post(case.path, case.body, case.content_type)
    assert (answer.status, answer.headers["Content-Type"]) == (case.status, V2), answer.body
    body = answer.json()
    assert list(body) == ["error_code", "message"]
    assert body["error_code"] == case.error_code
    assert case.message in body["message"], body
    assert "Traceback" not in body["message"] and len(body["message"]) < 300
    await assert_still_serving(gateway, http)


UNROUTED = {
    "an unknown path": ("GET", "/nothing", 404, None),
    "the root": ("GET", "/", 404, None),
    "PUT /consumers/{group}": ("PUT", "/consumers/group-1", 405, "POST"),
    "v3 beyond produce": ("GET", "/v3/clusters/c/topics", 404, None),
    "GET of v3 records": ("GET", "/v3/clusters/c/topics/test-x/records", 405, "POST"),
    "a partition that is not a number": ("GET", "/topics/test-x/partitions/one", 404, None),
    "a negative partition": ("POST", "/topics/test-x/partitions/-1", 404, None),
    "DELETE /topics": ("DELETE", "/topics", 405, "GET"),
    "PUT /topics/{topic}": ("PUT", "/topics/test-x", 405, "GET,POST"),
    "POST /brokers": ("POST", "/brokers", 405, "GET"),
}


@pytest.mark.parametrize(("method", "path", "status", "allow"), UNROUTED.values(), ids=UNROUTED)
async def test_what_no_route_serves_is_answered_in_confluents_shape(
    method: str,
    path: str,
    status: int,
    allow: str | None,
    rest: RestClient,
    http: aiohttp.ClientSession,
) -> None:
    async with http.request(method, rest.base + path, data=b"{}") as response:
        assert (response.status, response.headers["Content-Type"]) == (status, V2)
        assert response.headers.get("Allow", "").replace(" ", "") == (allow or "")
        reason = {404: "Not Found", 405: "Method Not Allowed"}[status]
        assert await response.json(content_type=None) == {
            "error_code": status,
            "message": f"HTTP {status} {reason}",
        }


async def test_the_graphql_face_and_health_are_untouched(
    rest: RestClient, gateway: RunningGateway, http: aiohttp.ClientSession
) -> None:
    # A GraphQL refusal keeps its own shape beside the REST face.
    answer = await rest.post("/graphql", b"{", "application/json")
    assert answer.status == 400
    assert answer.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    await assert_still_serving(gateway, http)
