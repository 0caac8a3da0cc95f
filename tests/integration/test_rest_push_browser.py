"""Push over plain HTTP in a real browser: a page in headless Chromium reads a topic with
`EventSource`; the test drops its connection while more records are written, and the browser's
own reconnection (with `Last-Event-ID`, which the page never touches) resumes the stream on
another replica with no gap and no duplicate.

The page and its stream share one origin, the test's own server: it serves the page, takes the
page's reports, and passes the stream through to a replica (the first connection to one, every
later one to the other), so that the test can cut a connection and hold the reconnection until
it has written the records the browser must not miss."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from kafka_graphql.dev.cursor_key import DEV_CURSOR_KEYS_ENV
from kafka_graphql.settings import settings_from_mapping
from tests.clients import RestClient
from tests.integration.conftest import RunningGateway, TopicFactory, run_gateway

WAIT_S = 30
PAGE = """<!doctype html><meta charset="utf-8"><title>push</title><script>
let seq = 0;
const report = (item) =>
  fetch("/report", {method: "POST", body: JSON.stringify({seq: seq++, ...item})});
const source = new EventSource("/stream?from=beginning");
source.onmessage = (e) => report({id: e.lastEventId, record: JSON.parse(e.data)});
// A dropped connection is an error without data; the gateway's `error` event has its body.
source.onerror = (e) => { if (e.data !== undefined) report({error: JSON.parse(e.data)}); };
</script>"""


def chromium() -> str:
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("this test needs Debian's `chromium` (apt-get install chromium)")
    return executable


@dataclass
class PageServer:
    """The page's origin: the page, its reports, and its stream passed through to a replica."""

    topic: str
    upstreams: tuple[str, str]
    reports: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)
    # The Last-Event-ID of each connection the browser opened, in order.
    connections: list[str | None] = field(default_factory=list)
    cut: asyncio.Event = field(default_factory=asyncio.Event)
    # Set when the server shuts down: every stream it passes through ends.
    done: asyncio.Event = field(default_factory=asyncio.Event)
    reconnect: asyncio.Event = field(default_factory=asyncio.Event)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/", self.page)
        app.router.add_post("/report", self.report)
        app.router.add_get("/stream", self.stream)
        app.on_shutdown.append(self.shutdown)
        return app

    async def shutdown(self, _: web.Application) -> None:
        self.done.set()

    async def page(self, _: web.Request) -> web.Response:
        return web.Response(text=PAGE, content_type="text/html")

    async def report(self, request: web.Request) -> web.Response:
        await self.reports.put(await request.json())
        return web.Response()

    async def stream(self, request: web.Request) -> web.StreamResponse:
        last_event_id = request.headers.get("Last-Event-ID")
        self.connections.append(last_event_id)
        first = len(self.connections) == 1
        if not first:
            await self.reconnect.wait()
        headers = {"Accept": request.headers["Accept"]}
        if last_event_id is not None:
            headers["Last-Event-ID"] = last_event_id
        upstream_root = self.upstreams[0 if first else 1]
        url = f"{upstream_root}/topics/{self.topic}/records?{request.query_string}"
        async with (
            aiohttp.ClientSession() as session,
            session.get(url, headers=headers) as upstream,
        ):
            response = web.StreamResponse(
                headers={"Content-Type": upstream.headers["Content-Type"]}
            )
            await response.prepare(request)
            # Reconnect soon (the browser's default is seconds).
            await response.write(b"retry: 100\n\n")
            cut = asyncio.ensure_future((self.cut if first else self.done).wait())
            try:
                while True:
                    chunk = asyncio.ensure_future(upstream.content.readany())
                    await asyncio.wait({chunk, cut}, return_when=asyncio.FIRST_COMPLETED)
                    if cut.done():
                        chunk.cancel()
                        break
                    data = chunk.result()
                    if not data:
                        break
                    await response.write(data)
            except ConnectionError:
                pass  # the browser went away (the test is over)
            finally:
                cut.cancel()
        return response


async def reports(server: PageServer, count: int) -> list[dict[str, Any]]:
    taken = [await asyncio.wait_for(server.reports.get(), WAIT_S) for _ in range(count)]
    return sorted(taken, key=lambda r: r["seq"])


async def test_event_source_resumes_on_another_replica_after_a_dropped_connection(
    bootstrap: str, http: aiohttp.ClientSession, new_topic: TopicFactory, tmp_path: Path
) -> None:
    topic = await new_topic()
    settings = settings_from_mapping(
        {
            "kafka": {"bootstrap_servers": bootstrap, "metadata_max_age_s": 0},
            "server": {"shutdown_grace_s": 2, "cursor_keys_env": DEV_CURSOR_KEYS_ENV},
            "metrics": {"enabled": False},
            "rest": {"enabled": True},
            "topics": [{"name": "test-*"}],
        }
    )
    async with run_gateway(settings) as first, run_gateway(settings) as second:
        rest = RestClient.of(http, first.url)
        await rest.produce(topic, [{"value": i} for i in range(4)])
        server = PageServer(topic, (root(first), root(second)))
        async with serving(server.app()) as page_url, browsing(page_url, tmp_path):
            before = await reports(server, 4)
            server.cut.set()
            await rest.produce(topic, [{"value": i} for i in range(4, 8)])
            server.reconnect.set()
            after = await reports(server, 4)
            await rest.produce(topic, [{"value": "last"}])
            (sentinel,) = await reports(server, 1)
    records = [r["record"] for r in before + after if "record" in r]
    assert [(r["offset"], r["value"]) for r in records] == [(i, i) for i in range(8)]
    # The browser's own Last-Event-ID: the id of the last event it had.
    assert server.connections == [None, before[-1]["id"]]
    assert sentinel["record"]["value"] == "last"
    assert all("error" not in r for r in [*before, *after, sentinel])


@asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[str]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}/"
    finally:
        await runner.cleanup()


@asynccontextmanager
async def browsing(url: str, tmp_path: Path) -> AsyncIterator[None]:
    """Headless Chromium on `url` for as long as the block runs."""
    with (tmp_path / "chromium.stderr").open("wb") as stderr:
        process = await asyncio.create_subprocess_exec(
            chromium(),
            "--headless=new",
            "--no-sandbox",  # the tests may run as root
            "--disable-gpu",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'chromium'}",
            url,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    try:
        yield
    finally:
        process.terminate()
        await process.wait()


def root(gateway: RunningGateway) -> str:
    return gateway.url.removesuffix("/graphql")
