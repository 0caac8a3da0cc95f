"""The one settings object: a TOML file plus environment overrides, validated once at start-up.

Every problem names the key that caused it, so a bad deployment fails before it serves anything.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kafka_graphql.auth.field_settings import validate_field_settings
from kafka_graphql.auth.settings import (
    AuthSettings,
    AuthSettingsError,
    resolve_auth,
    validate_auth,
)
from kafka_graphql.core.cursor_keys import CursorKeyError, validate_cursor_keys_env
from kafka_graphql.core.topic_patterns import ShadowedTopic, check_topic_order
from kafka_graphql.http.allowed_hosts import AllowedHostsError, allowed_hosts

# Re-exported: callers keep importing LimitsSettings from the one settings module.
from kafka_graphql.limits.settings import LimitsSettings as LimitsSettings
from kafka_graphql.limits.settings import LimitsSettingsError, validate_limits
from kafka_graphql.record_settings import RecordSettingsError, validate_record_rules
from kafka_graphql.server_settings import PRODUCTION as PRODUCTION
from kafka_graphql.server_settings import ServerSettings as ServerSettings
from kafka_graphql.topic_settings import (
    SchemaRegistrySettings,
    TopicSettingsError,
    resolve_schema_path,
    validate_schema_registry,
    validate_topic_scopes,
    validate_typed_topics,
)

# Re-exported: callers keep importing TopicRule from the one settings module.
from kafka_graphql.topic_settings import TopicRule as TopicRule
from kafka_graphql.transport_settings import (
    TransportSettingsError,
    resolve_kafka_paths,
    resolve_server_paths,
    validate_kafka_security,
    validate_server,
)

DEFAULT_CONFIG_FILE = "kafka-graphql.toml"


class SettingsError(ValueError):
    """Raised when the configuration cannot be used; the message names the offending key."""


@dataclass(frozen=True, slots=True)
class KafkaSettings:
    bootstrap_servers: str = "127.0.0.1:9092"
    client_id: str = "kafka-graphql"
    # Upper bound for any single call to Kafka (metadata, offsets, produce, a history read).
    request_timeout_s: float = 10.0
    # How long cluster metadata (topics, partitions) is trusted before it is fetched again; a
    # name it does not hold is answered NOT_FOUND from it (docs/limits.md#kafka-stays-protected).
    metadata_max_age_s: float = 30.0
    # How the gateway reaches Kafka (docs/security.md): PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL.
    security_protocol: str = "PLAINTEXT"
    # PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512; required by the SASL_* protocols.
    sasl_mechanism: str | None = None
    # The SASL credentials come from the environment only, so they never sit in a config file.
    sasl_username: str | None = field(default=None, repr=False)
    sasl_password: str | None = field(default=None, repr=False)
    # SSL and SASL_SSL: the CA that signed the brokers' certificates (default: the system's), and
    # a client certificate chain and its key for brokers that ask for one. PEM files.
    ssl_cafile: str | None = None
    ssl_certfile: str | None = None
    ssl_keyfile: str | None = None
    ssl_check_hostname: bool = True
    # Started readers kept between history pages (docs/operations.md); 0: a new one per page.
    reader_pool_size: int = 4
    # History readers (pages, catch-ups) open at once; beyond, a request waits up to
    # reader_wait_s in a queue of reader_queue_length, else LIMIT_EXCEEDED (docs/limits.md).
    max_readers: int = 32
    reader_queue_length: int = 64
    reader_wait_s: float = 5.0


@dataclass(frozen=True, slots=True)
class Settings:
    kafka: KafkaSettings = field(default_factory=KafkaSettings)
    server: ServerSettings = field(default_factory=ServerSettings)
    limits: LimitsSettings = field(default_factory=LimitsSettings)
    schema_registry: SchemaRegistrySettings = field(default_factory=SchemaRegistrySettings)
    # None: no authentication, every caller may read and write every exposed topic.
    auth: AuthSettings | None = None
    topics: tuple[TopicRule, ...] = ()


# Environment variable -> dotted key. Values are parsed with the key's declared type.
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
}
# Keys that only the environment may set: secrets never belong in a configuration file.
ENVIRONMENT_ONLY = {
    "schema_registry.username": "KAFKA_GRAPHQL_REGISTRY_USER",
    "schema_registry.password": "KAFKA_GRAPHQL_REGISTRY_PASSWORD",
    "kafka.sasl_username": "KAFKA_GRAPHQL_SASL_USERNAME",
    "kafka.sasl_password": "KAFKA_GRAPHQL_SASL_PASSWORD",
}


def load_settings(
    path: str | Path | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Load `path` (default `kafka-graphql.toml` if it exists), then apply the environment."""
    environ = os.environ if environ is None else environ
    raw: dict[str, Any] = {}
    base_dir: Path | None = None
    if path is None:
        path = environ.get("KAFKA_GRAPHQL_CONFIG", DEFAULT_CONFIG_FILE)
        if not Path(path).exists():
            path = None
    if path is not None:
        try:
            raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise SettingsError(f"configuration file {path} does not exist") from None
        except tomllib.TOMLDecodeError as error:
            raise SettingsError(f"configuration file {path} is not valid TOML: {error}") from None
        base_dir = Path(path).parent
    for key, variable in ENVIRONMENT_ONLY.items():
        section, name = key.split(".")
        table = raw.get(section)
        if isinstance(table, Mapping) and name in table:
            raise SettingsError(f"{key} must come from the environment ({variable}), not the file")
    for variable, key in ENVIRONMENT_OVERRIDES.items():
        if variable in environ:
            section, name = key.split(".")
            raw.setdefault(section, {})[name] = _from_environment(variable, key, environ[variable])
    return settings_from_mapping(raw, base_dir, environ)


