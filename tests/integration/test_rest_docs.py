"""docs/rest.md's examples, run as written against the demo (`make run`'s configuration) on the
real broker: every `curl` block followed by its answer, in the page's order, by bash with the
page's `$TOKEN`, `$ADMIN_TOKEN` and `$CLUSTER`, reaching the test's gateway through a curlrc
`connect-to`. Answers must be the page's, but for the numbers that depend on the topics' history
and the cluster (offsets, partitions Kafka chose, broker ids) and the strings the page writes as
`<...>` (the cluster's id, times); an error's code and message are exact."""

from __future__ import annotations

import asyncio
import json
import os
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from yarl import URL

from kafka_graphql.dev.demo_registry import seed
from kafka_graphql.dev.tokens import ensure_dev_key, mint_token
from kafka_graphql.http.state import SETTINGS
from kafka_graphql.settings import Settings, load_settings
from tests.integration.conftest import RunningGateway, run_gateway

ROOT = Path(__file__).parents[2]
PAGE = ROOT / "docs" / "rest.md"
DEMO_CONFIG = ROOT / "kafka-graphql.demo.toml"
# A `curl` block, then (after one blank line) its answer.
EXAMPLE = re.compile(r"```sh\n(curl (?:(?!```).)*)```\n\n```json\n((?:(?!```).)*)```", re.DOTALL)
# A string the page writes as `<...>` (a cluster id, a time) may be any string.
PLACEHOLDER = re.compile(r"<[a-z_ ]+>")
READ_WRITE = "kafka:read:* kafka:write:shop.* kafka:write:demo.* kafka:group:demo-*"


def examples() -> list[tuple[str, str]]:
    found = EXAMPLE.findall(PAGE.read_text())
    assert len(found) >= 12, "the page's examples moved: update EXAMPLE"
    return found


@pytest_asyncio.fixture(scope="module")
async def demo(bootstrap: str, registry_url: str) -> AsyncIterator[RunningGateway]:
    environ = {
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "KAFKA_GRAPHQL_SCHEMA_REGISTRY_URL": registry_url,
    }
    ensure_dev_key(ROOT / ".dev")
    settings = load_settings(DEMO_CONFIG, environ)
    seed(settings, DEMO_CONFIG.parent)
    async with run_gateway(settings) as running:
        yield running


def token(settings: Settings, subject: str, scope: str) -> str:
    auth = settings.auth
    assert auth is not None
    key = ensure_dev_key(ROOT / ".dev")
    return mint_token(
        key, subject=subject, scopes=[scope], ttl_s=600, issuer=auth.issuer, audience=auth.audience
    )


def matches(documented: Any, answered: Any, key: str = "") -> bool:
    """`answered` is `documented`, but for integers (offsets, partitions, broker ids), which
    may be any integer; `error_code` is exact."""
    if isinstance(documented, dict):
        return (
            isinstance(answered, dict)
            and documented.keys() == answered.keys()
            and all(matches(documented[k], answered[k], k) for k in documented)
        )
    if isinstance(documented, list):
        return (
            isinstance(answered, list)
            and len(documented) == len(answered)
            and all(matches(d, a, key) for d, a in zip(documented, answered, strict=True))
        )
    if type(documented) is int and key != "error_code":
        return type(answered) is int
    if isinstance(documented, str) and PLACEHOLDER.fullmatch(documented):
        return isinstance(answered, str)
    return bool(documented == answered and type(documented) is type(answered))


async def run(
    command: str, gateway: RunningGateway, registry: str, home: Path, environ: dict[str, str]
) -> str:
    """`command` in bash, its `curl` reaching the gateway for the page's port 8000 and the
    test's registry for `make run`'s (8081)."""
    port, registry_url = URL(gateway.url).port, URL(registry)
    (home / ".curlrc").write_text(
        f'connect-to = "127.0.0.1:8000:127.0.0.1:{port}"\n'
        f'connect-to = "127.0.0.1:8081:{registry_url.host}:{registry_url.port}"\n'
    )
    process = await asyncio.create_subprocess_exec(
        "bash",
        "-c",
        command,
        env={"PATH": os.environ["PATH"], "CURL_HOME": str(home), **environ},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, err
    return out.decode()


async def test_every_example_answers_as_the_page_says(
    demo: RunningGateway, registry_url: str, tmp_path: Path
) -> None:
    settings = demo.app[SETTINGS]
    environ = {
        "TOKEN": token(settings, "me", READ_WRITE),
        "ADMIN_TOKEN": token(settings, "ops", "kafka:admin"),
        "CLUSTER": await demo.kafka.cluster_id(),
    }
    for command, answer in examples():
        assert "/apis/ccompat/v7/" not in command or registry_url.endswith("/apis/ccompat/v7")
        answered = json.loads(await run(command, demo, registry_url, tmp_path, environ))
        assert matches(json.loads(answer), answered), (command, answered)


@pytest.mark.parametrize(
    ("documented", "answered", "same"),
    [
        ({"offset": 3, "error_code": None}, {"offset": 7, "error_code": None}, True),
        ({"error_code": 40401}, {"error_code": 40402}, False),
        ({"a": [1, 2]}, {"a": [1]}, False),
        ({"a": "x"}, {"a": "y"}, False),
        ({"a": True}, {"a": 1}, False),
        ({"a": 1}, {"a": "1"}, False),
        ({"id": "<cluster_id>"}, {"id": "xFhUvurESIeeCI87SXWR-Q"}, True),
        ({"id": "<cluster_id>"}, {"id": 1}, False),
    ],
)
def test_the_comparison(documented: Any, answered: Any, same: bool) -> None:
    assert matches(documented, answered) is same
