"""Loading the settings: a TOML file, then the environment, validated once at start-up.

Every problem names the key that caused it, and all of them are reported at once, so a bad
deployment fails before it serves anything and is fixed in one go.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from kafka_graphql.settings.environment import (
    CONFIG_VARIABLE,
    ENVIRONMENT_ONLY,
    environment_values,
    merged,
)
from kafka_graphql.settings.errors import SettingsError
from kafka_graphql.settings.fields import Loading, loading_with
from kafka_graphql.settings.model import Loc, Settings
from kafka_graphql.settings.problems import problems

DEFAULT_CONFIG_FILE = "kafka-graphql.toml"


def load_settings(
    path: str | Path | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Load `path` (default: `$KAFKA_GRAPHQL_CONFIG`, else `kafka-graphql.toml` if it exists),
    then apply the environment (default: os.environ)."""
    environ = os.environ if environ is None else environ
    path = config_file(path, environ)
    raw: dict[str, Any] = {}
    if path is not None:
        raw = _read(Path(path))
    found: list[str] = []
    for key, variable in ENVIRONMENT_ONLY.items():
        table, name = key.split(".")
        section = raw.get(table)
        if isinstance(section, dict) and name in section:
            found.append(f"{key} must come from the environment ({variable}), not the file")
            raw[table] = {k: v for k, v in section.items() if k != name}
    values, origins = environment_values(environ)
    base_dir = None if path is None else Path(path).parent
    return _validated(merged(raw, values), Loading(base_dir, environ), origins, found)


def config_file(path: str | Path | None, environ: Mapping[str, str]) -> str | Path | None:
    """The file `load_settings` reads: `path`, else `$KAFKA_GRAPHQL_CONFIG`, else
    `kafka-graphql.toml` if it exists (None: no file, the environment only)."""
    if path is not None:
        return path
    default = environ.get(CONFIG_VARIABLE, DEFAULT_CONFIG_FILE)
    return default if Path(default).exists() else None


def settings_from_mapping(
    raw: Mapping[str, Any], base_dir: Path | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Build and validate settings; relative file names resolve against `base_dir` (or the
    working directory); the HS secret named by `auth.hs_secret_env` is read from `environ`
    (default: os.environ)."""
    context = Loading(base_dir, os.environ if environ is None else environ)
    return _validated(raw, context, {}, [])


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SettingsError(f"configuration file {path} does not exist") from None
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"configuration file {path} is not valid TOML: {error}") from None


def _validated(
    raw: Mapping[str, Any], context: Loading, origins: Mapping[Loc, str], found: list[str]
) -> Settings:
    if not isinstance(raw, Mapping):
        raise SettingsError("configuration must be a table")
    try:
        with loading_with(context):
            settings = Settings.model_validate(raw)
    except ValidationError as error:
        raise SettingsError([*found, *problems(error, Settings, "", origins)]) from None
    if found:
        raise SettingsError(found)
    return settings
