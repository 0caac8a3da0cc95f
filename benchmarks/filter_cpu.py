"""Filter probe: the gateway's CPU time for one history page, plain and with filters.

    KAFKA_BOOTSTRAP_SERVERS=... .venv/bin/python -m benchmarks.filter_cpu [--records 10000]

What docs/limits.md#filters calibrates the cost of a filter with. One topic of `--records`
order values (generic), one typed topic (`Order`, schemas/order.schema.json) with the same
records; a gateway process with budgets that throttle nothing. Each case is one page read
`--repeat` times, and the median of the gateway's CPU time per page (utime + stime from
/proc/<pid>/stat, 10 ms ticks) is printed with the page's requested cost. Filtered cases match
no record, so that each page passes over `limits.max_scan_records` records: the worst case of a
filter at its size.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from benchmarks.kafka_util import new_topic, producer
from benchmarks.servers import GATEWAY_LIMITS, Server, _process, free_port

SCHEMA = Path(__file__).resolve().parent.parent / "schemas" / "order.schema.json"
STATUSES = ["PLACED", "PAID", "SHIPPED", "DELIVERED", "CANCELLED"]


def order(i: int) -> dict[str, Any]:
    return {
        "id": f"o-{i}",
        "placedAt": "2026-01-02T03:04:05Z",
        "status": STATUSES[i * 7 % len(STATUSES)],
        "customer": {"id": f"c-{i % 97}", "name": f"Customer {i % 97}", "tier": "GOLD"},
        "items": [
            {"sku": f"TEA-{100 + j}", "quantity": 1 + j, "unitPrice": 2.5 * (j + 1)}
            for j in range(1 + i % 3)
        ],
        "total": i * 37 % 20_000 / 100,
        "currency": "EUR",
        "tags": ["gift"] if i % 5 == 0 else [],
    }


def _in_values(wanted: list[str], count: int) -> list[str]:
    """`count` values, those of `wanted` last: a linear `in` compares with every one first."""
    return [f"decoy-{n}" for n in range(count - len(wanted))] + wanted


def generic_cases(conditions: int, in_values: int) -> dict[str, tuple[str, dict[str, Any]]]:
    page = "messages { offset key value } hasMore"
    plain = "query($t: String!, $n: Int) { messages(topic: $t, limit: $n) { PAGE } }"
    filtered = (
        "query($t: String!, $f: MessageFilter) { messages(topic: $t, limit: 20, filter: $f) "
        "{ PAGE } }"
    )
    plain, filtered = plain.replace("PAGE", page), filtered.replace("PAGE", page)
    miss = {"path": "status", "eq": "NONE"}
    passing = [{"path": "customer.tier", "exists": True}] * (conditions - 1)
    heavy = [{"path": "status", "in": _in_values(STATUSES, in_values)}] * (conditions - 1)
    return {
        "generic: plain page, limit 20": (plain, {"n": 20}),
        "generic: plain page, limit 200": (plain, {"n": 200}),
        "generic: filter of 1 condition": (filtered, {"f": {"value": [miss]}}),
        f"generic: filter of {conditions} conditions": (
            filtered,
            {"f": {"value": [*passing, miss]}},
        ),
        f"generic: {conditions} conditions of {in_values} `in` values": (
            filtered,
            {"f": {"value": [*heavy, {"path": "status", "in": _in_values([], in_values)}]}},
        ),
    }


def typed_cases(conditions: int, in_values: int) -> dict[str, tuple[str, dict[str, Any]]]:
    page = "edges { node { offset key value { id status total } } } pageInfo { hasNextPage }"
    plain = "query($n: Int) { benchOrders(first: $n) { PAGE } }".replace("PAGE", page)
    filtered = "query($w: OrderWhere) { benchOrders(first: 20, where: $w) { PAGE } }"
    filtered = filtered.replace("PAGE", page)
    miss = {"id": {"eq": "none"}}
    # Each `and` item counts 1 and its operator 1 (docs/limits.md#filters).
    items = conditions // 2
    passing = [{"customer": {"name": {"exists": True}}}] * (items - 1)
    heavy = [{"status": {"in": STATUSES}, "id": {"in": _in_values([], in_values)}}]
    many = [{"currency": {"in": ["EUR"]}}] * (items - 2)
    return {
        "typed: plain page, first 20": (plain, {"n": 20}),
        "typed: plain page, first 200": (plain, {"n": 200}),
        "typed: filter of 1 condition": (filtered, {"w": miss}),
        f"typed: filter of {conditions} conditions": (filtered, {"w": {"and": [*passing, miss]}}),
        f"typed: filter with {in_values} `in` values": (
            filtered,
            {"w": {"and": [*many, *heavy]}},
        ),
    }


async def measure(
    session: aiohttp.ClientSession, server: Server, query: str, variables: dict[str, Any], n: int
) -> tuple[float, float, Any]:
    cpu: list[float] = []
    wall: list[float] = []
    answer: Any = None
    for _ in range(n + 1):  # the first one warms up (a reader, the decoded values)
        before, started = server.probe.cpu_s(), time.perf_counter()
        async with session.post(server.graphql, json={"query": query, "variables": variables}) as r:
            answer = await r.json()
        cpu.append(server.probe.cpu_s() - before)
        wall.append(time.perf_counter() - started)
    if answer.get("errors"):
        raise RuntimeError(answer["errors"])
    return statistics.median(cpu[1:]), statistics.median(wall[1:]), answer


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--conditions", type=int, default=20)
    parser.add_argument("--in-values", type=int, default=100)
    options = parser.parse_args()
    bootstrap = os.environ["KAFKA_BOOTSTRAP_SERVERS"]
    generic = await new_topic(bootstrap, "filters")
    typed = await new_topic(bootstrap, "orders")
    async with producer(bootstrap) as client:
        futures = []
        for i in range(options.records):
            value = json.dumps(order(i)).encode()
            for topic in (generic, typed):
                futures.append(await client.send(topic, value, key=f"k-{i}".encode()))
        await asyncio.gather(*futures)
    port = free_port()
    limits = "\n".join(f"{key} = {value}" for key, value in GATEWAY_LIMITS.items())
    config = Path(tempfile.mkdtemp(prefix="filter-cpu-")) / "gateway.toml"
    config.write_text(
        f'[kafka]\nbootstrap_servers = "{bootstrap}"\n[server]\nport = {port}\n'
        f"[limits]\n{limits}\n"
        f'[[topics]]\nname = "{typed}"\ntype = "Order"\nfield = "benchOrders"\n'
        f'value_schema = "{SCHEMA}"\n'
        '[[topics]]\nname = "bench-*"\n'
    )
    argv = ["-m", "kafka_graphql", "--config", str(config)]
    cases = {
        **generic_cases(options.conditions, options.in_values),
        **typed_cases(options.conditions, options.in_values),
    }
    async with _process("gateway", argv, port) as server, aiohttp.ClientSession() as session:
        print(f"{options.records} records; median of {options.repeat} pages", file=sys.stderr)
        for name, (query, variables) in cases.items():
            variables = {"t": generic, **variables}
            if name.startswith("typed"):
                variables.pop("t")
            cpu, wall, answer = await measure(session, server, query, variables, options.repeat)
            cost = answer.get("extensions", {}).get("cost", {}).get("requestedQueryCost")
            print(f"{name:48} cpu {cpu * 1000:8.0f} ms  wall {wall * 1000:8.0f} ms  cost {cost}")


if __name__ == "__main__":
    asyncio.run(main())
