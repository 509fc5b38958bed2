"""Rebuilding the incident counts: one transaction, with its audit record."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from pingan.aggregates import service
from pingan.audit.service import Actor, record

__all__ = ["RebuildResult", "aggregates_rebuild_flow"]


@dataclass(frozen=True)
class RebuildResult:
    """How many incidents were counted and how long it took."""

    incidents: int
    seconds: float


def aggregates_rebuild_flow(
    session: Session,
    *,
    actor: Actor,
    report: Callable[[float, str], None] | None = None,
) -> RebuildResult:
    """Recount every incident (:func:`service.rebuild`) and commit with the audit record."""
    t0 = time.perf_counter()
    try:
        n = service.rebuild(session, report=report)
    except BaseException:
        service.forget()  # the grid it remembered is rolled back with it
        raise
    took = round(time.perf_counter() - t0, 3)
    record(
        session,
        actor=actor,
        action="rebuild",
        entity="incident_counts",
        detail={"incidents": n, "seconds": took},
    )
    session.commit()
    return RebuildResult(n, took)
