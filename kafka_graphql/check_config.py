"""`kafka-graphql check-config --config FILE`: would the gateway start with this configuration,
and what would it expose? It loads and validates the settings, connects to the broker and the
schema registry they name, builds the schema, and prints the topics, typed APIs, scopes, rules
and limits. Exit 0 when the gateway would start; otherwise every problem, each with its key,
and exit 1."""

from __future__ import annotations

import asyncio
import fnmatch
import os
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from kafka_graphql.core.cursor_keys import CursorKeyError, cursor_sealer
from kafka_graphql.core.errors import GatewayError
from kafka_graphql.core.typed.startup import StartupFailed
from kafka_graphql.kafka import KafkaGateway
from kafka_graphql.settings import Settings, SettingsError, load_settings
from kafka_graphql.settings.tls import TLSFileError, server_ssl_context
from kafka_graphql.settings.topics import TopicRule

SchemaBuilder = Callable[[Settings], Coroutine[Any, Any, str]]


def check_config(config: str | None, schema: SchemaBuilder) -> int:
    """Prints the report; the exit status. `schema` builds the SDL (cli.py's `schema_sdl`)."""
    try:
        settings = load_settings(config)
    except SettingsError as error:
        return _failed([str(p) for p in error.problems])
    problems = _offline_problems(settings)
    names, kafka_problem = asyncio.run(_broker(settings))
    if kafka_problem:
        problems.append(kafka_problem)
    try:
        asyncio.run(schema(settings))
    except (GatewayError, StartupFailed, ValueError) as error:
        problems.append(f"topics / schema_registry: the schema cannot be built: {error}")
    if problems:
        return _failed(problems)
    print("\n".join(_exposure(settings, names)))
    return 0


def _failed(problems: Sequence[str]) -> int:
    print(f"kafka-graphql check-config: {len(problems)} problem(s); the gateway would not start:")
    for problem in problems:
        print(f"  {problem}")
    return 1


def _offline_problems(settings: Settings) -> list[str]:
    found = []
    server = settings.server
    try:
        server_ssl_context(server.tls_cert_file, server.tls_key_file)
    except TLSFileError as error:
        found.append(f"server.tls_cert_file: {error}")
    try:
        cursor_sealer(server, os.environ)
    except CursorKeyError as error:
        found.append(str(error))  # it names server.cursor_keys_env
    return found


async def _broker(settings: Settings) -> tuple[Sequence[str], str | None]:
    """The broker's topic names, or why it cannot be reached."""
    kafka = KafkaGateway(settings.kafka)
    try:
        await asyncio.wait_for(kafka.start(), settings.kafka.request_timeout_s)
        return await kafka.topic_names(), None
    except (GatewayError, OSError, TimeoutError) as error:
        where = settings.kafka.bootstrap_servers
        return (
            (),
            f"kafka.bootstrap_servers: cannot reach the broker at {where}: {error or 'timeout'}",
        )
    finally:
        await kafka.close()


def _exposure(settings: Settings, names: Sequence[str]) -> list[str]:
    kafka = settings.kafka
    lines = [
        "kafka-graphql check-config: the gateway would start.",
        f"Kafka: {kafka.bootstrap_servers} ({kafka.security_protocol}), {len(names)} topics",
    ]
    if settings.schema_registry.url is not None:
        lines.append(f"Schema registry: {settings.schema_registry.url}")
    lines.append(f"Server: {settings.server.url} (profile {settings.server.profile})")
    lines.append(f"Topics exposed ({len(settings.topics)} entries):")
    for rule in settings.topics:
        lines += _topic_lines(rule, names, settings.auth is not None)
    lines.append("Authentication: " + _auth_line(settings))
    limits = settings.limits.model_dump()
    lines.append("Limits: " + ", ".join(f"{key}={value}" for key, value in limits.items()))
    return lines


def _topic_lines(rule: TopicRule, names: Sequence[str], auth: bool) -> list[str]:
    if rule.is_pattern:
        matched = fnmatch.filter(names, rule.name)
        state = f"pattern, {len(matched)} topic(s) match now"
    elif rule.name in names:
        state = "exists"
    else:
        state = "created at start-up" if rule.partitions else "MISSING (answered NOT_FOUND)"
    lines = [f"  {rule.name}: {state}"]
    if rule.type is not None:
        field, kind = rule.root_field, rule.type
        lines.append(
            f"    typed {kind} ({rule.format}): query and subscription `{field}`, "
            f"mutations `produce{kind}`, `produce{kind}s`"
        )
    if auth:
        read = " | ".join(rule.read_scopes) if rule.read_scopes is not None else None
        write = " | ".join(rule.write_scopes) if rule.write_scopes is not None else None
        lines.append(
            f"    scopes: read {read or f'kafka:read:{rule.name}'}, "
            f"write {write or f'kafka:write:{rule.name}'} (or kafka:admin)"
        )
    if rule.records is not None:
        where = f"header {rule.records.header}" if rule.records.header else rule.records.value
        lines.append(f"    records: only those whose {where} equals the claim {rule.records.claim}")
    for path, scopes in rule.field_scopes.items():
        lines.append(f"    field {path}: needs {' | '.join(scopes)}")
    for path, scope in rule.mask.items():
        lines.append(f"    mask {path}: null without {scope}")
    return lines


def _auth_line(settings: Settings) -> str:
    auth = settings.auth
    if auth is None:
        return "none (no [auth]: anyone who reaches the gateway may read and write)"
    keys = auth.jwks_url or auth.public_key_file or "a JWKS file"
    required = "required" if auth.required else f"optional (anonymous: {auth.anonymous_scopes})"
    return f"bearer JWTs from {auth.issuer} for {auth.audience}, keys {keys}, {required}"
