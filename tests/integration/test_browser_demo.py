"""The demo page (/demo) in headless Chromium (Debian's, driven by puppeteer-core from tests/js),
on the demo that `make run` serves: an order produced through the form appears in the live list
with its email masked (null), the page resumes after a dropped connection from its last cursor
(an order written while it was away is shown once, nothing twice), and an invalid order shows
its error next to the field. Its screenshots are the README's (`images`)."""

from __future__ import annotations

import uuid
from pathlib import Path

import aiohttp

from kafka_graphql.http.state import WEBSOCKETS
from tests.clients import GraphQLClient
from tests.integration.conftest import RunningGateway
from tests.integration.test_apollo_client import start_node
from tests.integration.test_browser_graphiql import chromium, images
from tests.integration.test_demo import (  # noqa: F401 (fixtures)
    PRODUCE_ORDER,
    demo,
    demo_settings,
    order,
    tour,
)


async def test_the_demo_page_shows_orders_live_and_resumes_after_a_dropped_connection(
    demo: RunningGateway,  # noqa: F811 (the fixture)
    tour: GraphQLClient,  # noqa: F811 (the fixture)
    http: aiohttp.ClientSession,
    tmp_path: Path,
) -> None:
    chromium()
    async with http.get(demo.url.replace("/graphql", "/demo")) as page:
        assert (page.status, page.content_type) == (200, "text/html")
    folder = images(tmp_path)
    run = f"o-{uuid.uuid4().hex[:8]}"
    url = demo.url.replace("/graphql", "/demo")
    browser = await start_node("demo.mjs", {"url": url, "id": run, "images": str(folder)}, tmp_path)
    shown = (await browser.expect("shown"))["order"]
    assert run in shown["text"] and "Ada Lovelace" in shown["text"]
    assert shown["masked"] == "email: null"  # the development token has no shop:pii
    # The page's connection drops; an order is written while it is away.
    websockets = demo.app[WEBSOCKETS]
    for socket in list(websockets):
        await socket.close(code=1012, message=b"test")
    away = f"{run}-away"
    await tour.data(PRODUCE_ORDER, {"key": away, "value": order(away, "PAID", 30)})
    await browser.send("cut")
    resumed = await browser.expect("resumed")
    assert resumed["reconnects"] >= 1
    ours = [o["id"] for o in resumed["orders"] if o["id"].startswith(run)]
    assert ours == [run, away, f"{run}-after"]  # no gap, nothing twice, in order
    positions = [o["position"] for o in resumed["orders"]]
    assert len(positions) == len(set(positions))
    invalid = await browser.expect("invalid")
    assert "email" in invalid["error"].lower()
    assert invalid["invalid"] == "true"
    done = await browser.expect("done")
    assert done["consoleErrors"] == []
    assert done["external"] == []
