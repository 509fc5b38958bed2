"""The built-in scheduler: schedules, the leader's lease, runs once per slot, the API and CLI."""

from __future__ import annotations

import datetime as dt
import os
import signal
import threading
import time
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from pingan.errors import Invalid
from pingan.scheduler import flows, service
from pingan.scheduler.jobs import JOBS, Job, get_job
from pingan.scheduler.models import ScheduledRun
from pingan.scheduler.runner import JobProcess, Scheduler, isolated
from pingan.scheduler.schedules import DailyAt, Every, WeeklyAt
from pingan.store.engine import unit_of_work
from tests.conftest import auth
from tests.factories import SmallCity, build_small_city

SH = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 12, 6, 15, 0, 30, tzinfo=dt.UTC)  # Sunday 23:00:30 in Shanghai


def test_every_slots_are_multiples_of_the_interval() -> None:
    s = Every(60)
    assert s.latest_slot(NOW, SH) == dt.datetime(2026, 12, 6, 15, 0, tzinfo=dt.UTC)
    assert s.next_slot(NOW, SH) == dt.datetime(2026, 12, 6, 15, 1, tzinfo=dt.UTC)
    assert (
        Every(3600).describe("zh-CN") == "每 1 小时" and Every(60).describe("en") == "every 1 min"
    )


def test_daily_slots_are_the_bureaus_local_time() -> None:
    s = DailyAt(0, 5)  # 00:05 in Shanghai is 16:05 UTC the day before
    assert s.latest_slot(NOW, SH) == dt.datetime(2026, 12, 5, 16, 5, tzinfo=dt.UTC)
    assert s.next_slot(NOW, SH) == dt.datetime(2026, 12, 6, 16, 5, tzinfo=dt.UTC)
    at_slot = dt.datetime(2026, 12, 6, 16, 5, tzinfo=dt.UTC)
    assert s.latest_slot(at_slot, SH) == at_slot


def test_weekly_slots_fall_on_the_local_monday() -> None:
    s = WeeklyAt(0, 8, 0)
    assert s.latest_slot(NOW, SH) == dt.datetime(2026, 11, 30, 0, 0, tzinfo=dt.UTC)
    assert s.next_slot(NOW, SH) == dt.datetime(2026, 12, 7, 0, 0, tzinfo=dt.UTC)
    assert s.describe("zh-CN") == "每周一 08:00"


def test_one_holder_leads_and_another_takes_over_after_expiry(own_engine: Engine) -> None:
    with unit_of_work(own_engine) as s:
        assert service.take_lease(s, holder="a", now=NOW, ttl_s=30)
        s.commit()
    with unit_of_work(own_engine) as s:
        assert not service.take_lease(s, holder="b", now=NOW + dt.timedelta(seconds=10), ttl_s=30)
        assert service.take_lease(s, holder="a", now=NOW + dt.timedelta(seconds=20), ttl_s=30)
        s.commit()
    with unit_of_work(own_engine) as s:
        assert not service.take_lease(s, holder="b", now=NOW + dt.timedelta(seconds=49), ttl_s=30)
        assert service.take_lease(s, holder="b", now=NOW + dt.timedelta(seconds=51), ttl_s=30)
        s.commit()


