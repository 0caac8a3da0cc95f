"""Prints what `make run` brings up: where GraphiQL is and a first thing to try."""

from __future__ import annotations

import argparse

from kafka_graphql.settings import load_settings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config")
    settings = load_settings(parser.parse_args().config)
    url = settings.server.url
    registry = settings.schema_registry.url
    typed = [t for t in settings.topics if t.type is not None]
    lines = [
        "",
        "  kafka-graphql is starting",
        f"    GraphiQL:         {url}",
        f"    Kafka:            {settings.kafka.bootstrap_servers}",
    ]
    if registry is not None:
        lines.append(f"    Schema registry:  {registry}")
    if typed:
        lines.append("    Typed topics:     " + ", ".join(f"{t.name} ({t.type})" for t in typed))
        lines += [
            "",
            "  Try the tour in README.md, or in GraphiQL:",
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


if __name__ == "__main__":
    main()
