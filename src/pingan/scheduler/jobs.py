"""The jobs the scheduler runs: what each does, when, and the label an administrator sees.

Each job is a function ``run(engine, now) -> dict`` that does its work in units of work of its
own (each commits once and writes its audit records, as the CLI command of the same work does)
and answers a JSON-serialisable summary of counts, shown on ``/jobs`` with translated names.
The domain work is imported when a job runs, so importing the scheduler stays cheap.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from pingan.audit.service import Actor
from pingan.config import get_settings
from pingan.scheduler.schedules import DailyAt, Every, Schedule, WeeklyAt
from pingan.store.engine import unit_of_work

__all__ = ["JOBS", "Job", "get_job", "system_principal"]

RunFn = Callable[[Engine, dt.datetime], dict[str, Any]]


@dataclass(frozen=True)
class Job:
    """A recurring job: its name (stable, used in URLs and the CLI), labels and schedule."""

    name: str
    label_zh: str
    label_en: str
    schedule: Schedule
    run: RunFn
    lane: str = "long"
    """Jobs run one at a time per lane: ``quick`` for the escalations, which must keep their
    minute whatever else runs; ``long`` for the analyses and rebuilds (minutes at a time)."""

    def label(self, lang: str) -> str:
        """The job's name in the page language."""
        return self.label_zh if lang == "zh-CN" else self.label_en


def _actor(job: str) -> Actor:
    return Actor.system(f"scheduler:{job}")


def system_principal() -> Any:
    """A bureau-wide principal for scheduled analysis (it acts for the whole bureau)."""
    from pingan.auth.service import Principal

    return Principal(user_id=0, username="scheduler", role="admin", jpath="/", jurisdiction_id=None)


def _local_today(now: dt.datetime) -> dt.date:
    return now.astimezone(ZoneInfo(get_settings().timezone)).date()


def escalate(engine: Engine, now: dt.datetime) -> dict[str, Any]:
    """Overdue instructions escalate (a notice to the level above)."""
    from pingan.instructions.flows import instruction_escalate_flow

    with unit_of_work(engine) as s:
        out = instruction_escalate_flow(s, actor=_actor("escalate"), now=now)
    return {"sign_overdue": out.sign_overdue, "complete_overdue": out.complete_overdue}


def checklists(engine: Engine, now: dt.datetime) -> dict[str, Any]:
    """The bureau's local day's checklist tasks (idempotent)."""
    from pingan.checklists.flows import checklist_schedule_flow

    day = _local_today(now)
    with unit_of_work(engine) as s:
        out = checklist_schedule_flow(s, actor=_actor("checklists"), day=day, now=now)
    return {
        "day": day.isoformat(),
        "created": out.created,
        "existing": out.existing,
        "missed": out.missed,
    }


def warnings(engine: Engine, now: dt.datetime) -> dict[str, Any]:
    """Early warnings on the latest data (idempotent: a warning is stored once)."""
    from pingan.crime_analysis.flows import WarningRun, warnings_run_flow

    res = warnings_run_flow(engine, system_principal(), WarningRun())
    return {
        "as_of": res["as_of"],
        "raised": res["raised"],
        "stored": res["stored"],
    }


def rescreen(engine: Engine, now: dt.datetime) -> dict[str, Any]:
    """Open disputes' risk rules evaluated again."""
    from pingan.disputes.flows import dispute_rescreen_flow

    with unit_of_work(engine) as s:
        out = dispute_rescreen_flow(s, actor=_actor("rescreen"), at=now)
    return {"checked": out.checked, "changed": out.changed, "instructions": out.instructions}


def weekly_briefing(engine: Engine, now: dt.datetime) -> dict[str, Any]:
    """The bureau-wide weekly briefing for the week before this local Monday, in both
    languages: kept as HTML in ``data_dir/reports`` and in the cache ``/reports`` reads."""
    from pingan.crime_analysis.report import cached_briefing

    week_end = _local_today(now) - dt.timedelta(days=1)
    folder = get_settings().data_dir / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"weekly-{week_end.isoformat()}.html"
    with unit_of_work(engine, write=False) as s:
        for lang in ("en", "zh-CN"):
            doc = cached_briefing(s, system_principal(), week_end=week_end, lang=lang).document()
    path.write_text(doc, encoding="utf-8")
    return {"file": path.name}


def audit_anchor(engine: Engine, now: dt.datetime) -> dict[str, Any]:
    """Where the audit chain ends (SEQ:HASH), appended to a file outside the database, which
    ``pingan audit verify --anchor-file`` checks later."""
    from pingan.audit.anchor import write_anchor

    settings = get_settings()
    folder = settings.audit_anchor_dir or settings.data_dir / "audit-anchors"
    path = write_anchor(engine, folder)
    return {"file": path.name}


