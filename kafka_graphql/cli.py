"""The `kafka-graphql` command: serve the API (the default), print its SDL, check a
configuration, mint a development token, or print a new cursor key."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import ssl
import sys
from collections.abc import Sequence
from pathlib import Path

from aiohttp import web

from kafka_graphql.check_config import check_config
from kafka_graphql.core.auth.field_rules import FieldRules
from kafka_graphql.core.cursor import CursorSealer
from kafka_graphql.core.cursor_keys import CursorKeyError, cursor_sealer, new_cursor_key
from kafka_graphql.core.errors import GatewayError
from kafka_graphql.core.typed.records import TypedRecords
from kafka_graphql.core.typed.startup import StartupFailed
from kafka_graphql.dev.cursor_key import ensure_dev_cursor_key
from kafka_graphql.dev.tokens import DevTokenError, token_for_config
from kafka_graphql.graphql.app import check_cost_weights
from kafka_graphql.graphql.schema import build_schema
from kafka_graphql.graphql.schema.typed import NameClash
from kafka_graphql.grpc import GrpcBindError
from kafka_graphql.observability.logs.audit import audit_configuration
from kafka_graphql.observability.logs.setup import configure_logging
from kafka_graphql.observability.metrics import WorkerMetrics
from kafka_graphql.runtime.event_loop import new_event_loop
from kafka_graphql.runtime.signals import stop_once_on_signals
from kafka_graphql.runtime.workers import supervise
from kafka_graphql.schema_registry.typed_topics import typed_topics
from kafka_graphql.server import create_app
from kafka_graphql.settings import Settings, SettingsError, load_settings
from kafka_graphql.settings.loading import config_file
from kafka_graphql.settings.tls import TLSFileError, server_ssl_context

log = logging.getLogger("kafka_graphql")


async def schema_sdl(settings: Settings) -> str:
    """The SDL the gateway would serve with these settings (typed topics included; Kafka is
    not needed, the schema registry is when a typed topic's schema lives there)."""
    async with typed_topics(settings) as typed:
        rules = FieldRules.configured(settings.auth, typed.values())
        typed_records = [TypedRecords(topic, rules) for topic in typed.values()]
        schema = build_schema(settings.limits, typed_records, settings.server, rules)
        check_cost_weights(schema)
        return schema.as_str()


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    config_help = "TOML settings file (default: kafka-graphql.toml)"
    parser = argparse.ArgumentParser(prog="kafka-graphql", description=__doc__)
    parser.add_argument("--config", help=config_help)
    # After the command too; SUPPRESS keeps a --config given before the command.
    config = argparse.ArgumentParser(add_help=False)
    config.add_argument("--config", default=argparse.SUPPRESS, help=config_help)
    commands = parser.add_subparsers(
        dest="command", metavar="{serve,schema,check-config,token,cursor-key}"
    )
    commands.add_parser("serve", parents=[config], help="serve the API (the default)")
    commands.add_parser(
        "check-config",
        parents=[config],
        help="validate the configuration, connect to its broker and registry, print what "
        "would be exposed; exit 1 with every problem",
    )
    commands.add_parser(
        "schema", parents=[config], help="print the SDL (for GraphQL codegen) and exit"
    )
    token = commands.add_parser(
        "token",
        parents=[config],
        help="print a development token signed with the key under .dev/ (made on first use)",
    )
    token.add_argument("--sub", default="dev", help="the token's subject (default: dev)")
    token.add_argument(
        "--scope", action="append", default=[], help='scopes, e.g. "kafka:read:* kafka:admin"'
    )
    token.add_argument("--ttl", default="1h", help="lifetime: 90s, 30m, 1h, 2d (default: 1h)")
    token.add_argument("--claim", action="append", default=[], help="another claim: name=value")
    cursor_key = commands.add_parser(
        "cursor-key",
        help="print a new key for server.cursor_keys_env (32 random bytes, URL-safe base64)",
    )
    cursor_key.add_argument(
        "--dev",
        action="store_true",
        help="print the development key under .dev/ instead (made on first use)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = _arguments(argv)
    if args.command == "token":
        try:
            print(token_for_config(args.config, args.sub, args.scope, args.ttl, args.claim))
        except (DevTokenError, SettingsError) as error:
            sys.exit(f"kafka-graphql token: {error}")
        return
    if args.command == "check-config":
        sys.exit(check_config(args.config, schema_sdl))
    if args.command == "cursor-key":
        print(ensure_dev_cursor_key() if args.dev else new_cursor_key())
        return
    try:
        settings = load_settings(args.config)
        tls = server_ssl_context(settings.server.tls_cert_file, settings.server.tls_key_file)
    except (SettingsError, TLSFileError) as error:
        sys.exit(f"kafka-graphql: invalid configuration: {error}")
    if args.command == "schema":
        try:
            print(asyncio.run(schema_sdl(settings)))
        except (GatewayError, StartupFailed, NameClash) as error:
            sys.exit(f"kafka-graphql: cannot build the schema: {error}")
        return
    _start_logging(settings)
    try:
        # Before the workers start: without configured keys, they share the one made here.
        cursors = cursor_sealer(settings.server, os.environ)
    except CursorKeyError as error:
        sys.exit(f"kafka-graphql: invalid configuration: {error}")
    source = config_file(args.config, os.environ)
    audit_configuration(settings, str(source) if source is not None else None)
    log.info(
        "%s: %s (Kafka at %s, %s)",
        "GraphiQL" if settings.server.serves_graphiql else "GraphQL",
        settings.server.url,
        settings.kafka.bootstrap_servers,
        settings.kafka.security_protocol,
    )
    workers = settings.server.workers
    if workers == 1:
        problem = _serve(settings, tls, cursors, reuse_port=False)
        if problem:
            sys.exit(problem)
        return
    sys.exit(_supervise(settings, tls, cursors))


def _supervise(settings: Settings, tls: ssl.SSLContext | None, cursors: CursorSealer) -> int:
    """`server.workers` > 1; with metrics on, the supervisor serves every worker's, merged."""
    federation = WorkerMetrics(settings.metrics) if settings.metrics.enabled else None

    def serve() -> None:
        socket = federation.socket_of(os.getpid()) if federation is not None else None
        sys.exit(_serve(settings, tls, cursors, reuse_port=True, metrics_socket=socket))

    try:
        return supervise(
            settings.server.workers,
            serve,
            settings.server.shutdown_grace_s,
            started=federation.start if federation is not None else None,
        )
    finally:
        if federation is not None:
            federation.close()


def _start_logging(settings: Settings) -> None:
    """Once, as soon as the settings are known: every line from here on in their format."""
    try:
        configure_logging(settings.logging, production=settings.server.is_production)
    except OSError as error:
        sys.exit(
            f"kafka-graphql: cannot append to logging.audit_file {settings.logging.audit_file}: "
            f"{error.strerror or error}"
        )


def _serve(
    settings: Settings,
    tls: ssl.SSLContext | None,
    cursors: CursorSealer,
    *,
    reuse_port: bool,
    metrics_socket: Path | None = None,
) -> str | None:
    """Serve until SIGTERM/SIGINT; what to exit with (None: all went well)."""
    loop = new_event_loop(settings.server.event_loop)
    if reuse_port:
        # A worker: stop once, however many stop signals arrive (runtime/signals.py).
        stop_once_on_signals(loop)
    try:
        web.run_app(
            create_app(
                settings, cursors=cursors, metrics_socket=metrics_socket, tunes_collector=True
            ),
            host=settings.server.host,
            port=settings.server.port,
            ssl_context=tls,
            print=None,
            shutdown_timeout=settings.server.shutdown_grace_s,
            reuse_port=reuse_port or None,
            handle_signals=not reuse_port,
            loop=loop,
        )
    except (GatewayError, StartupFailed, GrpcBindError) as error:
        return f"kafka-graphql: cannot start: {error}"
    return None


if __name__ == "__main__":
    main()
