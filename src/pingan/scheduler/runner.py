"""The scheduler inside ``pingan serve``: a thread that every few seconds takes or renews the
lease and, while it leads, hands due jobs to a child process per lane that runs them one at a
time (the ticking thread keeps renewing the lease while a long job runs). Two lanes: the
escalations (``quick``, every minute or hour, seconds each) never wait behind an analysis or a
rebuild (``long``, up to minutes each), which a single queue made them do for minutes after a
start (escalation waited 166 s behind the catch-up jobs on the demo city).

Every worker process of ``pingan serve`` starts one; the lease makes one of them the leader, and
another takes over within ``ttl_s`` when the leader stops.

Why a child process: a job is Python work that holds the GIL in long stretches (the hourly
early-warning job held it for 2.3 s at a time on the demo city, ``benchmarks/gil_stalls.py``),
and a worker thread of the web process would stall every request that worker answers for as
long. :class:`JobProcess` runs the jobs in a process of their own (``spawn``ed, so it shares no
lock or connection with the web worker; started on the first job, kept for the next, started
again after a crash), with its own engine for the same database. The run row is written by the
web worker before the job is handed over and ended by the child; a child that dies mid-job
(killed, out of memory) has its run ended as failed by the parent. An in-memory SQLite database
cannot be shared with another process: its jobs run in a thread of this process, as do all jobs
with ``PINGAN_SCHEDULER_PROCESS=0``.
"""

from __future__ import annotations

import datetime as dt
import logging
import multiprocessing
import os
import socket
import threading
import uuid
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from sqlalchemy import Engine

from pingan.scheduler.flows import Due, begin_run_flow, due_jobs, end_run_flow, run_job_flow
from pingan.scheduler.jobs import Job, get_job
from pingan.store.base import utcnow

__all__ = ["JobProcess", "Scheduler", "isolated", "run_in_background"]

log = logging.getLogger("pingan.scheduler")


def isolated(engine: Engine) -> bool:
    """Whether jobs on ``engine`` run in a child process (not for an in-memory SQLite database,
    nor with ``PINGAN_SCHEDULER_PROCESS=0``)."""
    if os.environ.get("PINGAN_SCHEDULER_PROCESS", "1").strip().lower() in ("0", "false", "no"):
        return False
    url = engine.url
    return not (url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"))


# -- the child's side ------------------------------------------------------------------------

_child_engine: Engine | None = None


def _child_start(url: str) -> None:
    """Initializer of the job process: its own engine for the database of the web worker."""
    global _child_engine
    from pingan.store.engine import make_engine

    logging.basicConfig(format="%(levelname)s:     %(message)s", level=logging.WARNING)
    _child_engine = make_engine(url)


def _child_run(job_name: str, run_id: int) -> int | None:
    """Run the job ``job_name`` for its recorded run ``run_id`` (in the job process)."""
    job = get_job(job_name)
    if job is None or _child_engine is None:  # a job renamed between versions: record it
        raise LookupError(f"job {job_name!r} is not known to the job process")
    return run_job_flow(_child_engine, job, slot_at=utcnow(), run_id=run_id)


# -- the web worker's side -------------------------------------------------------------------


class JobProcess:
    """One child process for ``engine``'s database that runs jobs one at a time (see the
    module's docstring); :meth:`submit` returns a future of the run's id. With ``idle_s`` the
    child stops after that long without a job (started again by the next one)."""

    def __init__(self, engine: Engine, *, idle_s: float | None = None) -> None:
        self.engine = engine
        self.url = engine.url.render_as_string(hide_password=False)
        self.idle_s = idle_s
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._pending = 0
        self._timer: threading.Timer | None = None

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_child_start,
            initargs=(self.url,),
        )

    def submit(self, job: Job, *, run_id: int) -> Future[int | None]:
        """Hand the recorded run ``run_id`` of ``job`` to the child (started if need be)."""
        with self._lock:
            self._pending += 1
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            if self._pool is None:
                self._pool = self._new_pool()
            try:
                fut = self._pool.submit(_child_run, job.name, run_id)
            except (BrokenProcessPool, RuntimeError):  # the child died: a new one
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = self._new_pool()
                fut = self._pool.submit(_child_run, job.name, run_id)
        fut.add_done_callback(lambda f: self._ended(f, job=job, run_id=run_id))
        return fut

    def _ended(self, fut: Future[int | None], *, job: Job, run_id: int) -> None:
        """A run whose child died (or could not start the job) is ended as failed here; the
        idle timer starts when no job is left."""
        with self._lock:
            self._pending -= 1
            if self._pending == 0 and self.idle_s is not None and self._pool is not None:
                self._timer = threading.Timer(self.idle_s, self._stop_if_idle)
                self._timer.daemon = True
                self._timer.start()
        if fut.cancelled():
            error = "cancelled: the server stopped before the job started"
        elif fut.exception() is None:
            return
        else:
            exc = fut.exception()
            error = f"the job's process ended: {type(exc).__name__}"
            log.error("scheduled job %s (run %s): %s", job.name, run_id, error, exc_info=exc)
        try:
            end_run_flow(self.engine, run_id=run_id, result=None, error=error)
        except Exception:
            log.exception("could not record the end of run %s", run_id)

    def _stop_if_idle(self) -> None:
        with self._lock:
            if self._pending or self._pool is None:
                return
            pool, self._pool = self._pool, None
        pool.shutdown(wait=False)

    def shutdown(self, *, wait: bool = True) -> None:
        """Stop the child; a job already running finishes first when ``wait``."""
        with self._lock:
            pool, self._pool = self._pool, None
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
        if pool is not None:
            pool.shutdown(wait=wait, cancel_futures=True)


