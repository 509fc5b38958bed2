"""Write a generated demo city and its incident history into the database, fast.

The database must be freshly migrated and empty. Rows get explicit ids so that paths and
references are computed in numpy, then go in with :func:`pingan.store.bulk.bulk_insert`
(``executemany`` on SQLite, ``COPY`` on PostgreSQL) inside one transaction: a failed build
leaves nothing behind. One audit record describes the build.

Historical incidents carry their lifecycle timestamps in their columns; their timeline is
derived from those (no per-step event rows), which keeps a two-year build within minutes.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from sqlalchemy import Engine, func, select, text

from pingan.audit.service import Actor, record
from pingan.auth.models import ROLES
from pingan.auth.service import hash_password
from pingan.demo.city import Area, City
from pingan.demo.ops_tasks import load_ops_history
from pingan.demo.simulate import IncidentArrays
from pingan.errors import Conflict
from pingan.incidents.taxonomy import get_taxonomy
from pingan.jurisdictions.models import Jurisdiction
from pingan.store.base import set_data_key
from pingan.store.bulk import bulk_insert, reset_sequence, timestamps_for
from pingan.store.engine import unit_of_work

__all__ = ["DemoSummary", "load_city"]

Progress = Callable[[str, int], None]


@dataclass
class DemoSummary:
    """What a demo build wrote, and the one-time passwords per role."""

    counts: dict[str, int] = field(default_factory=dict)
    passwords: dict[str, str] = field(default_factory=dict)
    usernames: dict[str, list[str]] = field(default_factory=dict)


def _now_text(conn: Any) -> str:
    now = np.array([int(dt.datetime.now(dt.UTC).timestamp())], dtype=np.int64)
    return str(timestamps_for(conn, now)[0])


def _areas(city: City) -> list[Area]:
    return [city.bureau, *city.districts, *city.stations, *city.communities, *city.cells]


def load_city(
    engine: Engine,
    city: City,
    incidents: IncidentArrays | None,
    *,
    data_key: bytes | None = None,
    progress: Progress | None = None,
) -> DemoSummary:
    """Load ``city`` (and ``incidents``) into an empty, migrated database."""
    tick: Progress = progress or (lambda _label, _n: None)
    if data_key is not None:
        set_data_key(data_key)
    summary = DemoSummary()
    with unit_of_work(engine) as session:
        if session.scalar(select(func.count(Jurisdiction.id))):
            raise Conflict(
                "the database already holds jurisdictions; build the demo into a "
                "fresh database (pingan demo --rebuild)",
                field="database",
            )
        conn = session.connection()
        now = _now_text(conn)
        counts = summary.counts
        tree = _load_jurisdictions(conn, city, now)
        counts["jurisdictions"] = len(tree.ids)
        tick("jurisdictions", len(tree.ids))
        counts["users"] = _load_users(conn, city, tree, now, summary)
        tick("users", counts["users"])
        counts["premises"] = _load_premises(conn, city, tree, now)
        tick("premises", counts["premises"])
        counts["key_areas"] = _load_key_areas(conn, city, tree, now)

        # standard addresses: door plates, roads, junctions (pingan.demo.addresses)
        from pingan.demo.addresses import load_addresses

        counts.update(load_addresses(conn, city, ids=tree.ids, paths=tree.paths, now=now))
        tick("addresses", counts["addresses"])
        counts["resources"] = _load_units(conn, city, tree, now)
        counts["cameras"] = _load_cameras(conn, city, tree, now)
        tick("forces", counts["cameras"])
        if incidents is not None and len(incidents):
            counts["incidents"] = _load_incidents(conn, incidents, tree.ids, tree.paths, tick)
        counts["assignments"] = _link_open_incidents(conn, now)
        _load_operations(session, conn, city, summary, tick)
        record(
            session,
            actor=Actor.system("demo"),
            action="demo_build",
            entity="demo",
            detail={"seed": city.seed, "counts": counts},
        )
        session.commit()
    if engine.dialect.name == "postgresql":
        # committed: statistics that ANALYZE writes in a transaction rolled back are lost,
        # while the activity counters say it ran, so autovacuum would not analyze again soon
        with engine.begin() as c:
            c.execute(text("ANALYZE"))
    return summary


@dataclass(frozen=True)
class _Tree:
    """The loaded jurisdictions: id and path of each area by its code."""

    ids: dict[str, int]
    paths: dict[str, str]


def _load_jurisdictions(conn: Any, city: City, now: str) -> _Tree:
    """Every area with an explicit id and its path from its parent's."""
    areas = _areas(city)
    ids = {a.code: i + 1 for i, a in enumerate(areas)}
    paths: dict[str, str] = {}
    polys = np.array([a.polygon for a in areas], dtype=object)
    geojson = shapely.to_geojson(polys)
    bounds = shapely.bounds(polys)
    reps = shapely.point_on_surface(polys)
    rx, ry = shapely.get_x(reps), shapely.get_y(reps)
    rows = []
    for i, a in enumerate(areas):
        parent = paths.get(a.parent_code) if a.parent_code else None
        paths[a.code] = (parent or "/") + f"{ids[a.code]}/"
        rows.append(
            (
                ids[a.code],
                a.code,
                a.level,
                a.name_zh,
                a.name_en,
                ids.get(a.parent_code) if a.parent_code else None,
                paths[a.code],
                str(geojson[i]),
                *map(float, bounds[i]),
                float(rx[i]),
                float(ry[i]),
                a.station_lon,
                a.station_lat,
                now,
                now,
            )
        )
    _insert(
        conn,
        "jurisdictions",
        (
            "id code level name_zh name_en parent_id path geometry min_lon min_lat max_lon "
            "max_lat centroid_lon centroid_lat site_lon site_lat created_at updated_at"
        ),
        rows,
    )
    return _Tree(ids, paths)


