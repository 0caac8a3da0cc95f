"""The sinks' structured lines, written by the handler that writes every other line, through the
same renderer, but without a `logging` record: a record (made, then copied by structlog's
formatter, with the caller's frame looked up) costs ten times the line itself, and the operation
log writes one per operation.

Until logging is set up (setup.py; tests and embedders that never do), a line goes nowhere and
costs a dictionary look-up.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from structlog.typing import Processor

# The output of every logger not routed elsewhere.
EVERY_OTHER = ""


@dataclass(frozen=True, slots=True)
class Output:
    """A handler, and the processors that make an event into its line (the last renders)."""

    handler: logging.StreamHandler[TextIO]
    processors: Sequence[Processor]


# Logger name -> where its lines go (None: nowhere); set up by setup.py.
_outputs: dict[str, Output | None] = {}


def route(name: str, output: Output | None) -> None:
    """The lines of logger `name` (EVERY_OTHER: of every logger not routed) go to `output`."""
    _outputs[name] = output


def unroute() -> None:
    """Every line goes nowhere again."""
    _outputs.clear()


class Lines:
    """The structured lines of one logger, written at INFO while that logger is enabled for it
    (`logging.level`, or the logger's own level)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._logger = logging.getLogger(name)

    def enabled(self) -> bool:
        return self._output() is not None and self._logger.isEnabledFor(logging.INFO)

    def info(self, event: str, **fields: Any) -> None:
        output = self._output()
        if output is None or not self._logger.isEnabledFor(logging.INFO):
            return
        line: Any = {"event": event, **fields, "level": "info", "logger": self.name}
        for processor in output.processors:
            line = processor(self._logger, "info", line)
        handler = output.handler
        handler.acquire()
        try:
            stream = handler.stream
            stream.write(line + handler.terminator)
            # A line-buffered stream (standard error) wrote the line at its end of line already.
            if not getattr(stream, "line_buffering", False):
                stream.flush()
        except (OSError, ValueError):
            # As a logging handler: a line that cannot be written (a closed or broken stream)
            # is lost, and never fails what it was about.
            pass
        finally:
            handler.release()

    def _output(self) -> Output | None:
        if self.name in _outputs:
            return _outputs[self.name]
        return _outputs.get(EVERY_OTHER)
