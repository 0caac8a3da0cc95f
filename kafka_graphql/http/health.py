"""`/healthz` (the process serves HTTP) and `/readyz` (the gateway can both write and read)."""

from __future__ import annotations

from aiohttp import web

from kafka_graphql.http.state import KAFKA

HEALTH_PATH = "/healthz"
READINESS_PATH = "/readyz"


def add_health_routes(app: web.Application) -> None:
    app.router.add_get(HEALTH_PATH, _healthz)
    app.router.add_get(READINESS_PATH, _readyz)


async def _healthz(_: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def _readyz(request: web.Request) -> web.Response:
    """Ready only while the gateway can both write and read, not merely reach the cluster."""
    reason = await request.app[KAFKA].readiness()
    if reason is not None:
        return web.json_response({"status": "unavailable", "reason": reason}, status=503)
    return web.json_response({"status": "ready"})
