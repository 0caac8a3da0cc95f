"""The `[logging]` table: how the gateway's log lines are written, and its audit log
([operations.md](operations.md#logs)). Named logs.py, not logging.py: it would shadow the
standard library's module for the package's own imports."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Self

from pydantic import Field, model_validator

from kafka_graphql.settings.fields import ConfigFile, OneOf, Table, loading, refuse

JSON = "json"
CONSOLE = "console"
LEVELS = ("debug", "info", "warning", "error")


class LoggingSettings(Table):
    """`[logging]`: the format and level of the log lines, and the audit log."""

    format: Annotated[str, OneOf((JSON, CONSOLE))] | None = Field(
        None, json_schema_extra={"unset": '`"json"` in production, else `"console"`'}
    )
    """`"json"`: one JSON object per line (for a log pipeline); `"console"`: aligned
    `key=value` lines for a terminal. Every line goes to standard error, the libraries' too
    (aiohttp, aiokafka)"""
    level: Annotated[str, OneOf(LEVELS)] = "info"
    """the least severe lines written; `"info"` writes one line per operation, per WebSocket
    connection and per subscription. aiokafka's own lines start at `"warning"` whatever this
    says"""
    audit: bool = False
    """write the audit log: one JSON line per security-relevant event (refused callers, writes,
    subscriptions, the configuration loaded), under the logger `kafka_graphql.audit`
    ([operations.md](operations.md#audit-log))"""
    audit_file: ConfigFile | None = Field(
        None, json_schema_extra={"unset": "none: with the other lines, on standard error"}
    )
    """append the audit log to this file instead (its folder must exist); needs
    `logging.audit = true`"""

    def format_for(self, production: bool) -> str:
        """The format the lines are written in, given the profile."""
        if self.format is not None:
            return self.format
        return JSON if production else CONSOLE

    @model_validator(mode="after")
    def _check(self) -> Self:
        if loading() is not None:
            refuse("LoggingSettings", [((), text) for text in logging_problems(self)])
        return self


def logging_problems(settings: LoggingSettings) -> list[str]:
    """What is wrong with `[logging]` beyond each key's type (`{key}`: `logging`)."""
    found: list[str] = []
    if settings.audit_file is not None:
        if not settings.audit:
            found.append("{key}.audit_file needs {key}.audit = true")
        folder = Path(settings.audit_file).parent
        if not folder.is_dir():
            found.append(f"{{key}}.audit_file: no such folder {folder}")
    return found
