"""`server.allowed_hosts` and the production profile's cursor keys, without a server: what a Host
header is, which ones are served, and what start-up refuses."""

from __future__ import annotations

import re
from typing import Any

import pytest

from kafka_graphql.dev.tokens import ensure_dev_key
from kafka_graphql.settings import ServerSettings, SettingsError, settings_from_mapping
from kafka_graphql.settings.hosts import allowed_hosts, host_allowed, normal_host


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("localhost", ("localhost", None)),
        ("LocalHost:8000", ("localhost", "8000")),
        ("localhost.:8000", ("localhost", "8000")),
        ("127.0.0.1:65535", ("127.0.0.1", "65535")),
        ("[::1]", ("[::1]", None)),
        ("[0:0:0:0:0:0:0:1]:80", ("[::1]", "80")),
        ("[::FFFF:127.0.0.1]", ("[::ffff:7f00:1]", None)),
        ("api.example.com:", ("api.example.com", None)),
        ("", None),
        (":8000", None),
        ("::1", None),
        ("[::1", None),
        ("[::1]x", None),
        ("[not-an-address]", None),
        ("[fe80::1%25eth0]", None),
        ("localhost:99999", None),
        ("localhost:80:80", None),
        ("localhost:8o", None),
        ("a b", None),
        ("attacker.example@localhost", None),
        ("localhost/x", None),
        ("a..b", None),
        ("\u0661\u0662\u0667.0.0.1", None),
    ],
)
def test_host_values(value: str, expected: tuple[str, str | None] | None) -> None:
    assert normal_host(value) == expected


# What these tests are about, not a socket they bind.
ANY_ADDRESS = "0.0.0.0"  # noqa: S104
LOOPBACK = allowed_hosts(ServerSettings())


@pytest.mark.parametrize(
    ("value", "served"),
    [
        ("localhost", True),
        ("localhost:8000", True),
        ("LOCALHOST:1", True),
        ("127.0.0.1:8000", True),
        ("[::1]:8000", True),
        ("[0::1]", True),
        ("attacker.example", False),
        ("attacker.example:8000", False),
        ("localhost.attacker.example", False),
        ("127.0.0.1.nip.io", False),
        ("127.0.0.2", False),
        (ANY_ADDRESS, False),
        ("[::]", False),
        ("", False),
    ],
)
def test_the_loopback_default(value: str, served: bool) -> None:
    assert host_allowed(LOOPBACK, value) is served


def test_listed_names_and_wildcards() -> None:
    server = ServerSettings(
        host=ANY_ADDRESS,
        allowed_hosts=("API.example.com.", "*.internal.example", "10.0.0.7", "::1"),
    )
    names = allowed_hosts(server)
    assert names == ("api.example.com", "*.internal.example", "10.0.0.7", "[::1]")
    for value in (
        "api.example.com",
        "Api.Example.Com:443",
        "a.internal.example",
        "b.a.internal.example:8",
        "10.0.0.7:8000",
        "[::1]",
    ):
        assert host_allowed(names, value), value
    for value in (
        "internal.example",
        "api.example.com.evil",
        "evilapi.example.com",
        "localhost",
        "10.0.0.70",
    ):
        assert not host_allowed(names, value), value
    assert host_allowed(allowed_hosts(ServerSettings(allowed_hosts=("*",))), "anything.example")


def test_the_address_bound_is_served_too() -> None:
    assert "127.0.0.2" in allowed_hosts(ServerSettings(host="127.0.0.2"))
    assert "[::1]" in allowed_hosts(ServerSettings(host="::1"))


@pytest.fixture(scope="module")
def auth(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    key = ensure_dev_key(tmp_path_factory.mktemp("keys"))
    return {
        "algorithms": ["RS256"],
        "issuer": "https://id.example.com/",
        "audience": "kafka-graphql",
        "public_key_file": str(key.public_key_file),
    }


PRODUCTION = {"profile": "production", "cursor_keys_env": "GATEWAY_CURSOR_KEYS"}


@pytest.mark.parametrize(
    ("server", "message"),
    [
        (
            {"host": ANY_ADDRESS},
            "server.allowed_hosts is required when server.host ('0.0.0.0') is not a loopback "
            "address",
        ),
        ({"host": "::"}, "server.allowed_hosts is required when server.host ('::')"),
        ({"host": "192.168.1.5"}, "server.allowed_hosts is required"),
        ({**PRODUCTION, "host": ANY_ADDRESS}, "server.allowed_hosts is required"),
        ({"allowed_hosts": []}, "server.allowed_hosts must not be empty"),
        (
            {"allowed_hosts": ["ok.example", "api.example.com:443"]},
            "server.allowed_hosts[1] must be a host name",
        ),
        ({"allowed_hosts": ["https://api.example.com"]}, "server.allowed_hosts[0] must be"),
        ({"allowed_hosts": ["*.[::1]"]}, "server.allowed_hosts[0] must be"),
        ({"allowed_hosts": ["a b"]}, "server.allowed_hosts[0] must be"),
        ({"allowed_hosts": [""]}, "server.allowed_hosts[0] must be"),
        ({"allowed_hosts": "localhost"}, "server.allowed_hosts must be an array"),
        (
            {**PRODUCTION, "allowed_hosts": ["*"]},
            'server.allowed_hosts must list names, not "*", when server.profile is "production"',
        ),
        (
            {"profile": "production"},
            'server.profile "production" needs server.cursor_keys_env: the environment variable '
            "holding the keys that seal cursors",
        ),
        ({"cursor_keys_env": "MY-KEYS"}, "server.cursor_keys_env must name an environment"),
        ({"cursor_keys_env": ""}, "server.cursor_keys_env must name an environment"),
    ],
)
def test_start_up_refuses(server: dict[str, Any], message: str, auth: dict[str, Any]) -> None:
    with pytest.raises(SettingsError, match=re.escape(message)):
        settings_from_mapping({"server": server, "auth": auth})


def test_accepted_configurations(auth: dict[str, Any]) -> None:
    production = settings_from_mapping({"server": PRODUCTION, "auth": auth}).server
    assert allowed_hosts(production) == ("localhost", "127.0.0.1", "[::1]")
    public = {**PRODUCTION, "host": ANY_ADDRESS, "allowed_hosts": ["api.example.com"]}
    assert settings_from_mapping({"server": public, "auth": auth}).server.allowed_hosts == (
        "api.example.com",
    )
    # Development may accept any Host, when it says so.
    settings_from_mapping({"server": {"host": ANY_ADDRESS, "allowed_hosts": ["*"]}})
