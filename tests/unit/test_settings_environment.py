"""Every key from the environment as KAFKA_GRAPHQL_<TABLE>__<KEY>, over the file; the variables
documented before it as aliases, with the same precedence as before."""

from __future__ import annotations

from pathlib import Path

import pytest

from kafka_graphql.settings import (
    ENVIRONMENT_OVERRIDES,
    Settings,
    SettingsError,
    load_settings,
    settings_from_mapping,
)


def test_a_nested_key_from_the_environment_wins_over_the_file(tmp_path: Path) -> None:
    config = tmp_path / "gateway.toml"
    config.write_text("[server]\nport = 9000\nbatching = true\n[limits]\nmax_page_size = 20\n")
    settings = load_settings(
        config,
        environ={
            "KAFKA_GRAPHQL_SERVER__PORT": "9100",
            "kafka_graphql_limits__cost_refill_per_s": "12.5",  # any case
            "KAFKA_GRAPHQL_SERVER__SHARED_SUBSCRIPTIONS": "false",
            "KAFKA_GRAPHQL_AUTH_UNRELATED": "ignored: no such table",
        },
    )
    assert settings.server.port == 9100
    assert settings.server.batching  # the file's, untouched
    assert settings.server.shared_subscriptions is False
    assert settings.limits.max_page_size == 20
    assert settings.limits.cost_refill_per_s == 12.5


def test_arrays_and_tables_come_as_json(tmp_path: Path) -> None:
    config = tmp_path / "gateway.toml"
    config.write_text('[[topics]]\nname = "from.the.file"\n')
    settings = load_settings(
        config,
        environ={
            "KAFKA_GRAPHQL_SERVER__CORS_ALLOW_ORIGINS": '["https://app.example.com"]',
            "KAFKA_GRAPHQL_LIMITS__COST_WEIGHTS": '{"Topic.partitions": 5}',
            "KAFKA_GRAPHQL_TOPICS": '[{"name": "orders", "partitions": 3}, {"name": "events.*"}]',
        },
    )
    assert settings.server.cors_allow_origins == ("https://app.example.com",)
    assert settings.limits.cost_weights == {"Topic.partitions": 5}
    assert [t.name for t in settings.topics] == ["orders", "events.*"]
    assert settings.topics[0].partitions == 3


SAMPLES = {
    "kafka.bootstrap_servers": ("broker:9092", "broker:9092"),
    "kafka.client_id": ("gw", "gw"),
    "server.host": ("127.0.0.2", "127.0.0.2"),
    "server.port": ("9100", 9100),
    "server.workers": ("3", 3),
    "server.graphiql": ("false", False),
    "server.profile": ("development", "development"),
    "schema_registry.url": ("http://registry:8081", "http://registry:8081"),
    "schema_registry.username": ("gw", "gw"),
    "schema_registry.password": ("pw", "pw"),
    "kafka.sasl_username": ("gw", "gw"),
    "kafka.sasl_password": ("pw", "pw"),
    "metrics.port": ("9465", 9465),
    "grpc.port": ("50052", 50052),
}


@pytest.mark.parametrize(("variable", "key"), ENVIRONMENT_OVERRIDES.items())
def test_every_alias_sets_its_key(variable: str, key: str) -> None:
    text, value = SAMPLES[key]
    environ = {variable: text}
    if key.startswith("kafka.sasl"):  # needs both, and a SASL protocol
        environ = {"KAFKA_GRAPHQL_SASL_USERNAME": "gw", "KAFKA_GRAPHQL_SASL_PASSWORD": "pw"}
        environ |= {"KAFKA_GRAPHQL_KAFKA__SECURITY_PROTOCOL": "SASL_PLAINTEXT"}
        environ |= {"KAFKA_GRAPHQL_KAFKA__SASL_MECHANISM": "PLAIN"}
    table, name = key.split(".")
    found = getattr(getattr(load_settings(None, environ=environ), table), name)
    shown = found.get_secret_value() if hasattr(found, "get_secret_value") else found
    assert shown == value


def test_the_new_name_wins_over_the_alias() -> None:
    settings = load_settings(
        None,
        environ={
            "KAFKA_GRAPHQL_PORT": "9100",
            "KAFKA_GRAPHQL_SERVER__PORT": "9200",
            "KAFKA_BOOTSTRAP_SERVERS": "alias:9092",
        },
    )
    assert settings.server.port == 9200
    assert settings.kafka.bootstrap_servers == "alias:9092"


def test_secrets_may_come_by_their_new_name_too() -> None:
    settings = load_settings(
        None,
        environ={
            "KAFKA_GRAPHQL_SCHEMA_REGISTRY__USERNAME": "gw",
            "KAFKA_GRAPHQL_SCHEMA_REGISTRY__PASSWORD": "s3cret",
        },
    )
    assert settings.schema_registry.username == "gw"
    assert settings.schema_registry.password is not None
    assert settings.schema_registry.password.get_secret_value() == "s3cret"


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        (
            {"KAFKA_GRAPHQL_SERVER__PORT": "x"},
            "KAFKA_GRAPHQL_SERVER__PORT (server.port) must be an integer, got 'x'",
        ),
        (
            {"KAFKA_GRAPHQL_PORT": "x"},
            "KAFKA_GRAPHQL_PORT (server.port) must be an integer, got 'x'",
        ),
        (
            {"KAFKA_GRAPHQL_SERVER__SHUTDOWN_GRACE_S": "nan"},
            "KAFKA_GRAPHQL_SERVER__SHUTDOWN_GRACE_S (server.shutdown_grace_s) must be a finite "
            "number, got nan",
        ),
        (
            {"KAFKA_GRAPHQL_SERVER__PROT": "1"},
            "unknown configuration key KAFKA_GRAPHQL_SERVER__PROT (server.prot) "
            "(did you mean server.port?)",
        ),
        (
            {"KAFKA_GRAPHQL_TOPICS": '[{"name": "a", "partitions": 0}]'},
            "KAFKA_GRAPHQL_TOPICS (topics[0].partitions) must be positive, got 0",
        ),
    ],
)
def test_a_bad_value_names_its_variable(environ: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings(None, environ=environ)
    assert message in refused.value.problems


def test_a_mapping_or_a_settings_object_is_not_changed_by_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KAFKA_GRAPHQL_SERVER__PORT", "9100")
    monkeypatch.setenv("KAFKA_GRAPHQL_PORT", "9100")
    assert settings_from_mapping({}).server.port == 8000
    assert Settings().server.port == 8000
    assert load_settings(None).server.port == 9100
