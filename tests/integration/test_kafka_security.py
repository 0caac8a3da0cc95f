"""The gateway's connection to Kafka over SASL_SSL, against a private broker with a SASL_SSL
listener: a certificate from a CA the test makes, SCRAM users made by Kafka's storage tool.

Every client the gateway makes (admin, offsets consumer, producer, live consumer, readers) goes
through that listener; wrong credentials or a CA that did not sign the broker's certificate stop
start-up at once with a one-line reason."""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from kafka_graphql.core.errors import KafkaUnavailable
from kafka_graphql.settings import Settings, settings_from_mapping
from tests.certificates import Certificates, make_certificates, make_other_ca
from tests.clients import GraphQLClient
from tests.integration.brokers import PrivateBroker, SaslSslListener
from tests.integration.conftest import run_gateway
from tests.integration.helpers import SUBSCRIBE, history, produce

USERS = {"alice": "alicesecret1", "bob": "bobsecret2"}
# Start-up must fail well before this, whatever the problem.
START_UP_BOUND_S = 30


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("kafka-tls"))


@pytest_asyncio.fixture(scope="module")
async def secure_broker(certs: Certificates) -> AsyncIterator[PrivateBroker]:
    broker = PrivateBroker("sasl", SaslSslListener(certs.keystore_pem, USERS))
    await broker.up()
    try:
        yield broker
    finally:
        await broker.down()
        broker.remove()


def secure_kafka(
    broker: PrivateBroker,
    certs: Certificates,
    mechanism: str = "SCRAM-SHA-512",
    user: str = "alice",
    password: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "bootstrap_servers": broker.sasl_ssl_bootstrap,
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": mechanism,
        "sasl_username": user,
        "sasl_password": USERS[user] if password is None else password,
        "ssl_cafile": str(certs.ca),
        "request_timeout_s": 10,
        **extra,
    }


def gateway_on(kafka: dict[str, Any], topic: str | None = None) -> Settings:
    # An exact name with partitions: the admin client creates it at start-up.
    topics = [{"name": topic, "partitions": 2}] if topic else [{"name": "test-*"}]
    return settings_from_mapping(
        {"kafka": kafka, "server": {"shutdown_grace_s": 1}, "topics": topics}
    )


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"])
async def test_the_gateway_produces_and_reads_over_sasl_ssl(
    mechanism: str,
    secure_broker: PrivateBroker,
    certs: Certificates,
    http: aiohttp.ClientSession,
) -> None:
    topic = f"test-secure-{uuid.uuid4().hex[:8]}"
    settings = gateway_on(secure_kafka(secure_broker, certs, mechanism), topic)
    async with run_gateway(settings) as running:
        client = GraphQLClient(http, running.url)
        async with client.subscribe(SUBSCRIBE, {"topic": topic, "fromOffset": 0}) as live:
            written = await produce(client, topic, {"over": "SASL_SSL"}, key="k", partition=1)
            assert (await live.next_message())["value"] == {"over": "SASL_SSL"}
        page = await history(client, topic, partitions=[1], fromOffset=0)
        assert [m["value"] for m in page["messages"]] == [{"over": "SASL_SSL"}]
        assert page["messages"][0]["offset"] == written["offset"]
        offsets = await client.data(
            "query($n: String!) { topic(name: $n) { partitions { id latestOffset } } }",
            {"n": topic},
        )
        assert {p["id"]: p["latestOffset"] for p in offsets["topic"]["partitions"]} == {0: 0, 1: 1}
        assert await running.kafka.readiness() is None


async def start_up_failure(settings: Settings) -> str:
    started = asyncio.get_running_loop().time()
    with pytest.raises(KafkaUnavailable) as refused:
        async with asyncio.timeout(START_UP_BOUND_S), run_gateway(settings):
            pass
    assert asyncio.get_running_loop().time() - started < settings.kafka.request_timeout_s
    return refused.value.message


