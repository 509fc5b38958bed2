"""The demo links each station's foot teams one-to-one to its community officers, so an officer
who signs in on ``/m/`` of the demo city can go on duty (no CLI step)."""

from __future__ import annotations

from sqlalchemy import Engine, select

from pingan.auth.models import User
from pingan.demo.field import link_field_units
from pingan.fieldapp.models import FieldUnit
from pingan.resources.models import Resource
from pingan.store.engine import unit_of_work
from tests.factories import build_small_city


def test_foot_teams_are_linked_one_to_one_in_their_station(own_engine: Engine) -> None:
    with unit_of_work(own_engine) as s:
        city = build_small_city(s)
        s0, s1 = city.stations[0], city.stations[1]
        for code, kind, st in (
            ("FT-A", "foot_team", s0),
            ("FT-B", "foot_team", s0),  # one officer in T1-S0: the second team stays unlinked
            ("FT-C", "foot_team", s1),  # no officer in T1-S1
            ("PC-A", "patrol_car", s0),
        ):
            s.add(
                Resource(
                    code=code,
                    kind=kind,
                    name_zh=code,
                    name_en=code,
                    station_id=st.id,
                    jpath=st.path,
                )
            )
        s.commit()
    assert link_field_units(own_engine) == "field app: 1 community officers linked to a foot team"
    with unit_of_work(own_engine) as s:
        rows = s.execute(
            select(User.username, Resource.code)
            .join(FieldUnit, FieldUnit.user_id == User.id)
            .join(Resource, Resource.id == FieldUnit.resource_id)
        ).all()
        assert [tuple(r) for r in rows] == [("officer0", "FT-A")]
    # run twice (a rebuilt demo): nothing linked twice
    assert link_field_units(own_engine) == "field app: 0 community officers linked to a foot team"
