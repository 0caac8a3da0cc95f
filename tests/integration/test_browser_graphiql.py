"""GraphiQL as a newcomer meets it, in headless Chromium (Debian's, driven by puppeteer-core from
tests/js): on the demo that `make run` serves, the page loads from the gateway's own files with no
console error and no request leaving the machine, its first schema request succeeds with the
development token already in the Headers tab, it opens on the README tour's tabs, and a share
link opens its document. Its screenshot is the README's (`images`)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import pytest

from kafka_graphql.dev.dev_token import development_token
from kafka_graphql.settings import Settings
from tests.integration.conftest import RunningGateway
from tests.integration.test_demo import ROOT, demo, demo_settings  # noqa: F401 (fixtures)
from tests.integration.test_persisted_queries import node_json

DOCS_IMAGES = ROOT / "docs" / "images"


def images(tmp_path: Path) -> Path:
    """Where the screenshots go: docs/images/ when asked for (`UPDATE_SCREENSHOTS=1 make test
    PYTEST_ARGS=tests/integration/test_browser_graphiql.py tests/integration/test_browser_demo.py`),
    the test's own folder otherwise (a test run leaves the work tree as it found it)."""
    folder = DOCS_IMAGES if os.environ.get("UPDATE_SCREENSHOTS") else tmp_path
    folder.mkdir(exist_ok=True)
    return folder


def chromium() -> None:
    if shutil.which("chromium") is None:
        pytest.fail("this test needs Debian's `chromium` (apt-get install chromium)")


async def test_graphiql_opens_on_the_tour_and_a_share_link_opens_its_query(
    demo: RunningGateway,  # noqa: F811 (the fixture)
    demo_settings: Settings,  # noqa: F811 (the fixture)
    http: aiohttp.ClientSession,
    tmp_path: Path,
) -> None:
    chromium()
    assert (ROOT / ".graphiql").is_dir(), "GraphiQL's files: run `make test` (graphiql-assets)"
    share = {
        "query": "query Shared($n: Int) { orders(first: $n) { edges { cursor } } }",
        "variables": json.dumps({"n": 3}),
        "operationName": "Shared",
    }
    # A client asking for JSON still gets JSON from the same link (401: it sent no token).
    async with http.get(demo.url, params=share, headers={"Accept": "application/json"}) as got:
        assert (got.status, got.content_type) == (401, "application/json")
    screenshot = images(tmp_path) / "graphiql.png"
    seen = await node_json(
        "graphiql.mjs",
        {
            "url": demo.url,
            "share": f"{demo.url}?{urlencode(share)}",
            "screenshot": str(screenshot),
        },
    )
    assert seen["consoleErrors"] == []
    assert seen["external"] == []
    assert screenshot.stat().st_size > 0
    tour = seen["tour"]
    assert tour["schemaStatus"] == 200
    assert tour["tabs"][:2] == ["PaidOrders", "ProduceOrders"]
    query, _variables, headers = tour["editors"][:3]
    assert query == (ROOT / "docs" / "tour" / "subscribe-orders.graphql").read_text()
    token = development_token(demo_settings, ROOT / ".dev")
    assert json.loads(headers) == {"Authorization": f"Bearer {token}"}
    shared = seen["share"]
    assert shared["schemaStatus"] == 200
    assert shared["editors"][:2] == [share["query"], share["variables"]]
