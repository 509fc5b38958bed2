"""The demo's citizen services on the small city: reports, complaints, stays, notices, the
supervisor; deterministic counts."""

from __future__ import annotations

from sqlalchemy import Engine, func, select

from pingan.citizens.models import Complaint, OnlineReport, PublicNotice, RentalStay
from pingan.demo.citizens import seed_citizens
from pingan.places.models import Premises
from pingan.store.engine import unit_of_work
from tests.factories import build_small_city


def test_seed_citizens(own_engine: Engine) -> None:
    with unit_of_work(own_engine) as s:
        city = build_small_city(s)
        for i, cell in enumerate(city.cells[:6]):
            lon, lat = city.cell_center(i)
            s.add(
                Premises(
                    code=f"P{i}",
                    kind="rental_house" if i % 2 else "market",
                    name=f"单位{i}",
                    lon=lon,
                    lat=lat,
                    jurisdiction_id=cell.id,
                    jpath=cell.path,
                )
            )
        s.commit()
    out = seed_citizens(own_engine, seed=7, supervisor_password="demo-pass-123")
    assert out.startswith("citizens: 6 online reports, 10 complaints")
    with unit_of_work(own_engine, write=False) as s:
        assert s.scalar(select(func.count()).select_from(OnlineReport)) == 6
        assert s.scalar(select(func.count()).select_from(Complaint)) == 10
        assert s.scalar(select(func.count()).select_from(Complaint).where(Complaint.level > 0)) >= 2
        assert s.scalar(select(func.count()).select_from(RentalStay)) == 3
        assert s.scalar(select(func.count()).select_from(PublicNotice)) == 4
