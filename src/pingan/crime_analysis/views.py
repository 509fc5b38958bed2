"""Analysis endpoints under ``/api/v1/analysis``: trends, hot spots, forecasts (answered at
once) and the early-warning run, scan and backtest (background jobs with progress)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal, cast

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from pingan.api.deps import SessionDep, allowed
from pingan.api.errors import ErrorBody
from pingan.auth.service import Principal
from pingan.crime_analysis import data, flows, precomputed, service
from pingan.crime_analysis.data import load
from pingan.crime_analysis.flows import WarningRun, as_of_of
from pingan.crime_analysis.schemas import Selection
from pingan.errors import Invalid
from pingan.inputs import Day
from pingan.jobs.service import Report, submit
from pingan.store.engine import unit_of_work

router = APIRouter(prefix="/api/v1/analysis", tags=["analysis"], responses=ErrorBody)


SelDep = Annotated[Selection, Query()]


@router.get("/trends", operation_id="analysis_trends")
def trends(
    session: SessionDep,
    principal: Annotated[Principal, allowed("analysis.read")],
    sel: SelDep,
    period: Literal["day", "week", "28d", "month", "quarter", "year"] = "month",
    by: str = "class",
) -> dict[str, Any]:
    """Counts by period and group, a CompStat table with exact Poisson tests, and the
    hour × weekday matrix. Default period: the last two years. Answered from the precomputed
    counts (``pingan.aggregates``) and kept a minute per scope, filters and day."""
    key = ("trends", principal.jpath, sel.model_dump_json(), period, by)
    return cast(
        dict[str, Any],
        precomputed.cached(
            key, lambda: precomputed.trends(session, principal, sel, period=period, by=by)
        ),
    )


@router.get("/hotspots", operation_id="analysis_hotspots")
def hotspots(
    session: SessionDep,
    principal: Annotated[Principal, allowed("analysis.read")],
    sel: SelDep,
    cell_m: Annotated[float, Query(gt=0)] = 250.0,
    bandwidth_m: Annotated[float, Query(gt=0)] = 300.0,
    alpha: Annotated[float, Query(gt=0, lt=1)] = 0.05,
) -> dict[str, Any]:
    """KDE surface and Gi* hot cells (FDR-controlled) as GeoJSON. Default: the last 28 days.
    Answered from the precomputed grid counts and kept a minute per scope, filters and day."""
    key = ("hotspots", principal.jpath, sel.model_dump_json(), cell_m, bandwidth_m, alpha)
    return cast(
        dict[str, Any],
        precomputed.cached(
            key,
            lambda: precomputed.hotspots(
                session, principal, sel, cell_m=cell_m, bandwidth_m=bandwidth_m, alpha=alpha
            ),
        ),
    )


@router.get("/forecast", operation_id="analysis_forecast")
def forecast(
    session: SessionDep,
    principal: Annotated[Principal, allowed("analysis.read")],
    sel: SelDep,
    method: Literal["naive", "kde", "sepp"] = "kde",
    horizon_days: Annotated[float, Query(gt=0, le=31)] = 7.0,
    cell_m: Annotated[float, Query(gt=0)] = 250.0,
    top_share: Annotated[float, Query(gt=0, le=0.5)] = 0.01,
) -> dict[str, Any]:
    """The cells most likely to see incidents in the next days (default: fitted on a year)."""
    frame = load(session, principal, sel, default_days=365)
    return service.forecast_cells(
        session,
        frame,
        method=method,
        as_of=as_of_of(frame),
        horizon_days=horizon_days,
        cell_m=cell_m,
        top_share=top_share,
    )


@router.post("/warnings/run", status_code=202, operation_id="analysis_run_warnings")
def warnings_run(
    body: WarningRun,
    request: Request,
    principal: Annotated[Principal, allowed("analysis.read")],
    session: SessionDep,
) -> dict[str, str]:
    """Start an early-warning evaluation as a background job; poll ``/api/v1/jobs/{id}``."""
    engine = request.app.state.engine
    job = submit(
        engine,
        kind="warnings",
        params=body.model_dump(mode="json"),
        principal=principal,
        fn=lambda report: flows.warnings_run_flow(engine, principal, body, report),
        session=session,
    )
    return {"job_id": job, "status_url": f"/api/v1/jobs/{job}"}


class ScanRun(BaseModel):
    """A prospective space-time permutation scan over the incidents in scope."""

    model_config = ConfigDict(extra="forbid")

    as_of: Day | None = None
    subtype: str | None = None
    klass: str | None = Field(default=None, alias="class")
    group: str | None = None
    max_radius_m: float = Field(default=1000.0, gt=0, le=20_000)
    max_window_days: int = Field(default=7, ge=1, le=60)
    study_days: int = Field(default=60, ge=14, le=730)
    replications: int = Field(default=999, ge=99, le=9999)


@router.post("/scan", status_code=202, operation_id="analysis_scan")
def scan(
    body: ScanRun,
    request: Request,
    principal: Annotated[Principal, allowed("analysis.read")],
    session: SessionDep,
) -> dict[str, str]:
    """Start a space-time scan as a background job; the result is the cluster table."""
    if body.max_window_days >= body.study_days:
        raise Invalid("max_window_days", f"must be shorter than study_days ({body.study_days})")
    engine = request.app.state.engine

    def work(report: Report) -> dict[str, Any]:
        with unit_of_work(engine, write=False) as s:
            until = (
                dt.datetime.combine(body.as_of, dt.time(), dt.UTC) + dt.timedelta(days=1)
                if body.as_of
                else dt.datetime.now(dt.UTC)
            )
            subs = data.subtypes_for(subtype=body.subtype, klass=body.klass, group=body.group)
            frame = data.load_incidents(
                s,
                principal=principal,
                since=until - dt.timedelta(days=body.study_days + 1),
                until=until,
                subtypes=subs,
            )
            report(0.1, f"{len(frame)} incidents loaded")
            return service.scan_clusters(
                frame,
                s,
                as_of=body.as_of or as_of_of(frame),
                max_radius_m=body.max_radius_m,
                max_window_days=body.max_window_days,
                study_days=body.study_days,
                replications=body.replications,
            )

    job = submit(
        engine,
        kind="scan",
        params=body.model_dump(mode="json", by_alias=True),
        principal=principal,
        fn=work,
        session=session,
    )
    return {"job_id": job, "status_url": f"/api/v1/jobs/{job}"}


ForecastMethod = Literal["naive", "kde", "sepp"]


def _all_methods() -> list[ForecastMethod]:
    return ["naive", "kde", "sepp"]


class BacktestRun(BaseModel):
    """A walk-forward backtest of the hot-spot forecasts."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    start: Day = Field(description="first forecast day")
    end: Day = Field(description="last forecast day")
    methods: list[ForecastMethod] = Field(default_factory=_all_methods, min_length=1)
    step_days: float = Field(default=7.0, gt=0, le=90)
    cell_m: float = Field(default=250.0, ge=25, le=5000)
    subtype: str | None = None
    klass: str | None = Field(default=None, alias="class")
    group: str | None = None


