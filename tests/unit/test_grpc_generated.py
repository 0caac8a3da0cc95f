"""The gRPC face's generated code (kafka_graphql/grpc/generated/) is what `make proto` makes of
proto/kafka_gateway/v1/gateway.proto with the pinned grpcio-tools and mypy-protobuf: committed,
and never out of step with the .proto."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]


def test_the_committed_code_is_the_protos() -> None:
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, str(ROOT / "scripts" / "grpc-generate.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
