"""Responses are written by orjson, with json.dumps for what orjson refuses; the event loop is
the one `server.event_loop` names."""

from __future__ import annotations

import asyncio
import json

import pytest
import uvloop

from kafka_graphql.http.strict_json import dumps
from kafka_graphql.runtime.event_loop import new_event_loop
from kafka_graphql.settings import SettingsError, settings_from_mapping


@pytest.mark.parametrize(
    "data",
    [
        {"data": {"produce": {"offset": 1}}, "extensions": {"cost": {"restoreRate": 100.0}}},
        {"data": {"v": 'naïve ✓ \u2028 "quoted" \\ </script>'}},
        {"data": {"big": 2**70, "negative": -(2**64)}},  # beyond orjson's 64 bits
        {"data": [None, True, 0.1, 1e300, [], {}]},
    ],
)
def test_dumps_writes_what_json_reads_back(data: object) -> None:
    text = dumps(data)
    assert isinstance(text, str)  # text: a WebSocket message must be a text frame
    assert json.loads(text) == data


def test_a_big_integer_is_written_exactly() -> None:
    assert dumps({"v": 2**70}) == '{"v":1180591620717411303424}'


def test_the_event_loop_is_the_one_configured() -> None:
    kinds = {"uvloop": uvloop.Loop, "auto": uvloop.Loop, "asyncio": asyncio.AbstractEventLoop}
    for name, kind in kinds.items():
        loop = new_event_loop(name)
        try:
            assert isinstance(loop, kind)
        finally:
            loop.close()
    loop = new_event_loop("asyncio")
    assert not isinstance(loop, uvloop.Loop)
    loop.close()


def test_an_unknown_event_loop_is_refused() -> None:
    with pytest.raises(SettingsError, match=r"server\.event_loop"):
        settings_from_mapping({"server": {"event_loop": "trio"}})
