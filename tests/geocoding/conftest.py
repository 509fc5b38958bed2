"""Fixtures of the geocoder tests: a small address register on the small test city."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy.orm import Session

from pingan.geocoding.service import write_addresses, write_names
from tests.factories import LAT0, LON0, STEP, SmallCity


def _register(session: Session, city: SmallCity) -> None:
    """北京路 1-120号 across station 0's cells, 人民路 1-40号 in station 1, a junction."""
    labels, roads, doors, lons, lats, jids, paths = [], [], [], [], [], [], []
    cells = {c.code: c for c in city.cells}
    for n in range(1, 121):  # west to east along the bottom row of station 0 (cells G0, G1)
        lon = LON0 + 0.0002 + (n - 1) * (4 * STEP - 0.0004) / 120
        lat = LAT0 + 0.0005
        com = "T1-S0-C0" if lon < LON0 + 2 * STEP else "T1-S0-C1"
        cell = cells[f"{com}-G{0 if (lon - LON0) % (2 * STEP) < STEP else 1}"]
        labels.append(f"北京路{n}号")
        roads.append("北京路")
        doors.append(str(n))
        lons.append(lon)
        lats.append(lat)
        jids.append(cell.id)
        paths.append(cell.path)
    for n in range(1, 41):  # station 1, top row
        cell = cells["T1-S1-C0-G2"]
        labels.append(f"人民路{n}号")
        roads.append("人民路")
        doors.append(str(n))
        lons.append(LON0 + 4 * STEP + 0.0002 + n * 0.0002)
        lats.append(LAT0 + 1.5 * STEP)
        jids.append(cell.id)
        paths.append(cell.path)
    labels.append("北京路88号3栋")
    roads.append("北京路")
    doors.append("88")
    lons.append(lons[87])
    lats.append(lats[87] + 0.0003)
    jids.append(jids[87])
    paths.append(paths[87])
    conn = session.connection()
    write_addresses(
        conn,
        code=None,
        text_zh=labels,
        road_zh=roads,
        door_no=doors,
        building=[None] * (len(labels) - 1) + ["3栋"],
        unit=[None] * len(labels),
        lon=np.array(lons),
        lat=np.array(lats),
        jurisdiction_id=np.array(jids),
        jpath=paths,
        created_at="2026-01-01 00:00:00.000000" + ("+00" if conn.dialect.name != "sqlite" else ""),
    )
    g1 = cells["T1-S0-C0-G1"]
    write_names(
        conn,
        kind="road",
        label=["北京路", "人民路"],
        lon=np.array([LON0 + STEP, LON0 + 5 * STEP]),
        lat=np.array([LAT0 + 0.0005, LAT0 + 1.5 * STEP]),
        jurisdiction_id=np.array([g1.id, cells["T1-S1-C0-G2"].id]),
        jpath=[g1.path, cells["T1-S1-C0-G2"].path],
    )
    write_names(
        conn,
        kind="junction",
        label=["北京路与环城南路交叉口"],
        lon=np.array([LON0 + 1.5 * STEP]),
        lat=np.array([LAT0 + 0.0005]),
        jurisdiction_id=np.array([g1.id]),
        jpath=[g1.path],
    )
    session.flush()


@pytest.fixture()
def register(session: Session, city: SmallCity) -> SmallCity:
    _register(session, city)
    return city
