"""The wire messages of kafka_gateway.v1 read into the core's arguments (a NewRecord, a Start,
a MessageFilter) and the core's results written into them (Written, a topic's description)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp

from kafka_graphql.core.errors import BadUserInput, GatewayError, InvalidValue
from kafka_graphql.core.produce import NewRecord, RawValue, Written
from kafka_graphql.core.reads import OnGap, Start
from kafka_graphql.core.selection import MessageFilter
from kafka_graphql.core.values import loads_value
from kafka_graphql.grpc.generated import gateway_pb2 as pb


@dataclass(frozen=True, slots=True)
class GivenHeader:
    key: str
    value: bytes


def new_record(message: pb.Message, at: str) -> NewRecord:
    """`at`: the message's field path (`message`, `messages.3`), for the refusals."""
    which = message.WhichOneof("value")
    value: object
    if which == "json":
        value = json_value(message.json, f"{at}.json")
    elif which == "binary":
        value = RawValue(message.binary)
    else:
        value = RawValue(None)  # no value: a tombstone (refused without a key)
    return NewRecord(
        value,
        message.key if message.HasField("key") else None,
        [GivenHeader(h.key, h.value) for h in message.headers] or None,
        message.partition if message.HasField("partition") else None,
    )


def json_value(text: str, at: str) -> Any:
    try:
        return loads_value(text.encode("utf-8", "surrogatepass"))
    except (ValueError, RecursionError) as error:
        raise BadUserInput(f"{at} is not a JSON text ({error})", path=at.split(".")) from None


def locate(error: GatewayError, at: str) -> GatewayError:
    """`error` with its path in the request's names: a refused value (InvalidValue: its path
    is inside the value) under `<message>.json`, a refused header under its message."""
    path = error.extensions.get("path")
    if not isinstance(path, list):
        return error
    index = error.extensions.get("index")
    message = [*at.split("."), *([str(index)] if isinstance(index, int) else [])]
    if isinstance(error, InvalidValue):
        error.extensions["path"] = [*message, "json", *path]
    elif path[:1] != ["messages"] and path[:1] != [at]:
        error.extensions["path"] = [*message, *path]
    return error


def start_of(request: pb.ReceiveMessagesRequest) -> Start:
    partitions: Sequence[int] | None = list(request.partitions) or None
    on_gap: OnGap = "FAIL" if request.on_gap == pb.ON_GAP_FAIL else "REPORT"
    which = request.WhichOneof("start")
    if which == "cursor":
        return Start(after=request.cursor, partitions=partitions, on_gap=on_gap)
    if which == "from_offset":
        return Start(from_offset=request.from_offset, partitions=partitions, on_gap=on_gap)
    if which == "from_timestamp":
        when = request.from_timestamp.ToDatetime()
        return Start(from_timestamp=when, partitions=partitions, on_gap=on_gap)
    return Start(partitions=partitions, on_gap=on_gap)


OPERATORS = ("gt", "gte", "lt", "lte", "contains", "exists")


def filter_of(request: pb.ReceiveMessagesRequest) -> MessageFilter:
    """The GraphQL API's generic filter (`key`, `keyPrefix`, `headers`, `value` conditions)."""
    if not request.HasField("filter"):
        return MessageFilter(None)
    given = request.filter
    plain: dict[str, Any] = {}
    if given.HasField("key"):
        plain["key"] = given.key
    if given.HasField("key_prefix"):
        plain["keyPrefix"] = given.key_prefix
    if given.headers:
        plain["headers"] = [
            {"key": h.key, "value": _text(h.value, f"filter.headers.{i}.value")}
            for i, h in enumerate(given.headers)
        ]
    if given.value:
        plain["value"] = [_condition(c, f"filter.value.{i}") for i, c in enumerate(given.value)]
    return MessageFilter(plain or None)


def _condition(given: pb.ValuePredicate, at: str) -> dict[str, Any]:
    condition: dict[str, Any] = {"path": given.path}
    which = given.WhichOneof("op")
    if which == "eq_json":
        condition["eq"] = json_value(given.eq_json, f"{at}.eq_json")
    elif which == "ne_json":
        condition["ne"] = json_value(given.ne_json, f"{at}.ne_json")
    elif which is not None:
        condition[which] = getattr(given, which)
    return condition


def _text(value: bytes, at: str) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        raise BadUserInput(f"{at} must be UTF-8 text", path=at.split(".")) from None


def timestamp(ms: int) -> Timestamp:
    stamp = Timestamp()
    stamp.FromMilliseconds(ms)
    return stamp


def written(result: Written) -> pb.SendMessageResponse:
    return pb.SendMessageResponse(
        topic=result.topic,
        partition=result.partition,
        offset=result.offset,
        timestamp=timestamp(result.timestamp_ms),
    )
