"""`server.workers` > 1: a supervisor process and that many workers serving one port.

Each worker is a whole gateway (its own Kafka clients, shared feeds and limits registry) bound to
the port with SO_REUSEPORT, so the kernel spreads new connections over them. Cursors carry all of
a stream's state, so any worker can serve any client.

The supervisor serves no API (with metrics on, every worker's metrics, merged:
observability/metrics/federation.py). SIGTERM or SIGINT to it stops every worker gracefully
(each gets SIGTERM once; a worker ignores further stop signals, so a signal sent to the whole
process group as well, like Ctrl-C in a terminal or systemd's control-group kill, does no
harm). When a worker
exits on its own (it crashed, or could not start), the supervisor stops the others and exits
with status 1: the process manager (systemd, Kubernetes, ...) restarts the whole gateway and
sees a crash loop for what it is, rather than the supervisor hiding one.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import logging
import os
import signal
import sys
import time
import traceback
from collections.abc import Callable
from typing import NoReturn

log = logging.getLogger("kafka_graphql")

STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT}
WATCHED = {*STOP_SIGNALS, signal.SIGCHLD}
# Beyond the workers' own shutdown grace: then they are killed.
KILL_AFTER_S = 10.0
PR_SET_PDEATHSIG = 1


def supervise(
    count: int,
    serve: Callable[[], None],
    grace_s: float,
    started: Callable[[], None] | None = None,
) -> int:
    """Run `serve` in `count` forked workers until stopped; the exit status for the supervisor.
    `started` runs in the supervisor once every worker is forked (it may start threads, which
    must not exist when a process forks); if it raises, the workers are stopped."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, WATCHED)
    supervisor = os.getpid()
    workers: dict[int, int] = {}
    for index in range(count):
        pid = os.fork()
        if pid == 0:
            _work(serve, previous, supervisor)
        workers[pid] = index
        log.info("worker %d started (pid %d)", index, pid)
    status = 0
    deadline: float | None = None
    try:
        if started is not None:
            started()
    except Exception as error:  # noqa: BLE001 (said in one line; the workers are stopped)
        log.error("kafka-graphql: cannot start: %s; stopping the workers", error)
        status = 1
        deadline = _stop(workers, grace_s)
    while workers:
        timeout = None if deadline is None else max(deadline - time.monotonic(), 0.0)
        info = (
            signal.sigwaitinfo(WATCHED)
            if timeout is None
            else signal.sigtimedwait(WATCHED, timeout)
        )
        if info is None:  # the workers outlived the grace: end them
            for pid in workers:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            deadline = time.monotonic() + KILL_AFTER_S
        elif info.si_signo in STOP_SIGNALS and deadline is None:
            log.info("stopping %d workers", len(workers))
            deadline = _stop(workers, grace_s)
        for pid, code in _reaped():
            if pid not in workers:
                continue
            index = workers.pop(pid)
            if deadline is None:
                log.error(
                    "worker %d (pid %d) exited with status %d: stopping the others",
                    index,
                    pid,
                    code,
                )
                status = 1
                deadline = _stop(workers, grace_s)
            elif code != 0:
                status = 1
    signal.pthread_sigmask(signal.SIG_SETMASK, previous)
    return status


def _stop(workers: dict[int, int], grace_s: float) -> float:
    for pid in workers:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    return time.monotonic() + grace_s + KILL_AFTER_S


def _reaped() -> list[tuple[int, int]]:
    done: list[tuple[int, int]] = []
    while True:
        try:
            pid, wait_status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return done
        if pid == 0:
            return done
        done.append((pid, os.waitstatus_to_exitcode(wait_status)))


def _work(serve: Callable[[], None], mask: set[int | signal.Signals], supervisor: int) -> NoReturn:
    code = 1
    try:
        _end_with(supervisor)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        serve()
        code = 0
    except SystemExit as exit_:
        if exit_.code is None or isinstance(exit_.code, int):
            code = exit_.code or 0
        else:
            print(exit_.code, file=sys.stderr)
    except BaseException:  # noqa: BLE001 (a worker's last words; it exits with status 1)
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _end_with(supervisor: int) -> None:
    """Linux: SIGTERM this worker when the supervisor dies, even by SIGKILL, so that no orphan
    keeps serving the port."""
    libc_name = ctypes.util.find_library("c")
    if libc_name is None:
        return
    libc = ctypes.CDLL(libc_name, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM))
    if os.getppid() != supervisor:  # it died before prctl
        os._exit(1)
