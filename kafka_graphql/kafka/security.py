"""How every aiokafka client the gateway makes connects to Kafka: one set of connection options
(addresses, timeout, security protocol, SASL login, TLS context), so that the admin client, the
offsets consumer, the producer, live consumers and readers can't differ; and a first connection at
start-up that says why it failed, where aiokafka would only say it could not bootstrap."""

from __future__ import annotations

import asyncio
import functools
import ssl
from typing import Any

from aiokafka.conn import collect_hosts, create_conn
from aiokafka.errors import KafkaError

from kafka_graphql.core.errors import KafkaUnavailable
from kafka_graphql.kafka.errors import connection_problem
from kafka_graphql.settings import KafkaSettings
from kafka_graphql.settings.tls import client_ssl_context

TLS_PROTOCOLS = ("SSL", "SASL_SSL")


@functools.lru_cache(maxsize=8)
def _ssl_context(settings: KafkaSettings) -> ssl.SSLContext:
    # One context per configuration, shared by all clients: readers come and go per request.
    return client_ssl_context(
        settings.ssl_cafile,
        settings.ssl_certfile,
        settings.ssl_keyfile,
        check_hostname=settings.ssl_check_hostname,
    )


def security_options(settings: KafkaSettings) -> dict[str, Any]:
    """The keyword arguments aiokafka's clients (and connections) take for security."""
    options: dict[str, Any] = {"security_protocol": settings.security_protocol}
    if settings.security_protocol in TLS_PROTOCOLS:
        options["ssl_context"] = _ssl_context(settings)
    if settings.security_protocol.startswith("SASL_"):
        options["sasl_mechanism"] = settings.sasl_mechanism
        options["sasl_plain_username"] = settings.sasl_username
        password = settings.sasl_password
        options["sasl_plain_password"] = password.get_secret_value() if password else None
    return options


def client_options(settings: KafkaSettings, role: str) -> dict[str, Any]:
    """What every aiokafka client of the gateway is made with; `role` names it to the brokers."""
    return {
        "bootstrap_servers": settings.bootstrap_servers,
        "client_id": f"{settings.client_id}-{role}",
        "request_timeout_ms": int(settings.request_timeout_s * 1000),
        **security_options(settings),
    }


async def check_connection(settings: KafkaSettings) -> None:
    """Connect to a bootstrap server the way every client will, or raise KafkaUnavailable naming
    the reason for each address (refused, not trusted, authentication failed, ...)."""
    problems = []
    for host, port, _family in collect_hosts(settings.bootstrap_servers, randomize=False):
        try:
            async with asyncio.timeout(settings.request_timeout_s):
                connection = await create_conn(
                    host,
                    port,
                    client_id=f"{settings.client_id}-check",
                    request_timeout_ms=int(settings.request_timeout_s * 1000),
                    **security_options(settings),
                )
        except (TimeoutError, OSError, EOFError, KafkaError) as error:
            problems.append(f"{host}:{port}: {connection_problem(error, settings)}")
            continue
        connection.close()
        return
    raise KafkaUnavailable(f"cannot connect to Kafka at {'; '.join(problems)}")