def test_concurrent_processes_elect_exactly_one_leader(own_engine: Engine) -> None:
    wins: list[str] = []
    barrier = threading.Barrier(6)

    def contend(name: str) -> None:
        barrier.wait()
        for _ in range(20):
            try:
                with unit_of_work(own_engine) as s:
                    won = service.take_lease(s, holder=name, now=NOW, ttl_s=30)
                    s.commit()
                break
            except Exception:  # SQLite busy under contention: try again, as the tick does
                time.sleep(0.05)
        else:
            raise AssertionError("never got an answer")
        if won:
            wins.append(name)

    threads = [threading.Thread(target=contend, args=(f"p{i}",)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(wins) == 1


def _runs(engine: Engine, job: str) -> list[ScheduledRun]:
    with unit_of_work(engine, write=False) as s:
        return list(s.scalars(select(ScheduledRun).where(ScheduledRun.job == job)))


def test_a_slot_runs_once_and_a_failure_is_recorded(own_engine: Engine) -> None:
    calls: list[dt.datetime] = []

    def work(engine: Engine, now: dt.datetime) -> dict[str, int]:
        calls.append(now)
        return {"created": 3}

    def broken(engine: Engine, now: dt.datetime) -> dict[str, int]:
        raise Invalid("day", "no such day")

    job = Job("t_ok", "测", "test", Every(60), work)
    slot = Every(60).latest_slot(NOW, SH)
    assert flows.run_job_flow(own_engine, job, slot_at=slot) is not None
    assert flows.run_job_flow(own_engine, job, slot_at=slot) is None  # the slot is taken
    assert len(calls) == 1
    (run,) = _runs(own_engine, "t_ok")
    assert run.status == "ok" and run.result == '{"created": 3}' and run.finished_at is not None

    flows.run_job_flow(own_engine, Job("t_bad", "坏", "bad", Every(60), broken), slot_at=slot)
    (bad,) = _runs(own_engine, "t_bad")
    assert bad.status == "failed" and bad.error == "day: no such day"


def test_the_leader_finds_every_job_due_once(own_engine: Engine) -> None:
    due = flows.due_jobs(own_engine, holder="a", now=NOW, ttl_s=30, skip=frozenset())
    assert [d.job.name for d in due] == [j.name for j in JOBS]
    assert flows.due_jobs(own_engine, holder="b", now=NOW, ttl_s=30, skip=frozenset()) == []
    escalate = get_job("escalate")
    assert escalate is not None
    flows.run_job_flow(own_engine, escalate, slot_at=due[0].slot_at)
    again = flows.due_jobs(own_engine, holder="a", now=NOW, ttl_s=30, skip=frozenset({"warnings"}))
    assert "escalate" not in [d.job.name for d in again] and "warnings" not in [
        d.job.name for d in again
    ]
    later = flows.due_jobs(
        own_engine, holder="a", now=NOW + dt.timedelta(seconds=60), ttl_s=30, skip=frozenset()
    )
    assert "escalate" in [d.job.name for d in later]


def test_the_scheduler_thread_runs_due_jobs(own_engine: Engine) -> None:
    """A real Scheduler on a database with the small city: escalation and the day's checklist
    tasks run on their own and are recorded as ok."""
    with unit_of_work(own_engine) as s:
        build_small_city(s)
        s.commit()
    sched = Scheduler(own_engine, poll_s=0.2, ttl_s=5)
    sched.start()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            done = {r.job: r.status for r in _all_runs(own_engine)}
            if done.get("escalate") == "ok" and done.get("checklists") == "ok":
                break
            time.sleep(0.2)
        else:
            raise AssertionError(f"jobs did not run: {_all_runs(own_engine)}")
    finally:
        sched.stop()


def test_jobs_run_in_a_child_process_that_is_replaced_when_it_dies(own_engine: Engine) -> None:
    """A job runs in a process of its own (its GIL is not the web worker's); a child killed
    mid-job has its run ended as failed, and the next job gets a new child."""
    with unit_of_work(own_engine) as s:
        build_small_city(s)
        s.commit()
    assert isolated(own_engine) and Scheduler(own_engine).process
    escalate = get_job("escalate")
    assert escalate is not None
    child = JobProcess(own_engine)
    try:
        first = flows.begin_run_flow(own_engine, escalate, slot_at=NOW)
        assert first is not None
        assert child.submit(escalate, run_id=first).result(timeout=120) == first
        pool = child._pool
        assert pool is not None
        pids = list(pool._processes or {})
        assert pids and os.getpid() not in pids
        os.kill(pids[0], signal.SIGKILL)
        time.sleep(0.5)
        second = flows.begin_run_flow(own_engine, escalate, slot_at=NOW + dt.timedelta(minutes=1))
        assert second is not None
        fut = child.submit(escalate, run_id=second)
        try:
            fut.result(timeout=120)
        except Exception:  # the dying pool took this one: recorded failed, the next one runs
            third = flows.begin_run_flow(
                own_engine, escalate, slot_at=NOW + dt.timedelta(minutes=2)
            )
            assert third is not None
            assert child.submit(escalate, run_id=third).result(timeout=120) == third
    finally:
        child.shutdown()
    # a child of runs started by hand stops when idle, and starts again for the next run
    idle = JobProcess(own_engine, idle_s=0.2)
    try:
        for k in (3, 4):
            run = flows.begin_run_flow(own_engine, escalate, slot_at=NOW + dt.timedelta(minutes=k))
            assert run is not None
            assert idle.submit(escalate, run_id=run).result(timeout=120) == run
            deadline = time.monotonic() + 20
            while idle._pool is not None and time.monotonic() < deadline:
                time.sleep(0.1)
            assert idle._pool is None
    finally:
        idle.shutdown()
    runs = {r.id: r for r in _all_runs(own_engine)}
    assert runs[first].status == "ok"
    assert runs[second].status in ("ok", "failed")
    if runs[second].status == "failed":
        assert "process ended" in (runs[second].error or "")


def _all_runs(engine: Engine) -> list[ScheduledRun]:
    with unit_of_work(engine, write=False) as s:
        return list(s.scalars(select(ScheduledRun)))


@pytest.fixture()
def real_app(own_engine: Engine) -> Iterator[tuple[TestClient, SmallCity]]:
    from pingan.api.app import create_app

    with unit_of_work(own_engine) as s:
        city = build_small_city(s)
        s.commit()
    with TestClient(create_app(engine=own_engine)) as c:
        yield c, city


def test_api_lists_jobs_and_runs_one_now(real_app: tuple[TestClient, SmallCity]) -> None:
    client, city = real_app
    admin = auth(city.tokens["admin"])
    jobs = client.get("/api/v1/scheduler/jobs", headers=admin).json()
    assert [j["name"] for j in jobs] == [j.name for j in JOBS]
    assert jobs[0]["label"] == "逾期指令升级" and jobs[0]["schedule"] == "每 1 分钟"
    en = client.get("/api/v1/scheduler/jobs?lang=en", headers=admin).json()
    assert en[0]["label"] == "Escalate overdue instructions"

    r = client.post("/api/v1/scheduler/jobs/escalate/run", headers=admin)
    assert r.status_code == 202 and r.json()["status"] == "running"
    assert r.json()["trigger"] == "manual" and r.json()["started_by"] == "admin"
    run_id = r.json()["id"]
    deadline = time.monotonic() + 60  # the job process starts on the first run (spawn)
    while time.monotonic() < deadline:
        run = client.get(f"/api/v1/scheduler/runs/{run_id}", headers=admin).json()
        if run["status"] != "running":
            break
        time.sleep(0.05)
    assert run["status"] == "ok" and set(run["result"]) == {"sign_overdue", "complete_overdue"}
    page = client.get("/api/v1/scheduler/runs?job=escalate", headers=admin).json()
    assert [r["id"] for r in page["items"]] == [run_id]


def test_a_job_under_way_is_not_started_again_by_hand(
    real_app: tuple[TestClient, SmallCity], own_engine: Engine
) -> None:
    """A second press while the job runs is a 409 naming the run; a run left marked running
    by a server killed more than an hour ago does not block it."""
    client, city = real_app
    admin = auth(city.tokens["admin"])
    now = dt.datetime.now(dt.UTC)
    with unit_of_work(own_engine) as s:
        lost = service.start_run(
            s,
            job="escalate",
            slot_at=now - dt.timedelta(hours=2),
            trigger="manual",
            started_by="t",
            now=now - dt.timedelta(hours=2),
        )
        busy = service.start_run(
            s, job="rentals", slot_at=now, trigger="manual", started_by="t", now=now
        )
        assert lost is not None and busy is not None
        busy_id = busy.id
        s.commit()
    r = client.post("/api/v1/scheduler/jobs/rentals/run", headers=admin)
    assert r.status_code == 409, r.text
    assert r.json()["error"]["field"] == "job"
    assert r.json()["error"]["message"] == f"rentals is running (run {busy_id}); wait for it"
    r = client.post("/api/v1/scheduler/jobs/escalate/run", headers=admin)
    assert r.status_code == 202 and r.json()["status"] == "running"


def test_api_refuses_others_and_unknown_jobs(real_app: tuple[TestClient, SmallCity]) -> None:
    client, city = real_app
    r = client.get("/api/v1/scheduler/jobs", headers=auth(city.tokens["analyst"]))
    assert r.status_code == 403
    assert r.json()["error"]["message"] == (
        "role 'analyst' may not run scheduled jobs (job.run); allowed: admin"
    )
    r = client.post("/api/v1/scheduler/jobs/nope/run", headers=auth(city.tokens["admin"]))
    assert r.status_code == 404
    assert r.json()["error"]["message"].startswith("job 'nope' not found; use one of escalate,")
    r = client.get("/api/v1/scheduler/runs/2147483648", headers=auth(city.tokens["admin"]))
    assert r.status_code == 422


def test_jobs_page_shows_jobs_to_admins_only(real_app: tuple[TestClient, SmallCity]) -> None:
    import re

    client, _ = real_app
    # the partitions job on the default, plain table: it did nothing and its result says why
    partitions = get_job("partitions")
    assert partitions is not None
    engine = client.app.state.engine  # type: ignore[attr-defined]
    now = dt.datetime.now(dt.UTC)
    assert flows.run_job_flow(engine, partitions, slot_at=now, trigger="manual") is not None
    for user, status in (("admin", 200), ("analyst", 403)):
        client.cookies.clear()
        page = client.get("/login")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert csrf is not None
        r = client.post(
            "/login",
            data={"username": user, "password": "correct-horse-1", "csrf": csrf.group(1)},
            follow_redirects=False,
        )
        assert r.status_code == 303
        r = client.get("/jobs")
        assert r.status_code == status
        if status == 200:
            assert "逾期指令升级" in r.text and 'data-job="warnings"' in r.text
            assert 'href="/jobs"' in r.text
            assert "已分区 否" in r.text  # the partitions job: "partitioned: no"
        else:
            assert "只有系统管理员可以查看和运行定时任务" in r.text
            assert 'href="/jobs"' not in r.text


def test_cli_lists_and_runs_a_job(own_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    from pingan.cli import app
    from pingan.store import engine as store_engine

    monkeypatch.setattr(store_engine, "get_engine", lambda: own_engine)
    runner = CliRunner()
    out = runner.invoke(app, ["jobs", "run", "escalate"])
    assert out.exit_code == 0, out.output
    assert out.output.startswith("escalate: ok {")
    out = runner.invoke(app, ["jobs", "run", "nope"])
    assert out.exit_code == 2
    assert "job 'nope' not found" in out.output
    with unit_of_work(own_engine) as s:  # a run under way: refused in one line
        now = dt.datetime.now(dt.UTC)
        busy = service.start_run(
            s, job="rentals", slot_at=now, trigger="manual", started_by="t", now=now
        )
        assert busy is not None
        busy_id = busy.id
        s.commit()
    out = runner.invoke(app, ["jobs", "run", "rentals"])
    assert out.exit_code == 2, out.output
    assert out.output.strip() == f"error: rentals is running (run {busy_id}); wait for it"
    out = runner.invoke(app, ["jobs", "list", "--lang", "en"], env={"COLUMNS": "200"})
    assert out.exit_code == 0 and "Escalate overdue instructions" in out.output


def test_escalation_does_not_wait_behind_a_long_job(
    own_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two lanes: while a long job runs, the minute's escalation runs and ends (one queue made
    it wait minutes behind the catch-up analyses at a start); a queued run's time is its own."""
    release, started = threading.Event(), threading.Event()

    def slow(engine: Engine, now: dt.datetime) -> dict[str, int]:
        started.set()
        release.wait(30)
        return {"n": 1}

    jobs = (
        Job("slow_analysis", "慢", "Slow", Every(3600), slow),
        Job("quick_escalation", "快", "Quick", Every(60), lambda e, n: {"n": 2}, "quick"),
    )
    monkeypatch.setattr(flows, "JOBS", jobs)
    sched = Scheduler(own_engine, poll_s=60, ttl_s=120, process=False)
    try:
        assert {d.job.name for d in sched.tick()} == {"slow_analysis", "quick_escalation"}
        assert started.wait(10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            done = {r.job: r.status for r in _all_runs(own_engine)}
            if done.get("quick_escalation") == "ok":
                break
            time.sleep(0.05)
        assert done == {"slow_analysis": "running", "quick_escalation": "ok"}
    finally:
        release.set()
        sched.stop()
    # a run handed over while its lane was busy counts from when it started
    run_id = flows.begin_run_flow(own_engine, jobs[1], slot_at=NOW)
    assert run_id is not None
    with unit_of_work(own_engine) as s:
        row = s.get(ScheduledRun, run_id)
        assert row is not None
        row.started_at = row.started_at - dt.timedelta(minutes=5)  # queued five minutes ago
        s.commit()
    flows.run_job_flow(own_engine, jobs[1], slot_at=NOW, run_id=run_id)
    with unit_of_work(own_engine, write=False) as s:
        row = s.get(ScheduledRun, run_id)
        assert row is not None and row.finished_at is not None
        assert (row.finished_at - row.started_at).total_seconds() < 60
