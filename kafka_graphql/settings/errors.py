"""The one error of the settings: every problem of a configuration at once, each naming its key."""

from __future__ import annotations

from collections.abc import Sequence


class SettingsError(ValueError):
    """The configuration cannot be used. `problems` holds one line per problem, each naming the
    key at fault (`topics[2].records.claim is required: ...`); the message is that line when there
    is one, else all of them."""

    def __init__(self, problems: str | Sequence[str]) -> None:
        self.problems = (problems,) if isinstance(problems, str) else tuple(problems)
        if len(self.problems) == 1:
            message = self.problems[0]
        else:
            message = f"{len(self.problems)} problems:\n" + "\n".join(
                f"  {problem}" for problem in self.problems
            )
        super().__init__(message)
