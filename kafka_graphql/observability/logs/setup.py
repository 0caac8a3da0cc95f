"""Logging, set up once at start-up from `[logging]`: one handler on the root logger whose
formatter (structlog's ProcessorFormatter) renders every line, the sinks' and every library's,
as JSON or for a terminal; the audit log on its own handler, always JSON."""

from __future__ import annotations

import logging
import sys
from typing import TextIO

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

from kafka_graphql.observability.logs.processors import (
    EMITTING,
    FOREIGN,
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


class _Ours(logging.Handler):
    """Marks the handlers configure_logging adds, so that a second call replaces them (and
    leaves anyone else's alone: a test's capture)."""


class _OurStream(logging.StreamHandler[TextIO], _Ours):
    pass


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
    audit: logging.Handler | None = None
    if settings.audit:
        audit = _OurFile(settings.audit_file, encoding="utf-8") if settings.audit_file else None
        audit = audit or _OurStream(stream)
        audit.setFormatter(_audit_formatter())
    lines = _OurStream(stream)
    lines.setFormatter(_formatter(settings.format_for(production), stream.isatty()))
    root = logging.getLogger()
    _replace(root, lines)
    root.setLevel(level)
    # aiokafka's INFO lines are about its own connections and group life, several per stream.
    logging.getLogger("aiokafka").setLevel(max(level, logging.WARNING))
    # The operation lines replace aiohttp's access lines, which would also write the query
    # string of a GET: the document and its variables.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    audit_logger = logging.getLogger(AUDIT_LOGGER)
    audit_logger.propagate = False
    audit_logger.setLevel(logging.INFO if audit is not None else logging.CRITICAL + 1)
    _replace(audit_logger, audit)
    # For any structlog logger made the usual way (`structlog.get_logger()`): the same lines.
    structlog.configure(
        processors=list(EMITTING),
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def _replace(logger: logging.Logger, handler: logging.Handler | None) -> None:
    for old in [h for h in logger.handlers if isinstance(h, _Ours)]:
        logger.removeHandler(old)
        old.close()
    if handler is not None:
        logger.addHandler(handler)


def _formatter(format: str, colors: bool) -> logging.Formatter:
    processors: list[Processor]
    if format == JSON:
        processors = [
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            ordered(LINE_HEAD),
            json_renderer(),
        ]
    else:
        processors = [
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            console_renderer(colors),
        ]
    return structlog.stdlib.ProcessorFormatter(processors=processors, foreign_pre_chain=FOREIGN)


def _audit_formatter() -> logging.Formatter:
    def shape(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
        event_dict["type"] = event_dict.pop("event")
        event_dict.pop("level", None)
        return event_dict

    return structlog.stdlib.ProcessorFormatter(
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            shape,
            ordered(AUDIT_HEAD),
            json_renderer(),
        ],
        foreign_pre_chain=FOREIGN,
    )
