"""The `[server]` table: how the gateway serves HTTP and WebSocket clients (docs/configuration.md).

Loaded and validated with the rest of the settings (settings.py); here only its shape, defaults
and what the profile implies.
"""

from __future__ import annotations

from dataclasses import dataclass

PRODUCTION = "production"


@dataclass(frozen=True, slots=True)
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 8000
    # "development" or "production". Production turns introspection, GraphiQL and field
    # suggestions off unless their keys below turn them on.
    profile: str = "development"
    # None: what the profile says (see `serves_graphiql` and the two below).
    graphiql: bool | None = None
    introspection: bool | None = None
    field_suggestions: bool | None = None
    # GraphiQL's own files (fetched by `make run`/`make test`); when absent, it uses a CDN.
    graphiql_assets_dir: str = ".graphiql"
    # Browser origins allowed to call the API from other sites (CORS); "*" allows any.
    cors_allow_origins: tuple[str, ...] = ()
    # Seconds open subscriptions get to finish on SIGTERM before connections are closed.
    shutdown_grace_s: float = 5.0
    # Serve HTTPS and WSS: a PEM certificate chain and its private key (both or neither).
    tls_cert_file: str | None = None
    tls_key_file: str | None = None
    # Batched HTTP requests (a JSON array of operations, Apollo's BatchHttpLink), at most
    # `limits.max_batch_operations` each. Off: one operation per request.
    batching: bool = False
    # Parsed and validated documents kept for the next request that sends the same text, in
    # tokens (~450 bytes of memory each); 0 keeps none (docs/performance.md).
    document_cache_tokens: int = 50_000
    # "uvloop" (faster, docs/performance.md), "asyncio" (the standard library's), or "auto":
    # uvloop where it is installed (not on Windows).
    event_loop: str = "auto"
    # Live subscribers of one topic with the same operation and view share one execution and
    # one encoding per record (docs/performance.md#shared-subscription-execution).
    shared_subscriptions: bool = True
    # permessage-deflate: "on" (negotiated with clients that offer it) or "off". When on, frames
    # under websocket_compression_min_bytes are sent uncompressed (deflate costs CPU per frame).
    websocket_compression: str = "on"
    websocket_compression_min_bytes: int = 1024
    # Processes serving the port (SO_REUSEPORT), each a whole gateway with its own budgets
    # (docs/operations.md); more than 1 adds a supervisor process.
    workers: int = 1
    # What only this gateway can make or answer (docs/security.md): the environment variable
    # holding the keys that seal cursors (cursor_keys.py; required by the production profile),
    # and the Host header values served (allowed_hosts.py; None: the loopback names when bound
    # to loopback, required otherwise).
    cursor_keys_env: str | None = None
    allowed_hosts: tuple[str, ...] | None = None
    # A stall of the event loop longer than this (every caller of the process waits) is logged
    # as a warning (loop_monitor.py, docs/operations.md#the-event-loop-monitor).
    loop_stall_warning_s: float = 0.1

    @property
    def is_production(self) -> bool:
        return self.profile == PRODUCTION

    @property
    def allows_introspection(self) -> bool:
        return self.introspection if self.introspection is not None else not self.is_production

    @property
    def serves_graphiql(self) -> bool:
        # GraphiQL reads the schema by introspection: without it the page could do nothing.
        return self.graphiql if self.graphiql is not None else self.allows_introspection

    @property
    def shows_field_suggestions(self) -> bool:
        """Whether errors may say "Did you mean ...?", which names fields the caller didn't."""
        if self.field_suggestions is not None:
            return self.field_suggestions
        return not self.is_production

    @property
    def url(self) -> str:
        scheme = "https" if self.tls_cert_file else "http"
        return f"{scheme}://{self.host}:{self.port}/graphql"
