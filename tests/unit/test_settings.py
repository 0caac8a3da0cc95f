from __future__ import annotations

from pathlib import Path

import pytest

from kafka_graphql.dev.tokens import ensure_dev_key
from kafka_graphql.settings import SettingsError, load_settings, settings_from_mapping


def test_defaults_are_safe_for_a_public_endpoint() -> None:
    settings = settings_from_mapping({})
    assert settings.server.host == "127.0.0.1"
    assert settings.server.port == 8000
    assert settings.topics == ()  # nothing is exposed unless configured
    assert settings.limits.max_page_size <= 1000
    assert settings.server.workers == 1
    assert settings.server.websocket_compression == "on"
    assert settings.server.websocket_compression_min_bytes == 1024
    assert settings.kafka.reader_pool_size == 4
    assert settings.kafka.max_readers == 32
    assert settings.kafka.metadata_max_age_s == 30
    assert settings.limits.max_readers_per_principal == 8
    assert settings.server.loop_stall_warning_s == 0.1


def test_workers_come_from_the_environment() -> None:
    settings = load_settings(None, environ={"KAFKA_GRAPHQL_WORKERS": "4"})
    assert settings.server.workers == 4


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
        ({"server": {"workers": 0}}, "server.workers"),
        ({"server": {"workers": 2, "port": 0}}, "server.workers > 1 needs a fixed server.port"),
        ({"server": {"websocket_compression": "auto"}}, "server.websocket_compression"),
        ({"server": {"websocket_compression": True}}, "server.websocket_compression"),
        (
            {"server": {"websocket_compression_min_bytes": -1}},
            "server.websocket_compression_min_bytes",
        ),
        ({"kafka": {"reader_pool_size": -1}}, "kafka.reader_pool_size"),
        ({"kafka": {"max_readers": 0}}, "kafka.max_readers"),
        ({"kafka": {"max_readers": 2, "reader_pool_size": 4}}, "kafka.reader_pool_size"),
        ({"kafka": {"reader_queue_length": -1}}, "kafka.reader_queue_length"),
        ({"kafka": {"reader_wait_s": 0}}, "kafka.reader_wait_s"),
        ({"limits": {"max_readers_per_principal": 0}}, "limits.max_readers_per_principal"),
        (
            {"kafka": {"max_readers": 4}, "limits": {"max_readers_per_principal": 5}},
            "limits.max_readers_per_principal must not exceed kafka.max_readers",
        ),
        ({"server": {"loop_stall_warning_s": 0}}, "server.loop_stall_warning_s"),
        ({"server": {"persisted_documents": "on"}}, "server.persisted_documents"),
        (
            {"server": {"persisted_documents": "trusted"}},
            'server.persisted_documents = "trusted" needs server.trusted_documents_file',
        ),
        ({"server": {"trusted_documents_file": "nope.json"}}, "server.trusted_documents_file"),
        ({"server": {"apq_cache_size": -1}}, "server.apq_cache_size"),
        ({"server": {"graphiql_tabs": ["nope.graphql"]}}, "server.graphiql_tabs[0]"),
        (
            {"server": {"profile": "production", "demo_page": True}},
            "server.demo_page is for development",
        ),
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
    root = Path(__file__).parents[2]
    # The demo trusts the development key that `make run` makes under .dev/ (git-ignored).
    ensure_dev_key(root / ".dev")
    settings = load_settings(root / "kafka-graphql.demo.toml", environ={})
    assert len(settings.topics) >= 2


def _typed(tmp_path: Path, **topic: object) -> dict[str, object]:
    return {"topics": [_typed_topic(tmp_path, **topic)]}


def _typed_topic(tmp_path: Path, **topic: object) -> dict[str, object]:
    (tmp_path / "order.schema.json").write_text('{"type": "object"}')
    (tmp_path / "order.avsc").write_text('{"type": "record", "name": "O", "fields": []}')
    return {"name": "shop.orders", "type": "Order", **topic}


def test_typed_topic_keys_and_relative_schema_paths(tmp_path: Path) -> None:
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "order.schema.json").write_text('{"type": "object"}')
    config = tmp_path / "gw.toml"
    config.write_text(
        '[schema_registry]\nurl = "http://file:8081/apis/ccompat/v7"\n'
        '[[topics]]\nname = "shop.orders"\npartitions = 3\ntype = "Order"\n'
        'value_schema = "schemas/order.schema.json"\ndescription = "Orders"\n'
        'deprecated = { "Order.legacyField" = "use status" }\n'
        '[[topics]]\nname = "shop.payments"\ntype = "Payment"\nfield = "allPayments"\n'
        'value_schema = "registry"\nvalue_format = "avro-confluent"\n'
        '[[topics]]\nname = "events.*"\n'
    )
    settings = load_settings(
        config, environ={"KAFKA_GRAPHQL_SCHEMA_REGISTRY_URL": "http://env:8081/apis/ccompat/v7"}
    )
    orders, payments, events = settings.topics
    assert orders.is_typed and not events.is_typed
    assert orders.value_schema == str(tmp_path / "schemas" / "order.schema.json")
    assert orders.format == "json"
    assert orders.root_field == "orders"
    assert orders.deprecated == {"Order.legacyField": "use status"}
    assert payments.root_field == "allPayments"
    assert payments.format == "avro-confluent"
    assert payments.value_schema == "registry"
    assert settings.schema_registry.url == "http://env:8081/apis/ccompat/v7"


