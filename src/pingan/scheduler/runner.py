"""The scheduler's thread inside ``pingan serve``: every few seconds it takes or renews the lease
and, while it leads, hands due jobs to one worker thread (jobs of one process run one at a time;
the ticking thread keeps renewing the lease while a long job runs).

Every worker process of ``pingan serve`` starts one; the lease makes one of them the leader, and
another takes over within ``ttl_s`` when the leader stops.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from concurrent.futures import Future, ThreadPoolExecutor

from sqlalchemy import Engine

from pingan.scheduler.flows import Due, due_jobs, run_job_flow
from pingan.scheduler.jobs import Job
from pingan.store.base import utcnow

__all__ = ["Scheduler", "run_in_background"]

log = logging.getLogger("pingan.scheduler")


class Scheduler:
    """Run the jobs of :data:`pingan.scheduler.jobs.JOBS` on their schedules.

    ``poll_s``: how often the lease is renewed and due jobs are looked for; ``ttl_s``: how long
    the lease lasts without renewal (another process takes over after it).
    """

    def __init__(self, engine: Engine, *, poll_s: float = 5.0, ttl_s: float = 30.0) -> None:
        self.engine = engine
        self.poll_s = poll_s
        self.ttl_s = ttl_s
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pingan-scheduled")
        self._running: dict[str, Future[int | None]] = {}
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start ticking in a daemon thread."""
        self._thread = threading.Thread(target=self._loop, name="pingan-scheduler", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop ticking; a job already running finishes first."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
        # jobs not started are dropped; the one running finishes (its connection closes cleanly)
        self._pool.shutdown(wait=True, cancel_futures=True)

    def tick(self) -> list[Due]:
        """One pass: renew the lease, submit due jobs; returns what was submitted."""
        with self._lock:
            busy = frozenset(n for n, f in self._running.items() if not f.done())
        due = due_jobs(self.engine, holder=self.holder, now=utcnow(), ttl_s=self.ttl_s, skip=busy)
        for d in due:
            fut = self._pool.submit(run_job_flow, self.engine, d.job, slot_at=d.slot_at)
            with self._lock:
                self._running[d.job.name] = fut
        return due

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:  # a database hiccup must not end the scheduler
                log.exception("scheduler tick failed")
            self._stop.wait(self.poll_s)


_manual_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pingan-manual-job")


def run_in_background(engine: Engine, job: Job, *, run_id: int) -> Future[int | None]:
    """Run a job started by hand (its run row recorded) in this process's background thread."""
    return _manual_pool.submit(run_job_flow, engine, job, slot_at=utcnow(), run_id=run_id)
