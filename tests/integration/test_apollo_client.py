"""A typed topic from a real Apollo Client: the npm packages in tests/js/, run by Node, which
`make test` installs with `npm ci`.

The SDL from `kafka-graphql schema` validates the client's documents, and GraphQL codegen's
TypeScript types for them compile. relayStylePagination() pages through the Relay connection, a
`where` list stays apart from the unfiltered one (keyArgs), and the last endCursor goes to a
subscription over graphql-ws (GraphQLWsLink) while this side writes: no gap, no duplicate.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiokafka.admin import AIOKafkaAdminClient

from tests.clients import GraphQLClient
from tests.integration.conftest import RunningGateway
from tests.integration.typed import SCHEMAS, create_topic, typed_gateway

JS = Path(__file__).parents[1] / "js"
WAIT_S = 60  # for any one step of the Node side, which also gives up by itself after 60 s
PARTITIONS = 3
FIELD, TYPE = "orders", "Order"
WHERE = {"status": {"eq": "SHIPPED"}}
PLACED_AT, PLACED_AT_UTC = "2026-11-25T12:00:00+01:00", "2026-11-25T11:00:00.000Z"

PRODUCE_ORDERS = """
mutation($messages: [OrderMessageInput!]!) {
  produceOrders(messages: $messages) { partition offset }
}"""

# (partition, offset) -> the value written there
Written = dict[tuple[int, int], dict[str, Any]]


def node() -> str:
    executable = shutil.which("node")
    if executable is None or not (JS / "node_modules").is_dir():
        pytest.fail("tests/js needs Node.js and its packages: run `make test` (npm ci)")
    return executable


def order(number: int, status: str, partition: int | None = None) -> dict[str, Any]:
    """An order's record, keyed by its id so that its updates follow it in one partition."""
    message: dict[str, Any] = {
        "key": f"o-{number}",
        "value": {
            "id": f"o-{number}",
            "placedAt": PLACED_AT,
            "status": status,
            "quantity": number,
            "customer": {"name": "Ada"},
            "items": [{"sku": f"ABC-{number}", "count": 1 + number % 5}],
        },
    }
    if partition is not None:
        message["partition"] = partition
    return message


def as_read(value: dict[str, Any]) -> dict[str, Any]:
    """A written value as Apollo Client reads it: with __typename, the instant in UTC."""
    return {
        "__typename": TYPE,
        **value,
        "placedAt": PLACED_AT_UTC,
        "customer": {"__typename": "OrderCustomer", **value["customer"]},
        "items": [{"__typename": "LineItem", **item} for item in value["items"]],
    }


async def write(client: GraphQLClient, messages: list[dict[str, Any]], into: Written) -> None:
    results = (await client.data(PRODUCE_ORDERS, {"messages": messages}))["produceOrders"]
    for message, result in zip(messages, results, strict=True):
        into[result["partition"], result["offset"]] = message["value"]


def positions(messages: list[dict[str, Any]]) -> list[tuple[int, int]]:
    return [(m["partition"], m["offset"]) for m in messages]


def check_exactly_once(messages: list[dict[str, Any]], written: Written) -> None:
    """Every record written appears once, in partition order, with the typed value written."""
    found = positions(messages)
    assert len(found) == len(set(found)), "a duplicate"
    assert set(found) == set(written), "a gap, or a record that was not asked for"
    for partition in range(PARTITIONS):
        offsets = [o for p, o in found if p == partition]
        assert offsets == sorted(offsets), f"partition {partition} out of order"
    for message in messages:
        assert message["__typename"] == f"{TYPE}Message"
        assert message["schemaErrors"] == []
        assert message["value"] == as_read(written[message["partition"], message["offset"]])


class NodeScript:
    """A Node process speaking JSON lines on stdout; its stderr is kept for failure messages."""

    def __init__(self, process: asyncio.subprocess.Process, stderr: Path) -> None:
        self.process = process
        self.stderr = stderr

    async def expect(self, event: str) -> dict[str, Any]:
        assert self.process.stdout is not None
        try:
            line = await asyncio.wait_for(self.process.stdout.readline(), WAIT_S)
        except TimeoutError:
            pytest.fail(f"no {event!r} from Node within {WAIT_S} s:\n{self.stderr.read_text()}")
        if not line:
            await asyncio.wait_for(self.process.wait(), WAIT_S)
            pytest.fail(
                f"Node exited ({self.process.returncode}) before {event!r}:\n"
                f"{self.stderr.read_text()}"
            )
        body: dict[str, Any] = json.loads(line)
        assert body.pop("event") == event, body
        return body

    async def send(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(f"{line}\n".encode())
        await self.process.stdin.drain()


async def start_node(script: str, options: dict[str, Any], tmp_path: Path) -> NodeScript:
    stderr = tmp_path / f"{script}.stderr"
    with stderr.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            node(),
            str(JS / script),
            json.dumps(options),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=output,
            limit=2**24,  # a whole merged list is one line
        )
    return NodeScript(process, stderr)


