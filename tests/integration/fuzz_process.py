"""The fuzz tests' processes: the gateway in a process of its own (fuzz_gateway.py), and the
clients on an event loop of their own, in a thread, so that hypothesis can drive them from plain
functions and the bystanders keep reading between examples."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import threading
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
ROOT = Path(__file__).parents[2]


class ClientLoop:
    """An event loop in a thread of its own, for the clients."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T], timeout_s: float = 120) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout_s)

    def close(self) -> None:
        async def finish() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        self.run(finish())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()
        self.loop.close()


class GatewayProcess:
    """`python -m tests.integration.fuzz_gateway` with `raw` settings."""

    def __init__(self, raw: dict[str, Any], workdir: Path, base_dir: Path) -> None:
        self.settings_file = workdir / "settings.json"
        self.settings_file.write_text(json.dumps(raw))
        self.log_file = workdir / "gateway.log"
        self.base_dir = base_dir
        self.process: subprocess.Popen[bytes] | None = None
        self.base_url = ""

    @property
    def url(self) -> str:
        return f"{self.base_url}/graphql"

    def start(self) -> None:
        with self.log_file.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 (our own interpreter and module)
                [
                    sys.executable,
                    "-m",
                    "tests.integration.fuzz_gateway",
                    str(self.settings_file),
                    str(self.base_dir),
                ],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=log,
            )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()  # printed once started
        if not line.strip():
            self.stop()
            raise AssertionError(f"the gateway did not start:\n{self.log_tail()}")
        self.base_url = f"http://127.0.0.1:{int(line)}"

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        assert process.stdout is not None
        process.stdout.close()

    def restart(self) -> None:
        """After a freeze: SIGKILL (a frozen loop handles no SIGTERM), then a new process."""
        if self.process is not None:
            self.process.kill()
        self.stop()
        self.start()

    def log_tail(self, lines: int = 30) -> str:
        text = self.log_file.read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])