def retention(engine: Engine, now: dt.datetime) -> dict[str, Any]:
    """Personal data past its retention rule is cleared (premises contacts; citizens' contact
    phones of online reports; tenants of stays ended six months ago), the public rate-limit
    counters of past windows are forgotten, and failed sign-in counts of addresses whose window
    has ended are deleted."""
    from pingan.auth.throttle import purge_expired
    from pingan.citizens.flows import citizens_retention_flow
    from pingan.places.service import purge_contacts

    with unit_of_work(engine) as s:
        n = purge_contacts(s, actor=_actor("retention"), now=now)
        throttle = purge_expired(s, now=now)
        s.commit()
    with unit_of_work(engine) as s:
        out = citizens_retention_flow(s, actor=_actor("retention"), now=now)
    return {"purged": n, "login_throttle_purged": throttle, **out}


def rentals(engine: Engine, now: dt.datetime) -> dict[str, Any]:
    """Landlords of rental-house stays about to end are reminded to renew or end them."""
    from pingan.citizens.flows import rental_remind_flow

    with unit_of_work(engine) as s:
        n = rental_remind_flow(s, actor=_actor("rentals"), now=now)
    return {"reminded": n}


def complaints(engine: Engine, now: dt.datetime) -> dict[str, Any]:
    """Complaints about police conduct past a deadline go one level up (网上督察)."""
    from pingan.citizens.flows import complaint_escalate_flow

    with unit_of_work(engine) as s:
        n = complaint_escalate_flow(s, actor=_actor("complaints"), now=now)
    return {"escalated": n}


def ratings(engine: Engine, now: dt.datetime) -> dict[str, Any]:
    """Overdue hazards escalated one level, then every premises rated again on the latest
    evidence (a new current rating each)."""
    from pingan.ratings.flows import hazards_escalate_flow, ratings_compute_flow

    with unit_of_work(engine) as s:
        moved = hazards_escalate_flow(s, actor=_actor("ratings"), now=now)
    with unit_of_work(engine) as s:
        out = ratings_compute_flow(s, principal=system_principal(), now=now)
    return {
        "hazards_escalated": len(moved),
        "criteria_version": out.criteria_version,
        "rated": out.rated,
        "five_star": out.stars[5],
    }


def rectification(engine: Engine, now: dt.datetime) -> dict[str, Any]:
    """Rectification orders not accepted by their deadline escalate one level (the station
    chief, then the district); overdue hazards go up one level of government."""
    from pingan.keyplaces.flows import orders_escalate_flow
    from pingan.ratings.flows import hazards_escalate_flow

    with unit_of_work(engine) as s:
        moved = orders_escalate_flow(s, actor=_actor("rectification"), now=now)
    with unit_of_work(engine) as s:
        hazards = hazards_escalate_flow(s, actor=_actor("rectification"), now=now)
    return {
        "orders_escalated": len(moved),
        "to_chief": sum(o.escalation_level == 1 for o in moved),
        "to_district": sum(o.escalation_level == 2 for o in moved),
        "hazards_escalated": len(hazards),
    }


PATROL_TIME_LIMIT_S, PATROL_MAX_ITERATIONS, PATROL_NO_IMPROVEMENT = 1.0, 300, 60
"""The nightly plans' search: each PyVRP run stops at 1 s, 300 iterations or 60 iterations
without a better answer, whichever comes first (the drafts are re-solved on demand)."""


def patrol_plans(engine: Engine, now: dt.datetime) -> dict[str, Any]:
    """Tomorrow's draft patrol plans, four blocks, for every station with foot teams or cars
    (a published plan is kept; each plan in its own unit of work, audited). The four blocks of
    a station share one read of its incidents and the road travel times (``PlanMemo`` and the
    kernel's memo); the searches stop early when they settle (``PATROL_SEARCH``)."""
    import time

    from sqlalchemy import select

    from pingan.errors import PingAnError
    from pingan.patrols.flows import patrol_plan_generate_flow
    from pingan.patrols.planner import LINE_KINDS, PlanMemo
    from pingan.resources.models import Resource

    t0 = time.perf_counter()
    day = _local_today(now) + dt.timedelta(days=1)
    with unit_of_work(engine, write=False) as s:
        stations = sorted(
            set(
                s.scalars(
                    select(Resource.station_id).where(Resource.kind.in_(tuple(LINE_KINDS)))
                ).all()
            )
        )
    made = kept = 0
    memo = PlanMemo()
    for sid in stations:
        memo.frames.clear()  # one station's incidents at a time
        for block in range(4):
            with unit_of_work(engine) as s:
                try:
                    patrol_plan_generate_flow(
                        s,
                        principal=system_principal(),
                        station=sid,
                        day=day,
                        block=block,
                        data_dir=get_settings().data_dir,
                        memo=memo,
                        time_limit_s=PATROL_TIME_LIMIT_S,
                        max_iterations=PATROL_MAX_ITERATIONS,
                        no_improvement=PATROL_NO_IMPROVEMENT,
                    )
                    made += 1
                except PingAnError:  # published already, or no network, polygon or history
                    kept += 1
    return {
        "day": day.isoformat(),
        "stations": len(stations),
        "plans": made,
        "skipped": kept,
        "seconds": round(time.perf_counter() - t0, 1),
    }


