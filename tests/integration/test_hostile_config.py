"""Configuration mistakes fail start-up, and the gateway answers only the names it is reached by
(`server.allowed_hosts`, against DNS rebinding): real requests on a real socket, with the Host
header a rebinding page makes the browser send, on every route and on the WebSocket upgrade."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import quote, urlsplit

import aiohttp
import pytest
import pytest_asyncio

from kafka_graphql.core.cursor_keys import new_cursor_key
from kafka_graphql.dev.tokens import ensure_dev_key
from kafka_graphql.settings import settings_from_mapping
from tests.clients import LEGACY_WS, TRANSPORT_WS, GraphQLClient
from tests.integration.conftest import RunningGateway, TopicFactory, run_gateway
from tests.integration.helpers import SUBSCRIBE, produce

KEY = ensure_dev_key(Path(tempfile.mkdtemp(prefix="kafka-graphql-keys-")))
AUTH = (
    '[auth]\nalgorithms = ["RS256"]\nissuer = "https://id.example.com/"\n'
    f'audience = "kafka-graphql"\npublic_key_file = "{KEY.public_key_file}"\n'
)
TYPENAME = json.dumps({"query": "{ __typename }"})


def topics(*names: str) -> str:
    return "".join(f'[[topics]]\nname = "{name}"\n' for name in names)


STARTUP_REFUSALS = {
    "a broad pattern first": (
        topics("*", "payroll.*"),
        {},
        'topics[1] ("payroll.*") is never used: every topic it matches goes to topics[0] ("*")',
    ),
    "a deeper pattern after its parent": (
        topics("orders", "events.*", "audit", "events.billing.*"),
        {},
        'topics[3] ("events.billing.*") is never used: every topic it matches goes to '
        'topics[1] ("events.*")',
    ),
    "covered by two patterns together": (
        topics("logs.a*", "logs.b*", "logs.[ab]*"),
        {},
        'topics[2] ("logs.[ab]*") is never used: every topic it matches goes to '
        'topics[0] ("logs.a*"), topics[1] ("logs.b*")',
    ),
    "an exact name twice": (
        topics("orders", "payments", "orders"),
        {},
        'topics[2] ("orders") repeats topics[0]',
    ),
    "production without cursor keys": (
        '[server]\nprofile = "production"\n' + AUTH,
        {},
        'server.profile "production" needs server.cursor_keys_env',
    ),
    "the cursor keys' variable unset": (
        '[server]\nprofile = "production"\ncursor_keys_env = "TEST_GATEWAY_KEYS"\n' + AUTH,
        {},
        "server.cursor_keys_env: the environment variable TEST_GATEWAY_KEYS is not set",
    ),
    "a cursor key too short": (
        '[server]\ncursor_keys_env = "TEST_GATEWAY_KEYS"\n',
        {"TEST_GATEWAY_KEYS": f"{new_cursor_key()},c2hvcnQ"},
        "server.cursor_keys_env: key 2 in TEST_GATEWAY_KEYS is not 32 bytes in base64",
    ),
    "all interfaces without allowed_hosts": (
        '[server]\nhost = "::"\n',
        {},
        "server.allowed_hosts is required when server.host ('::') is not a loopback address",
    ),
    "production accepting any Host": (
        '[server]\nprofile = "production"\ncursor_keys_env = "TEST_GATEWAY_KEYS"\n'
        'allowed_hosts = ["*"]\n' + AUTH,
        {"TEST_GATEWAY_KEYS": new_cursor_key()},
        'server.allowed_hosts must list names, not "*", when server.profile is "production"',
    ),
    "an allowed host with a port": (
        '[server]\nallowed_hosts = ["api.example.com:443"]\n',
        {},
        "server.allowed_hosts[0] must be a host name",
    ),
}


@pytest.mark.parametrize(
    ("config", "environ", "message"), STARTUP_REFUSALS.values(), ids=STARTUP_REFUSALS.keys()
)
async def test_the_command_refuses_to_start(
    config: str, environ: dict[str, str], message: str, tmp_path: Path
) -> None:
    """The kafka-graphql command itself, before it reaches Kafka (nothing listens on port 1)."""
    path = tmp_path / "gateway.toml"
    path.write_text('[kafka]\nbootstrap_servers = "127.0.0.1:1"\n' + config)
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("KAFKA")}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "kafka_graphql",
        "--config",
        str(path),
        env={**inherited, **environ},
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 1
    assert (
        stderr.decode()
        .strip()
        .splitlines()[-1]
        .startswith("kafka-graphql: invalid configuration: " + message)
    ), stderr.decode()
    for value in environ.values():
        assert value.split(",")[0] not in stderr.decode()  # keys are never shown


Answer = tuple[int, dict[str, str], bytes]


async def request(url: str, head: bytes, body: bytes = b"") -> Answer:
    """A request of `head` (its lines, without the blank line that ends it) and `body`, on a
    new connection to the gateway at `url`: its status, headers and body."""
    parts = urlsplit(url)
    assert parts.hostname is not None and parts.port is not None
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    try:
        writer.write(head + b"\r\n" + body)
        await writer.drain()
        # By Content-Length: an upgrade request keeps the connection open after a refusal.
        answer_head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
        status_line, *lines = answer_head.decode("latin-1").strip().split("\r\n")
        headers = {
            name.strip().lower(): value.strip()
            for name, _, value in (line.partition(":") for line in lines)
        }
        length = int(headers.get("content-length", "0"))
        answer_body = await asyncio.wait_for(reader.readexactly(length), 30)
    finally:
        writer.close()
        await writer.wait_closed()
    return int(status_line.split()[1]), headers, answer_body


def routes(host: str) -> dict[str, tuple[bytes, bytes]]:
    """The gateway's routes, each as a request (head, body) naming `host`."""
    common = f"Host: {host}\r\nConnection: close\r\n"
    query = quote("{ __typename }")
    upgrade = (
        f"GET /graphql HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    )
    post = (
        f"POST /graphql HTTP/1.1\r\n{common}Content-Type: application/json\r\n"
        f"Content-Length: {len(TYPENAME)}\r\n"
    )
    return {
        "POST /graphql": (post.encode(), TYPENAME.encode()),
        "GET /graphql": (f"GET /graphql?query={query} HTTP/1.1\r\n{common}".encode(), b""),
        "GraphiQL": (f"GET /graphql HTTP/1.1\r\n{common}Accept: text/html\r\n".encode(), b""),
        "WebSocket upgrade": (f"{upgrade}Sec-WebSocket-Protocol: {TRANSPORT_WS}\r\n".encode(), b""),
        "legacy WebSocket upgrade": (
            f"{upgrade}Sec-WebSocket-Protocol: {LEGACY_WS}\r\n".encode(),
            b"",
        ),
        "CORS preflight": (
            (
                f"OPTIONS /graphql HTTP/1.1\r\n{common}Origin: http://{host}\r\n"
                "Access-Control-Request-Method: POST\r\n"
            ).encode(),
            b"",
        ),
        "an unknown path": (f"GET /admin HTTP/1.1\r\n{common}".encode(), b""),
    }


async def send(url: str, host: str, route: str) -> Answer:
    return await request(url, *routes(host)[route])


def assert_misdirected(answer: Answer, context: str) -> None:
    status, headers, body = answer
    assert status == 421, (context, status, body)
    assert headers["content-type"].startswith("application/json"), context
    (error,) = json.loads(body)["errors"]
    # A refusal names its request, as every answer does.
    request_id = headers["x-request-id"]
    assert error["extensions"] == {"code": "BAD_REQUEST", "requestId": request_id}, context
    assert "server.allowed_hosts" in error["message"]
    assert "access-control-allow-origin" not in headers
    assert "upgrade" not in headers.get("connection", "").lower()


@pytest.fixture
def port(gateway: RunningGateway) -> int:
    port = urlsplit(gateway.url).port
    assert port is not None
    return port


REBINDING_HOSTS = [
    "attacker.example",
    "attacker.example:{port}",
    "ATTACKER.Example:{port}",
    "localhost.attacker.example:{port}",
    "127.0.0.1.nip.io:{port}",
    "[::2]:{port}",
    "0.0.0.0:{port}",
    "localhost:{port}@attacker.example",
    "",
]


@pytest.mark.parametrize("host", REBINDING_HOSTS)
async def test_a_rebinding_host_is_refused_on_every_route(
    host: str,
    port: int,
    gateway: RunningGateway,
    client: GraphQLClient,
    new_topic: TopicFactory,
) -> None:
    topic = await new_topic()
    # Another caller, subscribed all along on its own socket.
    async with client.subscribe(SUBSCRIBE, {"topic": topic, "fromOffset": 0}) as bystander:
        for route, (head, body) in routes(host.format(port=port)).items():
            assert_misdirected(await request(gateway.url, head, body), f"{route} as {host!r}")
        await produce(client, topic, "still here")
        assert (await bystander.next_message())["value"] == "still here"
    assert (await client.data("{ __typename }")) == {"__typename": "Query"}


@pytest.mark.parametrize(
    "host",
    [
        "localhost",
        "localhost:{port}",
        "LocalHost:{port}",
        "localhost.:{port}",
        "127.0.0.1:{port}",
        "[::1]:{port}",
        "[0:0:0:0:0:0:0:1]:{port}",
    ],
)
async def test_the_loopback_names_are_served(host: str, port: int, gateway: RunningGateway) -> None:
    status, _, body = await send(gateway.url, host.format(port=port), "POST /graphql")
    assert (status, json.loads(body)["data"]) == (200, {"__typename": "Query"})
    status, headers, _ = await send(gateway.url, host.format(port=port), "GraphiQL")
    assert (status, headers["content-type"].split(";")[0]) == (200, "text/html")


async def test_the_health_probes_answer_any_host(gateway: RunningGateway) -> None:
    """Orchestrators probe the pod's address; the probes tell nothing a rebinding page wants."""
    for path, expected in (("/healthz", "ok"), ("/readyz", "ready")):
        raw = f"GET {path} HTTP/1.1\r\nHost: 10.1.2.3:8000\r\nConnection: close\r\n".encode()
        status, _, body = await request(gateway.url, raw)
        assert (status, json.loads(body)["status"]) == (200, expected)


async def test_requests_without_one_host(gateway: RunningGateway) -> None:
    query = quote("{ __typename }")
    # HTTP/1.0 may leave Host out: no browser does, so no rebinding page can; served.
    status, _, body = await request(
        gateway.url, f"GET /graphql?query={query} HTTP/1.0\r\n".encode()
    )
    assert (status, json.loads(body)["data"]) == (200, {"__typename": "Query"})
    # HTTP/1.1 must send exactly one: aiohttp refuses the request before the gateway sees it.
    missing = f"GET /graphql?query={query} HTTP/1.1\r\nConnection: close\r\n".encode()
    assert (await request(gateway.url, missing))[0] == 400
    twice = (
        f"GET /graphql?query={query} HTTP/1.1\r\nHost: localhost\r\nHost: attacker.example\r\n"
        "Connection: close\r\n"
    ).encode()
    assert (await request(gateway.url, twice))[0] == 400
    # An absolute request target names the host too.
    absolute = (
        f"GET http://attacker.example/graphql?query={query} HTTP/1.1\r\nHost: localhost\r\n"
        "Connection: close\r\n"
    ).encode()
    assert_misdirected(await request(gateway.url, absolute), "absolute-form target")


async def test_a_websocket_client_naming_another_host_is_refused(
    gateway: RunningGateway, http: aiohttp.ClientSession, client: GraphQLClient
) -> None:
    for protocol in (TRANSPORT_WS, LEGACY_WS):
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(
                gateway.url, protocols=[protocol], headers={"Host": "attacker.example"}
            )
        assert refused.value.status == 421
    # The usual client, right after.
    assert (await client.connection_init({}))[1] is None


@pytest_asyncio.fixture(scope="module")
async def named(bootstrap: str) -> AsyncIterator[RunningGateway]:
    """A gateway that lists its names: they replace the loopback default."""
    settings = settings_from_mapping(
        {
            "kafka": {"bootstrap_servers": bootstrap},
            "server": {"allowed_hosts": ["api.example.test", "*.corp.example.test"]},
            "topics": [{"name": "test-*"}],
        }
    )
    async with run_gateway(settings) as running:
        yield running


@pytest.mark.parametrize(
    ("host", "served"),
    [
        ("api.example.test", True),
        ("API.example.test:443", True),
        ("eu.corp.example.test:8443", True),
        ("a.b.corp.example.test", True),
        ("corp.example.test", False),
        ("api.example.test.attacker.example", False),
        ("localhost:{port}", False),
        ("127.0.0.1:{port}", False),
    ],
)
async def test_listed_names(host: str, served: bool, named: RunningGateway) -> None:
    answer = await send(named.url, host.format(port=urlsplit(named.url).port), "POST /graphql")
    if served:
        assert (answer[0], json.loads(answer[2])["data"]) == (200, {"__typename": "Query"})
    else:
        assert_misdirected(answer, host)


async def test_a_websocket_by_a_listed_name(
    named: RunningGateway, http: aiohttp.ClientSession
) -> None:
    async with http.ws_connect(
        named.url, protocols=[TRANSPORT_WS], headers={"Host": "api.example.test"}
    ) as ws:
        await ws.send_json({"type": "connection_init"})
        assert (await ws.receive_json(timeout=10))["type"] == "connection_ack"


async def test_any_host_only_when_configured(bootstrap: str) -> None:
    settings = settings_from_mapping(
        {
            "kafka": {"bootstrap_servers": bootstrap},
            "server": {"allowed_hosts": ["*"]},
            "topics": [{"name": "test-*"}],
        }
    )
    async with run_gateway(settings) as running:
        status, _, body = await send(running.url, "attacker.example", "POST /graphql")
        assert (status, json.loads(body)["data"]) == (200, {"__typename": "Query"})