def _load_users(conn: Any, city: City, tree: _Tree, now: str, summary: DemoSummary) -> int:
    """The demo users (one generated password per role, hashed once per role, kept in
    ``summary``) and the owners of the grid cells."""
    hashes: dict[str, str] = {}
    for role in ROLES:
        pw = secrets.token_urlsafe(9)
        summary.passwords[role] = pw
        hashes[role] = hash_password(pw)
    user_ids: dict[str, int] = {}
    urows = []
    for k_user, p in enumerate(city.people):
        user_ids[p.username] = k_user + 1
        summary.usernames.setdefault(p.role, []).append(p.username)
        jid = tree.ids.get(p.jurisdiction_code) if p.jurisdiction_code else None
        if (
            p.role in ("admin", "commander", "dispatcher", "analyst")
            and p.jurisdiction_code == city.bureau.code
        ):
            jid = None  # bureau-wide
        urows.append(
            (
                k_user + 1,
                p.username,
                p.display_name_zh,
                p.role,
                jid,
                hashes[p.role],
                True,
                0,
                "zh-CN",
                now,
            )
        )
    n = _insert(
        conn,
        "users",
        (
            "id username display_name role jurisdiction_id password_hash is_active failed_logins "
            "language created_at"
        ),
        urows,
    )
    owners = [
        (user_ids[a.owner_officer], tree.ids[a.code])
        for a in city.cells
        if a.owner_officer in user_ids
    ]
    conn.connection.driver_connection.cursor().executemany(
        "UPDATE jurisdictions SET owner_id = %s WHERE id = %s"
        if conn.dialect.name == "postgresql"
        else "UPDATE jurisdictions SET owner_id = ? WHERE id = ?",
        owners,
    )
    return n


def _load_premises(conn: Any, city: City, tree: _Tree, now: str) -> int:
    """The places that fall in a grid cell."""
    pl = city.places
    cell_id = _lookup(tree.ids, pl.cell_code)
    cell_path = np.array([tree.paths.get(c, "/") for c in pl.cell_code.tolist()], dtype=object)
    prows = (
        (
            i + 1,
            f"P{i + 1:06d}",
            pl.kind[i],
            pl.name_zh[i],
            pl.name_en[i],
            float(pl.lon[i]),
            float(pl.lat[i]),
            int(cell_id[i]),
            cell_path[i],
            int(pl.capacity[i]),
            bool(pl.police_room[i]),
            now,
            now,
        )
        for i in range(len(pl.kind))
        if cell_id[i] > 0
    )
    return _insert(
        conn,
        "premises",
        (
            "id code kind name name_en lon lat jurisdiction_id jpath capacity police_room "
            "created_at updated_at"
        ),
        prows,
    )


