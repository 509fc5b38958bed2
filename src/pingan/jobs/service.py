"""Run work in a background thread and record its progress and result in the ``jobs`` table.

``submit(engine, kind=…, fn=…, params=…, principal=…)`` inserts the job and returns its id at
once; ``fn(report)`` runs on a small thread pool and calls ``report(fraction, message)`` now and
then; its JSON-serialisable return value becomes the result. Failures keep the error text (a
``PingAnError``'s safe message, or the exception's class for anything else).
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from pingan.audit.service import record
from pingan.auth.service import Principal
from pingan.errors import NotFound, PingAnError
from pingan.jobs.models import Job
from pingan.store.base import utcnow
from pingan.store.engine import unit_of_work

__all__ = ["Report", "get_or_raise", "submit", "to_dict"]

log = logging.getLogger("pingan.jobs")
Report = Callable[[float, str], None]
_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="pingan-job")


def _update(engine: Engine, job_id: str, **values: Any) -> None:
    with unit_of_work(engine) as s:
        s.execute(update(Job).where(Job.id == job_id).values(**values))
        s.commit()


@contextmanager
def _own_or(engine: Engine, session: Session | None) -> Iterator[Session]:
    if session is not None:
        yield session
        return
    with unit_of_work(engine) as s:
        yield s


def submit(
    engine: Engine,
    *,
    kind: str,
    fn: Callable[[Report], Any],
    params: dict[str, Any],
    principal: Principal,
    session: Session | None = None,
) -> str:
    """Queue ``fn`` as a job and return the job id.

    The job row and its audit record are written and committed in ``session`` when given —
    the request's own unit of work, which on SQLite may already hold the write lock (a second
    write transaction in the same thread would wait for it forever) — or else in a unit of
    work of their own. The job starts after that commit."""
    job_id = str(uuid.uuid4())
    with _own_or(engine, session) as s:
        s.add(
            Job(
                id=job_id,
                kind=kind,
                status="queued",
                params=json.dumps(params, default=str),
                created_by_id=principal.user_id,
                jpath=principal.jpath,
            )
        )
        record(
            s,
            actor=principal.actor,
            action="submit_job",
            entity="job",
            entity_id=job_id,
            jpath=principal.jpath,
            detail={"kind": kind, "params": params},
        )
        s.commit()

    last = [0.0]

    def report(fraction: float, message: str) -> None:
        f = max(0.0, min(1.0, float(fraction)))
        if f - last[0] >= 0.01 or f >= 1.0:
            last[0] = f
            _update(engine, job_id, progress=f, message=message[:500])

    def run() -> None:
        _update(engine, job_id, status="running", started_at=utcnow())
        try:
            result = fn(report)
        except PingAnError as exc:
            _update(engine, job_id, status="failed", error=exc.message, finished_at=utcnow())
            return
        except Exception as exc:  # keep the job visible as failed, log the trace
            log.exception("job %s (%s) failed", job_id, kind)
            _update(
                engine,
                job_id,
                status="failed",
                error=f"internal error: {type(exc).__name__}",
                finished_at=utcnow(),
            )
            return
        _update(
            engine,
            job_id,
            status="done",
            progress=1.0,
            result=json.dumps(result, ensure_ascii=False, default=float),
            finished_at=utcnow(),
        )

    _pool.submit(run)
    return job_id


def get_or_raise(session: Session, *, principal: Principal, job_id: str) -> Job:
    """A job the caller may see (their own, or inside their scope)."""
    job = session.get(Job, job_id)
    if job is None or not (job.created_by_id == principal.user_id or principal.can_see(job.jpath)):
        raise NotFound(f"job {job_id} does not exist or is not yours")
    return job


def to_dict(job: Job, *, with_result: bool = True) -> dict[str, Any]:
    """The JSON form of a job."""
    out: dict[str, Any] = {
        "id": job.id,
        "kind": job.kind,
        "status": job.status,
        "progress": job.progress,
        "message": job.message,
        "params": json.loads(job.params or "{}"),
        "error": job.error,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
    }
    if with_result:
        out["result"] = json.loads(job.result) if job.result else None
    return out
