"""The environment's part of the configuration.

Every key is `KAFKA_GRAPHQL_<TABLE>__<KEY>` (`KAFKA_GRAPHQL_SERVER__PORT=9000`; a table or an
array as JSON: `KAFKA_GRAPHQL_SERVER__CORS_ALLOW_ORIGINS='["https://app.example.com"]'`,
`KAFKA_GRAPHQL_TOPICS='[{"name": "orders"}]'`), read by pydantic-settings' own source. The
variables documented before it (`KAFKA_BOOTSTRAP_SERVERS`, `KAFKA_GRAPHQL_PORT`, ...) keep
working as aliases; where both name a key, `KAFKA_GRAPHQL_<TABLE>__<KEY>` wins.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import TypeAdapter, ValidationError
from pydantic_settings import EnvSettingsSource

from kafka_graphql.settings.model import ENV_NESTED_DELIMITER, ENV_PREFIX, Loc, Settings
from kafka_graphql.settings.problems import locate

# Alias -> the key it sets.
ENVIRONMENT_OVERRIDES: Mapping[str, str] = {
    "KAFKA_BOOTSTRAP_SERVERS": "kafka.bootstrap_servers",
    "KAFKA_GRAPHQL_KAFKA_CLIENT_ID": "kafka.client_id",
    "KAFKA_GRAPHQL_HOST": "server.host",
    "KAFKA_GRAPHQL_PORT": "server.port",
    "KAFKA_GRAPHQL_WORKERS": "server.workers",
    "KAFKA_GRAPHQL_GRAPHIQL": "server.graphiql",
    "KAFKA_GRAPHQL_SCHEMA_REGISTRY_URL": "schema_registry.url",
    "KAFKA_GRAPHQL_REGISTRY_USER": "schema_registry.username",
    "KAFKA_GRAPHQL_REGISTRY_PASSWORD": "schema_registry.password",
    "KAFKA_GRAPHQL_PROFILE": "server.profile",
    "KAFKA_GRAPHQL_SASL_USERNAME": "kafka.sasl_username",
    "KAFKA_GRAPHQL_SASL_PASSWORD": "kafka.sasl_password",
    "KAFKA_GRAPHQL_METRICS_PORT": "metrics.port",
    "KAFKA_GRAPHQL_GRPC_PORT": "grpc.port",
}
# Keys that only the environment may set: secrets never belong in a configuration file.
ENVIRONMENT_ONLY: Mapping[str, str] = {
    "schema_registry.username": "KAFKA_GRAPHQL_REGISTRY_USER",
    "schema_registry.password": "KAFKA_GRAPHQL_REGISTRY_PASSWORD",
    "kafka.sasl_username": "KAFKA_GRAPHQL_SASL_USERNAME",
    "kafka.sasl_password": "KAFKA_GRAPHQL_SASL_PASSWORD",
}
# The variable naming the configuration file, when `--config` is not given.
CONFIG_VARIABLE = "KAFKA_GRAPHQL_CONFIG"


def variable_of(key: str) -> str:
    """`server.port` -> `KAFKA_GRAPHQL_SERVER__PORT`."""
    return ENV_PREFIX + ENV_NESTED_DELIMITER.join(key.split(".")).upper()


def aliases_of(key: str) -> list[str]:
    return [variable for variable, target in ENVIRONMENT_OVERRIDES.items() if target == key]


class _Environment(EnvSettingsSource):
    """pydantic-settings' environment source, reading the mapping it is given."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        super().__init__(Settings)
        # Case-insensitive, as the source's own reading of os.environ is.
        self.env_vars = {name.lower(): value for name, value in environ.items()}


def environment_values(environ: Mapping[str, str]) -> tuple[dict[str, Any], dict[Loc, str]]:
    """The values the environment sets, and the variable behind each location it sets (so that
    a problem names it)."""
    values: dict[str, Any] = {}
    origins: dict[Loc, str] = {}
    for variable, key in ENVIRONMENT_OVERRIDES.items():
        if variable in environ:
            table, name = key.split(".")
            values.setdefault(table, {})[name] = _typed(table, name, environ[variable])
            origins[(table, name)] = variable
    for variable in environ:
        if variable.upper().startswith(ENV_PREFIX):
            rest = variable[len(ENV_PREFIX) :].lower().split(ENV_NESTED_DELIMITER)
            if rest[0] in Settings.model_fields:
                origins[tuple(rest)] = variable
    return merged(values, _Environment(environ)()), origins


def _typed(table: str, name: str, text: str) -> object:
    # What the canonical source does for a strict model: the text as the key's type, else the
    # text itself (which the validation then refuses, naming the variable).
    annotation = locate(Settings, (table, name)).annotation
    try:
        return TypeAdapter(annotation).validate_python(text)
    except ValidationError:
        return text


def merged(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """`base` with `override`'s values, tables merged key by key."""
    result = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(result.get(key), Mapping):
            result[key] = merged(result[key], value)
        else:
            result[key] = value
    return result