def _load_key_areas(conn: Any, city: City, tree: _Tree, now: str) -> int:
    """The key areas, each in the cell of its representative point (else the bureau)."""
    kpolys = np.array([k.polygon for k in city.key_areas], dtype=object)
    kb = shapely.bounds(kpolys)
    kc = shapely.point_on_surface(kpolys)
    kcell = _assign_to_cells(city, shapely.get_x(kc), shapely.get_y(kc))
    krows = []
    for i, ka in enumerate(city.key_areas):
        code = kcell[i]
        krows.append(
            (
                i + 1,
                ka.code,
                ka.name_zh,
                ka.name_en,
                ka.kind,
                shapely.to_geojson(ka.polygon),
                *map(float, kb[i]),
                float(shapely.get_x(kc[i])),
                float(shapely.get_y(kc[i])),
                int(ka.response_standard_s),
                tree.ids.get(code, tree.ids[city.bureau.code]),
                tree.paths.get(code, "/1/"),
                now,
            )
        )
    return _insert(
        conn,
        "key_areas",
        (
            "id code name_zh name_en kind geometry min_lon min_lat max_lon max_lat centroid_lon "
            "centroid_lat response_standard_s jurisdiction_id jpath created_at"
        ),
        krows,
    )


def _load_units(conn: Any, city: City, tree: _Tree, now: str) -> int:
    """The units of every station (drones with their speed and range)."""
    un = city.units
    st_id = _lookup(tree.ids, un.station_code)
    drone = un.kind == "drone"
    rows = (
        (
            i + 1,
            un.code[i],
            un.kind[i],
            un.name_zh[i],
            un.name_en[i],
            int(st_id[i]),
            tree.paths[un.station_code[i]],
            un.status[i],
            float(un.lon[i]),
            float(un.lat[i]),
            now,
            60.0 if drone[i] else None,
            8000.0 if drone[i] else None,
            now,
            now,
        )
        for i in range(len(un.code))
    )
    return _insert(
        conn,
        "resources",
        (
            "id code kind name_zh name_en station_id jpath status lon lat position_at speed_kph "
            "range_m created_at updated_at"
        ),
        rows,
    )


GROUND_UNITS = ("patrol_car", "motorcycle", "foot_team", "mobile_kiosk", "tactical_unit")
BUSY = ("dispatched", "en_route", "on_scene")


