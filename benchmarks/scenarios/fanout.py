"""P5 (fan-out of one query to N subscribers), P10 (the gateway's Kafka connections while P5
scales) and P6 (N subscribers, each filtering one key of 1,000)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from aiokafka import AIOKafkaProducer

from benchmarks import servers
from benchmarks.drive import Burst, burst, make_live, pool_for
from benchmarks.kafka_util import new_topic, produce_many, producer
from benchmarks.results import Row
from benchmarks.scenarios.base import Run
from benchmarks.ws_load import Socket


async def _fan_out(
    run: Run,
    server: servers.Server,
    client: AIOKafkaProducer,
    topic: str,
    keys: Sequence[str | None],
    messages: int,
    message_keys: Sequence[str | None],
    transport: str = "ws",
) -> Burst:
    """One socket per entry of `keys` (its filter key); `messages` records keyed round-robin by
    `message_keys`; waits for every frame the filters let through. `transport`: "ws", or one
    HTTP stream per subscriber ("sse", "multipart")."""
    o = run.options
    sockets = [Socket((key,)) for key in keys]
    compress = o.compress if transport == "ws" else 0
    pool = pool_for(
        server.ws, topic, sockets, o.sub_workers, compress=compress, transport=transport
    )
    await pool.start()
    try:
        failed = await make_live(pool, client, topic, sorted(set(keys), key=str), label=server.name)
        per_key = {k: 0 for k in message_keys}
        for i in range(messages):
            per_key[message_keys[i % len(message_keys)]] += 1
        expected = sum(messages if key is None else per_key.get(key, 0) for key in keys)
        expected = expected * (len(keys) - failed) // len(keys)
        return await burst(
            pool,
            server.probe,
            lambda: produce_many(client, topic, messages, message_keys),
            expected,
        )
    finally:
        await pool.close()


def _burst_details(b: Burst) -> dict[str, object]:
    return {
        "frames": b.frames,
        "expected": b.expected,
        "wall_s": b.wall_s,
        "server_cpu_s": b.server_cpu_s,
        "client_cpu_s": b.client_cpu_s,
        "errors": b.errors[:3],
    }


# P5 again over HTTP streams, beside WebSocket: one streamed request per subscriber.
HTTP_STREAMS = ("sse", "multipart")
STREAM_NAMES = {"sse": "SSE (graphql-sse)", "multipart": "multipart HTTP"}


def _streamed_row(n: int, m: int, transport: str, s: Burst, ws: Burst, rss_mb: float) -> Row:
    """P5 over an HTTP stream: its deliveries/s beside the gateway's over WebSocket, and the
    ratio of their server CPU per delivery (WebSocket's / the stream's: 1 is as cheap)."""
    s_us = s.server_cpu_s / max(1, s.frames) * 1e6
    ws_us = ws.server_cpu_s / max(1, ws.frames) * 1e6
    ratio = ws_us / s_us if s_us else None
    return Row(
        "P5",
        f"fan-out to {n:,} subscribers over {STREAM_NAMES[transport]}, {m} msgs (vs WebSocket)",
        s.frames / s.wall_s if s.wall_s else 0.0,
        ws.frames / ws.wall_s if ws.wall_s else 0.0,
        "deliveries/s",
        ratio,
        ratio_text=f"{ratio:.2f} (CPU vs WS)" if ratio else "-",
        gateway_cpu_us=s_us,
        baseline_cpu_us=ws_us,
        gateway_rss_mb=rss_mb,
        details={
            "subscribers": n,
            "transport": transport,
            "stream": _burst_details(s),
            "websocket": _burst_details(ws),
        },
    )


async def p5(run: Run) -> list[Row]:
    o = run.options
    rows: list[Row] = []
    connections: dict[int, int] = {}
    gw_topic = await new_topic(o.bootstrap, "p5gw")
    bare_topic = await new_topic(o.bootstrap, "p5bare")
    async with (
        servers.gateway(o.bootstrap) as gateway,
        servers.bare_ws(o.bootstrap, bare_topic) as bare,
        producer(o.bootstrap) as client,
    ):
        for n in o.fanout:
            keys = [None] * n
            # At least `fanout_deliveries` per size: CPU time is read in 10 ms ticks.
            m = max(o.fanout_messages, o.fanout_deliveries // n)
            b = await _fan_out(run, bare, client, bare_topic, keys, m, [None])
            g = await _fan_out(run, gateway, client, gw_topic, keys, m, [None])
            connections[n] = gateway.probe.connections_to(run.broker_port)
            streamed = [
                await _fan_out(run, gateway, client, gw_topic, keys, m, [None], transport)
                for transport in HTTP_STREAMS
            ]
            g_us = g.server_cpu_s / max(1, g.frames) * 1e6
            b_us = b.server_cpu_s / max(1, b.frames) * 1e6
            ratio = b_us / g_us if g_us else None
            at_target = n == 1000
            rows.append(
                Row(
                    "P5",
                    f"fan-out to {n:,} subscribers, {m} msgs",
                    g.frames / g.wall_s,
                    b.frames / b.wall_s,
                    "deliveries/s",
                    ratio,
                    ratio_text=f"{ratio:.2f} (CPU)" if ratio else "-",
                    target=">= 0.6 (CPU)" if at_target else "",
                    passed=(ratio is not None and ratio >= 0.6 and g.complete)
                    if at_target
                    else None,
                    gateway_cpu_us=g_us,
                    baseline_cpu_us=b_us,
                    gateway_rss_mb=gateway.probe.peak_rss_mb(),
                    baseline_rss_mb=bare.probe.peak_rss_mb(),
                    details={
                        "subscribers": n,
                        "gateway": _burst_details(g),
                        "bare": _burst_details(b),
                        "client_cpu_us_per_delivery": {
                            "gateway": g.client_cpu_s / max(1, g.frames) * 1e6,
                            "bare": b.client_cpu_s / max(1, b.frames) * 1e6,
                        },
                        "gateway_broker_connections": connections[n],
                        "bare_broker_connections": bare.probe.connections_to(run.broker_port),
                    },
                )
            )
            rows += [
                _streamed_row(n, m, transport, s, g, gateway.probe.peak_rss_mb())
                for transport, s in zip(HTTP_STREAMS, streamed, strict=True)
            ]
    low, high = min(o.fanout), max(o.fanout)
    # aiokafka may hold the bootstrap connection beside the broker's own (one more, once); a
    # connection per consumer or per subscriber would grow with the subscribers, by hundreds.
    flat = max(connections.values()) <= connections[low] + 1
    rows.append(
        Row(
            "P10",
            f"gateway's broker connections, {low:,} -> {high:,} subscribers",
            connections[high],
            connections[low],
            "conns",
            ratio_text=" / ".join(f"{connections[n]}" for n in o.fanout),
            target="flat (+1)",
            passed=flat,
            details={"connections_by_subscribers": connections},
        )
    )
    return rows


async def p6(run: Run) -> list[Row]:
    """Two families. As the issue words it: subscriber i filters key k(i mod 1,000) and records
    are keyed over all 1,000 keys, so deliveries grow with the subscribers (5 per record at
    5,000). Then the filters alone: subscriber i filters its own key k(i) and records are keyed
    over the first 10 subscribers' keys, so every size makes the same deliveries and what grows
    is only the cost of finding the subscribers a record is for."""
    o = run.options
    keys = [f"k{i}" for i in range(o.filter_keys)]
    hot = [f"k{i}" for i in range(10)]
    families: dict[str, tuple[Callable[[int], list[str]], list[str], str]] = {
        "uniform": (
            lambda n: [keys[i % len(keys)] for i in range(n)],
            keys,
            f"each filtering 1 key of {len(keys):,}",
        ),
        "same deliveries": (
            lambda n: [f"k{i}" for i in range(n)],
            hot,
            "each its own key, records for 10 of them",
        ),
    }
    rows: list[Row] = []
    for family, (filters, message_keys, text) in families.items():
        # Fresh servers per family: the first family's 5,000 sockets would still be closing
        # (and costing CPU) while the second family's smallest size is measured.
        gw_topic = await new_topic(o.bootstrap, "p6gw")
        bare_topic = await new_topic(o.bootstrap, "p6bare")
        async with (
            servers.gateway(o.bootstrap) as gateway,
            servers.bare_ws(o.bootstrap, bare_topic) as bare,
            producer(o.bootstrap) as client,
        ):
            per_message: dict[int, tuple[float, float]] = {}
            for n in o.filter_subscribers:
                mine: list[str | None] = list(filters(n))
                m = o.filter_messages
                b = await _fan_out(run, bare, client, bare_topic, mine, m, message_keys)
                g = await _fan_out(run, gateway, client, gw_topic, mine, m, message_keys)
                per_message[n] = (g.server_cpu_s / m * 1e6, b.server_cpu_s / m * 1e6)
                rows.append(
                    Row(
                        "P6",
                        f"{n:,} subscribers, {text}",
                        per_message[n][0],
                        per_message[n][1],
                        "µs CPU/msg",
                        gateway_cpu_us=per_message[n][0],
                        baseline_cpu_us=per_message[n][1],
                        gateway_rss_mb=gateway.probe.peak_rss_mb(),
                        baseline_rss_mb=bare.probe.peak_rss_mb(),
                        details={
                            "family": family,
                            "subscribers": n,
                            "messages": m,
                            "gateway": _burst_details(g),
                            "bare": _burst_details(b),
                            "gateway_cpu_us_per_delivery": g.server_cpu_s / max(1, g.frames) * 1e6,
                        },
                    )
                )
            low, high = min(o.filter_subscribers), max(o.filter_subscribers)
            growth = per_message[high][0] / per_message[low][0] if per_message[low][0] else None
            bare_growth = (
                per_message[high][1] / per_message[low][1] if per_message[low][1] else None
            )
            rows.append(
                Row(
                    "P6",
                    f"CPU per ingested message ({family}), growth {low:,} -> {high:,}",
                    growth,
                    bare_growth,
                    "x",
                    growth,
                    ratio_text=f"{growth:.1f}x" if growth else "-",
                    target="< 2x",
                    passed=growth is not None and growth < 2,
                )
            )
    return rows
