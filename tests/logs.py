"""Log lines as the gateway writes them: logging set up as the command sets it up at start-up
(kafka_graphql/observability/logs/setup.py), into a buffer, and put back as it was after."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import structlog

from kafka_graphql.observability.logs.setup import (
    AUDIT_LOGGER,
    LOGGERS,
    configure_logging,
    reset_logging,
)
from kafka_graphql.settings.logs import LoggingSettings

# ISO 8601, UTC, to the microsecond.
TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")


@dataclass
class Captured:
    stream: io.StringIO = field(default_factory=io.StringIO)

    def lines(self) -> list[str]:
        return self.stream.getvalue().splitlines()

    def json(self) -> list[dict[str, Any]]:
        """Every line, parsed (each must be a JSON object)."""
        return [json.loads(line) for line in self.lines()]

    def events(self, logger: str, event: str | None = None) -> list[dict[str, Any]]:
        """The JSON lines of `logger` (and of `event`, the `type` of an audit event), each
        without its `time` once that is checked."""
        key = "type" if logger == AUDIT_LOGGER else "event"
        found = []
        for line in self.json():
            if line.get("logger") == logger and (event is None or line.get(key) == event):
                assert TIME.fullmatch(line.pop("time")), line
                found.append(line)
        return found


@contextmanager
def captured_logs(
    settings: LoggingSettings | None = None, *, production: bool = False
) -> Iterator[Captured]:
    """Every line written while the block runs (JSON, from INFO on, the audit log on, by
    default)."""
    settings = settings or LoggingSettings(format="json", audit=True)
    saved = {
        name: (logger.level, logger.propagate)
        for name, logger in ((name, logging.getLogger(name)) for name in LOGGERS)
    }
    captured = Captured()
    configure_logging(settings, production=production, stream=captured.stream)
    try:
        yield captured
    finally:
        reset_logging()
        for name, (level, propagate) in saved.items():
            logger = logging.getLogger(name)
            logger.setLevel(level)
            logger.propagate = propagate
        structlog.reset_defaults()