def _link_open_incidents(conn: Any, now: str) -> int:
    """Every open incident that has a unit (dispatched, en route, on scene) gets one: the
    nearest free ground unit, in the incident's state, assigned when the incident was
    dispatched; every other unit is available (or off duty). A unit is never busy without an
    incident, nor an incident on scene without a unit. The count of assignments made.

    O(n·u) for n such incidents and u units (a few dozen by a few hundred at the demo's "now").
    """
    from pingan.demo.incident_model import DETOUR, UNIT_SPEED_KPH
    from pingan.geo.crs import haversine_m

    busy = ", ".join(f"'{b}'" for b in BUSY)
    conn.execute(text(f"UPDATE resources SET status = 'available' WHERE status IN ({busy})"))
    incidents = conn.execute(
        text(
            "SELECT id, lon, lat, state, jpath, COALESCE(dispatched_at, reported_at),"
            f" en_route_at, on_scene_at FROM incidents WHERE state IN ({busy})"
            " ORDER BY reported_at, id"
        )
    ).all()
    kinds = ", ".join(f"'{k}'" for k in GROUND_UNITS)
    units = conn.execute(
        text(
            "SELECT id, kind, lon, lat FROM resources WHERE status = 'available'"
            f" AND kind IN ({kinds}) AND lon IS NOT NULL ORDER BY id"
        )
    ).all()
    if not incidents or not units:
        return 0
    u_id = np.array([u[0] for u in units])
    u_kind = [u[1] for u in units]
    u_lon = np.array([u[2] for u in units], dtype=float)
    u_lat = np.array([u[3] for u in units], dtype=float)
    free = np.ones(len(units), dtype=bool)
    rows = []
    for i_id, lon, lat, state, jpath, dispatched_at, en_route_at, on_scene_at in incidents:
        if not free.any():
            break
        d = np.where(free, haversine_m(u_lon, u_lat, float(lon), float(lat)), np.inf)
        k = int(np.argmin(d))
        free[k] = False
        speed_ms = UNIT_SPEED_KPH.get(u_kind[k], UNIT_SPEED_KPH["patrol_car"]) / 3.6
        eta = round(float(d[k]) * DETOUR / speed_ms, 1)
        rows.append(
            (i_id, int(u_id[k]), state, jpath, eta, dispatched_at, en_route_at, on_scene_at)
        )
        # the unit stands where its state puts it: at the scene once there
        at = {"lon": float(lon), "lat": float(lat)} if state == "on_scene" else {}
        conn.execute(
            text(
                "UPDATE resources SET status = :st, current_incident_id = :inc"
                + (", lon = :lon, lat = :lat" if at else "")
                + " WHERE id = :id"
            ),
            {"st": state, "inc": i_id, "id": int(u_id[k]), **at},
        )
    return bulk_insert(
        conn,
        "assignments",
        (
            "incident_id",
            "resource_id",
            "state",
            "jpath",
            "eta_s",
            "dispatched_at",
            "en_route_at",
            "on_scene_at",
            "created_at",
            "updated_at",
        ),
        ((*r, now, now) for r in rows),
    )


def _load_cameras(conn: Any, city: City, tree: _Tree, now: str) -> int:
    """The cameras, each under its station; a social camera belongs to its premises."""
    cam = city.cameras
    cst = _lookup(tree.ids, cam.station_code)
    # a social camera's premises has id = place index + 1 when the place was loaded (in a cell)
    place_cell = _lookup(tree.ids, city.places.cell_code)
    cam_prem = np.where(
        (cam.place_index >= 0) & (place_cell[np.maximum(cam.place_index, 0)] > 0),
        cam.place_index + 1,
        0,
    )
    rows = (
        (
            i + 1,
            cam.code[i],
            float(cam.lon[i]),
            float(cam.lat[i]),
            float(cam.heading_deg[i]),
            float(cam.fov_deg[i]),
            float(cam.range_m[i]),
            int(cst[i]) if cst[i] > 0 else None,
            tree.paths.get(cam.station_code[i], "/1/"),
            str(cam.status[i]),
            str(cam.resolution[i]),
            str(cam.owner[i]),
            int(cam_prem[i]) if cam_prem[i] > 0 else None,
            now,
            now,
        )
        for i in range(len(cam.code))
    )
    return _insert(
        conn,
        "cameras",
        "id code lon lat heading_deg fov_deg range_m station_id jpath status resolution owner"
        " premises_id created_at updated_at",
        rows,
    )


def _load_operations(
    session: Any, conn: Any, city: City, summary: DemoSummary, tick: Progress
) -> None:
    """The stations' history: checklists and instructions, disputes with their mediation,
    and the evaluation's scorecard, surveys and inspections."""
    from pingan.demo.ops_disputes import load_disputes
    from pingan.demo.ops_evaluation import load_evaluation

    summary.counts.update(load_ops_history(session, seed=city.seed))
    tick("operations", summary.counts.get("instructions", 0))
    summary.counts.update(load_disputes(conn, seed=city.seed, progress=tick))
    summary.counts.update(load_evaluation(conn, seed=city.seed))


def _insert(conn: Any, table: str, columns: str, rows: Iterable[tuple[Any, ...]]) -> int:
    """Bulk-insert ``rows`` into ``table`` (``columns`` space-separated, in the rows' order)
    and move the table's id sequence past them; the count inserted."""
    n = bulk_insert(conn, table, tuple(columns.split()), rows)
    reset_sequence(conn, table)
    return n


