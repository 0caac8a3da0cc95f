"""Prints what `make run` brings up: where GraphiQL is and a first thing to try."""

from __future__ import annotations

import argparse

from kafka_graphql.settings import load_settings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config")
    settings = load_settings(parser.parse_args().config)
    url = f"http://{settings.server.host}:{settings.server.port}/graphql"
    topic = next((t.name for t in settings.topics), "demo.orders")
    print(
        f"""
  kafka-graphql is starting
    GraphiQL:  {url}
    Kafka:     {settings.kafka.bootstrap_servers}

  Try, in one GraphiQL tab:   subscription {{ messages(topic: "{topic}") {{ offset key value }} }}
  and in another:             mutation {{ produce(topic: "{topic}", key: "k1",
                                          value: {{id: 1, total: 9.5}}) {{ partition offset }} }}
  Stop with Ctrl-C; `make kafka-down` stops the broker.
""",
        flush=True,
    )


if __name__ == "__main__":
    main()
