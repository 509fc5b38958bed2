"""A fast-forward drill works every call through the dispatcher's services, with no error."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from pingan.demo.drill import Drill
from pingan.dispatch.models import Assignment
from pingan.incidents.models import Incident
from pingan.resources.models import Resource
from pingan.store.engine import unit_of_work
from tests.factories import build_small_city
from tests.rapid_response.city import build


def test_fast_forward_drill_has_no_error(
    own_engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from pingan.rapid_response import data

    data.clear_network_cache()
    with unit_of_work(own_engine) as s:
        city = build_small_city(s)
        build(s, city, tmp_path, n_incidents=3)
        s.commit()
        spots = [city.cell_center(i) for i in (0, 3, 5, 6, 9, 10, 12, 15)]
        before = set(s.scalars(select(Incident.id)))
    subtypes = ["fight", "robbery", "burglary", "fire", "assault", "snatching", "noise", "fraud"]
    feed = [
        (0.02, {"subtype": st, "priority": 2, "lon": lon, "lat": lat})
        for st, (lon, lat) in zip(subtypes, spots, strict=True)
    ]
    drill = Drill(own_engine, tmp_path, speed=3000.0, feed=feed)
    with caplog.at_level(logging.INFO, logger="pingan"):
        drill.start()
        assert drill.done.wait(60), "the drill did not finish its calls"
        drill.close()
    errors = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert errors == [], [r.getMessage() for r in errors]
    assert drill.created == 8 and drill.dispatched == 8 and drill.closed == 8
    with unit_of_work(own_engine, write=False) as s:
        new = s.scalars(select(Incident).where(Incident.id.not_in(before))).all()
        assert {i.source for i in new} == {"drill"}
        assert {i.state for i in new} == {"closed"}
        assert all(i.on_scene_at is not None and i.dispatched_at is not None for i in new)
        states = s.scalars(select(Assignment.state)).all()
        assert len(states) == 8 and set(states) == {"cleared"}
        units = s.scalars(select(Resource)).all()
        assert {u.status for u in units} == {"available"}
        assert all(u.current_incident_id is None for u in units)