def _lookup(ids: dict[str, int], codes: NDArray[Any]) -> NDArray[np.int64]:
    uniq, inv = np.unique(np.asarray(codes, dtype=str), return_inverse=True)
    mapped = np.array([ids.get(u, 0) for u in uniq.tolist()], dtype=np.int64)
    return mapped[inv]


def _assign_to_cells(city: City, lon: NDArray[np.float64], lat: NDArray[np.float64]) -> list[str]:
    from pingan.geo.assign import PolygonIndex

    idx = PolygonIndex([c.polygon for c in city.cells])
    k = idx.assign(lon, lat)
    return [city.cells[j].code if j >= 0 else "" for j in k.tolist()]


def _load_incidents(
    conn: Any,
    inc: IncidentArrays,
    ids: dict[str, int],
    paths: dict[str, str],
    tick: Progress,
) -> int:
    tax = get_taxonomy()
    n = len(inc)
    uniq_sub, sub_inv = np.unique(inc.subtype.astype(str), return_inverse=True)
    klass = np.array(
        [tax.subtypes[s].klass if s in tax.subtypes else "other" for s in uniq_sub.tolist()],
        dtype=object,
    )[sub_inv]
    uniq_cell, cell_inv = np.unique(inc.cell_code.astype(str), return_inverse=True)
    cid = np.array([ids.get(c) for c in uniq_cell.tolist()], dtype=object)[cell_inv]
    cpath = np.array([paths.get(c, "/1/") for c in uniq_cell.tolist()], dtype=object)[cell_inv]
    stamps = {
        name: timestamps_for(conn, getattr(inc, name))
        for name in (
            "reported_at",
            "dispatched_at",
            "en_route_at",
            "on_scene_at",
            "resolved_at",
            "closed_at",
        )
    }
    day = np.datetime_as_string(inc.reported_at.astype("datetime64[s]"), unit="D")
    day = np.char.replace(day, "-", "")
    repeat = inc.repeat_of
    repeat_count = np.bincount(repeat[repeat >= 0], minlength=n)
    state = inc.final_state.astype(str)
    lon = inc.lon.tolist()
    lat = inc.lat.tolist()
    prio = inc.priority.astype(np.int64).tolist()
    source = inc.source.astype(str).tolist()
    planted = inc.planted.astype(str).tolist()
    subs = inc.subtype.astype(str).tolist()

    def rows() -> Iterator[tuple[Any, ...]]:
        for i in range(n):
            r = int(repeat[i])
            yield (
                i + 1,
                f"JQ{day[i]}-{i + 1:07d}",
                subs[i],
                klass[i],
                prio[i],
                source[i],
                state[i],
                (planted[i] and f"demo: {planted[i]}") or "",
                lon[i],
                lat[i],
                "WGS84",
                lon[i],
                lat[i],
                cid[i],
                cpath[i],
                stamps["reported_at"][i],
                stamps["dispatched_at"][i],
                stamps["en_route_at"][i],
                stamps["on_scene_at"][i],
                stamps["resolved_at"][i],
                stamps["closed_at"][i],
                r + 1 if r >= 0 else None,
                int(repeat_count[i]),
                "demo",
                str(i + 1),
                stamps["reported_at"][i],
                stamps["reported_at"][i],
            )
            if (i + 1) % 100_000 == 0:
                tick("incidents", i + 1)

    count = bulk_insert(
        conn,
        "incidents",
        (
            "id",
            "code",
            "subtype",
            "klass",
            "priority",
            "source",
            "state",
            "summary",
            "lon",
            "lat",
            "input_crs",
            "input_lon",
            "input_lat",
            "jurisdiction_id",
            "jpath",
            "reported_at",
            "dispatched_at",
            "en_route_at",
            "on_scene_at",
            "resolved_at",
            "closed_at",
            "repeat_of_id",
            "repeat_count",
            "dataset",
            "external_id",
            "created_at",
            "updated_at",
        ),
        rows(),
    )
    reset_sequence(conn, "incidents")
    tick("incidents", count)
    return count
