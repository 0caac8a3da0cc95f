"""The `[server]` table: how the gateway serves HTTP and WebSocket clients, what its profile
implies, and the checks of its keys (docs/configuration.md, docs/security.md)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Annotated, Self

from pydantic import Field, Strict, model_validator

from kafka_graphql.settings.fields import ConfigFile, EnvName, OneOf, Table, loading, refuse
from kafka_graphql.settings.hosts import AllowedHostsError, allowed_hosts
from kafka_graphql.settings.manifest import ManifestError, read_manifest
from kafka_graphql.settings.origins import normalize_origin
from kafka_graphql.settings.tls import TLSFileError, server_ssl_context

PRODUCTION = "production"
PROFILES = ("development", PRODUCTION)
EVENT_LOOPS = ("auto", "uvloop", "asyncio")
PERSISTED_MODES = ("off", "apq", "trusted")


class ServerSettings(Table):
    """`[server]`: the listening socket, the profile and what it turns on, TLS, CORS, workers."""

    host: str = "127.0.0.1"
    """listen address (the Docker image sets `0.0.0.0`); an address that is not loopback needs
    `server.allowed_hosts`"""
    port: int = Field(8000, ge=0, le=65535)
    """listen port"""
    profile: Annotated[str, OneOf(PROFILES)] = "development"
    """production turns introspection, GraphiQL and field suggestions off unless the keys below
    turn them on, writes JSON log lines unless `logging.format` says otherwise, refuses
    `cors_allow_origins = ["*"]` and `allowed_hosts = ["*"]`, needs `[auth]` and
    `cursor_keys_env` ([security.md](security.md#production-profile))"""
    introspection: bool | None = Field(None, json_schema_extra={"unset": "the profile's"})
    """answer `__schema`/`__type` queries; when off they are refused with
    `GRAPHQL_VALIDATION_FAILED`"""
    graphiql: bool | None = Field(
        None, json_schema_extra={"unset": "follows `server.introspection`"}
    )
    """serve GraphiQL to browsers at `/graphql`; `true` needs introspection on"""
    field_suggestions: bool | None = Field(None, json_schema_extra={"unset": "the profile's"})
    """say "Did you mean ...?" in error messages, which names fields, types and values the caller
    didn't ask for"""
    graphiql_assets_dir: str = ".graphiql"
    """where `make run`/`make test` put GraphiQL's own files (`scripts/graphiql-assets.py`); when
    they are all there, the GraphiQL page loads them from `/graphiql-assets/` instead of a
    CDN"""
    graphiql_tabs: Annotated[tuple[ConfigFile, ...], Strict(False)] = ()
    """GraphQL documents (files) GraphiQL opens as tabs on a browser's first visit (the demo:
    the README tour's subscription and mutation)"""
    demo_page: bool = False
    """serve the demo page at `/demo`: the demo's `shop.orders` live, and a form that produces
    an order ([README](../README.md#the-demo-page)); refused by the production profile"""
    cors_allow_origins: Annotated[tuple[str, ...], Strict(False)] = ()
    """browser origins allowed to call the API from another site, written as browsers send them
    (`https://app.example.com`: scheme, host, port unless the default, no path), or `"*"`;
    the same list gates WebSocket upgrades that carry an `Origin` header (others get 403
    `FORBIDDEN`). Requests without `Origin` (servers, mobile apps) are not affected"""
    shutdown_grace_s: float = Field(5.0, ge=0, allow_inf_nan=False)
    """on SIGTERM, seconds open subscriptions get to complete before connections are closed"""
    tls_cert_file: ConfigFile | None = None
    """serve HTTPS and WSS: PEM certificate chain, leaf first (with `server.tls_key_file`; both or
    neither)"""
    tls_key_file: ConfigFile | None = None
    """the certificate's private key (PEM, unencrypted)"""
    batching: bool = False
    """accept batched HTTP requests (a JSON array of operations, Apollo's `BatchHttpLink`), at
    most `limits.max_batch_operations` each; each operation is priced and charged on its
    own ([limits.md](limits.md#structural-caps))"""
    document_cache_tokens: int = Field(50_000, ge=0)
    """parsed and validated documents kept for the next request that sends the same text, counted
    in GraphQL tokens (~450 bytes of memory each; every 200 characters of text count as one
    more); least recently used first out; `0` keeps none. What depends on the caller is
    checked on every request ([performance.md](performance.md#the-document-cache))"""
    persisted_documents: Annotated[str, OneOf(PERSISTED_MODES)] = "apq"
    """`"apq"`: Apollo's automatic persisted queries (a document's SHA-256 in
    `extensions.persistedQuery` stands for it once sent) beside documents sent whole;
    `"trusted"`: only the documents of `server.trusted_documents_file` run, every other one is
    refused with `PERSISTED_QUERY_NOT_FOUND` before it is parsed; `"off"`: hashes are answered
    `PERSISTED_QUERY_NOT_SUPPORTED` ([api.md](api.md#persisted-queries))"""
    apq_cache_size: int = Field(1000, ge=0)
    """documents kept by their hash for automatic persisted queries (each at most
    `limits.max_query_bytes`), least recently used first out; `0` keeps none"""
    trusted_documents_file: ConfigFile | None = None
    """the trusted documents, in Apollo's persisted-query manifest format
    (`{"format": "apollo-persisted-query-manifest", "version": 1, "operations": [{"id", "body",
    ...}]}`); required by `persisted_documents = "trusted"`; with `"apq"` its documents are
    known by their ids from the start"""
    event_loop: Annotated[str, OneOf(EVENT_LOOPS)] = "auto"
    """the event loop the gateway runs on: `"uvloop"`, `"asyncio"` (the standard library's), or
    `"auto"`: uvloop where it is installed (it is a dependency everywhere but Windows)
    ([performance.md](performance.md#event-loop-and-json))"""
    shared_subscriptions: bool = True
    """live subscribers of a topic with the same operation, variables and permission view share
    one execution and one encoding per record
    ([performance](performance.md#shared-subscription-execution)); `false` executes every
    event per subscriber"""
    websocket_compression: Annotated[str, OneOf(("on", "off"))] = "on"
    """`"on"`: negotiate permessage-deflate with WebSocket clients that offer it (browsers do) and
    compress the frames of at least `websocket_compression_min_bytes`; `"off"`: never
    negotiate it, so every frame goes out as it is
    ([operations.md](operations.md#websocket-compression))"""
    websocket_compression_min_bytes: int = Field(1024, ge=0)
    """with compression on, frames smaller than this (in bytes, before compression) are sent
    uncompressed, which RFC 7692 allows; `0` compresses every frame"""
    websocket_heartbeat_s: float = Field(20.0, gt=0, le=3600, allow_inf_nan=False)
    """seconds: a WebSocket idle this long is sent a ping, and closed with 1011 when its pong does
    not come back within as long again; SSE streams send a keep-alive comment and multipart
    streams a `{}` part this often (multipart: at least every 5 s), and a stream whose write
    stalls for two periods is closed ([operations.md](operations.md#heartbeats))"""
    workers: int = Field(1, ge=1, le=256)
    """processes serving the port (SO_REUSEPORT); more than 1 adds a supervisor process and needs
    a fixed `server.port`. Each worker is a whole gateway with its own budgets
    ([operations.md](operations.md#workers))"""
    cursor_keys_env: EnvName | None = None
    """the environment variable holding the keys that seal cursors: comma-separated, each 32
    random bytes in base64 (`kafka-graphql cursor-key` prints one); the first seals, all
    open (rotation). Required by the production profile; an unset or malformed variable
    stops start-up (it is read when the gateway starts, not by `kafka-graphql schema` or
    `token`). Without it, a key made at start-up (cursors do not survive a restart; a
    warning says so) ([security.md](security.md#sealed-cursors))"""
    allowed_hosts: Annotated[tuple[str, ...], Strict(False)] | None = Field(
        None, json_schema_extra={"unset": "the loopback names"}
    )
    """the `Host` names the gateway answers to (against DNS rebinding): host names, IP addresses,
    `*.example.com` (names under it), any port, any case; `["*"]` accepts any (refused by
    the production profile). Unset: `localhost`, `127.0.0.1`, `[::1]` and the address
    bound, when `server.host` is loopback; required otherwise. Any other `Host` gets 421
    with `BAD_REQUEST`, on every route (and WebSocket upgrade) but `/healthz` and `/readyz`
    ([security.md](security.md#dns-rebinding-serverallowed_hosts))"""
    public_url: str | None = Field(None, pattern=r"^https?://[^/?#\s]+(/[^?#\s]*)?$")
    """the gateway's address as its clients reach it (`https://kafka.example.com`, behind a
    proxy), for the addresses it hands out (the REST face's consumer `base_uri`); unset: the
    scheme and `Host` of each request"""
    loop_stall_warning_s: float = Field(0.1, gt=0, le=60, allow_inf_nan=False)
    """a stall of the event loop longer than this (every caller of the process waited) is logged
    as a warning, at most one line per 10 s
    ([operations.md](operations.md#the-event-loop-monitor))"""

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

    @model_validator(mode="after")
    def _check(self) -> Self:
        if loading() is not None:
            refuse("ServerSettings", [((), text) for text in server_problems(self)])
        return self


def server_problems(server: ServerSettings) -> list[str]:
    """What is wrong with `[server]` beyond each key's type and bounds (`{key}`: `server`)."""
    found: list[str] = []
    if server.workers > 1 and server.port == 0:
        found.append("{key}.workers > 1 needs a fixed {key}.port (not 0)")
    if server.event_loop == "uvloop" and importlib.util.find_spec("uvloop") is None:
        found.append(
            '{key}.event_loop = "uvloop" needs the uvloop package (there is none for Windows): '
            'install it, or set "auto" or "asyncio"'
        )
    for i, origin in enumerate(server.cors_allow_origins):
        # In the form browsers send in `Origin`, so that the CORS check can compare strings.
        usual = normalize_origin(origin)
        if origin != "*" and usual != origin:
            hint = f" (write {usual!r})" if usual else ""
            found.append(
                f'{{key}}.cors_allow_origins[{i}] must be "*" or an origin like '
                f"https://app.example.com (scheme, host, port unless the default, no path); "
                f"got {origin!r}{hint}"
            )
    if server.graphiql and not server.allows_introspection:
        found.append(
            "{key}.graphiql needs {key}.introspection = true (GraphiQL reads the schema by "
            "introspection)"
        )
    if server.persisted_documents == "trusted" and server.trusted_documents_file is None:
        found.append(
            '{key}.persisted_documents = "trusted" needs {key}.trusted_documents_file (the '
            "manifest of the documents that may run)"
        )
    elif server.trusted_documents_file is not None:
        try:
            read_manifest(Path(server.trusted_documents_file))
        except ManifestError as error:
            found.append(f"{{key}}.trusted_documents_file: {error}")
    for i, tab in enumerate(server.graphiql_tabs):
        if not Path(tab).is_file():
            found.append(f"{{key}}.graphiql_tabs[{i}]: no file {tab}")
    if bool(server.tls_cert_file) != bool(server.tls_key_file):
        found.append("{key}.tls_cert_file and {key}.tls_key_file must be set together")
    else:
        try:
            server_ssl_context(server.tls_cert_file, server.tls_key_file)
        except TLSFileError as error:
            found.append(str(error))
    try:
        allowed_hosts(server)
    except AllowedHostsError as error:
        found.append(str(error))
    return found
