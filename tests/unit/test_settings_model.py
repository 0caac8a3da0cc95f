"""The settings model as a whole: every problem of a file at once, unknown keys with a
suggestion, numbers that make no sense refused on every numeric key, one scope rule everywhere,
secrets never shown."""

from __future__ import annotations

import math
import re
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, SecretStr

from kafka_graphql.settings import SettingsError, load_settings, settings_from_mapping
from kafka_graphql.settings.model import Settings
from kafka_graphql.settings.problems import locate
from tests.tokens import AUDIENCE, HS_SECRET, HS_SECRET_ENV, ISSUER

# An [auth] table that loads on its own (an HS key from the environment).
AUTH = {
    "algorithms": ["HS256"],
    "issuer": ISSUER,
    "audience": AUDIENCE,
    "hs_secret_env": HS_SECRET_ENV,
}
ENVIRON = {HS_SECRET_ENV: HS_SECRET}


def problems(raw: dict[str, Any]) -> tuple[str, ...]:
    with pytest.raises(SettingsError) as refused:
        settings_from_mapping(raw, environ=ENVIRON)
    return refused.value.problems


def test_every_problem_of_a_file_is_reported_at_once(tmp_path: Path) -> None:
    config = tmp_path / "gateway.toml"
    config.write_text(
        "[kafka]\nrequest_timeout_s = inf\n"
        '[server]\nprot = 8000\nshutdown_grace_s = nan\nworkers = 0\nprofile = "prod"\n'
        '[limits]\nmax_page_size = -1\ncost_weights = { "topics" = 1 }\n'
        "[schema_registry]\nrequest_timeout_s = -5\n"
        '[[topics]]\nname = "a"\nread_scopes = ["a b"]\n'
        '[[topics]]\nname = "b"\nrecords = { header = "tenant" }\n'
        '[[topics]]\nnme = "c"\n'
    )
    with pytest.raises(SettingsError) as refused:
        load_settings(config, environ={})
    assert refused.value.problems == (
        "kafka.request_timeout_s must be a finite number, got inf",
        "server.profile must be one of development, production; got 'prod'",
        "server.shutdown_grace_s must be a finite number, got nan",
        "server.workers must be in 1..256, got 0",
        "unknown configuration key server.prot (did you mean server.port?)",
        "limits.max_page_size must be positive, got -1",
        'limits.cost_weights key "topics" must name a field as Type.field',
        "schema_registry.request_timeout_s must be positive, got -5",
        "topics[0].read_scopes[0] must be a scope without spaces, got 'a b'",
        "topics[1].records.claim is required: the token claim the records must match, "
        'e.g. "tenant"',
        "topics[2].name is required",
        "unknown configuration key topics[2].nme (did you mean topics[2].name?)",
    )
    message = str(refused.value)
    assert message.startswith("12 problems:\n  kafka.request_timeout_s")
    assert all(problem in message for problem in refused.value.problems)


def test_checks_across_tables_are_reported_together() -> None:
    found = problems(
        {
            "server": {"profile": "production", "cors_allow_origins": ["*"]},
            "kafka": {"max_readers": 2, "reader_pool_size": 2},
            "limits": {"max_readers_per_principal": 3},
            "topics": [{"name": "a", "write_scopes": ["w"]}, {"name": "a"}],
        }
    )
    assert "limits.max_readers_per_principal must not exceed kafka.max_readers" in found[0]
    for expected in (
        'server.profile "production" needs an [auth] table',
        'server.cors_allow_origins must list origins, not "*"',
        'server.profile "production" needs server.cursor_keys_env',
        "topics[0].write_scopes needs an [auth] table",
        'topics[1] ("a") repeats topics[0]',
    ):
        assert any(p.startswith(expected) for p in found), expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            {"server": {"prot": 1}},
            "unknown configuration key server.prot (did you mean server.port?)",
        ),
        ({"kafka": {"bootstrap": "x"}}, "(did you mean kafka.bootstrap_servers?)"),
        ({"limit": {}}, "unknown configuration key limit (did you mean limits?)"),
        ({"schema_registry": {"uri": "x"}}, "(did you mean schema_registry.url?)"),
        ({"topics": [{"name": "a", "record": {}}]}, "(did you mean topics[0].records?)"),
        (
            {"topics": [{"name": "a", "records": {"clam": "t"}}]},
            "(did you mean topics[0].records.claim?)",
        ),
        ({"server": {"zzz": 1}}, "unknown configuration key server.zzz"),
    ],
)
def test_an_unknown_key_is_refused_with_a_suggestion(raw: dict[str, Any], message: str) -> None:
    assert any(message in problem for problem in problems(raw))


def numeric_keys() -> list[tuple[str, str, type]]:
    """(table, key, int or float) for every numeric key of every table, and of a topic."""
    found = []
    for table in Settings.model_fields:
        model = locate(Settings, (table,)).annotation
        if typing.get_origin(model) is tuple:
            model = typing.get_args(model)[0]
        assert isinstance(model, type) and issubclass(model, BaseModel)
        for key in model.model_fields:
            kind = locate(model, (key,)).annotation
            if kind in (int, float):
                found.append((table, key, kind))
    return found


def entry(table: str, key: str, value: object) -> dict[str, Any]:
    if table == "topics":
        return {"topics": [{"name": "a", key: value}]}
    if table == "auth":
        return {"auth": {**AUTH, key: value}}
    return {table: {key: value}}


NUMERIC = numeric_keys()


def test_every_numeric_key_is_checked() -> None:
    keys = {f"{table}.{key}" for table, key, _ in NUMERIC}
    assert {"server.shutdown_grace_s", "schema_registry.request_timeout_s"} <= keys
    assert {"topics.partitions", "auth.leeway_s", "limits.cost_refill_per_s"} <= keys
    assert len(keys) > 50