def aggregates(engine: Engine, now: dt.datetime) -> dict[str, Any]:
    """The incident counts recounted from the incidents (the writes keep them in step; this
    is the nightly check and the button after a bulk load)."""
    from pingan.aggregates.flows import aggregates_rebuild_flow

    with unit_of_work(engine) as s:
        out = aggregates_rebuild_flow(s, actor=_actor("aggregates"))
    return {"incidents": out.incidents, "seconds": out.seconds}


def coverage_layers(engine: Engine, now: dt.datetime) -> dict[str, Any]:
    """The bureau's 1/3/5-minute layers from today's posts, for every mode and speed regime
    of the day, computed and kept where missing (a post moved or added, a new road network);
    nothing to do when every layer is kept already."""
    from pingan.errors import Conflict
    from pingan.rapid_response.flows import layers_precompute_flow

    with unit_of_work(engine, write=False) as s:
        try:
            return layers_precompute_flow(s, system_principal(), data_dir=get_settings().data_dir)
        except Conflict:  # no road network yet
            return {"computed": 0, "kept": 0, "posts": 0, "seconds": 0.0}


def province(engine: Engine, now: dt.datetime) -> dict[str, Any]:
    """The province analyses: this database's incidents exported into ``data_dir/province``
    (the other cities there kept), then trends, hot spots and warnings re-run on every city
    (``local``, or Dask when ``PINGAN_DASK_SCHEDULER`` is set); ``/province`` reads them."""
    from pingan.province_jobs import province_job

    return province_job(engine, now, actor=_actor("province"))


def partitions(engine: Engine, now: dt.datetime) -> dict[str, Any]:
    """PostgreSQL's month partitions of ``incidents`` created ahead (this month and the next
    :data:`~pingan.store.partitions.AHEAD_MONTHS`) and the default one, where missing; rows of a
    new month already in the default partition move into it. Idempotent. On SQLite or an
    unpartitioned table (the default: partitioning is opt-in, ``PINGAN_PARTITION_INCIDENTS``)
    it does nothing and answers ``{"partitioned": False}``."""
    from pingan.store.partitions import ensure_partitions

    with engine.begin() as conn:
        out = ensure_partitions(conn, now=now)
    if not out["partitioned"]:
        return {"partitioned": False}
    return {"created": len(out["created"]), "moved": out["moved"], "partitions": out["partitions"]}


QUICK = "quick"
"""The lane of the escalations (see :attr:`Job.lane`)."""

JOBS: tuple[Job, ...] = (
    Job("escalate", "逾期指令升级", "Escalate overdue instructions", Every(60), escalate, QUICK),
    Job(
        "checklists",
        "生成当日清单任务",
        "Create the day's checklist tasks",
        DailyAt(0, 5),
        checklists,
    ),
    Job("warnings", "风险预警研判", "Evaluate early warnings", Every(3600), warnings),
    Job("rescreen", "矛盾纠纷风险复核", "Re-screen open disputes", DailyAt(1, 0), rescreen),
    Job("weekly_briefing", "周报", "Weekly briefing", WeeklyAt(0, 8, 0), weekly_briefing),
    Job("audit_anchor", "审计锚点留存", "Keep the audit anchor", DailyAt(0, 10), audit_anchor),
    Job(
        "retention",
        "个人信息到期清除",
        "Purge personal data past retention",
        DailyAt(2, 30),
        retention,
    ),
    Job("ratings", "治安星级复评", "Re-rate premises (security stars)", DailyAt(3, 0), ratings),
    Job(
        "rectification",
        "逾期整改与隐患升级",
        "Escalate late rectification orders and overdue hazards",
        Every(3600),
        rectification,
        QUICK,
    ),
    Job("rentals", "出租房到期提醒", "Remind landlords of ending stays", DailyAt(1, 30), rentals),
    Job(
        "complaints",
        "督察投诉逾期升级",
        "Escalate overdue conduct complaints",
        Every(3600),
        complaints,
        QUICK,
    ),
    Job(
        "patrol_plans",
        "生成次日巡逻勤务计划",
        "Draft tomorrow's patrol plans",
        DailyAt(20, 0),
        patrol_plans,
    ),
    Job(
        "aggregates",
        "警情统计重建",
        "Rebuild the incident counts",
        DailyAt(3, 40),
        aggregates,
    ),
    Job(
        "coverage_layers",
        "快反圈图层预计算",
        "Precompute the 1/3/5-minute layers",
        Every(300),
        coverage_layers,
    ),
    Job("province", "全省研判分析", "Province analyses", DailyAt(4, 30), province),
    Job(
        "partitions",
        "警情按月分区预建",
        "Create the incidents' month partitions ahead",
        DailyAt(0, 20),
        partitions,
    ),
)
_BY_NAME = {j.name: j for j in JOBS}


def get_job(name: str) -> Job | None:
    """The job called ``name``, if any."""
    return _BY_NAME.get(name)
