"""`kafka-graphql token` and the development key; the timer that ends an expired connection."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from kafka_graphql.cli import main
from kafka_graphql.core.auth.tokens import PublicKeys, TokenVerifier
from kafka_graphql.dev.tokens import DevTokenError, ensure_dev_key, parse_ttl
from kafka_graphql.graphql.ws.auth import ExpiryTimer
from kafka_graphql.settings.auth import AuthSettings
from kafka_graphql.settings.keys import load_public_key_file

DEMO_AUTH = """
[auth]
algorithms = ["RS256"]
issuer = "https://dev.example.test/"
audience = "my-gateway"
public_key_file = ".dev/jwt.pub.pem"
"""


def test_the_development_key_is_made_once(tmp_path: Path) -> None:
    first = ensure_dev_key(tmp_path / ".dev")
    private = first.private_key_file.read_bytes()
    assert first.private_key_file.stat().st_mode & 0o077 == 0  # the owner's alone
    second = ensure_dev_key(tmp_path / ".dev")
    assert second.private_key_file.read_bytes() == private
    assert load_public_key_file(second.public_key_file)


async def test_the_token_command_mints_for_the_configured_gateway(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "gateway.toml").write_text(DEMO_AUTH)
    main(
        [
            "token",
            "--config",
            "gateway.toml",
            "--sub",
            "alice",
            "--scope",
            "kafka:read:* kafka:write:demo.*",
            "--scope",
            "kafka:admin",
            "--ttl",
            "2h",
            "--claim",
            "tenant=acme",
        ]
    )
    out, err = capsys.readouterr()
    token = out.strip()
    assert err == ""
    auth = AuthSettings(
        algorithms=("RS256",), issuer="https://dev.example.test/", audience="my-gateway"
    )
    keys = PublicKeys(pem=load_public_key_file(tmp_path / ".dev" / "jwt.pub.pem"))
    principal = await TokenVerifier(auth, keys).verify(token)
    assert principal.subject == "alice"
    assert principal.scopes == {"kafka:read:*", "kafka:write:demo.*", "kafka:admin"}
    assert principal.claims["tenant"] == "acme"
    assert principal.expires_at is not None
    assert 7190 < principal.expires_at - time.time() <= 7200


def test_the_token_command_warns_when_the_gateway_will_refuse_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "keys").mkdir()
    ensure_dev_key(tmp_path / "keys")
    (tmp_path / "gateway.toml").write_text(
        DEMO_AUTH.replace(".dev/jwt.pub.pem", "keys/jwt.pub.pem")
    )
    main(["token", "--config", "gateway.toml"])
    out, err = capsys.readouterr()
    assert out.count(".") == 2
    assert "the gateway will refuse this token" in err


@pytest.mark.parametrize("arguments", [["--ttl", "forever"], ["--ttl", "0s"], ["--claim", "x"]])
def test_the_token_command_refuses_bad_arguments(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, arguments: list[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit, match="kafka-graphql token: "):
        main(["token", *arguments])


def test_ttl() -> None:
    assert [parse_ttl(t) for t in ("90s", "30m", "1h", "2d", "45")] == [90, 1800, 3600, 172800, 45]
    with pytest.raises(DevTokenError):
        parse_ttl("31d")


async def test_the_expiry_timer_closes_at_the_deadline() -> None:
    closed = asyncio.Event()
    now = time.time()

    async def close() -> None:
        closed.set()

    timer = ExpiryTimer(now + 0.05, close)
    await asyncio.wait_for(closed.wait(), timeout=5)
    assert time.time() >= now + 0.05
    await timer.stop()


async def test_a_stopped_timer_never_closes() -> None:
    calls = 0

    async def close() -> None:
        nonlocal calls
        calls += 1

    timer = ExpiryTimer(time.time() + 3600, close)
    await timer.stop()
    assert calls == 0
