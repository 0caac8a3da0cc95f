"""Logging, set up once at start-up from `[logging]`: one handler on the root logger whose
formatter (structlog's ProcessorFormatter) renders every `logging` line, the gateway's and every
library's, as JSON or for a terminal; the sinks' lines (lines.py) written by the same handler with
the same renderer; the audit log on its own handler, always JSON."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from typing import TextIO

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

from kafka_graphql.observability.logs.lines import EVERY_OTHER, Output, route, unroute
from kafka_graphql.observability.logs.processors import (
    EMITTING,
    FOREIGN,
    TIMESTAMPER,
    add_request_id,
    console_renderer,
    json_renderer,
    ordered,
)
from kafka_graphql.settings.logs import JSON, LoggingSettings

AUDIT_LOGGER = "kafka_graphql.audit"
# The common head of every audit event, in this order (audit.py writes the rest).
AUDIT_HEAD = (
    "type",
    "time",
    "logger",
    "principal",
    "source_ip",
    "request_id",
    "decision",
    "reason",
)
LINE_HEAD = ("time", "level", "logger", "event")
# What configure_logging sets the level of.
LOGGERS = ("", "aiokafka", "aiohttp.access", AUDIT_LOGGER)


class _Ours(logging.StreamHandler[TextIO]):
    """The handlers configure_logging adds: a second call replaces them (and leaves anyone
    else's alone, such as a test's capture)."""


class _OurFile(logging.FileHandler, _Ours):
    pass


def configure_logging(
    settings: LoggingSettings, *, production: bool, stream: TextIO | None = None
) -> None:
    """Every line to `stream` (default: standard error) in the configured format, from the
    configured level on; the audit log, when on, to its file or to `stream`.

    Raises OSError when the audit file cannot be opened for appending."""
    stream = stream if stream is not None else sys.stderr
    level = logging.getLevelNamesMapping()[settings.level.upper()]
    audit: _Ours | None = None
    if settings.audit:
        audit = _OurFile(settings.audit_file, encoding="utf-8") if settings.audit_file else None
        audit = audit or _Ours(stream)
    reset_logging()
    render = _renderer(settings.format_for(production), stream.isatty())
    lines = _Ours(stream)
    lines.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                *render,
            ],
            foreign_pre_chain=FOREIGN,
        )
    )
    root = logging.getLogger()
    root.addHandler(lines)
    root.setLevel(level)
    route(EVERY_OTHER, Output(lines, (TIMESTAMPER, add_request_id, *render)))
    # aiokafka's INFO lines are about its own connections and group life, several per stream.
    logging.getLogger("aiokafka").setLevel(max(level, logging.WARNING))
    # The operation lines replace aiohttp's access lines, which would also write the query
    # string of a GET: the document and its variables.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    _audit(audit)
    # For any structlog logger made the usual way (`structlog.get_logger()`): the same lines.
    structlog.configure(
        processors=list(EMITTING),
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def reset_logging() -> None:
    """Takes out what configure_logging put in: its handlers, and the sinks' outputs."""
    unroute()
    for name in LOGGERS:
        logger = logging.getLogger(name)
        for handler in [h for h in logger.handlers if isinstance(h, _Ours)]:
            logger.removeHandler(handler)
            handler.close()


def _audit(handler: _Ours | None) -> None:
    logger = logging.getLogger(AUDIT_LOGGER)
    logger.propagate = False
    logger.setLevel(logging.INFO if handler is not None else logging.CRITICAL + 1)
    if handler is None:
        route(AUDIT_LOGGER, None)
        return
    render = (_audit_shape, ordered(AUDIT_HEAD), json_renderer())
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *render],
            foreign_pre_chain=FOREIGN,
        )
    )
    logger.addHandler(handler)
    route(AUDIT_LOGGER, Output(handler, (TIMESTAMPER, *render)))


def _renderer(format: str, colors: bool) -> Sequence[Processor]:
    if format == JSON:
        return (ordered(LINE_HEAD), json_renderer())
    return (console_renderer(colors),)


def _audit_shape(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    event_dict["type"] = event_dict.pop("event")
    event_dict.pop("level", None)
    return event_dict
