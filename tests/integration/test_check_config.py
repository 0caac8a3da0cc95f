"""`kafka-graphql check-config`: the real command against the real broker and registry. A
configuration that would start is exit 0 with what it exposes; one that would not is exit 1 with
every problem, each naming its key."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from kafka_graphql.dev.tokens import ensure_dev_key
from tests.integration.typed import SCHEMAS

WAIT_S = 60


def check(config: Path, own_broker: bool = False) -> subprocess.CompletedProcess[str]:
    """`own_broker`: the configuration's broker, not the test run's (the variable wins)."""
    environ = dict(os.environ)
    if own_broker:
        environ.pop("KAFKA_BOOTSTRAP_SERVERS", None)
    return subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
        [sys.executable, "-m", "kafka_graphql", "check-config", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=WAIT_S,
        check=False,
        env=environ,
    )


def test_a_configuration_that_would_start_prints_what_it_exposes(
    bootstrap: str, tmp_path: Path
) -> None:
    config = tmp_path / "gateway.toml"
    config.write_text(
        f'[kafka]\nbootstrap_servers = "{bootstrap}"\n'
        '[auth]\nalgorithms = ["RS256"]\nissuer = "i"\naudience = "a"\n'
        f'public_key_file = "{ensure_dev_key(tmp_path).public_key_file}"\n'
        '[[topics]]\nname = "test-*"\nread_scopes = ["team:read"]\n'
        '[[topics]]\nname = "checked.orders"\npartitions = 1\ntype = "Order"\n'
        f'value_schema = "{SCHEMAS / "order.schema.json"}"\n'
        'mask = { "OrderCustomer.name" = "pii" }\n'
        "[limits]\nmax_query_cost = 777\n"
    )
    done = check(config)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "the gateway would start" in out
    assert "test-*: pattern" in out
    assert "checked.orders: " in out
    assert "typed Order (json): query and subscription `orders`" in out
    assert "scopes: read team:read, write kafka:write:test-*" in out
    assert "mask OrderCustomer.name: null without pii" in out
    assert "max_query_cost=777" in out


def test_every_problem_is_named_with_its_key(tmp_path: Path) -> None:
    invalid = tmp_path / "invalid.toml"
    invalid.write_text("[server]\nworkers = 0\n[limits]\nmax_page_size = 0\n")
    done = check(invalid)
    assert done.returncode == 1
    assert "server.workers" in done.stdout and "limits.max_page_size" in done.stdout
    unreachable = tmp_path / "unreachable.toml"
    unreachable.write_text(
        '[kafka]\nbootstrap_servers = "127.0.0.1:1"\nrequest_timeout_s = 5\n'
        '[server]\ncursor_keys_env = "CHECK_CONFIG_UNSET_KEYS"\n[[topics]]\nname = "x"\n'
    )
    done = check(unreachable, own_broker=True)
    assert done.returncode == 1
    assert "kafka.bootstrap_servers: cannot reach the broker at 127.0.0.1:1" in done.stdout
    assert "server.cursor_keys_env" in done.stdout
