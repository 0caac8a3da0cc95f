"""Apollo's persisted-query manifest (what `@apollo/generate-persisted-query-manifest` writes),
the file of `server.trusted_documents_file`: `{"format": "apollo-persisted-query-manifest",
"version": 1, "operations": [{"id", "body", "name", "type"}, ...]}`."""

from __future__ import annotations

import json
from pathlib import Path

FORMAT = "apollo-persisted-query-manifest"


class ManifestError(Exception):
    """A manifest that cannot be read, or is not one."""


def read_manifest(path: Path) -> dict[str, str]:
    """The manifest's documents by id."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ManifestError(f"cannot read {path}: {error.strerror}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ManifestError(f"{path} is not JSON: {error}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("version") != 1:
        raise ManifestError(f'{path} must be {{"format": "{FORMAT}", "version": 1, ...}}')
    operations = data.get("operations")
    if not isinstance(operations, list):
        raise ManifestError(f"{path} must hold a list of `operations`")
    documents: dict[str, str] = {}
    for index, operation in enumerate(operations):
        if not (
            isinstance(operation, dict)
            and isinstance(operation.get("id"), str)
            and operation["id"]
            and isinstance(operation.get("body"), str)
            and operation["body"]
        ):
            raise ManifestError(f"{path}: operations[{index}] needs an `id` and a `body`")
        documents[operation["id"]] = operation["body"]
    return documents
