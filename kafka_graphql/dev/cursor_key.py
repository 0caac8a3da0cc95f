"""The development cursor key under `.dev/` (`kafka-graphql cursor-key --dev`), which `make run`
and `make test` put in the variable the demo's `server.cursor_keys_env` names. Never for
production: whoever reads `.dev/` can forge cursors."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from kafka_graphql.core.cursor_keys import new_cursor_key

# The variable `make run` and `make test` fill from the development key (DEV_KEY_FILE).
DEV_CURSOR_KEYS_ENV = "KAFKA_GRAPHQL_DEV_CURSOR_KEYS"
DEV_KEY_FILE = Path(".dev") / "cursor.key"


def ensure_dev_cursor_key(file: Path = DEV_KEY_FILE) -> str:
    """The development key in `file`, made on first use (several processes at once: the first
    one written stays). Never for production: whoever reads `.dev/` can forge cursors."""
    file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not file.exists():
        temporary = file.parent / f".cursor.key.{uuid.uuid4().hex}"
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as out:
            out.write(new_cursor_key() + "\n")
        try:
            os.link(temporary, file)
        except FileExistsError:
            pass  # another process was first: its key is the one
        finally:
            temporary.unlink()
    return file.read_text().strip()