def settings_from_mapping(
    raw: Mapping[str, Any], base_dir: Path | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Build and validate settings; relative schema and key paths resolve against `base_dir`
    (or cwd); the HS secret named by `auth.hs_secret_env` is read from `environ`."""
    auth = raw.get("auth")
    if isinstance(auth, Mapping) and "hs_secret" in auth:
        raise SettingsError("unknown configuration key auth.hs_secret (see auth.hs_secret_env)")
    settings: Settings = _build(Settings, raw, "")
    settings = dataclasses.replace(
        settings,
        topics=tuple(resolve_schema_path(t, base_dir) for t in settings.topics),
        server=resolve_server_paths(settings.server, base_dir),
        kafka=resolve_kafka_paths(settings.kafka, base_dir),
        auth=None
        if settings.auth is None
        else resolve_auth(settings.auth, base_dir, os.environ if environ is None else environ),
    )
    _validate(settings)
    return settings


def _from_environment(variable: str, key: str, text: str) -> object:
    section, name = key.split(".")
    section_type = typing.get_type_hints(Settings)[section]
    wanted = typing.get_type_hints(section_type)[name]
    if typing.get_origin(wanted) in (typing.Union, types.UnionType):
        wanted = next(t for t in typing.get_args(wanted) if t is not type(None))
    if wanted is bool:
        if text.lower() in {"1", "true", "yes", "on"}:
            return True
        if text.lower() in {"0", "false", "no", "off"}:
            return False
        raise SettingsError(f"{variable} ({key}) must be true or false, got {text!r}")
    if wanted is int:
        try:
            return int(text)
        except ValueError:
            raise SettingsError(f"{variable} ({key}) must be an integer, got {text!r}") from None
    return text


def _build(cls: type[Any], raw: object, prefix: str) -> Any:
    if not isinstance(raw, Mapping):
        raise SettingsError(f"{prefix.rstrip('.') or 'configuration'} must be a table")
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise SettingsError(f"unknown configuration key {prefix}{unknown[0]}")
    values: dict[str, Any] = {}
    for name, value in raw.items():
        values[name] = _coerce(hints[name], value, f"{prefix}{name}")
    return cls(**values)


def _coerce(wanted: Any, value: object, key: str) -> Any:
    if dataclasses.is_dataclass(wanted):
        return _build(typing.cast("type[Any]", wanted), value, f"{key}.")
    origin = typing.get_origin(wanted)
    if origin in (dict, Mapping):
        if not isinstance(value, Mapping):
            raise SettingsError(f"{key} must be a table")
        item_type = typing.get_args(wanted)[1]
        if item_type not in (int, str):
            return {name: _coerce(item_type, item, f"{key}.{name}") for name, item in value.items()}
        for name, item in value.items():
            if item_type is int and (isinstance(item, bool) or not isinstance(item, int)):
                raise SettingsError(f'{key}."{name}" must be an integer, got {item!r}')
            if item_type is str and not isinstance(item, str):
                raise SettingsError(f"{key}.{name} must be a string, got {item!r}")
        return dict(value)
    if origin is tuple:
        (item_type, _ellipsis) = typing.get_args(wanted)
        if not isinstance(value, list):
            raise SettingsError(f"{key} must be an array")
        return tuple(_coerce(item_type, item, f"{key}[{i}]") for i, item in enumerate(value))
    if origin in (typing.Union, types.UnionType):
        options = [t for t in typing.get_args(wanted) if t is not type(None)]
        return _coerce(options[0], value, key)
    if wanted is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if wanted is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise SettingsError(f"{key} must be an integer, got {value!r}")
    if not isinstance(value, wanted):
        raise SettingsError(f"{key} must be of type {wanted.__name__}, got {value!r}")
    return value


def _validate(settings: Settings) -> None:
    if not settings.kafka.bootstrap_servers.strip():
        raise SettingsError("kafka.bootstrap_servers must not be empty")
    if not 0 < settings.kafka.request_timeout_s <= 300:
        raise SettingsError("kafka.request_timeout_s must be in (0, 300]")
    if settings.kafka.metadata_max_age_s < 0:
        raise SettingsError("kafka.metadata_max_age_s must not be negative")
    if not 0 <= settings.kafka.reader_pool_size <= 64:
        raise SettingsError("kafka.reader_pool_size must be in 0..64")
    _validate_readers(settings)
    if not 0 <= settings.server.port <= 65535:
        raise SettingsError(f"server.port must be in 0..65535, got {settings.server.port}")
    if not 0 < settings.server.loop_stall_warning_s <= 60:
        raise SettingsError("server.loop_stall_warning_s must be in (0, 60]")
    if settings.server.document_cache_tokens < 0:
        raise SettingsError("server.document_cache_tokens must not be negative")
    if not 1 <= settings.server.workers <= 256:
        raise SettingsError(f"server.workers must be in 1..256, got {settings.server.workers}")
    if settings.server.workers > 1 and settings.server.port == 0:
        raise SettingsError("server.workers > 1 needs a fixed server.port (not 0)")
    try:
        validate_server(settings.server)
        validate_kafka_security(settings.kafka)
        validate_cursor_keys_env(settings.server)
        allowed_hosts(settings.server)
    except (TransportSettingsError, CursorKeyError, AllowedHostsError) as error:
        raise SettingsError(str(error)) from None
    if settings.server.is_production:
        production_requirements(settings)
    try:
        validate_limits(settings.limits)
    except LimitsSettingsError as error:
        raise SettingsError(str(error)) from None
    for i, rule in enumerate(settings.topics):
        if not rule.name:
            raise SettingsError(f"topics[{i}].name must not be empty")
        if rule.partitions is not None:
            if any(c in rule.name for c in "*?["):
                raise SettingsError(f"topics[{i}].partitions needs an exact name, not a pattern")
            if rule.partitions <= 0:
                raise SettingsError(f"topics[{i}].partitions must be positive")
    try:
        check_topic_order([t.name for t in settings.topics])
    except ShadowedTopic as error:
        raise SettingsError(str(error)) from None
    try:
        validate_schema_registry(settings.schema_registry)
        validate_typed_topics(settings.topics, settings.schema_registry)
        validate_topic_scopes(settings.topics, settings.auth is not None)
        validate_record_rules((t.records for t in settings.topics), settings.auth is not None)
        validate_field_settings(settings.topics, settings.auth)
        if settings.auth is not None:
            validate_auth(settings.auth)
    except (TopicSettingsError, AuthSettingsError, RecordSettingsError) as error:
        raise SettingsError(str(error)) from None


def _validate_readers(settings: Settings) -> None:
    kafka = settings.kafka
    if not 1 <= kafka.max_readers <= 1024:
        raise SettingsError("kafka.max_readers must be in 1..1024")
    if kafka.reader_pool_size > kafka.max_readers:
        raise SettingsError("kafka.reader_pool_size must not exceed kafka.max_readers")
    if not 0 <= kafka.reader_queue_length <= 100_000:
        raise SettingsError("kafka.reader_queue_length must be in 0..100000")
    if not 0 < kafka.reader_wait_s <= 300:
        raise SettingsError("kafka.reader_wait_s must be in (0, 300]")
    if settings.limits.max_readers_per_principal > kafka.max_readers:
        raise SettingsError(
            "limits.max_readers_per_principal must not exceed kafka.max_readers: a caller "
            "could never hold that many"
        )


def production_requirements(settings: Settings) -> None:
    """What `server.profile = "production"` asks of the rest of the configuration, beyond its
    safer defaults; raises SettingsError naming the key.

    A production gateway authenticates its callers: without `[auth]` anyone who reaches the
    port reads and writes every exposed topic. It also names the browser origins it trusts:
    with `"*"`, any web page a user opens could call the API, or open a WebSocket to it, from
    inside the user's network.
    """
    if settings.auth is None:
        raise SettingsError(
            'server.profile "production" needs an [auth] table: without it every caller may read '
            "and write every exposed topic"
        )
    if "*" in settings.server.cors_allow_origins:
        raise SettingsError(
            'server.cors_allow_origins must list origins, not "*", when server.profile is '
            '"production"'
        )
    # Cursors sealed with a key of the process's own would not open after a restart, nor on
    # another replica; and "*" would answer a DNS-rebinding page (allowed_hosts.py).
    if settings.server.cursor_keys_env is None:
        raise SettingsError(
            'server.profile "production" needs server.cursor_keys_env: the environment '
            "variable holding the keys that seal cursors (make one with "
            "`kafka-graphql cursor-key`)"
        )
    if "*" in (settings.server.allowed_hosts or ()):
        raise SettingsError(
            'server.allowed_hosts must list names, not "*", when server.profile is "production"'
        )
