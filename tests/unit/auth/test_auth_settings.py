"""The [auth] table and the topic scope keys: checked at start-up, each problem naming its key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kafka_graphql.settings import SettingsError, load_settings, settings_from_mapping
from tests.tokens import AUDIENCE, HS_SECRET, HS_SECRET_ENV, ISSUER, ec_pair, rsa_pair, write_keys


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Path, Path]:
    return write_keys(tmp_path, rsa_pair(), ec_pair())


def auth(**values: Any) -> dict[str, Any]:
    return {"algorithms": ["RS256"], "issuer": ISSUER, "audience": AUDIENCE, **values}


def test_without_auth_the_gateway_is_open() -> None:
    assert settings_from_mapping({}).auth is None


def test_a_complete_table(keys: tuple[Path, Path]) -> None:
    pem, document = keys
    settings = settings_from_mapping(
        {
            "auth": auth(
                algorithms=["RS256", "ES256", "HS256"],
                public_key_file=str(pem),
                jwks_file=str(document),
                jwks_url="https://id.example.test/.well-known/jwks.json",
                hs_secret_env=HS_SECRET_ENV,
                required=False,
                anonymous_scopes=["kafka:read:public.*"],
                leeway_s=5,
            )
        },
        environ={HS_SECRET_ENV: HS_SECRET},
    )
    assert settings.auth is not None
    assert settings.auth.hs_secret is not None
    assert settings.auth.hs_secret.get_secret_value() == HS_SECRET
    assert settings.auth.leeway_s == 5.0
    assert not settings.auth.required
    # The secret is never shown.
    assert HS_SECRET not in repr(settings)


def test_defaults_fail_closed(keys: tuple[Path, Path]) -> None:
    settings = settings_from_mapping({"auth": auth(public_key_file=str(keys[0]))})
    assert settings.auth is not None
    assert settings.auth.required
    assert settings.auth.anonymous_scopes == ()


def test_key_files_resolve_against_the_configuration_folder(tmp_path: Path) -> None:
    (tmp_path / "keys").mkdir()
    write_keys(tmp_path / "keys", rsa_pair())
    config = tmp_path / "gateway.toml"
    config.write_text(
        f'[auth]\nalgorithms = ["RS256"]\nissuer = "{ISSUER}"\naudience = "{AUDIENCE}"\n'
        'public_key_file = "keys/jwt.pub.pem"\njwks_file = "keys/jwks.json"\n'
    )
    settings = load_settings(config, environ={})
    assert settings.auth is not None
    assert settings.auth.public_key_file == str(tmp_path / "keys" / "jwt.pub.pem")
    assert settings.auth.jwks_file == str(tmp_path / "keys" / "jwks.json")


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"algorithms": []}, "auth.algorithms must list"),
        ({"algorithms": ["none"]}, 'auth.algorithms must not contain "none"'),
        ({"algorithms": ["RS256", "NONE"]}, 'auth.algorithms must not contain "none"'),
        ({"algorithms": ["RS257"]}, "auth.algorithms: unknown algorithm 'RS257'"),
        ({"algorithms": "RS256"}, "auth.algorithms must be an array"),
        ({"issuer": ""}, "auth.issuer is required"),
        ({"audience": " "}, "auth.audience is required"),
        ({"leeway_s": -1}, "auth.leeway_s must be in 0..300"),
        ({"leeway_s": 3600}, "auth.leeway_s must be in 0..300"),
        ({"required": "yes"}, "auth.required must be of type bool"),
        ({"anonymous_scopes": ["kafka:read:*"]}, "auth.anonymous_scopes has no effect"),
        (
            {"required": False, "anonymous_scopes": [" kafka:read:*"]},
            r"auth.anonymous_scopes\[0\] must be a scope",
        ),
        ({}, "set a public key source"),
        ({"algorithms": ["HS256"]}, "auth.hs_secret_env must name the environment variable"),
        (
            {"algorithms": ["HS256"], "hs_secret_env": "KAFKA_GRAPHQL_UNSET_SECRET"},
            "auth.hs_secret_env: the environment variable KAFKA_GRAPHQL_UNSET_SECRET is not set",
        ),
        (
            {"algorithms": ["HS512"], "hs_secret_env": "SHORT_SECRET"},
            "auth.hs_secret_env: the secret in SHORT_SECRET must be at least 64 bytes",
        ),
        ({"public_key_file": "/nowhere/jwt.pub.pem"}, "auth.public_key_file: cannot read"),
        ({"jwks_file": "/nowhere/jwks.json"}, "auth.jwks_file: cannot read"),
        ({"jwks_url": "http://id.example.test/jwks.json"}, "auth.jwks_url must be an https URL"),
        ({"jwks_url": "ftp://127.0.0.1/jwks.json"}, "auth.jwks_url must be an https URL"),
        ({"jwks_url": "https:///jwks.json"}, "auth.jwks_url must be an https URL"),
        ({"hs_secret": "in-the-file"}, "unknown configuration key auth.hs_secret"),
        ({"secret": "x"}, "unknown configuration key auth.secret"),
    ],
)
def test_problems_name_the_key(values: dict[str, Any], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        settings_from_mapping({"auth": auth(**values)}, environ={"SHORT_SECRET": "x" * 32})


def test_a_secret_in_the_file_is_refused_with_the_table_s_other_problems() -> None:
    values = auth(hs_secret="in-the-file", anonymous_scopes=["kafka:read:* kafka:write:*"])
    with pytest.raises(SettingsError) as refused:
        settings_from_mapping({"auth": values})
    text = str(refused.value)
    assert "unknown configuration key auth.hs_secret" in text
    assert "auth.anonymous_scopes[0] must be a scope without spaces" in text
    assert "in-the-file" not in text


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080/jwks.json", "http://localhost/jwks", "http://[::1]:1/j"]
)
def test_http_jwks_only_on_loopback(url: str) -> None:
    settings_from_mapping({"auth": auth(jwks_url=url)})


def test_key_files_that_cannot_verify_tokens(tmp_path: Path) -> None:
    private = tmp_path / "private.pem"
    private.write_text("-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n")
    with pytest.raises(SettingsError, match=r"auth.public_key_file: .* is not a PEM public key"):
        settings_from_mapping({"auth": auth(public_key_file=str(private))})
    symmetric = tmp_path / "jwks.json"
    symmetric.write_text(json.dumps({"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}))
    with pytest.raises(SettingsError, match=r"auth.jwks_file: .* holds no public signing key"):
        settings_from_mapping({"auth": auth(jwks_file=str(symmetric))})
    symmetric.write_text("[]")
    with pytest.raises(SettingsError, match=r"auth.jwks_file: .* is not a JWKS document"):
        settings_from_mapping({"auth": auth(jwks_file=str(symmetric))})


def test_topic_scopes(keys: tuple[Path, Path]) -> None:
    settings = settings_from_mapping(
        {
            "auth": auth(public_key_file=str(keys[0])),
            "topics": [{"name": "shop.*", "read_scopes": ["shop:read"], "write_scopes": []}],
        }
    )
    (rule,) = settings.topics
    assert rule.read_scopes == ("shop:read",)
    assert rule.write_scopes == ()
    assert rule.write_scopes is not None


@pytest.mark.parametrize(
    ("topic", "message"),
    [
        ({"read_scopes": ["a b"]}, r"topics\[0\].read_scopes\[0\] must be a scope"),
        ({"write_scopes": [""]}, r"topics\[0\].write_scopes\[0\] must be a scope"),
        ({"write_scopes": "shop:write"}, r"topics\[0\].write_scopes must be an array"),
    ],
)
def test_topic_scope_problems(keys: tuple[Path, Path], topic: dict[str, Any], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        settings_from_mapping(
            {"auth": auth(public_key_file=str(keys[0])), "topics": [{"name": "a", **topic}]}
        )


def test_authorization_without_authentication_is_refused() -> None:
    with pytest.raises(SettingsError, match=r"topics\[0\].read_scopes needs an \[auth\] table"):
        settings_from_mapping({"topics": [{"name": "a", "read_scopes": ["x"]}]})
