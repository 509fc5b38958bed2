"""Two dispatchers send the same unit at once, on a real committed database: exactly one 201
(the assignment), one 409 naming the incident the unit went to."""

from __future__ import annotations

import threading

from sqlalchemy import Engine, func, select

from pingan.auth.service import principal_for
from pingan.dispatch import flows
from pingan.dispatch.models import Assignment
from pingan.errors import Conflict
from pingan.incidents import service as incidents
from pingan.incidents.models import Incident
from pingan.incidents.schemas import IncidentCreate
from pingan.resources import service as resources
from pingan.resources.models import Resource
from pingan.resources.schemas import ResourceCreate
from pingan.store.engine import session_factory, unit_of_work
from tests.factories import build_small_city


def test_two_dispatchers_same_unit(own_engine: Engine) -> None:
    with unit_of_work(own_engine) as s:
        city = build_small_city(s)
        p = principal_for(s, city.users["dispatcher"])
        unit = resources.create(
            s,
            principal=p,
            data=ResourceCreate(
                code="R1", kind="patrol_car", name_zh="巡逻车", station_code="T1-S0"
            ),
        )
        ids = []
        for cell in (1, 2):
            lon, lat = city.cell_center(cell)
            inc, _ = incidents.create(
                s, principal=p, data=IncidentCreate(subtype="fight", lon=lon, lat=lat)
            )
            ids.append(inc.id)
        codes = {i: s.get(Incident, i).code for i in ids}  # type: ignore[union-attr]
        s.commit()
        unit_id = unit.id
    factory = session_factory(own_engine, write=True)
    for _round in range(3):
        barrier = threading.Barrier(2)
        results: list[object] = [None, None]

        def send(
            k: int, barrier: threading.Barrier = barrier, results: list[object] = results
        ) -> None:
            with factory() as s:
                barrier.wait()
                try:
                    results[k] = flows.assignment_create_flow(
                        s, principal=p, incident_id=ids[k], resource_id=unit_id
                    ).incident_id
                except Conflict as exc:
                    s.rollback()
                    results[k] = exc

        threads = [threading.Thread(target=send, args=(k,)) for k in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        won = [r for r in results if isinstance(r, int)]
        lost = [r for r in results if isinstance(r, Conflict)]
        assert len(won) == 1 and len(lost) == 1, results
        assert lost[0].message == (
            f"unit R1 is dispatched on incident {codes[won[0]]}; clear or cancel that assignment "
            "first, or send another unit"
        )
        with unit_of_work(own_engine) as s:
            assert s.scalar(select(func.count()).select_from(Assignment)) == _round + 1
            assert s.get(Resource, unit_id).current_incident_id == won[0]  # type: ignore[union-attr]
            a = s.scalar(select(Assignment).where(Assignment.state == "dispatched"))
            assert a is not None
            flows.assignment_transition_flow(
                s, principal=p, assignment_id=a.id, to_state="cancelled"
            )
