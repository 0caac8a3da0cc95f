"""The event loop the gateway runs on (`server.event_loop`): uvloop, or the standard library's."""

from __future__ import annotations

import asyncio
import importlib.util


def new_event_loop(name: str) -> asyncio.AbstractEventLoop:
    """`name` is "uvloop", "asyncio", or "auto" (uvloop where it is installed)."""
    if name == "auto":
        name = "uvloop" if importlib.util.find_spec("uvloop") is not None else "asyncio"
    if name == "uvloop":
        import uvloop  # not on Windows; the settings refuse "uvloop" where it is missing

        return uvloop.new_event_loop()
    return asyncio.new_event_loop()
