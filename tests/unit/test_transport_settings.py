"""The transport security keys: profile, origins, TLS files and the Kafka connection's security,
each refused at start-up with a message that names the key."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from kafka_graphql.dev.tokens import ensure_dev_key
from kafka_graphql.settings import SettingsError, load_settings, settings_from_mapping
from tests.certificates import Certificates, make_certificates

# What the production profile asks of [server] beyond its profile (the keys' variable is read
# when the gateway starts, not here).
PRODUCTION = {"profile": "production", "cursor_keys_env": "GATEWAY_CURSOR_KEYS"}
SASL_ENV = {"KAFKA_GRAPHQL_SASL_USERNAME": "alice", "KAFKA_GRAPHQL_SASL_PASSWORD": "s3cret"}


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("certs"))


@pytest.fixture(scope="module")
def auth(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """An [auth] table, which the production profile requires."""
    key = ensure_dev_key(tmp_path_factory.mktemp("keys"))
    return {
        "algorithms": ["RS256"],
        "issuer": "https://id.example.com/",
        "audience": "kafka-graphql",
        "public_key_file": str(key.public_key_file),
    }


def _refused(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(SettingsError, match=re.escape(message)):
        settings_from_mapping(raw)


def test_production_needs_an_auth_table() -> None:
    _refused(
        {"server": {"profile": "production"}},
        'server.profile "production" needs an [auth] table',
    )


def test_development_is_the_default_and_shows_everything() -> None:
    server = settings_from_mapping({}).server
    assert server.profile == "development"
    assert server.allows_introspection and server.serves_graphiql
    assert server.shows_field_suggestions
    assert server.url == "http://127.0.0.1:8000/graphql"


def test_production_turns_introspection_graphiql_and_suggestions_off(auth: dict[str, Any]) -> None:
    server = settings_from_mapping({"server": PRODUCTION, "auth": auth}).server
    assert not server.allows_introspection
    assert not server.serves_graphiql
    assert not server.shows_field_suggestions


def test_production_features_come_back_only_when_enabled_explicitly(auth: dict[str, Any]) -> None:
    server = settings_from_mapping(
        {
            "server": {
                **PRODUCTION,
                "introspection": True,
                "graphiql": True,
                "field_suggestions": True,
            },
            "auth": auth,
        }
    ).server
    assert server.allows_introspection and server.serves_graphiql
    assert server.shows_field_suggestions
    # Introspection on its own does not bring GraphiQL back: it follows only when unset.
    introspection_only = settings_from_mapping(
        {"server": {**PRODUCTION, "introspection": True}, "auth": auth}
    ).server
    assert introspection_only.serves_graphiql
    assert not introspection_only.shows_field_suggestions
    # Development may turn things off too.
    quiet = settings_from_mapping({"server": {"introspection": False}}).server
    assert not quiet.allows_introspection and not quiet.serves_graphiql


def test_profile_and_switches_come_from_the_environment(
    auth: dict[str, Any], tmp_path: Path
) -> None:
    config = tmp_path / "gateway.toml"
    config.write_text(
        '[server]\ncursor_keys_env = "GATEWAY_CURSOR_KEYS"\n[auth]\n'
        + "".join(f"{key} = {json.dumps(value)}\n" for key, value in auth.items())
    )
    settings = load_settings(
        config, environ={"KAFKA_GRAPHQL_PROFILE": "production", "KAFKA_GRAPHQL_GRAPHIQL": "false"}
    )
    assert settings.server.is_production
    assert settings.server.graphiql is False


@pytest.mark.parametrize(
    ("server", "message"),
    [
        ({"profile": "prod"}, "server.profile must be one of development, production; got 'prod'"),
        ({"introspection": "no"}, "server.introspection must be of type bool"),
        (
            {"profile": "production", "graphiql": True},
            "server.graphiql needs server.introspection = true",
        ),
        ({"graphiql": True, "introspection": False}, "server.graphiql needs server.introspection"),
        (
            {"profile": "production", "cors_allow_origins": ["*"]},
            'server.cors_allow_origins must list origins, not "*", when server.profile is '
            '"production"',
        ),
        (
            {"cors_allow_origins": ["https://app.example", "https://App.example:443/"]},
            'server.cors_allow_origins[1] must be "*" or an origin like https://app.example.com',
        ),
        ({"cors_allow_origins": ["app.example"]}, "server.cors_allow_origins[0] must be"),
        ({"tls_cert_file": "cert.pem"}, "server.tls_cert_file and server.tls_key_file must be set"),
        ({"tls_key_file": "key.pem"}, "server.tls_cert_file and server.tls_key_file must be set"),
    ],
)
def test_server_keys_are_checked(
    server: dict[str, Any], message: str, auth: dict[str, Any]
) -> None:
    _refused({"server": server, "auth": auth}, message)


def test_an_origin_not_written_as_browsers_send_it_gets_a_hint() -> None:
    _refused(
        {"server": {"cors_allow_origins": ["https://App.example:443"]}},
        "(write 'https://app.example')",
    )


def test_tls_files_must_exist_and_be_a_certificate_and_its_key(
    certs: Certificates, tmp_path: Path
) -> None:
    missing = str(tmp_path / "missing.pem")
    _refused(
        {"server": {"tls_cert_file": str(certs.cert), "tls_key_file": missing}},
        f"server.tls_key_file: no such file {missing}",
    )
    _refused(
        {"server": {"tls_cert_file": str(certs.cert), "tls_key_file": str(certs.ca)}},
        "server.tls_cert_file and server.tls_key_file are not a PEM certificate chain and its "
        "private key",
    )
    ok = settings_from_mapping(
        {"server": {"tls_cert_file": str(certs.cert), "tls_key_file": str(certs.key)}}
    )
    assert ok.server.url.startswith("https://")


def test_relative_tls_and_ssl_paths_resolve_against_the_config_folder(
    certs: Certificates, tmp_path: Path
) -> None:
    folder = tmp_path / "etc"
    (folder / "tls").mkdir(parents=True)
    for source in (certs.cert, certs.key, certs.ca):
        (folder / "tls" / source.name).write_bytes(source.read_bytes())
    config = folder / "gw.toml"
    config.write_text(
        f'[server]\ntls_cert_file = "tls/{certs.cert.name}"\n'
        f'tls_key_file = "tls/{certs.key.name}"\n'
        f'[kafka]\nsecurity_protocol = "SSL"\nssl_cafile = "tls/{certs.ca.name}"\n'
    )
    settings = load_settings(config, environ={})
    assert settings.server.tls_cert_file == str(folder / "tls" / certs.cert.name)
    assert settings.server.tls_key_file == str(folder / "tls" / certs.key.name)
    assert settings.kafka.ssl_cafile == str(folder / "tls" / certs.ca.name)


def test_sasl_credentials_come_from_the_environment_only(tmp_path: Path) -> None:
    config = tmp_path / "gw.toml"
    config.write_text('[kafka]\nsecurity_protocol = "SASL_SSL"\nsasl_mechanism = "SCRAM-SHA-512"\n')
    settings = load_settings(config, environ=SASL_ENV)
    assert settings.kafka.sasl_username == "alice"
    assert settings.kafka.sasl_password is not None
    assert settings.kafka.sasl_password.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(settings)
    for key in ("sasl_username", "sasl_password"):
        config.write_text(f'[kafka]\nsecurity_protocol = "SASL_SSL"\n{key} = "x"\n')
        variable = f"KAFKA_GRAPHQL_{key.upper()}"
        with pytest.raises(
            SettingsError,
            match=re.escape(f"kafka.{key} must come from the environment ({variable})"),
        ):
            load_settings(config, environ=SASL_ENV)


SASL = {"security_protocol": "SASL_SSL", "sasl_username": "alice", "sasl_password": "pw"}


@pytest.mark.parametrize(
    ("kafka", "message"),
    [
        (
            {"security_protocol": "TLS"},
            "kafka.security_protocol must be one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL; "
            "got 'TLS'",
        ),
        (
            {**SASL},
            "kafka.sasl_mechanism must be set with kafka.security_protocol = 'SASL_SSL' "
            "(PLAIN, SCRAM-SHA-256, SCRAM-SHA-512)",
        ),
        (
            {**SASL, "sasl_mechanism": "GSSAPI"},
            "kafka.sasl_mechanism must be one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512; got 'GSSAPI'",
        ),
        (
            {"security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": "PLAIN"},
            "kafka.security_protocol = 'SASL_PLAINTEXT' needs the SASL user and password in "
            "KAFKA_GRAPHQL_SASL_USERNAME and KAFKA_GRAPHQL_SASL_PASSWORD",
        ),
        (
            {"sasl_mechanism": "PLAIN"},
            "kafka.sasl_mechanism is only used with a SASL_* kafka.security_protocol, "
            "not 'PLAINTEXT'",
        ),
        (
            {"sasl_username": "alice", "sasl_password": "pw"},
            "KAFKA_GRAPHQL_SASL_USERNAME/KAFKA_GRAPHQL_SASL_PASSWORD are set, but "
            "kafka.security_protocol = 'PLAINTEXT' does not use them",
        ),
        (
            {
                **SASL,
                "security_protocol": "SASL_PLAINTEXT",
                "ssl_cafile": "ca.pem",
                "sasl_mechanism": "PLAIN",
            },
            "kafka.ssl_cafile is only used with kafka.security_protocol SSL or SASL_SSL, "
            "not 'SASL_PLAINTEXT'",
        ),
        (
            {"security_protocol": "SSL", "ssl_keyfile": "client.key"},
            "kafka.ssl_keyfile needs kafka.ssl_certfile",
        ),
        (
            {"security_protocol": "SSL", "ssl_cafile": "/nowhere/ca.pem"},
            "kafka.ssl_cafile: no such file /nowhere/ca.pem",
        ),
    ],
)
def test_kafka_security_keys_are_checked(kafka: dict[str, Any], message: str) -> None:
    _refused({"kafka": kafka}, message)


def test_kafka_tls_files_must_be_pem(certs: Certificates, tmp_path: Path) -> None:
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate\n")
    _refused(
        {"kafka": {"security_protocol": "SSL", "ssl_cafile": str(junk)}},
        "kafka.ssl_cafile holds no PEM certificate",
    )
    _refused(
        {
            "kafka": {
                "security_protocol": "SSL",
                "ssl_certfile": str(certs.cert),
                "ssl_keyfile": str(certs.ca),
            }
        },
        "kafka.ssl_certfile and kafka.ssl_keyfile are not a PEM certificate chain and its "
        "private key",
    )
    settings = settings_from_mapping(
        {
            "kafka": {
                **SASL,
                "sasl_mechanism": "SCRAM-SHA-512",
                "ssl_cafile": str(certs.ca),
                "ssl_certfile": str(certs.cert),
                "ssl_keyfile": str(certs.key),
            }
        }
    )
    assert settings.kafka.security_protocol == "SASL_SSL"
