"""`server.workers > 1`: the supervisor serves the metrics of every worker as one gateway's.

Each worker serves its own figures on a Unix socket in a directory the supervisor made (named by
its pid), as JSON; the supervisor's listener (`metrics.host`:`metrics.port`, a thread beside its
signal loop) asks every worker at each scrape and merges their answers (merge.py). So a scrape
sees each worker's figures as of that moment (what its live subscriptions delivered, its feeds'
lag, its process figures), with nothing written to disk and no constraint on when
prometheus-client is imported. A worker that does not answer within `WORKER_TIMEOUT_S` is left
out of that scrape (and logged).
"""

from __future__ import annotations

import http.client
import logging
import shutil
import socket
import tempfile
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4, CollectorRegistry, Metric, generate_latest

from kafka_graphql.core.typed.startup import StartupFailed
from kafka_graphql.observability.metrics.listener import cannot_listen
from kafka_graphql.observability.metrics.merge import merged
from kafka_graphql.settings import MetricsSettings

log = logging.getLogger(__name__)

WORKER_TIMEOUT_S = 5.0


class WorkerMetrics:
    """The supervisor's side: the workers' socket directory, and the listener that merges them.
    `start()` once the workers are forked (it starts a thread); `close()` at exit."""

    def __init__(self, settings: MetricsSettings) -> None:
        self.settings = settings
        self.directory = Path(tempfile.mkdtemp(prefix="kafka-graphql-metrics-"))
        self.registry = CollectorRegistry()
        self.registry.register(_Workers(self.directory, settings.path))
        self._server: ThreadingHTTPServer | None = None
        self.url: str | None = None

    def socket_of(self, pid: int) -> Path:
        """Where the worker with this pid serves its figures."""
        return self.directory / f"{pid}.sock"

    def start(self) -> None:
        settings, registry = self.settings, self.registry

        class Scrape(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.partition("?")[0] != settings.path:
                    self.send_error(404)
                    return
                body = generate_latest(registry)
                self.send_response(200)
                self.send_header("Content-Type", CONTENT_TYPE_PLAIN_0_0_4)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass  # a scrape every few seconds is not news

        try:
            self._server = server = _server_class(settings.host, settings.port)(
                (settings.host, settings.port), Scrape
            )
        except OSError as error:
            raise StartupFailed(cannot_listen(settings, error)) from None
        host, port = server.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else host
        shown = f"[{host}]" if ":" in host else host
        self.url = f"http://{shown}:{port}{settings.path}"
        threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
        log.info("metrics of every worker: %s", self.url)

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        shutil.rmtree(self.directory, ignore_errors=True)


def _server_class(host: str, port: int) -> type[ThreadingHTTPServer]:
    family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]

    class Server(ThreadingHTTPServer):
        address_family = family
        daemon_threads = True

    return Server


class _Workers:
    """A collector: every worker's families, merged, asked for at each scrape."""

    def __init__(self, directory: Path, path: str) -> None:
        self._directory = directory
        self._path = path

    def collect(self) -> Iterable[Metric]:
        sockets = sorted(self._directory.glob("*.sock"))
        if not sockets:
            return []
        with ThreadPoolExecutor(len(sockets)) as pool:
            answers = list(pool.map(self._ask, sockets))
        return merged(answer for answer in answers if answer is not None)

    def _ask(self, path: Path) -> bytes | None:
        connection = _UnixConnection(path)
        try:
            connection.request("GET", self._path)
            response = connection.getresponse()
            body = response.read()
            if response.status != 200:
                raise OSError(f"HTTP {response.status}")
            return body
        except OSError as error:
            log.warning("worker metrics at %s left out of this scrape: %s", path, error)
            return None
        finally:
            connection.close()


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: Path) -> None:
        super().__init__("localhost", timeout=WORKER_TIMEOUT_S)
        self.unix_path = path

    def connect(self) -> None:
        unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        unix.settimeout(self.timeout)
        try:
            unix.connect(str(self.unix_path))
        except OSError:
            unix.close()
            raise
        self.sock = unix