class Scheduler:
    """Run the jobs of :data:`pingan.scheduler.jobs.JOBS` on their schedules.

    ``poll_s``: how often the lease is renewed and due jobs are looked for; ``ttl_s``: how long
    the lease lasts without renewal (another process takes over after it); ``process``: run the
    jobs in a child process (default: :func:`isolated`), else in a thread of this process.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        poll_s: float = 5.0,
        ttl_s: float = 30.0,
        process: bool | None = None,
    ) -> None:
        self.engine = engine
        self.poll_s = poll_s
        self.ttl_s = ttl_s
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.process = isolated(engine) if process is None else process
        # one child process (or thread) per lane, made when its lane's first job is due
        self._children: dict[str, JobProcess] = {}
        self._pools: dict[str, Executor] = {}
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
        with self._lock:
            pools, children = list(self._pools.values()), list(self._children.values())
        for pool in pools:
            pool.shutdown(wait=True, cancel_futures=True)
        for child in children:
            child.shutdown(wait=True)

    def tick(self) -> list[Due]:
        """One pass: renew the lease, submit due jobs; returns what was submitted."""
        with self._lock:
            busy = frozenset(n for n, f in self._running.items() if not f.done())
        due = due_jobs(self.engine, holder=self.holder, now=utcnow(), ttl_s=self.ttl_s, skip=busy)
        for d in due:
            fut = self._submit(d.job, slot_at=d.slot_at)
            if fut is not None:
                with self._lock:
                    self._running[d.job.name] = fut
        return due

    def _submit(self, job: Job, *, slot_at: dt.datetime) -> Future[int | None] | None:
        if not self.process:
            with self._lock:
                pool = self._pools.get(job.lane)
                if pool is None:
                    pool = self._pools[job.lane] = ThreadPoolExecutor(
                        max_workers=1, thread_name_prefix=f"pingan-scheduled-{job.lane}"
                    )
            return pool.submit(run_job_flow, self.engine, job, slot_at=slot_at)
        run_id = begin_run_flow(self.engine, job, slot_at=slot_at)
        if run_id is None:  # another process took the slot
            return None
        with self._lock:
            child = self._children.get(job.lane)
            if child is None:
                child = self._children[job.lane] = JobProcess(self.engine)
        return child.submit(job, run_id=run_id)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:  # a database hiccup must not end the scheduler
                log.exception("scheduler tick failed")
            self._stop.wait(self.poll_s)


MANUAL_IDLE_S = 120.0
"""A child of runs started by hand stops after this long without one (scheduled runs keep
theirs: ``escalate`` runs every minute)."""

_manual_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pingan-manual-job")
_manual_children: dict[str, JobProcess] = {}
_manual_lock = threading.Lock()


def run_in_background(engine: Engine, job: Job, *, run_id: int) -> Future[int | None]:
    """Run a job started by hand (its run row recorded) in this process's job process (a
    thread when :func:`isolated` says no)."""
    if not isolated(engine):
        return _manual_pool.submit(run_job_flow, engine, job, slot_at=utcnow(), run_id=run_id)
    key = engine.url.render_as_string(hide_password=False)
    with _manual_lock:
        child = _manual_children.get(key)
        if child is None:
            child = _manual_children[key] = JobProcess(engine, idle_s=MANUAL_IDLE_S)
    return child.submit(job, run_id=run_id)