@pytest_asyncio.fixture
async def orders_gateway(
    admin: AIOKafkaAdminClient, bootstrap: str
) -> AsyncIterator[RunningGateway]:
    topic = await create_topic(admin, partitions=PARTITIONS)
    rule = {"name": topic, "type": TYPE, "value_schema": "order.schema.json"}
    async with typed_gateway(bootstrap, [rule]) as running:
        yield running


def test_codegen_validates_the_documents_and_its_types_compile(tmp_path: Path) -> None:
    config = tmp_path / "gateway.toml"
    config.write_text(
        '[[topics]]\nname = "shop.orders"\n'
        f'type = "{TYPE}"\nvalue_schema = "{SCHEMAS / "order.schema.json"}"\n'
    )
    sdl = tmp_path / "schema.graphql"
    printed = subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
        [sys.executable, "-m", "kafka_graphql", "schema", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=WAIT_S,
        check=False,
    )
    assert printed.returncode == 0, printed.stderr
    sdl.write_text(printed.stdout)
    checked = subprocess.run(  # noqa: S603 - node and a script of this repository
        [node(), str(JS / "check-schema.mjs"), str(sdl), FIELD, TYPE],
        capture_output=True,
        text=True,
        timeout=WAIT_S,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr
    assert json.loads(checked.stdout) == {
        "operations": [f"{TYPE}Page", f"{TYPE}Stream"],
        "typescript": "ok",
    }


async def test_apollo_client_pages_keeps_lists_apart_and_continues_live(
    orders_gateway: RunningGateway, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    client = GraphQLClient(http, orders_gateway.url)
    history: Written = {}
    await write(client, [order(n, "PAID" if n % 2 else "PLACED") for n in range(20)], history)
    # Updates of four orders: records that share an id with an earlier record.
    await write(client, [order(n, "SHIPPED") for n in (2, 7, 11, 16)], history)
    shipped = {at: value for at, value in history.items() if value["status"] == "SHIPPED"}
    from_offset = 3
    not_first = {(p, o): value for (p, o), value in history.items() if o >= from_offset}
    # The subscription ends once it has these: one last record in every partition.
    last = [900 + p for p in range(PARTITIONS)]
    options = {
        "url": orders_gateway.url,
        "field": FIELD,
        "type": TYPE,
        "first": 7,
        "where": WHERE,
        "whereFirst": 2,
        "fromOffset": from_offset,
        "fromFirst": 4,
        "until": [f"o-{n}" for n in last],
    }
    apollo = await start_node("apollo-client.mjs", options, tmp_path)
    try:
        paged = await apollo.expect("paged")
        merged, filtered, later_list = paged["all"], paged["filtered"], paged["later"]
        check_exactly_once([edge["node"] for edge in merged["edges"]], history)
        assert merged["requests"] >= 4  # 24 records, at most 7 a page
        assert merged["typename"] == f"{TYPE}Connection"
        assert {edge["typename"] for edge in merged["edges"]} == {f"{TYPE}Edge"}
        assert merged["pageInfo"] == {
            "__typename": "PageInfo",
            "hasNextPage": False,
            "hasPreviousPage": False,
            "startCursor": merged["edges"][0]["node"]["cursor"],
            "endCursor": merged["edges"][-1]["cursor"],
        }
        check_exactly_once([edge["node"] for edge in filtered["edges"]], shipped)
        assert filtered["requests"] >= 2 and filtered["pageInfo"]["hasNextPage"] is False
        # fetchMore sends `after` with the query's fromOffset still set.
        check_exactly_once([edge["node"] for edge in later_list["edges"]], not_first)
        assert later_list["requests"] >= 2 and later_list["pageInfo"]["hasNextPage"] is False
        # Three lists in the cache, and the first one intact after the others were paged.
        assert set(paged["storedLists"]) == {
            f"{FIELD}:{{}}",
            f"{FIELD}:{json.dumps({'where': WHERE}, separators=(',', ':'))}",
            f'{FIELD}:{{"fromOffset":{from_offset}}}',
        }
        assert paged["again"] == [
            [e["node"]["partition"], e["node"]["offset"]] for e in merged["edges"]
        ]

        # Written after the last page and before the subscription starts: replayed from the
        # endCursor. Then more while it streams, then the last ones.
        later: Written = {}
        await write(client, [order(n, "PLACED") for n in range(100, 105)], later)
        await apollo.send("subscribe")
        await apollo.expect("subscribed")
        for start in range(105, 117, 4):
            await write(client, [order(n, "PAID") for n in range(start, start + 4)], later)
        await write(client, [order(n, "PLACED", partition=n - 900) for n in last], later)
        streamed = (await apollo.expect("streamed"))["messages"]
        async with asyncio.timeout(WAIT_S):
            assert await apollo.process.wait() == 0, apollo.stderr.read_text()
    finally:
        if apollo.process.returncode is None:
            apollo.process.kill()
            await apollo.process.wait()
    check_exactly_once(streamed, later)
