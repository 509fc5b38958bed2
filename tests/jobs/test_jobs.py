from __future__ import annotations

import time
from pathlib import Path

from pingan.auth.service import Principal
from pingan.errors import Invalid
from pingan.jobs.models import Job
from pingan.jobs.service import submit, to_dict
from pingan.store.engine import make_engine, migrate, unit_of_work

P = Principal(user_id=1, username="t", role="admin", jpath="/", jurisdiction_id=None)


def _wait(engine, job_id: str) -> Job:  # type: ignore[no-untyped-def]
    for _ in range(200):
        with unit_of_work(engine, write=False) as s:
            job = s.get(Job, job_id)
            assert job is not None
            if job.status in ("done", "failed"):
                return job
        time.sleep(0.02)
    raise AssertionError("job did not finish")


def test_job_reports_progress_and_result(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'j.db'}")
    migrate(engine)

    def work(report):  # type: ignore[no-untyped-def]
        for i in range(5):
            report(i / 5, f"step {i}")
        return {"answer": 42}

    job = _wait(engine, submit(engine, kind="test", fn=work, params={"n": 5}, principal=P))
    out = to_dict(job)
    assert out["status"] == "done" and out["progress"] == 1.0 and out["result"] == {"answer": 42}

    def bad(report):  # type: ignore[no-untyped-def]
        raise Invalid("standard_s", "must be > 0, got -5")

    job = _wait(engine, submit(engine, kind="test", fn=bad, params={}, principal=P))
    assert job.status == "failed" and job.error == "standard_s: must be > 0, got -5"

    def boom(report):  # type: ignore[no-untyped-def]
        raise RuntimeError("secret internals")

    job = _wait(engine, submit(engine, kind="test", fn=boom, params={}, principal=P))
    assert job.error == "internal error: RuntimeError"
