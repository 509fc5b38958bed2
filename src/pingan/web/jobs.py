"""The scheduled-jobs page for administrators (``/jobs``): every job with its schedule, next and
newest run, a button to run it now, and the recent runs. Server-rendered; the buttons call
``POST /api/v1/scheduler/jobs/{name}/run`` and the page follows the run until it ends."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from pingan.api.deps import SessionDep
from pingan.scheduler.schemas import RunRead
from pingan.scheduler.service import list_runs
from pingan.scheduler.views import job_rows
from pingan.web.disputes import local_time
from pingan.web.views import language, page_caller, render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/jobs", response_class=HTMLResponse)
def jobs_page(request: Request, session: SessionDep) -> Response:
    """Jobs and the 30 newest runs: two queries."""
    page = page_caller(request, session, "/jobs")
    if isinstance(page, RedirectResponse):
        return page
    who = page.principal
    if not page.allowed:
        return render(request, "jobs.html", {"forbidden": True}, principal=who, status_code=403)
    jobs = job_rows(session, language(request))
    return render(
        request,
        "jobs.html",
        {
            "forbidden": False,
            "jobs": jobs,
            "labels": {j.name: j.label for j in jobs},
            "runs": [RunRead.of(r) for r in list_runs(session, limit=30)],
            "local": local_time,
        },
        principal=who,
    )
