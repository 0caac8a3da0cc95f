"""The gRPC face from a real client in another language: Node's @grpc/grpc-js with
@grpc/proto-loader loading the repository's .proto (tests/js/grpc-client.mjs, installed by
`make test` with `npm ci`), sending and receiving on the real broker; what it wrote is what the
Python client reads."""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
from pathlib import Path

import pytest

from tests.grpc_client import bearer, offsets, pb, received, stub_of, target, with_grpc
from tests.integration.auth import auth_settings, key_files_fixture  # noqa: F401 (a fixture)
from tests.integration.conftest import TopicFactory, run_gateway
from tests.tokens import claims, rsa_pair

JS = Path(__file__).parents[1] / "js"
WAIT_S = 60  # the Node side also gives up by itself after 60 s
RSA = rsa_pair()


def node() -> str:
    executable = shutil.which("node")
    if executable is None or not (JS / "node_modules" / "@grpc" / "grpc-js").is_dir():
        pytest.fail("tests/js needs Node.js and its packages: run `make test` (npm ci)")
    return executable


async def test_node_client_sends_and_receives(
    bootstrap: str, key_files: tuple[Path, Path], new_topic: TopicFactory
) -> None:
    topic = await new_topic()
    token = RSA.sign(claims())
    async with run_gateway(with_grpc(auth_settings(bootstrap, key_files[0]))) as gateway:
        options = {"target": target(gateway), "token": token, "topic": topic}
        process = await asyncio.create_subprocess_exec(
            node(),
            str(JS / "grpc-client.mjs"),
            json.dumps(options),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), WAIT_S)
        sys.stderr.write(err.decode())
        assert process.returncode == 0, err.decode()
        seen = json.loads(out)
        async with stub_of(gateway) as stub:
            stream = stub.ReceiveMessages(
                pb.ReceiveMessagesRequest(topic=topic, from_offset=0), metadata=bearer(token)
            )
            python = await received(stream, 3)
            stream.cancel()
    assert seen["sent"]["offset"] == "0" and seen["batch"] == ["1", "2"]
    first = seen["streamed"][0]
    assert (first["key"], json.loads(first["json"])) == ("node-1", {"from": "node", "n": 1})
    assert first["headers"] == [["client", "grpc-js"]]
    assert [m["offset"] for m in seen["streamed"]] == ["0", "1", "2"]
    assert [m["offset"] for m in seen["resumed"]] == ["2"]
    assert [m["cursor"] for m in seen["streamed"]] == [m.cursor for m in python]
    assert offsets(python) == [0, 1, 2] and python[0].key == b"node-1"
    assert topic in seen["topics"]
    assert seen["refused"] == {
        "code": 16,
        "details": "authentication is required: send a bearer token",
        "hasStatusDetails": True,
    }
