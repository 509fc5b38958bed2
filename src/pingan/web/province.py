"""The province page (``/province``): the department's view of every city, from the stored
results of the province analyses (``pingan analyze trends|hotspots|warnings --data DIR``,
either engine) in ``<data_dir>/province``: cities ranked on CompStat, the warnings across the
province and each city's coverage. Server-rendered; no personal data (place-based counts).
Roles that may ``province.run`` get a button that runs the scheduler's job ``province``
(``POST /api/v1/scheduler/province/run``) and the page follows the run until it ends."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from pingan.api.deps import SessionDep, data_dir
from pingan.incidents.taxonomy import get_taxonomy
from pingan.permissions import allows
from pingan.province.results import province_summary
from pingan.scheduler.schemas import RunRead
from pingan.scheduler.service import list_runs
from pingan.web.disputes import local_time
from pingan.web.views import language, page_caller, render

__all__ = ["province_folder", "router"]

router = APIRouter(include_in_schema=False)


def province_folder(request: Request) -> Any:
    """Where the page reads the province: ``<data_dir>/province``."""
    return data_dir(request) / "province"


def _spark(counts: list[int], width: int = 120, height: int = 24) -> str:
    """SVG polyline points of monthly counts (the first and last partial months left out)."""
    first = next((i for i, v in enumerate(counts) if v > 0), len(counts))
    vals = counts[first + 1 : -1] if len(counts) - first > 3 else counts[first:]
    if not vals:
        return ""
    top = max(vals) or 1
    step = width / max(1, len(vals) - 1)
    return " ".join(
        f"{i * step:.1f},{height - 2 - (v / top) * (height - 4):.1f}" for i, v in enumerate(vals)
    )


@router.get("/province", response_class=HTMLResponse)
def province_page(request: Request, session: SessionDep) -> Response:
    """The ranking, the warnings and the coverage: reads three small JSON files."""
    page = page_caller(request, session, "/province")
    if isinstance(page, RedirectResponse):
        return page
    if not page.allowed:
        return render(
            request,
            "province.html",
            {"forbidden": True},
            principal=page.principal,
            status_code=page.status_code,
        )
    lang = language(request)
    zh = lang == "zh-CN"
    summary = province_summary(province_folder(request))
    names = {c["code"]: c["name_zh"] if zh else c["name_en"] for c in summary["cities"]}
    groups = {g.code: g.name_zh if zh else g.name_en for g in get_taxonomy().groups.values()}
    for c in summary["cities"]:
        c["name"] = names[c["code"]]
        c["spark"] = _spark(c["month_counts"])
    for w in summary["warnings"]:
        w["city_name"] = names.get(w["city"], w["city"])
        w["group_name"] = groups.get(w["group"], w["group"])
    can_run = allows(page.principal.role, "province.run")
    last = list_runs(session, job="province", limit=1) if can_run else []
    return render(
        request,
        "province.html",
        {
            "forbidden": False,
            "s": summary,
            "can_run": can_run,
            "last_run": RunRead.of(last[0]) if last else None,
            "local": local_time,
        },
        principal=page.principal,
    )
