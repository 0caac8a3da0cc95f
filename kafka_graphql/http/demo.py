"""The demo page at `/demo` (`server.demo_page`; never in the production profile): plain HTML and
a small script from http/demo/, served by the gateway (no build step, no CDN), showing the demo's
`shop.orders` live. In development it starts with the development token; otherwise it asks
for one."""

from __future__ import annotations

import json
from pathlib import Path

from aiohttp import web

DEMO_PATH = "/demo"
ASSETS_URL = "/demo-assets/"
FILES = Path(__file__).parent / "demo"
_CONFIG = "<!--CONFIG-->"


def add_demo_page(app: web.Application, token: str | None) -> None:
    # `<` escaped: nothing in the JSON can end the script element.
    config = json.dumps({"token": token}).replace("<", "\\u003c")
    page = (FILES / "index.html").read_text(encoding="utf-8")
    page = page.replace(_CONFIG, f'<script id="config" type="application/json">{config}</script>')

    async def demo(_: web.Request) -> web.Response:
        return web.Response(
            text=page,
            content_type="text/html",
            headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
        )

    app.router.add_get(DEMO_PATH, demo)
    app.router.add_static(ASSETS_URL, FILES)
