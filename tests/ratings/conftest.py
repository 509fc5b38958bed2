"""Three schools in the small city whose ratings are computable by hand (default criteria):

- ``good`` (station 0, cell 0): every feature present, a passed inspection last month, two
  cameras 20 m away, no incident, no hazard, no order due → 110 / 110, five stars, green;
- ``poor`` (station 0, cell 0, 330 m east): nothing recorded, six incidents within 50 m this
  year (the median of schools is 0), one open hazard linked → 15 / 110 (half the hazard item
  and the rectification item, no order due),
  one star, red;
- ``fair`` (station 1): staffed gate, alarm link and lighting, one camera → 15 + 15 + 5 + 7.5
  + 10 (no hazard) + 10 (no incident) + 10 (no rectification order due) = 72.5 / 110, three
  stars, yellow.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session

from pingan.cameras.models import Camera
from pingan.evaluation.models import PremisesInspection
from pingan.incidents.models import Incident
from pingan.jurisdictions.models import Jurisdiction
from pingan.places.models import Premises
from pingan.ratings.models import Hazard, PremisesFeature
from pingan.store.base import utcnow
from tests.factories import SmallCity, incident_row

DEG_M = 111_000.0


@dataclass
class Schools:
    city: SmallCity
    good: Premises
    poor: Premises
    fair: Premises
    incidents: list[int]


def _premises(session: Session, code: str, cell: Jurisdiction, lon: float, lat: float) -> Premises:
    p = Premises(
        code=code,
        kind="school",
        name=f"学校{code}",
        lon=lon,
        lat=lat,
        jurisdiction_id=cell.id,
        jpath=cell.path,
    )
    session.add(p)
    session.flush()
    return p


def _features(session: Session, p: Premises, codes: list[str]) -> None:
    for c in codes:
        session.add(PremisesFeature(premises_id=p.id, jpath=p.jpath, code=c, present=True))


def _camera(session: Session, code: str, lon: float, lat: float, cell: Jurisdiction) -> None:
    session.add(
        Camera(code=code, lon=lon, lat=lat, heading_deg=0, fov_deg=90, range_m=60, jpath=cell.path)
    )


@pytest.fixture()
def schools(session: Session, city: SmallCity) -> Schools:
    now = utcnow()
    c0, c8 = city.cells[0], city.cells[8]
    lon0, lat0 = city.cell_center(0)
    good = _premises(session, "S-GOOD", c0, lon0, lat0)
    poor = _premises(session, "S-POOR", c0, lon0 + 0.003, lat0)
    lon8, lat8 = city.cell_center(8)
    fair = _premises(session, "S-FAIR", c8, lon8, lat8)
    _features(
        session, good, ["staffed_gate", "visitor_registration", "lighting", "patrols", "alarm_link"]
    )
    _features(session, fair, ["staffed_gate", "alarm_link", "lighting"])
    session.add(
        PremisesFeature(
            premises_id=poor.id, jpath=poor.jpath, code="lighting", present=False, note="路灯损坏"
        )
    )
    _camera(session, "CAM-1", lon0 + 20 / DEG_M, lat0, c0)
    _camera(session, "CAM-2", lon0, lat0 + 20 / DEG_M, c0)
    _camera(session, "CAM-3", lon8, lat8 + 20 / DEG_M, c8)
    session.add(
        PremisesInspection(
            premises_id=good.id,
            jpath=good.jpath,
            inspected_at=now - dt.timedelta(days=30),
            outcome="ok",
        )
    )
    session.add(
        Hazard(
            code="HZ-1",
            category="fire",
            title="消防通道堵塞",
            lon=poor.lon,
            lat=poor.lat,
            premises_id=poor.id,
            jurisdiction_id=c0.id,
            jpath=c0.path,
        )
    )
    incidents = []
    for k in range(6):
        lon, lat = poor.lon + (k * 8) / DEG_M, poor.lat
        i = incident_row(
            f"JQ-R{k}",
            now - dt.timedelta(days=10 + k),
            lon=lon,
            lat=lat,
            subtype="pickpocketing",
            klass="criminal",
            state="closed",
            jurisdiction_id=c0.id,
            jpath=c0.path,
        )
        session.add(i)
        session.flush()
        incidents.append(i.id)
    # an old incident outside the 12-month window does not count
    session.add(
        Incident(
            code="JQ-OLD",
            subtype="theft",
            klass="criminal",
            priority=2,
            source="call_110",
            state="closed",
            lon=good.lon,
            lat=good.lat,
            input_lon=good.lon,
            input_lat=good.lat,
            jurisdiction_id=c0.id,
            jpath=c0.path,
            reported_at=now - dt.timedelta(days=400),
        )
    )
    session.flush()
    return Schools(city, good, poor, fair, incidents)
