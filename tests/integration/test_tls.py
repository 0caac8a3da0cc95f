"""HTTPS and WSS served by the gateway itself (`server.tls_cert_file`/`tls_key_file`), with a
certificate from a CA the test makes; clients that trust that CA get in, others don't."""

from __future__ import annotations

import asyncio
import ssl
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio

from kafka_graphql.settings import settings_from_mapping
from tests.certificates import Certificates, make_certificates
from tests.clients import LEGACY_WS, TRANSPORT_WS, GraphQLClient
from tests.integration.conftest import RunningGateway, TopicFactory, run_gateway
from tests.integration.helpers import SUBSCRIBE, poll_until, produce
from tests.integration.test_transport import _closed_port

TOPIC = "query($n: String!) { topic(name: $n) { name } }"


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("tls"))


@pytest_asyncio.fixture(scope="module")
async def tls_gateway(bootstrap: str, certs: Certificates) -> AsyncIterator[RunningGateway]:
    settings = settings_from_mapping(
        {
            "kafka": {"bootstrap_servers": bootstrap, "metadata_max_age_s": 0},
            "server": {
                "tls_cert_file": str(certs.cert),
                "tls_key_file": str(certs.key),
                "shutdown_grace_s": 1,
            },
            "topics": [{"name": "test-*"}],
        }
    )
    async with run_gateway(settings) as running:
        yield running


@pytest_asyncio.fixture
async def trusting(certs: Certificates) -> AsyncIterator[aiohttp.ClientSession]:
    """A client that trusts the test's CA (and nothing else)."""
    context = ssl.create_default_context(cafile=str(certs.ca))
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=context)) as session:
        yield session


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_query_over_https_and_subscription_over_wss(
    protocol: str,
    tls_gateway: RunningGateway,
    trusting: aiohttp.ClientSession,
    new_topic: TopicFactory,
) -> None:
    assert tls_gateway.url.startswith("https://127.0.0.1:")
    topic = await new_topic()
    # By name as well as by address: the certificate names both.
    for url in (tls_gateway.url, tls_gateway.url.replace("127.0.0.1", "localhost")):
        data = await GraphQLClient(trusting, url).data(TOPIC, {"n": topic})
        assert data["topic"]["name"] == topic
    client = GraphQLClient(trusting, tls_gateway.url.replace("https://", "wss://"))
    https = GraphQLClient(trusting, tls_gateway.url)
    variables = {"topic": topic, "fromOffset": 0}
    async with client.subscribe(SUBSCRIBE, variables, protocol=protocol) as sub:
        assert sub.ws is not None
        await produce(https, topic, "over TLS")
        assert (await sub.next_message())["value"] == "over TLS"
        assert sub.ws.get_extra_info("sslcontext") is not None


async def test_clients_that_do_not_trust_the_certificate_are_refused(
    tls_gateway: RunningGateway, http: aiohttp.ClientSession
) -> None:
    # `http` trusts the system's CAs only.
    with pytest.raises(aiohttp.ClientConnectorCertificateError):
        await http.get(tls_gateway.url)
    with pytest.raises(aiohttp.ClientConnectorCertificateError):
        await http.ws_connect(tls_gateway.url, protocols=[TRANSPORT_WS])


async def test_plain_http_is_not_served_on_the_tls_port(
    tls_gateway: RunningGateway, http: aiohttp.ClientSession
) -> None:
    with pytest.raises(aiohttp.ClientError):
        async with http.get(tls_gateway.url.replace("https://", "http://")) as response:
            await response.read()


async def test_the_command_line_serves_https(
    bootstrap: str, certs: Certificates, trusting: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """`kafka-graphql --config ...` with relative certificate paths (against the file's folder)."""
    folder = tmp_path / "etc"
    (folder / "tls").mkdir(parents=True)
    for source in (certs.cert, certs.key):
        (folder / "tls" / source.name).write_bytes(source.read_bytes())
    port = _closed_port()
    config = folder / "gateway.toml"
    config.write_text(
        f'[kafka]\nbootstrap_servers = "{bootstrap}"\n'
        f'[server]\nport = {port}\nshutdown_grace_s = 1\ntls_cert_file = "tls/{certs.cert.name}"\n'
        f'tls_key_file = "tls/{certs.key.name}"\n'
    )
    log = tmp_path / "gateway.log"
    with log.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "kafka_graphql",
            "--config",
            str(config),
            stdout=output,
            stderr=asyncio.subprocess.STDOUT,
        )
    try:

        async def ready() -> bool:
            if process.returncode is not None:
                pytest.fail(f"the gateway exited during start-up: {log.read_text()}")
            try:
                async with trusting.get(f"https://127.0.0.1:{port}/readyz") as response:
                    return response.status == 200
            except aiohttp.ClientConnectionError:
                return False  # not listening yet

        await poll_until(ready, timeout_s=30, interval_s=0.1)
        client = GraphQLClient(trusting, f"https://127.0.0.1:{port}/graphql")
        assert isinstance((await client.data("{ topics { name } }"))["topics"], list)
        assert f"GraphiQL: https://127.0.0.1:{port}/graphql" in log.read_text()
    finally:
        process.terminate()
        async with asyncio.timeout(30):
            await process.wait()
