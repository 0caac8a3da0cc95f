"""The settings' origin rule is Strawberry's: `server.cors_allow_origins` is checked with one and
WebSocket origins compared with the other, so they must give the same answers."""

from __future__ import annotations

import pytest
from strawberry.http.websocket_origin import normalize_origin as strawberry_normalize_origin

from kafka_graphql.settings.origins import normalize_origin

ORIGINS = [
    "https://app.example.com",
    "https://App.Example.com:443",
    "HTTP://example.com:80",
    "http://example.com:8080",
    "https://[::1]:8443",
    "https://[::1]",
    "https://[",
    "null",
    "",
    "  https://example.com  ",
    "https://example.com/path?q=1",
    "https://user@example.com",
    "example.com",
    "https://example.com:99999",
    "ws://example.com:80",
]


@pytest.mark.parametrize("origin", ORIGINS)
def test_the_settings_normalise_origins_as_strawberry_compares_them(origin: str) -> None:
    assert normalize_origin(origin) == strawberry_normalize_origin(origin)
