"""Every start-up failure of typed topics, as `kafka-graphql schema` reports it: one line naming
the topic, the schema file, the place in it and the construct (or, for a name two things would
share, both topics and the name). The exact messages are kept in
tests/fixtures/sdl/startup-failures.txt (`UPDATE_SNAPSHOTS=1 make test-unit` rewrites it).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kafka_graphql.cli import main
from kafka_graphql.settings import ENVIRONMENT_OVERRIDES
from tests.unit.typed.helpers import SDL_SNAPSHOTS, check_snapshot
from tests.unit.typed.startup_cases import CASES, Case

CONFIG = "kafka-graphql.toml"


def failure(case: Case, folder: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The line `kafka-graphql schema --config kafka-graphql.toml` exits with, run in `folder`
    (so that paths in messages read as in the configuration)."""
    folder.mkdir(exist_ok=True)
    for path, text in case.files.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_text(text, encoding="utf-8")
    (folder / CONFIG).write_text(case.config, encoding="utf-8")
    monkeypatch.chdir(folder)
    for variable in ENVIRONMENT_OVERRIDES:
        monkeypatch.delenv(variable, raising=False)
    with pytest.raises(SystemExit) as exit_info:
        main(["schema", "--config", CONFIG])
    return str(exit_info.value)


@pytest.mark.parametrize("case", CASES, ids=[c.title for c in CASES])
def test_each_failure_is_one_line_naming_what_is_wrong(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    message = failure(case, tmp_path, monkeypatch)
    assert "\n" not in message
    assert message.startswith(
        ("kafka-graphql: cannot build the schema: ", "kafka-graphql: invalid configuration: ")
    )
    for name in case.names:
        assert name in message


def test_startup_failure_snapshot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = [
        "# Every way typed topics fail start-up, with the exact message of `kafka-graphql schema\n"
        f"# --config {CONFIG}` (`kafka-graphql serve` says `cannot start:` where it says `cannot\n"
        "# build the schema:`). Cases: tests/unit/typed/startup_cases.py.\n"
    ]
    for i, case in enumerate(CASES):
        message = failure(case, tmp_path / f"case{i}", monkeypatch)
        files = "".join(f"--- {path}\n{text}\n" for path, text in case.files.items())
        blocks.append(f"=== {case.title}\n--- {CONFIG}\n{case.config}{files}==> {message}\n")
    check_snapshot(SDL_SNAPSHOTS / "startup-failures.txt", "\n".join(blocks))