def test_registry_credentials_come_from_the_environment_only(tmp_path: Path) -> None:
    env = {"KAFKA_GRAPHQL_REGISTRY_USER": "gw", "KAFKA_GRAPHQL_REGISTRY_PASSWORD": "s3cret"}
    settings = load_settings(None, environ=env)
    assert settings.schema_registry.username == "gw"
    assert settings.schema_registry.password is not None
    assert settings.schema_registry.password.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(settings)
    config = tmp_path / "gw.toml"
    config.write_text('[schema_registry]\npassword = "s3cret"\n')
    with pytest.raises(SettingsError, match="KAFKA_GRAPHQL_REGISTRY_PASSWORD"):
        load_settings(config, environ={})


def test_root_field_defaults_to_lower_camel_plural(tmp_path: Path) -> None:
    settings = settings_from_mapping(
        _typed(tmp_path, type="OrderLine", value_schema="order.schema.json"), tmp_path
    )
    assert settings.topics[0].root_field == "orderLines"


@pytest.mark.parametrize(
    ("topic", "registry", "message"),
    [
        ({"name": "shop.*"}, {}, r"topics\[0\]\.name must be an exact topic name"),
        ({"type": "Or-der"}, {}, r"topics\[0\]\.type must be a valid GraphQL name"),
        ({"type": "__Order"}, {}, r"topics\[0\]\.type must be a valid GraphQL name"),
        ({"field": "1orders"}, {}, r"topics\[0\]\.field must be a valid GraphQL name"),
        ({"value_format": "protobuf"}, {}, r"topics\[0\]\.value_format must be one of"),
        ({"value_schema": None}, {}, r"topics\[0\]\.value_schema is required"),
        ({"value_schema": "registry"}, {}, r"topics\[0\]\.value_schema = \"registry\" needs"),
        ({"value_format": "avro"}, {}, r"topics\[0\]\.value_format avro needs an Avro schema"),
        ({"value_format": "avro-confluent"}, {}, r"avro-confluent needs value_schema = \"regi"),
        ({"value_schema": "missing.json"}, {}, r"topics\[0\]\.value_schema file .* not exist"),
        ({"value_schema": "order.avsc"}, {}, r"value_schema is an Avro schema: set value_format"),
        ({"deprecated": {"legacy": "x"}}, {}, r"topics\[0\]\.deprecated key 'legacy' must be"),
        ({"deprecated": {"Order.a": 1}}, {}, r"topics\[0\]\.deprecated\.Order\.a must be a str"),
        (
            {"deprecated_types": {"Order.a": "String"}},
            {},
            r"topics\[0\]\.deprecated_types key 'Order\.a' must also be in topics\[0\]\.deprecated",
        ),
        (
            {"deprecated": {"Order.a": "x"}, "deprecated_types": {"Order.a": "Str"}},
            {},
            r"topics\[0\]\.deprecated_types\.Order\.a must be one of String, Int, .*got 'Str'",
        ),
        ({}, {"url": "ftp://x"}, r"schema_registry\.url must be an http\(s\) URL"),
        ({}, {"cache_size": 0}, r"schema_registry\.cache_size must be positive"),
        ({}, {"uri": "http://x"}, r"unknown configuration key schema_registry\.uri"),
    ],
)
def test_invalid_typed_topics_name_the_key(
    tmp_path: Path, topic: dict[str, object], registry: dict[str, object], message: str
) -> None:
    entry = {**_typed_topic(tmp_path, value_schema="order.schema.json"), **topic}
    raw: dict[str, object] = {"topics": [{k: v for k, v in entry.items() if v is not None}]}
    if registry:
        raw["schema_registry"] = registry
    with pytest.raises(SettingsError, match=message):
        settings_from_mapping(raw, tmp_path)


def test_typed_keys_need_a_type_and_types_are_unique(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"topics\[0\]\.value_schema needs topics\[0\]\.type"):
        settings_from_mapping({"topics": [{"name": "a", "value_schema": "x.json"}]}, tmp_path)
    (tmp_path / "a.json").write_text("{}")
    twice = {"name": "a", "type": "A", "value_schema": "a.json"}
    with pytest.raises(SettingsError, match=r"topics\[1\]\.type 'A' is already used by topics\[0"):
        settings_from_mapping({"topics": [twice, {**twice, "name": "b"}]}, tmp_path)
    with pytest.raises(SettingsError, match=r"topics\[1\]\.field 'as' is already used"):
        settings_from_mapping(
            {"topics": [twice, {**twice, "name": "b", "type": "B", "field": "as"}]}, tmp_path
        )


def test_avro_schema_files_are_accepted_for_avro_values(tmp_path: Path) -> None:
    raw = _typed(tmp_path, value_schema="order.avsc", value_format="avro")
    assert settings_from_mapping(raw, tmp_path).topics[0].format == "avro"
