"""The one settings object: its tables, and the checks that need more than one of them.

Each table checks its own keys (their types and bounds whenever it is made, the rest when the
configuration is loaded); what is checked here needs two tables or several `[[topics]]`
entries, so it runs once every table is valid.
"""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import Field, Strict, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from kafka_graphql.settings.auth import AuthSettings
from kafka_graphql.settings.field_rules import field_rule_problems
from kafka_graphql.settings.fields import loading, refuse
from kafka_graphql.settings.grpc import GrpcSettings
from kafka_graphql.settings.kafka import KafkaSettings
from kafka_graphql.settings.limits import LimitsSettings
from kafka_graphql.settings.logs import LoggingSettings
from kafka_graphql.settings.metrics import MetricsSettings
from kafka_graphql.settings.registry import SchemaRegistrySettings
from kafka_graphql.settings.rest import RestSettings
from kafka_graphql.settings.server import ServerSettings
from kafka_graphql.settings.topic_patterns import ShadowedTopic, check_topic_order
from kafka_graphql.settings.topics import REGISTRY_SCHEMA, TopicRule
from kafka_graphql.settings.tracing import TracingSettings

Loc = tuple[str | int, ...]

ENV_PREFIX = "KAFKA_GRAPHQL_"
ENV_NESTED_DELIMITER = "__"


class Settings(BaseSettings):
    """The gateway's configuration: a TOML file, then the environment (loading.py), each key
    also `KAFKA_GRAPHQL_<TABLE>__<KEY>` (environment.py)."""

    model_config = SettingsConfigDict(
        frozen=True,
        extra="forbid",
        strict=True,
        use_attribute_docstrings=True,
        env_prefix=ENV_PREFIX,
        env_nested_delimiter=ENV_NESTED_DELIMITER,
    )

    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    """the Kafka cluster and how to reach it"""
    server: ServerSettings = Field(default_factory=ServerSettings)
    """how the gateway serves HTTP and WebSocket clients"""
    limits: LimitsSettings = Field(default_factory=LimitsSettings)
    """what one caller, one operation and one connection may ask ([limits.md](limits.md))"""
    schema_registry: SchemaRegistrySettings = Field(default_factory=SchemaRegistrySettings)
    """a Confluent-compatible Schema Registry API, for typed topics"""
    logging: LoggingSettings = Field(default_factory=LoggingSettings)
    """the log lines and the audit log ([operations.md](operations.md#logs))"""
    rest: RestSettings = Field(default_factory=RestSettings)
    """the REST face: the Confluent REST Proxy API v2 beside the GraphQL API
    ([rest.md](rest.md))"""
    grpc: GrpcSettings = Field(default_factory=GrpcSettings)
    """the gRPC face: the KafkaGateway service on its own port ([grpc.md](grpc.md))"""
    tracing: TracingSettings = Field(default_factory=TracingSettings)
    """OpenTelemetry traces of operations, writes and deliveries, carried through Kafka in the
    records' headers ([operations.md](operations.md#traces))"""
    auth: AuthSettings | None = Field(
        None, json_schema_extra={"unset": "none: the gateway is open"}
    )
    """authentication and what anonymous callers get ([security.md](security.md)). Without it
    every caller may read and write every exposed topic (and start-up says so)"""
    metrics: MetricsSettings = Field(default_factory=MetricsSettings)
    """Prometheus metrics, on their own listener ([operations.md](operations.md#metrics))"""
    topics: Annotated[tuple[TopicRule, ...], Strict(False)] = ()
    """the exposed topics (nothing is exposed by default), with their scopes and record-level
    rules; typed topics in [typed-topics.md](typed-topics.md)"""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # `load_settings` reads the file and the environment it is given; `Settings(...)` is
        # what it is told, never os.environ read behind the caller's back.
        return (init_settings,)

    @model_validator(mode="after")
    def _check(self) -> Self:
        if loading() is not None:
            refuse("Settings", settings_problems(self))
        return self


def settings_problems(settings: Settings) -> list[tuple[Loc, str]]:
    """What needs more than one table, or several topics: (where, text with `{key}`)."""
    found: list[tuple[Loc, str]] = []
    if settings.limits.max_readers_per_principal > settings.kafka.max_readers:
        found.append(
            (
                (),
                "limits.max_readers_per_principal must not exceed kafka.max_readers: a caller "
                "could never hold that many",
            )
        )
    if settings.grpc.enabled and settings.server.workers > 1 and settings.grpc.port == 0:
        found.append(((), "server.workers > 1 needs a fixed grpc.port (not 0)"))
    if settings.server.is_production:
        found += [((), text) for text in production_problems(settings)]
    found += _topic_problems(settings)
    try:
        check_topic_order([t.name for t in settings.topics])
    except ShadowedTopic as error:
        found.append(((), str(error)))
    return found


def _topic_problems(settings: Settings) -> list[tuple[Loc, str]]:
    found: list[tuple[Loc, str]] = []
    has_auth = settings.auth is not None
    types: dict[str, int] = {}
    fields: dict[str, int] = {}
    for i, rule in enumerate(settings.topics):
        texts: list[str] = []
        if rule.value_schema == REGISTRY_SCHEMA and settings.schema_registry.url is None:
            texts.append(
                '{key}.value_schema = "registry" needs schema_registry.url '
                "(or KAFKA_GRAPHQL_SCHEMA_REGISTRY_URL)"
            )
        if rule.type is not None:
            if rule.type in types:
                texts.append(
                    f"{{key}}.type {rule.type!r} is already used by topics[{types[rule.type]}]"
                )
            if rule.root_field in fields:
                texts.append(
                    f"{{key}}.field {rule.root_field!r} is already used by "
                    f"topics[{fields[rule.root_field]}]"
                )
            types.setdefault(rule.type, i)
            fields.setdefault(rule.root_field, i)
        # Authorization without authentication would only look like protection.
        for name in ("read_scopes", "write_scopes", "records"):
            if getattr(rule, name) is not None and not has_auth:
                texts.append(f"{{key}}.{name} needs an [auth] table")
        texts += field_rule_problems(rule.field_scopes, rule.mask, rule.is_typed, has_auth)
        found += [(("topics", i), text) for text in texts]
    return found


def production_problems(settings: Settings) -> list[str]:
    """What `server.profile = "production"` asks of the rest of the configuration, beyond its
    safer defaults.

    A production gateway authenticates its callers: without `[auth]` anyone who reaches the
    port reads and writes every exposed topic. It also names the browser origins it trusts:
    with `"*"`, any web page a user opens could call the API, or open a WebSocket to it, from
    inside the user's network. Cursors sealed with a key of the process's own would not open
    after a restart, nor on another replica; and `"*"` hosts would answer a DNS-rebinding page.
    The demo page is a development tool.
    """
    found: list[str] = []
    if settings.auth is None:
        found.append(
            'server.profile "production" needs an [auth] table: without it every caller may '
            "read and write every exposed topic"
        )
    if "*" in settings.server.cors_allow_origins:
        found.append(
            'server.cors_allow_origins must list origins, not "*", when server.profile is '
            '"production"'
        )
    if settings.server.cursor_keys_env is None:
        found.append(
            'server.profile "production" needs server.cursor_keys_env: the environment '
            "variable holding the keys that seal cursors (make one with "
            "`kafka-graphql cursor-key`)"
        )
    if "*" in (settings.server.allowed_hosts or ()):
        found.append(
            'server.allowed_hosts must list names, not "*", when server.profile is "production"'
        )
    if settings.server.demo_page:
        found.append('server.demo_page is for development: server.profile "production" refuses it')
    return found
