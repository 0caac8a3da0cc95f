"""The fuzz harness: the gateway in a process of its own (fuzz_gateway.py), the clients on an
event loop of their own (in a thread, so hypothesis can drive them from plain functions and the
bystanders keep reading between examples), and the properties every answer must have.

How many examples: `FUZZ_SCALE` times each test's own count (1 in `make test`; `make soak` sets
more; 0 replays only the pinned reproducers). With scale 1 the examples are derandomized (the
same ones on every run, no example database); above it each run draws new ones, and `FUZZ_SEED`
replays a run's draws.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote

import aiohttp
from hypothesis import HealthCheck, Phase, settings

from tests.integration.fuzz_documents import HTTP_GET, Operation
from tests.integration.fuzz_process import ClientLoop, GatewayProcess

T = TypeVar("T")

FUZZ_SCALE = int(os.environ.get("FUZZ_SCALE", "1"))
FUZZ_SEED = os.environ.get("FUZZ_SEED")
# The longest the gateway's event loop may go without running its probe (issue 14, point 2),
# in CPU time of the loop's thread: what the gateway did, not what a busy machine took from it.
STALL_LIMIT_MS = 100.0
# How much the gateway's resident memory may grow over a run, from the first quarter of its
# examples to the end (after a garbage collection). The caches that fill during a run are
# bounded by design well below it (documents: 50,000 tokens, ~22 MB; payloads per shared group;
# pooled readers); a per-example leak shows above it in `make soak`.
MEMORY_TOLERANCE_BYTES = 64 * 2**20
# An answer slower than this is a frozen worker; the gateway is restarted for the next example.
ANSWER_TIMEOUT_S = 15.0
# aiohttp's longest request line.
MAX_REQUEST_LINE = 8190


def fuzz_settings(examples: int) -> settings:
    seeded = FUZZ_SEED is not None
    # make test reports a failing example as found (shrinking one replays it many times, each
    # replay as slow as the failure); make soak shrinks it to a minimal one.
    # FUZZ_SCALE=0 replays the pinned reproducers only.
    phases = [Phase.explicit, Phase.reuse, Phase.generate] if FUZZ_SCALE else [Phase.explicit]
    return settings(
        phases=[*phases, Phase.shrink] if FUZZ_SCALE > 1 else phases,
        max_examples=max(1, examples * FUZZ_SCALE),
        derandomize=FUZZ_SCALE == 1 and not seeded,
        database=None,
        deadline=None,
        print_blob=True,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
            HealthCheck.filter_too_much,
        ],
    )


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    # Refused by aiohttp's HTTP parser before any request existed: a plain-text 400 is allowed.
    parser_refusal: bool = False

    def json(self) -> Any:
        return json.loads(self.body)


class Fuzzer:
    """One gateway process, the clients, and the checks."""

    def __init__(
        self,
        gateway: GatewayProcess,
        client: ClientLoop,
        token: str | None,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self.gateway = gateway
        self.client = client
        self.token = token
        self.session = session or client.run(_session())

    def with_token(self, token: str | None) -> Fuzzer:
        """Another caller on the same gateway (the same client session)."""
        return Fuzzer(self.gateway, self.client, token, self.session)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def close(self) -> None:
        self.client.run(self.session.close())

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self.client.run(coroutine)

    # HTTP

    def send(self, operation: Operation) -> Answer:
        """Sends `operation` and checks its answer and the gateway's state after it."""
        # Repeated as another text (a comment more), so the gateway's document cache does not
        # spare the repetition the work that stalled the first time.
        again = dataclasses.replace(operation, document=f"{operation.document}\n# again")
        return self.checked(lambda: self.answer(operation), lambda: self.answer(again))

    def checked(self, action: Callable[[], T], repeat: Callable[[], object] | None = None) -> T:
        """Runs `action` (which checks what it receives) and checks the gateway after it. A
        stall must happen again when the action is repeated: one alone may be a pause of the
        process that no input caused, and hypothesis needs failures it can reproduce. A wrong
        answer is reported with what the gateway logged about it (its cause)."""
        try:
            result = action()
        except AssertionError as wrong:
            if isinstance(wrong, GatewayFailure):
                raise
            self.check_gateway(str(wrong))
            raise failure(f"answer: {str(wrong).splitlines()[0][:120]}", str(wrong)) from None
        stall = self.check_gateway()
        if stall is not None:
            (repeat or action)()
            again = self.check_gateway()
            if again is not None:
                raise failure("stall", f"{stall}; again when repeated: {again}")
        return result

    def call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Runs a conversation with the gateway; one that takes over ANSWER_TIMEOUT_S means
        the gateway froze: it is restarted for the next example."""
        try:
            return self.client.run(
                asyncio.wait_for(coroutine, ANSWER_TIMEOUT_S), ANSWER_TIMEOUT_S + 30
            )
        except TimeoutError:
            self.gateway.restart()
            raise failure(
                "freeze", f"no answer within {ANSWER_TIMEOUT_S} s: the gateway froze (restarted)"
            ) from None

    def answer(self, operation: Operation) -> Answer:
        """Sends `operation` and checks its answer (not the gateway)."""
        answer = self.call(self._send(operation))
        try:
            check_http_answer(answer)
        except AssertionError as wrong:
            self.check_gateway(str(wrong))
            raise failure(f"answer: {_shape(answer)}", str(wrong)) from None
        return answer

    async def _send(self, operation: Operation) -> Answer:
        if operation.transport == HTTP_GET:
            params = {
                k: v if isinstance(v, str) else json.dumps(v)
                for k, v in operation.payload().items()
            }
            query = "&".join(
                f"{k}={quote(v.encode('utf-8', 'surrogatepass'))}" for k, v in params.items()
            )
            url = f"{self.gateway.url}?{query}"
            request = self.session.get(url, headers=self.headers)
            # aiohttp's parser refuses a longer request line, in plain text (docs/api.md).
            parser_refusal = len(url) > MAX_REQUEST_LINE
        else:
            request = self.session.post(
                self.gateway.url,
                data=operation.body().encode("utf-8", "surrogatepass"),
                headers={"Content-Type": "application/json", **self.headers},
            )
            parser_refusal = False
        async with request as response:
            return Answer(response.status, await response.read(), parser_refusal)

    async def data(self, document: str, variables: dict[str, Any] | None = None) -> Any:
        """A request the test relies on: its answer must hold data and no error."""
        answer = await self._send(Operation(document, variables))
        check_http_answer(answer)
        body = json.loads(answer.body)
        assert not body.get("errors"), body
        return body["data"]

    # What the gateway went through

    def stats(self, *, reset: bool = False, collect: bool = False) -> dict[str, Any]:
        query = "&".join(k for k, on in (("reset=1", reset), ("gc=1", collect)) if on)

        async def get() -> dict[str, Any]:
            async with self.session.get(f"{self.gateway.base_url}/_fuzz/stats?{query}") as r:
                body: dict[str, Any] = await r.json()
                return body

        return self.call(get())

    def check_gateway(self, answer_problem: str = "") -> str | None:
        """No error or traceback logged since the last check (a failure is raised as its own
        type per cause, the logged traceback's last frame, so that hypothesis reports, and
        shrinks, each distinct failure of a run on its own). What stalled the loop, if anything
        did."""
        stats = self.stats(reset=True)
        errors = stats["errors"]
        if errors:
            first = errors[0]
            # The frame without the exception's message (which holds the input).
            cause = (
                first["last_frame"].split(": ", 1)[0] or f"{first['logger']}: {first['message']}"
            )
            logged = [
                f"{e['level']} {e['logger']}: {e['message']}\n  last frame: {e['last_frame']}"
                for e in errors
            ]
            raise failure(f"logged: {cause[:160]}", "\n".join([answer_problem, *logged]))
        if stats["stall_cpu_ms"] > STALL_LIMIT_MS:
            return (
                f"the gateway's event loop stalled {stats['stall_cpu_ms']} ms of CPU "
                f"({stats['stall_wall_ms']} ms of wall-clock time)"
            )
        return None


class GatewayFailure(AssertionError):
    """A property the gateway broke; each cause gets a subclass of its own."""


_FAILURES: dict[str, type[GatewayFailure]] = {}


def failure(cause: str, message: str) -> GatewayFailure:
    """A GatewayFailure of a type of its own for `cause`."""
    kind = _FAILURES.setdefault(cause, type("GatewayFailure", (GatewayFailure,), {}))
    return kind(f"[{cause}]\n{message}")


def _shape(answer: Answer) -> str:
    """What kind of wrong answer: the status and the codes in it."""
    try:
        body = json.loads(answer.body)
    except ValueError:
        return f"{answer.status} not JSON"
    payloads = body if isinstance(body, list) else [body]
    codes = sorted(
        {
            str((e.get("extensions") or {}).get("code"))
            for p in payloads
            if isinstance(p, dict)
            for e in p.get("errors") or []
        }
    )
    return f"{answer.status} {' '.join(codes)}"


async def _session() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))


def check_http_answer(answer: Answer) -> None:
    """No 5xx; a JSON body whose every error has `extensions.code`, none of them
    INTERNAL_SERVER_ERROR, and no traceback in a message."""
    shown = answer.body[:600].decode(errors="replace")
    assert answer.status < 500, f"HTTP {answer.status}: {shown}"
    if answer.parser_refusal and answer.status == 400:
        return
    try:
        body = json.loads(answer.body)
    except ValueError:
        raise AssertionError(
            f"HTTP {answer.status} with a body that is not JSON: {shown}"
        ) from None
    for payload in body if isinstance(body, list) else [body]:
        assert isinstance(payload, dict), f"HTTP {answer.status}: {shown}"
        check_errors(payload.get("errors"), f"HTTP {answer.status}")


def check_errors(errors: Any, where: str) -> None:
    for error in errors or []:
        code = (error.get("extensions") or {}).get("code")
        assert code, f"{where}: an error without extensions.code\n{error}"
        assert code != "INTERNAL_SERVER_ERROR", f"{where}: INTERNAL_SERVER_ERROR\n{error}"
        assert "Traceback" not in error.get("message", ""), f"{where}: a traceback\n{error}"