@router.post("/backtest", status_code=202, operation_id="analysis_backtest")
def backtest(
    body: BacktestRun,
    request: Request,
    principal: Annotated[Principal, allowed("analysis.read")],
    session: SessionDep,
) -> dict[str, str]:
    """Start a walk-forward backtest as a background job: for each method, hit rate, PAI and
    PEI at 1%, 2% and 5% of the area over the steps from ``start`` to ``end``."""
    if body.end <= body.start:
        raise Invalid("end", "must be after start")
    engine = request.app.state.engine
    start = dt.datetime.combine(body.start, dt.time(), dt.UTC)
    end = dt.datetime.combine(body.end, dt.time(), dt.UTC)

    def work(report: Report) -> dict[str, Any]:
        with unit_of_work(engine, write=False) as s:
            subs = data.subtypes_for(subtype=body.subtype, klass=body.klass, group=body.group)
            frame = data.load_incidents(
                s,
                principal=principal,
                since=start - dt.timedelta(days=400),
                until=end + dt.timedelta(days=body.step_days),
                subtypes=subs,
            )
            report(0.05, f"{len(frame)} incidents loaded")
            return service.backtest_methods(
                s,
                frame,
                methods=list(body.methods),
                start=start,
                end=end,
                step_days=body.step_days,
                cell_m=body.cell_m,
                report=lambda share, msg: report(0.05 + 0.95 * share, msg),
            )

    job = submit(
        engine,
        kind="backtest",
        params=body.model_dump(mode="json", by_alias=True),
        principal=principal,
        fn=work,
        session=session,
    )
    return {"job_id": job, "status_url": f"/api/v1/jobs/{job}"}


@router.get("/reports/weekly", operation_id="get_weekly_report")
def weekly_report(
    principal: Annotated[Principal, allowed("report.read")],
    session: SessionDep,
    week_end: Annotated[
        dt.date | None,
        Query(description="last local day the week covers (default: yesterday)"),
    ] = None,
    lang: Literal["zh-CN", "en"] = "zh-CN",
    format: Literal["html", "pdf"] = "html",
) -> Response:
    """The weekly briefing for your jurisdiction: a standalone HTML page, or an A4 PDF."""
    body = report_file(session, principal, week_end=week_end, lang=lang, pdf=format == "pdf")
    if format == "pdf":
        return Response(
            body,
            media_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="{_report_name(week_end)}.pdf"'},
        )
    return Response(body, media_type="text/html; charset=utf-8")


def _report_name(week_end: dt.date | None) -> str:
    from pingan.crime_analysis.report import local_week_end

    day = (week_end or (local_week_end() - dt.timedelta(days=1)).date()).isoformat()
    return f"weekly-briefing-{day}"


def report_file(
    session: Session, principal: Principal, *, week_end: dt.date | None, lang: str, pdf: bool
) -> bytes:
    """The briefing's HTML, or its A4 PDF printed by headless Chromium in a temporary folder."""
    import tempfile
    from pathlib import Path

    from pingan.crime_analysis.report import cached_briefing, print_pdf

    if week_end is not None and week_end > dt.date.today() + dt.timedelta(days=1):
        raise Invalid("week_end", f"{week_end} is in the future")
    doc = cached_briefing(session, principal, week_end=week_end, lang=lang).document()
    if not pdf:
        return doc.encode()
    with tempfile.TemporaryDirectory(prefix="pingan-report-") as tmp:
        src, out = Path(tmp) / "briefing.html", Path(tmp) / "briefing.pdf"
        src.write_text(doc, encoding="utf-8")
        print_pdf(src, out)
        return out.read_bytes()
