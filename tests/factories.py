"""Row factories for tests: a small city near Kunming with users of every role."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import shapely
from sqlalchemy.orm import Session

from pingan.audit.service import Actor
from pingan.auth import service as auth
from pingan.auth.models import User
from pingan.incidents.models import Incident
from pingan.jurisdictions import service as jur
from pingan.jurisdictions.models import Jurisdiction

LON0, LAT0 = 102.70, 25.02
STEP = 0.01  # about 1 km


@dataclass
class SmallCity:
    """Bureau → 1 district → 2 stations → 2 communities each → 4 cells each (2×2 grid)."""

    bureau: Jurisdiction
    district: Jurisdiction
    stations: list[Jurisdiction]
    communities: list[Jurisdiction]
    cells: list[Jurisdiction]
    users: dict[str, User] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def cell_center(self, i: int) -> tuple[float, float]:
        c = shapely.from_geojson(self.cells[i].geometry).centroid
        return float(c.x), float(c.y)


def incident_row(
    code: str, at: dt.datetime, *, lon: float = LON0, lat: float = LAT0, **kw: Any
) -> Incident:
    """An incident row built directly, not through the write path (no audit, no aggregates):
    a theft reported at ``at`` at ``lon``/``lat`` (also its input position), state ``new``,
    under ``/`` unless ``jpath`` says; any other column by keyword. For tests of reads."""
    values: dict[str, Any] = {
        "code": code,
        "subtype": "theft",
        "klass": "property",
        "priority": 2,
        "source": "call_110",
        "state": "new",
        "lon": lon,
        "lat": lat,
        "input_lon": lon,
        "input_lat": lat,
        "jpath": "/",
        "reported_at": at,
        **kw,
    }
    return Incident(**values)


def box(x0: float, y0: float, w: float, h: float) -> shapely.Polygon:
    return shapely.box(x0, y0, x0 + w, y0 + h)


def build_small_city(session: Session) -> SmallCity:
    sys = Actor.system("test")
    bureau = jur.create(
        session,
        actor=sys,
        code="T0",
        level="bureau",
        name_zh="测试市公安局",
        name_en="Test City PSB",
        geometry=box(LON0, LAT0, 8 * STEP, 2 * STEP),
    )
    district = jur.create(
        session,
        actor=sys,
        code="T1",
        level="district",
        name_zh="一区",
        name_en="District One",
        parent_code="T0",
        geometry=box(LON0, LAT0, 8 * STEP, 2 * STEP),
    )
    stations, communities, cells = [], [], []
    for s in range(2):
        sx = LON0 + s * 4 * STEP
        st = jur.create(
            session,
            actor=sys,
            code=f"T1-S{s}",
            level="station",
            name_zh=f"第{s + 1}派出所",
            name_en=f"Station {s + 1}",
            parent_code="T1",
            geometry=box(sx, LAT0, 4 * STEP, 2 * STEP),
            site=(sx + STEP, LAT0 + STEP),
        )
        stations.append(st)
        for c in range(2):
            cx = sx + c * 2 * STEP
            com = jur.create(
                session,
                actor=sys,
                code=f"T1-S{s}-C{c}",
                level="community",
                name_zh=f"社区{s}{c}",
                name_en=f"Community {s}{c}",
                parent_code=st.code,
                geometry=box(cx, LAT0, 2 * STEP, 2 * STEP),
            )
            communities.append(com)
            for k in range(4):
                gx, gy = cx + (k % 2) * STEP, LAT0 + (k // 2) * STEP
                cells.append(
                    jur.create(
                        session,
                        actor=sys,
                        code=f"{com.code}-G{k}",
                        level="cell",
                        name_zh=f"网格{k}",
                        name_en=f"Cell {k}",
                        parent_code=com.code,
                        geometry=box(gx, gy, STEP, STEP),
                    )
                )
    city = SmallCity(bureau, district, stations, communities, cells)
    roles = {
        "admin": ("admin", None),
        "commander": ("commander", None),
        "dispatcher": ("dispatcher", None),
        "chief0": ("station_chief", "T1-S0"),
        "chief1": ("station_chief", "T1-S1"),
        "officer0": ("community_officer", "T1-S0-C0"),
        "analyst": ("analyst", None),
        "supervisor": ("supervisor", None),
        "volunteer0": ("volunteer", "T1-S0-C0"),
    }
    for name, (role, code) in roles.items():
        u = auth.create_user(
            session,
            actor=sys,
            username=name,
            password="correct-horse-1",
            role=role,
            jurisdiction_code=code,
        )
        city.users[name] = u
        city.tokens[name] = auth.create_token(session, actor=sys, user=u, name="test")
    for cell in cells:
        cell.owner_id = city.users["officer0"].id
    session.flush()
    return city


def plant_cluster_warning(session: Session, city: SmallCity, *, dedup_key: str) -> None:
    """A space-time cluster warning in the first cell of station 0, over the last three days
    (12 incidents within 400 m against 2.5 expected), as the warnings job would store it."""
    import datetime as dt

    from pingan.alerts.service import NewWarning, store_warnings

    now = dt.datetime.now(dt.UTC)
    lon, lat = city.cell_center(0)
    store_warnings(
        session,
        actor=Actor.system(),
        warnings=[
            NewWarning(
                kind="scan_cluster",
                category="all",
                jpath=city.stations[0].path,
                center_lon=lon,
                center_lat=lat,
                radius_m=400.0,
                window_start=now - dt.timedelta(days=3),
                window_end=now,
                observed=12,
                expected=2.5,
                statistic=9.8,
                p_value=0.002,
                severity=1,
                explanation_zh="时空聚集：半径 400 米内 12 起，预期 2.5 起",
                explanation_en="Space-time cluster: 12 within 400 m against 2.5 expected",
                dedup_key=dedup_key,
            )
        ],
    )
