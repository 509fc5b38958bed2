"""Every figure a scheduled job returns is named in both page languages on ``/jobs``: the keys
of the dicts each job function returns (read from its source, so a new figure without a
translation fails here), and the word values (the province job's ``engine``) too."""

from __future__ import annotations

import ast
import datetime as dt
import inspect
import re
import textwrap
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from pingan.province_jobs import province_job
from pingan.scheduler import service
from pingan.scheduler.jobs import JOBS
from pingan.store.engine import unit_of_work
from pingan.web.i18n import messages
from tests.factories import build_small_city


def _returned_keys(fn: object) -> set[str]:
    tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))  # type: ignore[arg-type]
    keys: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Return) and isinstance(node.value, ast.Dict):
            keys |= {k.value for k in node.value.keys if isinstance(k, ast.Constant)}
    return keys


def test_every_job_result_field_is_translated() -> None:
    keys: set[str] = set()
    for job in JOBS:
        keys |= _returned_keys(job.run)
    keys |= _returned_keys(province_job)
    assert {"stations", "plans", "computed", "engine", "export_s"} <= keys  # the reader works
    for lang in ("zh-CN", "en"):
        known = messages(lang)
        missing = sorted(k for k in keys if f"jobs.field.{k}" not in known)
        assert missing == [], f"{lang}: /jobs shows the raw keys jobs.field.{missing}"
    zh = messages("zh-CN")
    latin = {k: zh[f"jobs.field.{k}"] for k in keys if re.search("[A-Za-z]", zh[f"jobs.field.{k}"])}
    assert latin == {}


@pytest.fixture()
def client(own_engine: Engine) -> Iterator[TestClient]:
    from pingan.api.app import create_app

    with unit_of_work(own_engine) as s:
        build_small_city(s)
        now = dt.datetime.now(dt.UTC)
        run = service.start_run(
            s, job="province", slot_at=now, trigger="manual", started_by="t", now=now
        )
        assert run is not None
        result = {"city": "5301", "incidents": 496007, "engine": "local", "seconds": 7.9}
        service.finish_run(s, run_id=run.id, now=now, result=result)
        s.commit()
    with TestClient(create_app(engine=own_engine)) as c:
        yield c


@pytest.mark.parametrize(("lang", "shown"), [("zh-CN", "引擎 本机"), ("en", "engine local")])
def test_the_jobs_page_names_every_figure(client: TestClient, lang: str, shown: str) -> None:
    page = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf is not None
    r = client.post(
        "/login",
        data={"username": "admin", "password": "correct-horse-1", "csrf": csrf.group(1)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    if lang == "en":
        client.get("/lang/en")
    r = client.get("/jobs")
    assert r.status_code == 200
    tables = r.text[r.text.index('id="jobs"') : r.text.index("</main>")]  # not the messages
    assert "jobs.field." not in tables and "jobs.value." not in tables
    assert shown in tables
