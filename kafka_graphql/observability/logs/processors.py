"""The processors every log line goes through, whoever writes it: the gateway's sinks (structlog
event dicts) and every `logging` logger (the gateway's modules, aiohttp, aiokafka), rendered by
one formatter (setup.py) as JSON or for a terminal.

The sinks' lines skip `logging` (lines.py), not these processors nor the renderer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

from kafka_graphql.core.request_id import CURRENT_REQUEST_ID

TIMESTAMPER = structlog.processors.TimeStamper(fmt="iso", utc=True, key="time")


def add_request_id(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """The id of the request being served, on every line written while it is (a library's
    too), unless the line names one."""
    if "request_id" not in event_dict:
        request_id = CURRENT_REQUEST_ID.get()
        if request_id is not None:
            event_dict["request_id"] = request_id
    return event_dict


# What a sink's line goes through before it is a `logging` record.
EMITTING: Sequence[Processor] = (
    structlog.stdlib.filter_by_level,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    TIMESTAMPER,
    add_request_id,
    structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
)
# What a `logging` record that no sink wrote goes through first.
FOREIGN: Sequence[Processor] = (
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    TIMESTAMPER,
    add_request_id,
)


def ordered(first: Sequence[str]) -> Processor:
    """The keys `first` at the head of the line, in that order (those the line has)."""

    def processor(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
        head = {key: event_dict.pop(key) for key in first if key in event_dict}
        return {**head, **event_dict}

    return processor


def _dumps(value: Any, **_: Any) -> str:
    # `str` for what JSON has no form for (an exception's arguments, a set).
    return orjson.dumps(value, default=str).decode()


def json_renderer() -> Processor:
    return structlog.processors.JSONRenderer(serializer=_dumps)


def console_renderer(colors: bool) -> structlog.dev.ConsoleRenderer:
    # Plain tracebacks: the default (rich's, when installed) shows each frame's locals, which
    # may hold a token, a secret or a message's value.
    return structlog.dev.ConsoleRenderer(
        colors=colors,
        exception_formatter=structlog.dev.plain_traceback,
        sort_keys=False,
        timestamp_key="time",
    )
