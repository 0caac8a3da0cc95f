"""Subscriptions over HTTP streams from real clients (tests/js/http-streams.mjs, run by Node):
the official `graphql-sse` client in its distinct-connections mode, and Apollo Client's
`HttpLink`, which sends subscriptions as multipart HTTP. Each authenticates with its
`Authorization` header, receives records as they are written with their cursors, and is ended
by the server when its token expires: graphql-sse with an error result then `complete`, Apollo
with the fatal error part (`{"payload": null, "errors"}`), which it reports as protocol errors."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp

from kafka_graphql.settings import Settings
from tests.clients import GraphQLClient
from tests.integration.auth import auth_settings, key_files_fixture  # noqa: F401 (a fixture)
from tests.integration.conftest import RunningGateway, TopicFactory, run_gateway
from tests.integration.helpers import SUBSCRIBE, produce
from tests.integration.test_apollo_client import start_node
from tests.tokens import RUN_TTL_S, claims, rsa_pair

RSA = rsa_pair()
# Made at import, used until the run ends: valid for longer than a whole `make test`.
WRITER = RSA.sign(claims(ttl_s=RUN_TTL_S))
# The subscriber's token lives this long: its stream ends then.
SHORT_TTL_S = 8


def settings(bootstrap: str, key_file: Path) -> Settings:
    base = auth_settings(bootstrap, key_file, auth={"leeway_s": 0})
    server = base.server.model_copy(update={"websocket_heartbeat_s": 0.3})
    return base.model_copy(update={"server": server})


async def joined(gateway: RunningGateway, topic: str, count: int) -> None:
    live = gateway.kafka.live
    await asyncio.wait_for(live.wait_until(lambda: live.subscriber_count(topic) >= count), 30)


async def test_graphql_sse_and_apollo_multipart_clients(
    bootstrap: str,
    http: aiohttp.ClientSession,
    new_topic: TopicFactory,
    key_files: tuple[Path, Path],
    tmp_path: Path,
) -> None:
    topic = await new_topic()
    async with run_gateway(settings(bootstrap, key_files[0])) as gateway:
        writer = GraphQLClient(http, gateway.url, WRITER)
        # Both at once, each with a token that expires in SHORT_TTL_S.
        options: dict[str, Any] = {
            "url": gateway.url,
            "token": RSA.sign(claims(ttl_s=SHORT_TTL_S)),
            "query": SUBSCRIBE,
            "variables": {"topic": topic},
        }
        scripts = []
        for name in ("graphql-sse", "apollo"):
            (tmp_path / name).mkdir()
            options["client"] = name
            scripts.append(await start_node("http-streams.mjs", options, tmp_path / name))
        sse, apollo = scripts
        await joined(gateway, topic, 2)
        await produce(writer, topic, {"n": 1})
        await produce(writer, topic, {"n": 2})
        for script in (sse, apollo):
            for n in (1, 2):
                result = (await script.expect("next"))["result"]
                assert result.get("data"), result
                assert result["data"]["messages"]["value"] == {"n": n}
                assert result["data"]["messages"]["cursor"]
        # graphql-sse: the expiry is an error result, then `complete`.
        expired = (await sse.expect("next"))["result"]
        assert expired["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        # Apollo: the fatal part's errors, reported as protocol errors.
        ended = (await apollo.expect("next"))["result"]
        assert ended["codes"] == ["UNAUTHENTICATED"], ended
        for script in (sse, apollo):
            await script.expect("complete")
            assert await script.process.wait() == 0
