"""The demo city's units and open incidents agree: no unit is busy without an incident, and
every incident that has reached a unit (dispatched, en route, on scene) has one."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import select

from pingan.demo.city import build_city
from pingan.demo.load import BUSY, load_city
from pingan.demo.simulate import simulate_incidents
from pingan.dispatch.models import Assignment
from pingan.incidents.models import Incident
from pingan.resources.models import Resource
from pingan.store.engine import make_engine, migrate, unit_of_work


def test_busy_units_and_open_incidents_are_linked(tmp_path: Path) -> None:
    eng = make_engine(f"sqlite:///{tmp_path / 'demo.db'}")
    migrate(eng)
    city = build_city()
    end = dt.datetime.now(dt.UTC).replace(microsecond=0)
    incidents = simulate_incidents(city, seed=5, end=end, years=2 / 365)
    summary = load_city(eng, city, incidents)
    with unit_of_work(eng, write=False) as s:
        units = s.scalars(select(Resource)).all()
        busy = [u for u in units if u.status in BUSY]
        reached = s.scalars(select(Incident).where(Incident.state.in_(BUSY))).all()
        active = {
            a.incident_id: a
            for a in s.scalars(select(Assignment).where(Assignment.state.in_(BUSY)))
        }
        assert reached, "the simulated history ends with incidents under way"
        assert summary.counts["assignments"] == len(reached) == len(active) == len(busy)
        for inc in reached:
            a = active[inc.id]
            assert a.state == inc.state and a.jpath == inc.jpath and a.eta_s is not None
            unit = s.get(Resource, a.resource_id)
            assert unit is not None and unit.status == inc.state
            assert unit.current_incident_id == inc.id
            assert unit.kind not in ("fixed_post", "drone_base", "drone")
        assert all(u.current_incident_id is not None for u in busy)
