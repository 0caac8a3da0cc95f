"""Seeds a schema registry for a demo: `make run` calls it before the gateway starts.

The gateway only ever reads the registry (it never registers schemas). A demo's registry-backed
topics still need a subject to read, so for each topic with `value_schema = "registry"` this
registers `<config folder>/schemas/registry/<topic>-value.avsc` when the subject has no version
yet. A subject that already exists is left as it is: someone else owns it.

    python -m kafka_graphql.dev.demo_registry --config kafka-graphql.demo.toml
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

from kafka_graphql.settings import REGISTRY_SCHEMA, SchemaRegistrySettings, Settings, load_settings

CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"


def seed(settings: Settings, config_dir: Path) -> list[str]:
    """Registers what is missing; returns one line per registry topic saying what happened."""
    registry = settings.schema_registry
    report: list[str] = []
    for topic in settings.topics:
        if topic.value_schema != REGISTRY_SCHEMA or registry.url is None:
            continue
        subject = f"{topic.name}-value"
        if _has_versions(registry, subject):
            report.append(f"{subject}: already registered, left as it is")
            continue
        source = config_dir / "schemas" / "registry" / f"{subject}.avsc"
        if not source.exists():
            report.append(f"{subject}: missing, and there is no {source} to register")
            continue
        schema = json.dumps(json.loads(source.read_text(encoding="utf-8")))
        body = _call(
            registry,
            "POST",
            f"/subjects/{quote(subject, safe='')}/versions",
            {"schema": schema, "schemaType": "AVRO"},
        )
        schema_id = body.get("id") if isinstance(body, dict) else None
        report.append(f"{subject}: registered {source.name} as schema id {schema_id}")
    return report


def _has_versions(registry: SchemaRegistrySettings, subject: str) -> bool:
    try:
        versions = _call(registry, "GET", f"/subjects/{quote(subject, safe='')}/versions")
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return False
        raise
    return bool(versions)


def _call(
    registry: SchemaRegistrySettings, method: str, path: str, payload: object = None
) -> dict[str, object] | list[object]:
    assert registry.url is not None
    data = None if payload is None else json.dumps(payload).encode()
    # The settings only accept http(s) registry URLs, so no file: or custom scheme gets here.
    url = registry.url.rstrip("/") + path
    request = urllib.request.Request(url, data=data, method=method)  # noqa: S310
    request.add_header("Accept", CONTENT_TYPE)
    if data is not None:
        request.add_header("Content-Type", CONTENT_TYPE)
    if registry.username is not None:
        password = registry.password.get_secret_value() if registry.password else ""
        pair = f"{registry.username}:{password}".encode()
        request.add_header("Authorization", "Basic " + base64.b64encode(pair).decode())
    with urllib.request.urlopen(request, timeout=registry.request_timeout_s) as response:  # noqa: S310
        body: dict[str, object] | list[object] = json.loads(response.read())
        return body


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True)
    config = parser.parse_args().config
    try:
        for line in seed(load_settings(config), Path(config).parent):
            print(f"schema registry: {line}")
    except (OSError, urllib.error.URLError) as error:
        print(f"schema registry: cannot seed the demo subjects: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
