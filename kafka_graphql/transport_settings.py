"""The checks of the transport security keys: the server's profile, origins and TLS files, and how
the gateway connects to Kafka (security protocol, SASL, TLS files). docs/security.md explains them.

Relative file paths resolve against the configuration file's folder, like schema files.
"""

from __future__ import annotations

import dataclasses
import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from strawberry.http.websocket_origin import normalize_origin

from kafka_graphql.core.tls import TLSFileError, client_ssl_context, server_ssl_context

if TYPE_CHECKING:
    from kafka_graphql.settings import KafkaSettings, ServerSettings

PROFILES = ("development", "production")
EVENT_LOOPS = ("auto", "uvloop", "asyncio")
SECURITY_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
SASL_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")
SERVER_FILES = ("tls_cert_file", "tls_key_file")
KAFKA_FILES = ("ssl_cafile", "ssl_certfile", "ssl_keyfile")

Section = TypeVar("Section", "ServerSettings", "KafkaSettings")


class TransportSettingsError(ValueError):
    """A problem in the transport security keys; the message names the key."""


def _resolve(section: Section, names: tuple[str, ...], base_dir: Path | None) -> Section:
    changes: dict[str, Any] = {}
    for name in names:
        value = getattr(section, name)
        if value and base_dir is not None and not Path(value).is_absolute():
            changes[name] = str(base_dir / value)
    return dataclasses.replace(section, **changes) if changes else section


def resolve_server_paths(server: ServerSettings, base_dir: Path | None) -> ServerSettings:
    return _resolve(server, SERVER_FILES, base_dir)


def resolve_kafka_paths(kafka: KafkaSettings, base_dir: Path | None) -> KafkaSettings:
    return _resolve(kafka, KAFKA_FILES, base_dir)


def _one_of(key: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise TransportSettingsError(f"{key} must be one of {', '.join(allowed)}; got {value!r}")


def validate_server(server: ServerSettings) -> None:
    _one_of("server.profile", server.profile, PROFILES)
    _one_of("server.event_loop", server.event_loop, EVENT_LOOPS)
    if server.event_loop == "uvloop" and importlib.util.find_spec("uvloop") is None:
        raise TransportSettingsError(
            'server.event_loop = "uvloop" needs the uvloop package (there is none for Windows): '
            'install it, or set "auto" or "asyncio"'
        )
    for i, origin in enumerate(server.cors_allow_origins):
        # In the form browsers send in `Origin`, so that the CORS check can compare strings.
        usual = normalize_origin(origin)
        if origin != "*" and usual != origin:
            hint = f" (write {usual!r})" if usual else ""
            raise TransportSettingsError(
                f'server.cors_allow_origins[{i}] must be "*" or an origin like '
                f"https://app.example.com (scheme, host, port unless the default, no path); "
                f"got {origin!r}{hint}"
            )
    _one_of("server.websocket_compression", server.websocket_compression, ("on", "off"))
    if server.websocket_compression_min_bytes < 0:
        raise TransportSettingsError("server.websocket_compression_min_bytes must not be negative")
    if server.graphiql and not server.allows_introspection:
        raise TransportSettingsError(
            "server.graphiql needs server.introspection = true (GraphiQL reads the schema by "
            "introspection)"
        )
    if bool(server.tls_cert_file) != bool(server.tls_key_file):
        raise TransportSettingsError(
            "server.tls_cert_file and server.tls_key_file must be set together"
        )
    try:
        server_ssl_context(server.tls_cert_file, server.tls_key_file)
    except TLSFileError as error:
        raise TransportSettingsError(str(error)) from None


def validate_kafka_security(kafka: KafkaSettings) -> None:
    protocol = kafka.security_protocol
    _one_of("kafka.security_protocol", protocol, SECURITY_PROTOCOLS)
    if protocol.startswith("SASL_"):
        if kafka.sasl_mechanism is None:
            raise TransportSettingsError(
                f"kafka.sasl_mechanism must be set with kafka.security_protocol = {protocol!r} "
                f"({', '.join(SASL_MECHANISMS)})"
            )
        _one_of("kafka.sasl_mechanism", kafka.sasl_mechanism, SASL_MECHANISMS)
        if not kafka.sasl_username or kafka.sasl_password is None:
            raise TransportSettingsError(
                f"kafka.security_protocol = {protocol!r} needs the SASL user and password in "
                "KAFKA_GRAPHQL_SASL_USERNAME and KAFKA_GRAPHQL_SASL_PASSWORD"
            )
    else:
        # Set but unused would mean a gateway that believes it authenticates and doesn't.
        if kafka.sasl_mechanism is not None:
            raise TransportSettingsError(
                f"kafka.sasl_mechanism is only used with a SASL_* kafka.security_protocol, "
                f"not {protocol!r}"
            )
        if kafka.sasl_username or kafka.sasl_password:
            raise TransportSettingsError(
                "KAFKA_GRAPHQL_SASL_USERNAME/KAFKA_GRAPHQL_SASL_PASSWORD are set, but "
                f"kafka.security_protocol = {protocol!r} does not use them"
            )
    uses_tls = protocol in ("SSL", "SASL_SSL")
    for name in KAFKA_FILES:
        if getattr(kafka, name) and not uses_tls:
            raise TransportSettingsError(
                f"kafka.{name} is only used with kafka.security_protocol SSL or SASL_SSL, "
                f"not {protocol!r}"
            )
    if kafka.ssl_keyfile and not kafka.ssl_certfile:
        raise TransportSettingsError("kafka.ssl_keyfile needs kafka.ssl_certfile")
    if uses_tls:
        try:
            client_ssl_context(
                kafka.ssl_cafile, kafka.ssl_certfile, kafka.ssl_keyfile, kafka.ssl_check_hostname
            )
        except TLSFileError as error:
            raise TransportSettingsError(str(error)) from None