@pytest.mark.parametrize(("table", "key", "kind"), NUMERIC, ids=[f"{t}.{k}" for t, k, _ in NUMERIC])
def test_negative_numbers_are_refused_everywhere(table: str, key: str, kind: type) -> None:
    shown = "topics[0]" if table == "topics" else table
    found = problems(entry(table, key, kind(-1)))
    assert any(p.startswith(f"{shown}.{key} must") for p in found), found


FLOATS = [(t, k) for t, k, kind in NUMERIC if kind is float]


@pytest.mark.parametrize(("table", "key"), FLOATS, ids=[f"{t}.{k}" for t, k in FLOATS])
@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_nan_and_infinities_are_refused_everywhere(table: str, key: str, value: float) -> None:
    assert f"{table}.{key} must be a finite number, got {value!r}" in problems(
        entry(table, key, value)
    )


def test_cost_weights_may_not_be_negative() -> None:
    assert problems({"limits": {"cost_weights": {"Query.topics": -1}}}) == (
        'limits.cost_weights."Query.topics" must not be negative, got -1',
    )


# Where a scope goes, and how the configuration holding `scope` there reads.
SCOPE_PLACES: dict[str, Callable[[str], dict[str, Any]]] = {
    "auth.anonymous_scopes[0]": lambda s: {
        "auth": {**AUTH, "required": False, "anonymous_scopes": [s]}
    },
    "auth.field_scopes.Message.key[0]": lambda s: {
        "auth": {**AUTH, "field_scopes": {"Message.key": [s]}}
    },
    "topics[0].read_scopes[0]": lambda s: {
        "auth": AUTH,
        "topics": [{"name": "a", "read_scopes": [s]}],
    },
    "topics[0].write_scopes[0]": lambda s: {
        "auth": AUTH,
        "topics": [{"name": "a", "write_scopes": [s]}],
    },
    "topics[0].field_scopes.Order.id[0]": lambda s: {
        "auth": AUTH,
        "topics": [{"name": "a", "field_scopes": {"Order.id": [s]}}],
    },
    "topics[0].mask.Order.id": lambda s: {
        "auth": AUTH,
        "topics": [{"name": "a", "mask": {"Order.id": s}}],
    },
}


@pytest.mark.parametrize("place", SCOPE_PLACES)
@pytest.mark.parametrize(
    "scope", ["kafka:read:* kafka:write:*", "", " kafka:read:*", "a\tb", "a\n"]
)
def test_one_scope_rule_everywhere(place: str, scope: str) -> None:
    expected = f"{place} must be a scope without spaces, got {scope!r}"
    assert expected in problems(SCOPE_PLACES[place](scope))


@pytest.mark.parametrize("place", ["auth.anonymous_scopes[0]", "topics[0].read_scopes[0]"])
def test_a_scope_without_blanks_is_accepted(place: str) -> None:
    raw = SCOPE_PLACES[place]("kafka:read:shop.*")
    settings_from_mapping(raw, environ=ENVIRON)


SECRETS = {
    "KAFKA_GRAPHQL_SASL_PASSWORD": "sasl-secret-1",
    "KAFKA_GRAPHQL_REGISTRY_PASSWORD": "registry-secret-2",
    HS_SECRET_ENV: HS_SECRET,
}


def secret_settings(tmp_path: Path) -> Settings:
    config = tmp_path / "gateway.toml"
    config.write_text(
        '[kafka]\nsecurity_protocol = "SASL_PLAINTEXT"\nsasl_mechanism = "PLAIN"\n'
        '[schema_registry]\nurl = "http://127.0.0.1:1/apis/ccompat/v7"\n'
        f'[auth]\nalgorithms = ["HS256"]\nissuer = "{ISSUER}"\naudience = "{AUDIENCE}"\n'
        f'hs_secret_env = "{HS_SECRET_ENV}"\n'
    )
    environ = {**SECRETS, "KAFKA_GRAPHQL_SASL_USERNAME": "gw", "KAFKA_GRAPHQL_REGISTRY_USER": "gw"}
    return load_settings(config, environ=environ)


def test_secrets_are_never_shown(tmp_path: Path) -> None:
    settings = secret_settings(tmp_path)
    assert settings.auth is not None and settings.auth.hs_secret is not None
    assert isinstance(settings.kafka.sasl_password, SecretStr)
    assert settings.kafka.sasl_password.get_secret_value() == SECRETS["KAFKA_GRAPHQL_SASL_PASSWORD"]
    for shown in (
        repr(settings),
        str(settings),
        settings.model_dump_json(),
        repr(settings.model_dump()),
    ):
        for secret in SECRETS.values():
            assert secret not in shown


def test_a_secret_of_the_wrong_type_is_not_shown_in_the_message() -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings(None, environ={"KAFKA_GRAPHQL_KAFKA": '{"sasl_password": 31415926}'})
    assert str(refused.value) == ("KAFKA_GRAPHQL_KAFKA (kafka.sasl_password) must be of type str")


def test_the_dev_banner_shows_no_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from kafka_graphql.dev import banner as dev_banner

    secret_settings(tmp_path)  # the file it reads
    monkeypatch.chdir(tmp_path)
    for name, value in {**SECRETS, "KAFKA_GRAPHQL_SASL_USERNAME": "gw"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr("sys.argv", ["dev_banner", "--config", "gateway.toml"])
    dev_banner.main()
    out = capsys.readouterr().out
    assert "kafka-graphql is starting" in out
    assert not any(secret in out for secret in SECRETS.values())


def test_a_configuration_that_is_not_a_table_is_refused() -> None:
    with pytest.raises(SettingsError, match=re.escape("configuration must be a table")):
        settings_from_mapping(["a"])  # type: ignore[arg-type]
