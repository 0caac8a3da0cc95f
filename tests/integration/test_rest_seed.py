"""The REST face's seed, unchanged: the `curl` of the issue, run as it is written against the
configuration that mirrors a Confluent REST Proxy (kafka-graphql.rest-proxy.toml: port 8082, no
`[auth]`, the topic `jsontest`), and with a bearer token against the same API with `[auth]` on
(the demo's own tour: tests/integration/test_demo.py).

The command runs in bash as written; `curl` reaches the test's gateway through `connect-to` in a
curlrc of the test's own (the port 8082 may be taken on a shared machine): the command line, its
URL and so its Host header stay the seed's own."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

import pytest
import pytest_asyncio
from yarl import URL

from kafka_graphql.dev.cursor_key import DEV_CURSOR_KEYS_ENV
from kafka_graphql.settings import RestSettings, load_settings
from tests.integration.auth import auth_settings, end_offsets, key_files_fixture  # noqa: F401
from tests.integration.conftest import RunningGateway, run_gateway
from tests.integration.records import raw_records
from tests.tokens import claims, rsa_pair

ROOT = Path(__file__).parents[2]
CONFIG = ROOT / "kafka-graphql.rest-proxy.toml"
SEED = """curl -X POST -H "Content-Type: application/vnd.kafka.json.v2+json" \\
    --data '{"records":[{"value":{"foo":"bar"}}]}' "http://localhost:8082/topics/jsontest\""""
# The same request plus the token, as docs/rest.md writes it.
WITH_TOKEN = SEED + ' \\\n    -H "Authorization: Bearer $TOKEN"'
TOPIC = "jsontest"
RSA = rsa_pair()


@pytest_asyncio.fixture(scope="module")
async def open_gateway(bootstrap: str) -> AsyncIterator[RunningGateway]:
    environ = {
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "KAFKA_GRAPHQL_SERVER__CURSOR_KEYS_ENV": DEV_CURSOR_KEYS_ENV,
    }
    settings = load_settings(CONFIG, environ)
    assert settings.auth is None and settings.server.port == 8082 and settings.rest.enabled
    async with run_gateway(settings) as running:
        yield running


async def curl(
    gateway: RunningGateway, command: str, home: Path, environ: Mapping[str, str] | None = None
) -> tuple[str, str, str]:
    """`command` run by bash exactly as written (with `environ`), its `curl` reaching `gateway`
    through options of a curlrc (`CURL_HOME`); its output, then the answer's status and type."""
    port = URL(gateway.url).port
    (home / ".curlrc").write_text(
        "silent\nshow-error\n"
        f'connect-to = "localhost:8082:127.0.0.1:{port}"\n'
        'write-out = "\\n%{http_code} %{content_type}"\n'
    )
    process = await asyncio.create_subprocess_exec(
        "bash",
        "-c",
        command,
        env={"PATH": os.environ["PATH"], "CURL_HOME": str(home), **(environ or {})},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, err
    body, _, status = out.decode().rpartition("\n")
    code, _, content_type = status.partition(" ")
    return body, code, content_type


def written(offset: int) -> str:
    return (
        f'{{"offsets":[{{"partition":0,"offset":{offset},"error_code":null,"error":null}}],'
        '"key_schema_id":null,"value_schema_id":null}'
    )


async def test_the_seed_curl_unchanged(
    open_gateway: RunningGateway, bootstrap: str, tmp_path: Path
) -> None:
    before = (await end_offsets(bootstrap, TOPIC))[0]
    body, status, content_type = await curl(open_gateway, SEED, tmp_path)
    assert (status, content_type) == ("200", "application/vnd.kafka.v2+json")
    assert body == written(before)
    records = await raw_records(bootstrap, TOPIC)
    assert [(r.offset, r.value, r.headers) for r in records[-1:]] == [(before, {"foo": "bar"}, [])]


@pytest_asyncio.fixture(scope="module")
async def auth_gateway(
    bootstrap: str, key_files: tuple[Path, Path]
) -> AsyncIterator[RunningGateway]:
    settings = auth_settings(
        bootstrap, key_files[0], topics=[{"name": TOPIC, "partitions": 1}]
    ).model_copy(update={"rest": RestSettings(enabled=True)})
    async with run_gateway(settings) as running:
        yield running


@pytest.mark.parametrize(
    ("scope", "status", "answer"),
    [
        ("kafka:write:jsontest", "200", None),
        (
            "kafka:read:jsontest",
            "403",
            '{"error_code":40301,"message":"no permission to write to topic \'jsontest\'"}',
        ),
        (
            "kafka:write:other",
            "404",
            '{"error_code":40401,"message":"topic \'jsontest\' not found"}',
        ),
    ],
)
async def test_the_seed_curl_with_a_token(
    auth_gateway: RunningGateway,
    bootstrap: str,
    tmp_path: Path,
    scope: str,
    status: str,
    answer: str | None,
) -> None:
    token = {"TOKEN": RSA.sign(claims(scope=scope))}
    before = (await end_offsets(bootstrap, TOPIC))[0]
    body, code, _ = await curl(auth_gateway, WITH_TOKEN, tmp_path, token)
    assert (code, body) == (status, answer or written(before))
    assert (await end_offsets(bootstrap, TOPIC))[0] == before + (status == "200")


async def test_the_seed_curl_without_a_token_when_auth_is_on(
    auth_gateway: RunningGateway, bootstrap: str, tmp_path: Path
) -> None:
    before = (await end_offsets(bootstrap, TOPIC))[0]
    body, status, _ = await curl(auth_gateway, SEED, tmp_path)
    assert status == "401"
    assert body == (
        '{"error_code":40101,"message":"authentication is required: send a bearer token"}'
    )
    assert (await end_offsets(bootstrap, TOPIC))[0] == before
