"""The `[kafka]` table: how the gateway reaches Kafka (addresses, timeouts, TLS and SASL, history
readers), and the checks of its security keys (docs/security.md#kafka-connection-security)."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import Field, SecretStr, model_validator

from kafka_graphql.settings.fields import ConfigFile, NotBlank, OneOf, Table, loading, refuse
from kafka_graphql.settings.tls import TLSFileError, client_ssl_context

SECURITY_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
SASL_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")
TLS_FILES = ("ssl_cafile", "ssl_certfile", "ssl_keyfile")


class KafkaSettings(Table):
    """`[kafka]`: the cluster, how to reach it safely, and the bounds on history readers."""

    bootstrap_servers: NotBlank = "127.0.0.1:9092"
    """Kafka bootstrap servers, comma-separated"""
    client_id: str = "kafka-graphql"
    """prefix of the client ids the gateway uses with Kafka"""
    request_timeout_s: float = Field(10.0, gt=0, le=300, allow_inf_nan=False)
    """upper bound of any single Kafka call (metadata, offsets, produce, a history read); beyond
    it the client gets `KAFKA_UNAVAILABLE` (or, for a write already handed to Kafka,
    `KAFKA_TIMEOUT`: it may be written). Also how long the producer or a live consumer may
    make no progress while Kafka answers before the watchdog replaces it"""
    metadata_max_age_s: float = Field(30.0, ge=0, allow_inf_nan=False)
    """how long the topic and partition list is cached; a topic name it does not hold is answered
    `NOT_FOUND` from it, with no request to Kafka, so a topic created outside the gateway
    is found within this time ([limits.md](limits.md#kafka-stays-protected)). The live
    feeds check their progress and look for new partitions every `metadata_max_age_s`, but
    at least every 5 s and at most every 1 s. `0` fetches the metadata on every look-up"""
    security_protocol: Annotated[str, OneOf(SECURITY_PROTOCOLS)] = "PLAINTEXT"
    """how the gateway connects to Kafka ([security.md](security.md#kafka-connection-security))"""
    sasl_mechanism: Annotated[str, OneOf(SASL_MECHANISMS)] | None = None
    """required by the `SASL_*` protocols, refused with the others"""
    sasl_username: str | None = Field(None, repr=False)
    """the SASL user; from the environment only, never from the file"""
    sasl_password: SecretStr | None = None
    """the SASL password; from the environment only, never from the file, never shown"""
    ssl_cafile: ConfigFile | None = Field(None, json_schema_extra={"unset": "the system's CAs"})
    """PEM file of the CA(s) that signed the brokers' certificates (`SSL`/`SASL_SSL` only, like
    the other `ssl_*` files)"""
    ssl_certfile: ConfigFile | None = None
    """PEM client certificate chain, for brokers that ask for one (mutual TLS)"""
    ssl_keyfile: ConfigFile | None = None
    """the client certificate's private key (PEM, unencrypted); needs `kafka.ssl_certfile`"""
    ssl_check_hostname: bool = True
    """check that the broker's certificate names the address connected to (the certificate itself
    is always verified)"""
    reader_pool_size: int = Field(4, ge=0, le=64)
    """started readers kept open between history pages, at most `kafka.max_readers`; `0` starts
    (and stops) a reader per page ([operations.md](operations.md#pooled-history-readers))"""
    max_readers: int = Field(32, ge=1, le=1024)
    """history readers (Kafka consumers of pages and of replaying subscriptions' catch-ups) open
    at once; beyond it a request waits for one
    ([limits.md](limits.md#kafka-stays-protected))"""
    reader_queue_length: int = Field(64, ge=0, le=100_000)
    """requests that may wait for a reader at once; one more is answered `LIMIT_EXCEEDED` at once"""
    reader_wait_s: float = Field(5.0, gt=0, le=300, allow_inf_nan=False)
    """longest a request waits for a reader; then `LIMIT_EXCEEDED`"""

    @model_validator(mode="after")
    def _check(self) -> Self:
        if loading() is not None:
            refuse("KafkaSettings", [((), text) for text in kafka_problems(self)])
        return self


def kafka_problems(kafka: KafkaSettings) -> list[str]:
    """What is wrong with `[kafka]` beyond each key's type and bounds (`{key}`: `kafka`)."""
    found: list[str] = []
    if kafka.reader_pool_size > kafka.max_readers:
        found.append("{key}.reader_pool_size must not exceed {key}.max_readers")
    found += _sasl_problems(kafka)
    protocol = kafka.security_protocol
    uses_tls = protocol in ("SSL", "SASL_SSL")
    for name in TLS_FILES:
        if getattr(kafka, name) and not uses_tls:
            found.append(
                f"{{key}}.{name} is only used with {{key}}.security_protocol SSL or SASL_SSL, "
                f"not {protocol!r}"
            )
    if kafka.ssl_keyfile and not kafka.ssl_certfile:
        found.append("{key}.ssl_keyfile needs {key}.ssl_certfile")
    elif uses_tls:
        try:
            client_ssl_context(
                kafka.ssl_cafile, kafka.ssl_certfile, kafka.ssl_keyfile, kafka.ssl_check_hostname
            )
        except TLSFileError as error:
            found.append(str(error))
    return found


def _sasl_problems(kafka: KafkaSettings) -> list[str]:
    protocol = kafka.security_protocol
    if protocol.startswith("SASL_"):
        if kafka.sasl_mechanism is None:
            return [
                f"{{key}}.sasl_mechanism must be set with {{key}}.security_protocol = "
                f"{protocol!r} ({', '.join(SASL_MECHANISMS)})"
            ]
        if not kafka.sasl_username or kafka.sasl_password is None:
            return [
                f"{{key}}.security_protocol = {protocol!r} needs the SASL user and password in "
                "KAFKA_GRAPHQL_SASL_USERNAME and KAFKA_GRAPHQL_SASL_PASSWORD"
            ]
        return []
    # Set but unused would mean a gateway that believes it authenticates and doesn't.
    found: list[str] = []
    if kafka.sasl_mechanism is not None:
        found.append(
            "{key}.sasl_mechanism is only used with a SASL_* {key}.security_protocol, "
            f"not {protocol!r}"
        )
    if kafka.sasl_username or kafka.sasl_password:
        found.append(
            "KAFKA_GRAPHQL_SASL_USERNAME/KAFKA_GRAPHQL_SASL_PASSWORD are set, but "
            f"{{key}}.security_protocol = {protocol!r} does not use them"
        )
    return found
