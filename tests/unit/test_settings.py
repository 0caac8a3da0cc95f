from __future__ import annotations

from pathlib import Path

import pytest

from kafka_graphql.settings import SettingsError, load_settings, settings_from_mapping


def test_defaults_are_safe_for_a_public_endpoint() -> None:
    settings = settings_from_mapping({})
    assert settings.server.host == "127.0.0.1"
    assert settings.server.port == 8000
    assert settings.topics == ()  # nothing is exposed unless configured
    assert settings.limits.max_page_size <= 1000


def test_file_and_environment(tmp_path: Path) -> None:
    config = tmp_path / "gw.toml"
    config.write_text(
        '[kafka]\nbootstrap_servers = "file:9092"\n'
        "[server]\nport = 9000\n"
        '[[topics]]\nname = "orders"\npartitions = 3\n'
        '[[topics]]\nname = "events.*"\n'
    )
    settings = load_settings(
        config, environ={"KAFKA_GRAPHQL_PORT": "9100", "KAFKA_BOOTSTRAP_SERVERS": "env:9092"}
    )
    assert settings.kafka.bootstrap_servers == "env:9092"
    assert settings.server.port == 9100
    assert [t.name for t in settings.topics] == ["orders", "events.*"]
    assert settings.topics[0].partitions == 3


@pytest.mark.parametrize(
    ("raw", "named"),
    [
        ({"server": {"port": "eighty"}}, "server.port"),
        ({"server": {"port": 70000}}, "server.port"),
        ({"server": {"prot": 1}}, "server.prot"),
        ({"limits": {"max_page_size": 0}}, "limits.max_page_size"),
        ({"kafka": {"request_timeout_s": -1}}, "kafka.request_timeout_s"),
        ({"topics": [{"name": "a.*", "partitions": 2}]}, "topics[0].partitions"),
        ({"topics": [{"name": ""}]}, "topics[0].name"),
        ({"topics": "orders"}, "topics"),
        ({"topics": [{"nme": "x"}]}, "topics[0].nme"),
        ({"server": {"graphiql": "yes"}}, "server.graphiql"),
    ],
)
def test_invalid_settings_name_the_key(raw: dict[str, object], named: str) -> None:
    with pytest.raises(SettingsError, match=named.replace("[", r"\[").replace("]", r"\]")):
        settings_from_mapping(raw)


def test_bad_environment_value_names_the_variable() -> None:
    with pytest.raises(SettingsError, match="KAFKA_GRAPHQL_PORT"):
        load_settings(None, environ={"KAFKA_GRAPHQL_PORT": "x"})


def test_missing_or_broken_file(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="does not exist"):
        load_settings(tmp_path / "nope.toml", environ={})
    broken = tmp_path / "broken.toml"
    broken.write_text("[kafka\n")
    with pytest.raises(SettingsError, match="not valid TOML"):
        load_settings(broken, environ={})


def test_the_demo_configuration_loads() -> None:
    demo = Path(__file__).parents[2] / "kafka-graphql.demo.toml"
    settings = load_settings(demo, environ={})
    assert len(settings.topics) >= 2
