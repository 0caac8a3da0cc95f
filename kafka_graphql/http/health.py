"""`/healthz` (the process serves HTTP) and `/readyz` (the gateway can both write and read), each
check of readiness listed in its JSON body for humans and load balancers alike
(docs/operations.md#readiness)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from kafka_graphql.http.state import KAFKA, REGISTRY

HEALTH_PATH = "/healthz"
READINESS_PATH = "/readyz"

OK = "ok"
FAILING = "failing"
# A check of something the settings do not use (the schema registry without its URL).
OFF = "off"


def add_health_routes(app: web.Application) -> None:
    app.router.add_get(HEALTH_PATH, _healthz)
    app.router.add_get(READINESS_PATH, _readyz)


async def _healthz(_: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def _readyz(request: web.Request) -> web.Response:
    """Ready only while the gateway can both write and read, not merely reach the cluster: the
    Kafka layer's checks (cluster, producer, feeds) all pass. The schema registry's state is
    listed too, but does not make the gateway unready: typed topics' schemas are read at
    start-up, and a value written with a schema the gateway has not seen yet is refused on its
    own (SCHEMA_REGISTRY_UNAVAILABLE) while the rest is served."""
    kafka = await request.app[KAFKA].readiness_checks()
    registry = request.app.get(REGISTRY)
    checks = {name: _check(problem) for name, problem in kafka.items()}
    checks["registry"] = _check(registry.health()) if registry is not None else {"state": OFF}
    problems = [problem for problem in kafka.values() if problem is not None]
    if problems:
        body = {"status": "unavailable", "reason": problems[0], "checks": checks}
        return web.json_response(body, status=503)
    return web.json_response({"status": "ready", "checks": checks})


def _check(problem: str | None) -> dict[str, Any]:
    return {"state": OK} if problem is None else {"state": FAILING, "reason": problem}