@pytest.mark.parametrize(
    ("user", "password"), [("alice", "wrong"), ("mallory", "alicesecret1")], ids=["bad", "unknown"]
)
async def test_wrong_credentials_fail_start_up_with_the_reason(
    user: str, password: str, secure_broker: PrivateBroker, certs: Certificates
) -> None:
    kafka = secure_kafka(secure_broker, certs, user="alice", password=password)
    kafka["sasl_username"] = user
    message = await start_up_failure(gateway_on(kafka))
    assert message == (
        f"cannot connect to Kafka at {secure_broker.sasl_ssl_bootstrap}: authentication failed "
        f"for SASL user '{user}' (SCRAM-SHA-512); check KAFKA_GRAPHQL_SASL_USERNAME and "
        "KAFKA_GRAPHQL_SASL_PASSWORD"
    )


async def test_a_ca_that_did_not_sign_the_broker_fails_start_up(
    secure_broker: PrivateBroker, certs: Certificates, tmp_path: Path
) -> None:
    other = make_other_ca(tmp_path)
    message = await start_up_failure(
        gateway_on(secure_kafka(secure_broker, certs, ssl_cafile=str(other)))
    )
    assert message.startswith(f"cannot connect to Kafka at {secure_broker.sasl_ssl_bootstrap}: ")
    assert "the broker's TLS certificate was not accepted" in message
    assert "check kafka.ssl_cafile" in message
    # The system's CAs alone don't know the test's CA either.
    kafka = secure_kafka(secure_broker, certs)
    del kafka["ssl_cafile"]
    assert "the broker's TLS certificate was not accepted" in await start_up_failure(
        gateway_on(kafka)
    )


async def test_the_wrong_protocol_for_the_listener_fails_start_up(
    secure_broker: PrivateBroker, certs: Certificates
) -> None:
    plaintext = {"bootstrap_servers": secure_broker.sasl_ssl_bootstrap, "request_timeout_s": 10}
    message = await start_up_failure(gateway_on(plaintext))
    assert message.endswith("does this listener speak PLAINTEXT (kafka.security_protocol)?")
    # And TLS towards the PLAINTEXT listener.
    kafka = secure_kafka(secure_broker, certs, bootstrap_servers=secure_broker.bootstrap)
    message = await start_up_failure(gateway_on(kafka))
    assert "does this listener speak SASL_SSL (kafka.security_protocol)?" in message


async def test_the_command_line_says_why_in_one_line(
    secure_broker: PrivateBroker, certs: Certificates, tmp_path: Path
) -> None:
    """What an operator sees: one line on stderr, no traceback, exit status 1, at once."""
    config = tmp_path / "gateway.toml"
    config.write_text(
        f'[kafka]\nbootstrap_servers = "{secure_broker.sasl_ssl_bootstrap}"\n'
        'security_protocol = "SASL_SSL"\nsasl_mechanism = "SCRAM-SHA-512"\n'
        f'ssl_cafile = "{certs.ca}"\n'
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "kafka_graphql",
        "--config",
        str(config),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        # Not os.environ: its KAFKA_BOOTSTRAP_SERVERS (the shared broker) would override the file.
        env={
            "KAFKA_GRAPHQL_SASL_USERNAME": "alice",
            "KAFKA_GRAPHQL_SASL_PASSWORD": "not-her-password",
            "KAFKA_GRAPHQL_PORT": "0",
            "KAFKA_GRAPHQL_METRICS_PORT": "0",
        },
    )
    try:
        async with asyncio.timeout(START_UP_BOUND_S):
            out, err = await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 1
    text = (out + err).decode()
    assert "Traceback" not in text and "not-her-password" not in text
    last = err.decode().strip().splitlines()[-1]
    assert last == (
        f"kafka-graphql: cannot start: cannot connect to Kafka at "
        f"{secure_broker.sasl_ssl_bootstrap}: authentication failed for SASL user 'alice' "
        "(SCRAM-SHA-512); check KAFKA_GRAPHQL_SASL_USERNAME and KAFKA_GRAPHQL_SASL_PASSWORD"
    )
