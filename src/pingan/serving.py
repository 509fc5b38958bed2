"""How ``pingan serve`` runs uvicorn: its worker processes and their supervision.

uvicorn's supervisor (``uvicorn.supervisors.Multiprocess``) pings each worker through a pipe
every half second; a worker whose answering thread has not replied within
``timeout_worker_healthcheck`` seconds (5 by default) is killed with SIGKILL and replaced, and
the only trace is ``Child process [pid] died`` at INFO level, below the ``warning`` level that
``pingan serve`` logs at. A worker is not hung when it is slow to answer: the answering thread
needs the GIL, and a busy worker lends it out in long stretches (measured on the demo city under
load: 0.7 s while one 10,000-feature OGC page is encoded, 1.1-1.6 s while the coverage
collections are computed, 2.3 s in the hourly early-warning job; several such at once on two
loaded cores pass 5 s). The kill cut whatever the worker was answering, such as a long paged
``ogr2ogr`` export, and left no line in the log.

:class:`Supervisor` is that supervisor with two changes: a worker that stops answering is given
``healthcheck_s`` seconds (``PINGAN_WORKER_HEALTHCHECK_S``, 60 by default; a hung worker is
still replaced, a minute later), and every replacement is logged at WARNING with its reason: no
answer for so long (killed), or the exit code or signal of a worker that died on its own.
:func:`serve` is what ``pingan serve`` calls.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import time

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors.multiprocess import Multiprocess, Process

__all__ = ["Supervisor", "describe_exit", "serve"]

log = logging.getLogger("pingan.serve")


def describe_exit(exitcode: int | None) -> str:
    """Words for a worker's exit code (negative: the signal that ended it)."""
    if exitcode is None:
        return "still running"
    if exitcode < 0:
        try:
            return f"ended by signal {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"ended by signal {-exitcode}"
    return f"exited with code {exitcode}"


class Supervisor(Multiprocess):
    """uvicorn's multi-worker supervisor that waits longer for a busy worker and logs every
    worker it replaces, and why, at WARNING (see the module's docstring)."""

    def keep_subprocess_alive(self) -> None:
        """Replace workers that died or stopped answering, each with one log line."""
        if self.should_exit.is_set():
            return
        for idx, process in enumerate(self.processes):
            if not process.process.is_alive():
                process.join()
                reason = describe_exit(process.exitcode)
            else:
                started = time.monotonic()
                if process.ping(self.config.timeout_worker_healthcheck):
                    continue
                waited_s = time.monotonic() - started
                if self.should_exit.is_set():
                    return
                process.kill()
                process.join()
                reason = (
                    f"did not answer the supervisor's health check for {waited_s:.0f} s "
                    f"(limit {self.config.timeout_worker_healthcheck} s, "
                    "PINGAN_WORKER_HEALTHCHECK_S); killed, its requests in flight were cut"
                )
            if process.exitcode == STARTUP_FAILURE:
                log.error("worker %s failed to start; stopping the server", process.pid)
                self.should_exit.set()
                return
            if self.should_exit.is_set():
                return
            replacement = Process(self.config, self.sockets)
            replacement.start()
            self.processes[idx] = replacement
            log.warning(
                "worker %s %s; started worker %s in its place",
                process.pid,
                reason,
                replacement.pid,
            )


def serve(
    app: str,
    *,
    host: str,
    port: int,
    workers: int,
    healthcheck_s: int = 60,
    log_level: str = "warning",
) -> None:
    """Serve the ASGI app at import path ``app`` with ``workers`` processes under
    :class:`Supervisor` (one process: no supervisor). Blocks until the server stops."""
    logging.basicConfig(format="%(levelname)s:     %(message)s")
    log.setLevel(logging.INFO)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        timeout_worker_healthcheck=healthcheck_s,
    )
    if config.workers <= 1:
        uvicorn.Server(config).run()
        return
    sock = config.bind_socket()
    with contextlib.suppress(KeyboardInterrupt):
        Supervisor(config, sockets=[sock]).run()
