"""``GET /api/v1/jobs/{id}``: status, progress and result of a background job."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter

from pingan.api.deps import SessionDep, allowed
from pingan.api.errors import ErrorBody
from pingan.auth.service import Principal
from pingan.jobs.service import get_or_raise, to_dict

router = APIRouter(prefix="/api/v1/jobs", tags=["jobs"], responses=ErrorBody)


@router.get("/{job_id}", operation_id="get_job")
def get_job(
    job_id: str, session: SessionDep, principal: Annotated[Principal, allowed("job.read")]
) -> dict[str, Any]:
    """A background job: ``status`` queued → running → done | failed, ``progress`` 0-1, and the
    ``result`` when done."""
    return to_dict(get_or_raise(session, principal=principal, job_id=job_id))
