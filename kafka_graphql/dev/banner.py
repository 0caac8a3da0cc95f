"""Prints what `make run` brings up: where GraphiQL is, a development token when the
configuration trusts the development key, and a first thing to try."""

from __future__ import annotations

import argparse

from kafka_graphql.dev.dev_token import DEV_SCOPES, DEV_TOKEN_TTL_S, development_token
from kafka_graphql.dev.tokens import DevKey, ensure_dev_key, trusts
from kafka_graphql.settings import Settings, load_settings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config")
    # Before the settings: the demo's [auth] names the development key, which must exist.
    key = ensure_dev_key()
    args = parser.parse_args()
    settings = load_settings(args.config)
    url = settings.server.url
    registry = settings.schema_registry.url
    typed = [t for t in settings.topics if t.type is not None]
    lines = [
        "",
        "  kafka-graphql is starting",
        f"    GraphiQL:         {url}",
        f"    Kafka:            {settings.kafka.bootstrap_servers}",
    ]
    if settings.grpc.enabled:
        lines.append(f"    gRPC:             {settings.grpc.host}:{settings.grpc.port}")
    if settings.metrics.enabled:
        lines.append(f"    Metrics:          {settings.metrics.url}")
    if registry is not None:
        lines.append(f"    Schema registry:  {registry}")
    if typed:
        lines.append("    Typed topics:     " + ", ".join(f"{t.name} ({t.type})" for t in typed))
    lines += _token_lines(settings, key, url, args.config)
    if typed:
        lines += [
            "",
            "  Try the tour in README.md: GraphiQL opens on it"
            if settings.server.graphiql_tabs
            else "  Try the tour in README.md, or in GraphiQL:",
            f"    subscription {{ {typed[0].root_field} {{ offset key value {{ __typename }} }} }}",
        ]
    else:
        topic = next((t.name for t in settings.topics), "demo.events")
        lines += [
            "",
            "  Try, in GraphiQL:",
            f'    subscription {{ messages(topic: "{topic}") {{ offset value }} }}',
        ]
    lines += [
        "  Stop with Ctrl-C; `make kafka-down` and `make registry-down` stop the services.",
        "",
    ]
    print("\n".join(lines), flush=True)


def _token_lines(settings: Settings, key: DevKey, url: str, config: str | None) -> list[str]:
    auth = settings.auth
    if auth is None:
        return ["    Authentication:   none (no [auth] table: anyone may read and write)"]
    if not trusts(auth.public_key_file, auth.algorithms, key):
        return ["    Authentication:   bearer JWTs from your identity provider"]
    token = development_token(settings)
    if token is None:  # the production profile
        return ["    Authentication:   bearer JWTs (mint one with `kafka-graphql token`)"]
    base = url.removesuffix("/graphql")
    demo = f" and the demo page ({base}/demo)" if settings.server.demo_page else ""
    return [
        "",
        f"  Development token ({DEV_TOKEN_TTL_S // 3600} h; {' '.join(DEV_SCOPES)}):",
        "",
        f"    {token}",
        "",
        "  Two ways to use it:",
        f"    1. In the browser: GraphiQL{demo} start with it. Nothing to paste.",
        "    2. From curl or an app: put it in a variable, send it as a bearer token:",
        "         TOKEN=<the token above>",
        f'         curl {url} -H "Authorization: Bearer $TOKEN" \\',
        "           -H 'content-type: application/json' -d '{\"query\": \"{ topics { name } }\"}'",
        "  Other tokens: .venv/bin/kafka-graphql token"
        + (f" --config {config}" if config else "")
        + ' --sub you --scope "kafka:read:*" --ttl 1h',
    ]


if __name__ == "__main__":
    main()
