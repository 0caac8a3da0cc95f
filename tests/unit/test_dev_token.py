"""dev/dev_token.py: one development token for the banner and the gateway, never in production."""

from __future__ import annotations

from pathlib import Path

import pytest

from kafka_graphql.dev.dev_token import development_token
from kafka_graphql.dev.tokens import ensure_dev_key
from kafka_graphql.settings import Settings, settings_from_mapping


def settings(directory: Path, profile: str = "development") -> Settings:
    auth = {
        "algorithms": ["RS256"],
        "issuer": "kafka-graphql-dev",
        "audience": "kafka-graphql",
        "public_key_file": str(directory / "jwt.pub.pem"),
    }
    server: dict[str, object] = {"profile": profile}
    if profile == "production":
        server["cursor_keys_env"] = "SOME_KEYS"
    return settings_from_mapping({"server": server, "auth": auth, "topics": [{"name": "t"}]})


def test_the_banner_and_the_gateway_hand_out_the_same_token(tmp_path: Path) -> None:
    ensure_dev_key(tmp_path)
    first = development_token(settings(tmp_path), tmp_path)
    assert first is not None
    assert development_token(settings(tmp_path), tmp_path) == first
    (tmp_path / "token").write_text("not a token")
    assert development_token(settings(tmp_path), tmp_path) not in (None, "not a token")


def test_no_token_in_production_or_without_the_development_key(tmp_path: Path) -> None:
    ensure_dev_key(tmp_path)
    assert development_token(settings(tmp_path, "production"), tmp_path) is None
    elsewhere = tmp_path / "elsewhere"  # the settings trust a key, not this one
    ensure_dev_key(elsewhere)
    assert development_token(settings(tmp_path), elsewhere) is None


def test_make_run_prints_the_token_once_with_the_two_ways_to_use_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from kafka_graphql.dev import banner

    monkeypatch.chdir(tmp_path)
    (tmp_path / "gateway.toml").write_text(
        '[server]\ndemo_page = true\n[auth]\nalgorithms = ["RS256"]\n'
        'issuer = "kafka-graphql-dev"\naudience = "kafka-graphql"\n'
        'public_key_file = ".dev/jwt.pub.pem"\n[[topics]]\nname = "t"\n'
    )
    monkeypatch.setattr("sys.argv", ["banner", "--config", "gateway.toml"])
    banner.main()
    out = capsys.readouterr().out
    token = (tmp_path / ".dev" / "token").read_text()
    assert out.count(token) == 1
    assert "Two ways to use it" in out and "/demo" in out and 'Bearer $TOKEN"' in out
    assert "\x1b" not in out
