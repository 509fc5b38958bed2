"""Keep the incident counts in step with the incidents, rebuild them, and read them.

Writes. :func:`count_created` is the one call the incident write path makes (in
``write_create_many``, inside its transaction, among its pipelined writes); :func:`count_moved`
the one call of an incident's lifecycle step (an incident cancelled or marked duplicate leaves
the counts). Both add signed counts with one ``INSERT … ON CONFLICT DO UPDATE`` per table, so
concurrent writers add up without reading first; a batch of k incidents costs one
``executemany`` of at most k rows per table. :func:`add_incidents` does the same for arrays
(imports, the demo build) and :func:`rebuild` recounts everything from the incidents.

Reads. :func:`day_counts` and :func:`grid_counts` sum the counts of whole local days in the
caller's scope: O(rows read), where a row is one (cell, subtype, day) with incidents — never
the incidents themselves. Callers add the incidents of partial edge days themselves (see
``pingan.crime_analysis.data``), so any period is answered exactly.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import zoneinfo
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import (
    Connection,
    Integer,
    Table,
    and_,
    delete,
    func,
    literal,
    select,
    type_coerce,
)
from sqlalchemy import String as SAString
from sqlalchemy import cast as cast_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from pingan.aggregates.models import (
    HOURS,
    AggregateGrid,
    IncidentCellDay,
    IncidentDayCount,
    IncidentGridCount,
)
from pingan.config import get_settings
from pingan.geo.crs import LocalProjection
from pingan.incidents.models import Incident
from pingan.jurisdictions.models import Jurisdiction
from pingan.store.driver import DriverStatement

__all__ = [
    "BASE_M",
    "EXCLUDED_STATES",
    "LEVELS",
    "DayCounts",
    "GridCounts",
    "GridFrame",
    "add_incidents",
    "cell_counts",
    "count_created",
    "count_imported",
    "count_moved",
    "counted_clause",
    "day_counts",
    "forget",
    "generation",
    "grid_counts",
    "grid_frame",
    "is_built",
    "level_paths",
    "local_days",
    "rebuild",
]

BASE_M = 25.0
"""Side of the squares the grid counts use: every multiple (50, 100, 250, 500 m …) is an
exact sum of them."""
EXCLUDED_STATES = ("cancelled", "duplicate")
_EPOCH = dt.date(1970, 1, 1)

_DAY = cast(Table, IncidentDayCount.__table__)
_GRID = cast(Table, IncidentGridCount.__table__)
_CELL = cast(Table, IncidentCellDay.__table__)
_DAY_KEY = ["level", "jpath", "day", "subtype", "drill"]
_GRID_KEY = ["day", "jpath", "subtype", "drill", "gx", "gy"]
_CELL_KEY = ["day", "jpath", "subtype", "drill"]
LEVELS = 3  # bureau, district, station


def level_paths(jpath: str) -> list[str]:
    """The paths under which an incident at ``jpath`` is counted at levels 0, 1 and 2: its
    ancestors at those depths, or its own path where it is placed higher."""
    parts = [p for p in jpath.split("/") if p]
    return [
        "/" + "/".join(parts[: lvl + 1]) + "/" if len(parts) > lvl else jpath
        for lvl in range(LEVELS)
    ]


def _upsert(table: Table, key: list[str], dialect: str) -> DriverStatement:
    """``INSERT … ON CONFLICT (key) DO UPDATE SET v = v + excluded.v`` for every count."""
    ins = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    counts = [c.key for c in table.columns if c.key not in key]
    stmt = ins.on_conflict_do_update(
        index_elements=key, set_={c: table.c[c] + ins.excluded[c] for c in counts}
    )
    return DriverStatement(stmt, columns=[c.key for c in table.columns])


_UPSERTS = {
    (name, dialect): _upsert(table, key, dialect)
    for name, table, key in (
        ("day", _DAY, _DAY_KEY),
        ("grid", _GRID, _GRID_KEY),
        ("cell", _CELL, _CELL_KEY),
    )
    for dialect in ("sqlite", "postgresql")
}

# -------------------------------------------------------------------------- time and space

_OFFSET_CACHE: dict[tuple[str, int], int] = {}


def _offsets(t_s: NDArray[np.int64]) -> NDArray[np.int64]:
    """UTC offset in seconds of the bureau zone at each time (DST-aware, per hour)."""
    tz = zoneinfo.ZoneInfo(get_settings().timezone)
    hours, inv = np.unique(t_s // 3600, return_inverse=True)
    out = np.empty(hours.size, dtype=np.int64)
    for i, h in enumerate(hours.tolist()):
        key = (tz.key, h)
        if key not in _OFFSET_CACHE:
            off = dt.datetime.fromtimestamp(h * 3600, tz).utcoffset()
            _OFFSET_CACHE[key] = int(off.total_seconds()) if off else 0
        out[i] = _OFFSET_CACHE[key]
    return out[inv]


def local_days(t_s: NDArray[np.int64]) -> tuple[NDArray[np.datetime64], NDArray[np.int64]]:
    """Local calendar day and hour (bureau zone) of each UTC epoch second. O(n)."""
    local = t_s + _offsets(t_s)
    return (local // 86_400).astype("datetime64[D]"), (local % 86_400) // 3600


@dataclass(frozen=True)
class GridFrame:
    """The metric grid of the counts: projection centred on the bureau, origin, square size."""

    projection: LocalProjection
    x0_m: float
    y0_m: float
    base_m: float

    def squares(
        self, lon: NDArray[np.float64], lat: NDArray[np.float64]
    ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """The square of each point (floor division from the origin; may be negative)."""
        x, y = self.projection.forward(lon, lat)
        return (
            ((x - self.x0_m) // self.base_m).astype(np.int64),
            ((y - self.y0_m) // self.base_m).astype(np.int64),
        )


_PROJECTIONS: dict[tuple[float, float], LocalProjection] = {}
_GRIDS: dict[str, GridFrame] = {}
_NOT_BUILT: dict[str, float] = {}  # database -> monotonic time until which "not built" holds
_LOCK = threading.Lock()


def _projection(lon0: float, lat0: float) -> LocalProjection:
    with _LOCK:
        p = _PROJECTIONS.get((lon0, lat0))
        if p is None:
            p = _PROJECTIONS[(lon0, lat0)] = LocalProjection(lon0, lat0)
        return p


def _root_frame(conn: Connection | Session) -> GridFrame | None:
    """The grid the jurisdictions of the day give: centred on the root's bounding box, with
    its origin at the box's projected south-west (as ``crime_analysis.service.grid_for``)."""
    root = conn.execute(
        select(
            Jurisdiction.min_lon, Jurisdiction.min_lat, Jurisdiction.max_lon, Jurisdiction.max_lat
        )
        .where(Jurisdiction.parent_id.is_(None), Jurisdiction.min_lon.is_not(None))
        .order_by(Jurisdiction.id)
        .limit(1)
    ).first()
    if root is None:
        return None
    w, s_, e, n = (float(v) for v in root)
    proj = _projection((w + e) / 2.0, (s_ + n) / 2.0)
    xs, ys = proj.forward([w, e, w, e], [s_, s_, n, n])
    return GridFrame(proj, float(xs.min()), float(ys.min()), BASE_M)


def grid_frame(conn: Connection | Session, *, check: bool = False) -> GridFrame | None:
    """The stored grid of the counts (cached per database); with ``check``, None when it
    is not the grid the jurisdictions give today (the grid counts must then be rebuilt)."""
    bind = conn.get_bind() if isinstance(conn, Session) else conn
    key = str(bind.engine.url)
    hit = _GRIDS.get(key)
    if hit is None:
        if _NOT_BUILT.get(key, -1.0) > time.monotonic():
            return None
        row = conn.execute(
            select(
                AggregateGrid.lon0,
                AggregateGrid.lat0,
                AggregateGrid.x0_m,
                AggregateGrid.y0_m,
                AggregateGrid.base_m,
            ).where(AggregateGrid.id == 1)
        ).first()
        if row is None:  # asked again in a minute (a rebuild elsewhere makes one)
            _NOT_BUILT[key] = time.monotonic() + 60.0
            return None
        hit = GridFrame(_projection(row[0], row[1]), row[2], row[3], row[4])
        _GRIDS[key] = hit
    if check:
        now = _root_frame(conn)
        if now is None or (now.projection.lon0, now.projection.lat0, now.x0_m, now.y0_m) != (
            hit.projection.lon0,
            hit.projection.lat0,
            hit.x0_m,
            hit.y0_m,
        ):
            return None
    return hit


def forget() -> None:
    """Forget the remembered grids of every database (after a rolled-back rebuild; tests)."""
    _GRIDS.clear()
    _NOT_BUILT.clear()


# -------------------------------------------------------------------------- writes

_GENERATION = [0]


def generation() -> int:
    """A number this process moves on each count it writes (keys of the answer cache)."""
    return _GENERATION[0]


def _rows(
    *,
    day: NDArray[np.int64],
    hour: NDArray[np.int64],
    jpath: Sequence[str],
    subtype: Sequence[str],
    drill: NDArray[np.bool_],
    gx: NDArray[np.int64],
    gy: NDArray[np.int64],
    sign: NDArray[np.int64],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """The rows to add to each table (day, grid, cell) for these few incidents, summed by
    key."""
    days: dict[tuple[Any, ...], dict[str, Any]] = {}
    grid: dict[tuple[Any, ...], dict[str, Any]] = {}
    cells: dict[tuple[Any, ...], dict[str, Any]] = {}
    for i in range(day.size):
        d, sub, dr, s = int(day[i]), subtype[i], bool(drill[i]), int(sign[i])
        for lvl, path in enumerate(level_paths(jpath[i])):
            k = (lvl, path, d, sub, dr)
            r = days.get(k)
            if r is None:
                r = days[k] = {**dict(zip(_DAY_KEY, k, strict=True)), "n": 0}
                r.update(dict.fromkeys(HOURS, 0))
            r["n"] += s
            r[HOURS[int(hour[i])]] += s
        g = (d, jpath[i], sub, dr, int(gx[i]), int(gy[i]))
        q = grid.get(g)
        if q is None:
            q = grid[g] = {**dict(zip(_GRID_KEY, g, strict=True)), "n": 0}
        q["n"] += s
        c = cells.get(g[:4])
        if c is None:
            c = cells[g[:4]] = {**dict(zip(_CELL_KEY, g[:4], strict=True)), "n": 0}
        c["n"] += s
    return list(days.values()), list(grid.values()), list(cells.values())


def _write(
    conn: Connection,
    day_rows: list[dict[str, Any]],
    grid_rows: list[dict[str, Any]],
    cell_rows: list[dict[str, Any]],
) -> None:
    dialect = "postgresql" if conn.dialect.name == "postgresql" else "sqlite"
    # in key order: concurrent batches take the rows' locks in one order (no deadlock)
    day_rows.sort(key=lambda r: tuple(r[k] for k in _DAY_KEY))
    grid_rows.sort(key=lambda r: tuple(r[k] for k in _GRID_KEY))
    cell_rows.sort(key=lambda r: tuple(r[k] for k in _CELL_KEY))
    _UPSERTS[("day", dialect)].execute_many(conn, day_rows)
    _UPSERTS[("grid", dialect)].execute_many(conn, grid_rows)
    _UPSERTS[("cell", dialect)].execute_many(conn, cell_rows)
    _GENERATION[0] += 1


def _counted(values: Mapping[str, Any]) -> bool:
    return values["repeat_of_id"] is None and values["state"] not in EXCLUDED_STATES


def _add_rows(conn: Connection, rows: Iterable[Mapping[str, Any]], sign: int) -> None:
    chosen = [r for r in rows if _counted(r)]
    if not chosen or grid_frame(conn) is None:
        return
    t_s = np.array([int(r["reported_at"].timestamp()) for r in chosen], dtype=np.int64)
    lon = np.array([r["lon"] for r in chosen], dtype=np.float64)
    lat = np.array([r["lat"] for r in chosen], dtype=np.float64)
    frame = grid_frame(conn)
    if frame is None:  # never built: the first rebuild counts these too
        return
    day, hour = local_days(t_s)
    gx, gy = frame.squares(lon, lat)
    day_rows, grid_rows, cell_rows = _rows(
        day=day.astype(np.int64),
        hour=hour,
        jpath=[r["jpath"] for r in chosen],
        subtype=[r["subtype"] for r in chosen],
        drill=np.array([r["source"] == "drill" for r in chosen]),
        gx=gx,
        gy=gy,
        sign=np.full(len(chosen), sign, dtype=np.int64),
    )
    _write(conn, day_rows, grid_rows, cell_rows)


def count_created(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Count newly written incidents (the rows as inserted: ``reported_at``, ``lon``,
    ``lat``, ``jpath``, ``subtype``, ``source``, ``state``, ``repeat_of_id``), in the
    caller's transaction. Repeat calls and duplicates are not counted. O(k log k)."""
    _add_rows(conn, rows, +1)


def count_moved(session: Session, incident: Any, previous_state: str) -> None:
    """Keep the counts right when an incident moves from ``previous_state`` to its state:
    it leaves them when cancelled or marked duplicate (and comes back if it ever left those
    states). One upsert per table; nothing when the step changes nothing counted."""
    was = previous_state not in EXCLUDED_STATES
    now = incident.state not in EXCLUDED_STATES
    if was == now or incident.repeat_of_id is not None:
        return
    values = {c: getattr(incident, c) for c in ("reported_at", "lon", "lat", "jpath")}
    values |= {
        "subtype": incident.subtype,
        "source": incident.source,
        "state": "counted",
        "repeat_of_id": None,
    }
    _add_rows(session.connection(), [values], +1 if now else -1)


def _store_grid(conn: Connection) -> GridFrame | None:
    """Write the grid the jurisdictions give (first use); None without jurisdictions."""
    frame = _root_frame(conn)
    if frame is None:
        return None
    ins = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(
        AggregateGrid
    ).values(
        id=1,
        lon0=frame.projection.lon0,
        lat0=frame.projection.lat0,
        x0_m=frame.x0_m,
        y0_m=frame.y0_m,
        base_m=frame.base_m,
    )
    conn.execute(ins.on_conflict_do_nothing(index_elements=["id"]))
    _GRIDS.pop(str(conn.engine.url), None)
    _NOT_BUILT.pop(str(conn.engine.url), None)
    return grid_frame(conn)


def add_incidents(
    conn: Connection,
    *,
    t_s: NDArray[np.int64],
    lon: NDArray[np.float64],
    lat: NDArray[np.float64],
    jpath: NDArray[Any],
    subtype: NDArray[Any],
    drill: NDArray[np.bool_],
) -> int:
    """Count incidents given as arrays (only those analyses count: the caller leaves out
    repeat calls, cancelled and duplicates). Sums in numpy, then one bulk upsert per
    table. O(n log n); returns the number of day rows written. Nothing when the counts were
    never built (see :func:`is_built`)."""
    n = t_s.size
    frame = grid_frame(conn)
    if n == 0 or frame is None:  # never built: the first rebuild counts them
        return 0
    day, hour = local_days(np.asarray(t_s, dtype=np.int64))
    gx, gy = frame.squares(np.asarray(lon, np.float64), np.asarray(lat, np.float64))
    jp_u, jp_i = np.unique(np.asarray(jpath).astype(str), return_inverse=True)
    st_u, st_i = np.unique(np.asarray(subtype).astype(str), return_inverse=True)
    d = day.astype(np.int64)
    dr = np.asarray(drill, dtype=np.int64)
    jps, sts = jp_u.tolist(), st_u.tolist()
    day_rows: list[dict[str, Any]] = []
    for lvl in range(LEVELS):  # one row per (level path, day, subtype, drill), 24 hours
        lp_u, lp_of = np.unique([level_paths(p)[lvl] for p in jps], return_inverse=True)
        key = np.stack([lp_of.ravel()[jp_i], d, st_i, dr], axis=1)
        uk, inv = np.unique(key, axis=0, return_inverse=True)
        hours = np.zeros((uk.shape[0], 24), dtype=np.int64)
        np.add.at(hours, (inv.ravel(), hour), 1)
        lps = lp_u.tolist()
        day_rows += [
            {
                "level": lvl,
                "jpath": lps[r[0]],
                "day": int(r[1]),
                "subtype": sts[r[2]],
                "drill": bool(r[3]),
                "n": int(sum(h)),
            }
            | dict(zip(HOURS, h, strict=True))
            for r, h in zip(uk.tolist(), hours.tolist(), strict=True)
        ]
    gkey = np.stack([d, jp_i, st_i, dr, gx, gy], axis=1)
    ug, gcount = np.unique(gkey, axis=0, return_counts=True)
    grid_rows = [
        {
            "day": int(r[0]),
            "jpath": jps[r[1]],
            "subtype": sts[r[2]],
            "drill": bool(r[3]),
            "gx": int(r[4]),
            "gy": int(r[5]),
            "n": int(c),
        }
        for r, c in zip(ug.tolist(), gcount.tolist(), strict=True)
    ]
    ckey = np.stack([d, jp_i, st_i, dr], axis=1)
    uc, ccount = np.unique(ckey, axis=0, return_counts=True)
    cell_rows = [
        {
            "day": int(r[0]),
            "jpath": jps[r[1]],
            "subtype": sts[r[2]],
            "drill": bool(r[3]),
            "n": int(c),
        }
        for r, c in zip(uc.tolist(), ccount.tolist(), strict=True)
    ]
    for start in range(0, max(len(day_rows), len(grid_rows), len(cell_rows)), 50_000):
        _write(
            conn,
            day_rows[start : start + 50_000],
            grid_rows[start : start + 50_000],
            cell_rows[start : start + 50_000],
        )
    return len(day_rows)


def _epoch_s(conn: Connection | Session) -> Any:
    """SQL for ``Incident.reported_at`` as integer UTC epoch seconds (truncated)."""
    bind = conn.get_bind() if isinstance(conn, Session) else conn
    if bind.dialect.name == "postgresql":
        return func.floor(func.extract("epoch", Incident.reported_at))
    return cast_(func.strftime("%s", type_coerce(Incident.reported_at, SAString)), Integer)


def counted_clause() -> Any:
    """The incidents analyses count (and the counts hold)."""
    return and_(Incident.repeat_of_id.is_(None), Incident.state.not_in(EXCLUDED_STATES))


def _count_query(conn: Connection, *where: Any, report: Callable[[float, str], None]) -> int:
    """Add the counted incidents matching ``where``, read in id order in chunks."""
    total = conn.execute(select(func.count()).select_from(Incident).where(counted_clause(), *where))
    n_all = int(total.scalar_one())
    done, last = 0, 0
    while True:
        rows = conn.execute(
            select(
                Incident.id,
                _epoch_s(conn),
                Incident.lon,
                Incident.lat,
                Incident.jpath,
                Incident.subtype,
                Incident.source == literal("drill"),
            )
            .where(counted_clause(), Incident.id > last, *where)
            .order_by(Incident.id)
            .limit(200_000)
        ).all()
        if not rows:
            break
        cols = list(zip(*rows, strict=True))
        last = int(cols[0][-1])
        add_incidents(
            conn,
            t_s=np.asarray([int(float(v)) for v in cols[1]], dtype=np.int64),
            lon=np.asarray(cols[2], dtype=np.float64),
            lat=np.asarray(cols[3], dtype=np.float64),
            jpath=np.asarray(cols[4], dtype=object),
            subtype=np.asarray(cols[5], dtype=object),
            drill=np.asarray(cols[6], dtype=bool),
        )
        done += len(rows)
        report(done / max(1, n_all), f"{done:,} / {n_all:,} incidents counted")
    return done


def rebuild(session: Session, *, report: Callable[[float, str], None] | None = None) -> int:
    """Recount every incident: empty the tables, store the grid the jurisdictions give, read
    the counted incidents in id order in chunks of 200,000 and add them. O(N log N) for N
    incidents; returns N. Runs in the caller's transaction."""
    tick = report or (lambda _s, _m: None)
    conn = session.connection()
    conn.execute(delete(IncidentDayCount))
    conn.execute(delete(IncidentGridCount))
    conn.execute(delete(IncidentCellDay))
    conn.execute(delete(AggregateGrid))
    _GRIDS.pop(str(conn.engine.url), None)
    if _store_grid(conn) is None:
        tick(1.0, "no jurisdictions")
        return 0
    return _count_query(conn, report=tick)


def count_imported(session: Session, *, dataset: str, after_id: int) -> int:
    """Count the incidents an import just wrote (dataset ``dataset``, ids above
    ``after_id``), in the import's transaction; the first import into a database never
    counted rebuilds instead. Returns the incidents counted."""
    if not is_built(session):
        return rebuild(session)
    return _count_query(
        session.connection(),
        Incident.dataset == dataset,
        Incident.id > after_id,
        report=lambda _s, _m: None,
    )


# -------------------------------------------------------------------------- reads


@dataclass(frozen=True)
class DayCounts:
    """Counts of whole local days: one entry per (day, subtype[, jpath]) with incidents, and
    the local hours of each day apart (``hour_day[i]`` has ``hours[i]``, 24 counts)."""

    day: NDArray[np.datetime64]
    subtype: NDArray[np.str_]
    jpath: NDArray[np.object_] | None
    n: NDArray[np.int64]
    hour_day: NDArray[np.datetime64]
    hours: NDArray[np.int64]  # (entries of hour_day, 24)


@dataclass(frozen=True)
class GridCounts:
    """Counts of whole local days per grid square (``gx``, ``gy``) of ``frame``."""

    gx: NDArray[np.int64]
    gy: NDArray[np.int64]
    n: NDArray[np.int64]
    frame: GridFrame


def _where(
    table: Table,
    *,
    first_day: int,
    end_day: int,
    subtypes: list[str] | None,
    include_drill: bool,
) -> list[Any]:
    c = table.c
    out = [c.day >= first_day, c.day < end_day, c.n > 0]
    if subtypes is not None:
        out.append(c.subtype.in_(subtypes))
    if not include_drill:
        out.append(c.drill.is_(False))
    return out


def _raw(session: Session, stmt: Any) -> list[tuple[Any, ...]]:
    """Rows of a SELECT of plain columns (integers, strings, booleans) as tuples from the
    driver's cursor: SQLAlchemy's rows cost about a microsecond a value more to unpack."""
    conn = session.connection()
    comp = stmt.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    params = comp.construct_params()
    cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        if comp.positiontup is not None:
            cur.execute(comp.string, tuple(params[k] for k in comp.positiontup))
        else:
            cur.execute(comp.string, params)
        return [tuple(r) for r in cur.fetchall()]
    finally:
        cur.close()


def day_counts(
    session: Session,
    *,
    level: int,
    path: str | None,
    exact: bool,
    first_day: dt.date,
    end_day: dt.date,
    subtypes: list[str] | None = None,
    include_drill: bool = False,
    by_jpath: bool = False,
) -> DayCounts:
    """Counts at ``level`` (0 bureau, 1 district, 2 station) of the local days
    ``[first_day, end_day)``: of the area ``path`` itself (``exact``) or of the areas under
    it (every area when ``path`` is None); summed over areas unless ``by_jpath``. One grouped
    query over about one row per (day, subtype[, area]): O(rows read)."""
    if not 0 <= level < LEVELS:
        raise ValueError(f"level: must be 0, 1 or 2, got {level}")
    c = _DAY.c
    keys = [c.day, c.subtype] + ([c.jpath] if by_jpath else [])
    where = _where(
        _DAY,
        first_day=(first_day - _EPOCH).days,
        end_day=(end_day - _EPOCH).days,
        subtypes=subtypes,
        include_drill=include_drill,
    )
    where.append(c.level == level)
    if path is not None:
        where.append(c.jpath == path if exact else c.jpath.startswith(path, autoescape=True))
    rows = _raw(session, select(*keys, func.sum(c.n)).where(*where).group_by(*keys))
    hour_rows = _raw(
        session, select(c.day, *(func.sum(c[h]) for h in HOURS)).where(*where).group_by(c.day)
    )
    k = len(keys)
    arr: list[Any] = list(zip(*rows, strict=True)) if rows else [[] for _ in range(k + 1)]
    harr: list[Any] = list(zip(*hour_rows, strict=True)) if hour_rows else [[] for _ in range(25)]
    n = np.asarray(arr[k], dtype=np.int64)
    keep = n > 0
    return DayCounts(
        day=np.asarray(arr[0], dtype=np.int64).astype("datetime64[D]")[keep],
        subtype=np.asarray(arr[1], dtype=str)[keep],
        jpath=np.asarray(arr[2], dtype=object)[keep] if by_jpath else None,
        n=n[keep],
        hour_day=np.asarray(harr[0], dtype=np.int64).astype("datetime64[D]"),
        hours=np.asarray(harr[1:], dtype=np.int64).reshape(24, -1).T,
    )


def grid_counts(
    session: Session,
    *,
    scope: str,
    first_day: dt.date,
    end_day: dt.date,
    subtypes: list[str] | None = None,
    jurisdiction_path: str | None = None,
    include_drill: bool = False,
) -> GridCounts | None:
    """Counts per grid square over the local days ``[first_day, end_day)``; None when the
    stored grid is not the one the jurisdictions give (rebuild needed). One grouped query."""
    frame = grid_frame(session, check=True)
    if frame is None:
        return None
    c = _GRID.c
    where = _where(
        _GRID,
        first_day=(first_day - _EPOCH).days,
        end_day=(end_day - _EPOCH).days,
        subtypes=subtypes,
        include_drill=include_drill,
    )
    for p in (scope if scope != "/" else None, jurisdiction_path):
        if p:
            where.append(c.jpath.startswith(p, autoescape=True))
    rows = _raw(session, select(c.gx, c.gy, func.sum(c.n)).where(*where).group_by(c.gx, c.gy))
    if not rows:
        e = np.empty(0, np.int64)
        return GridCounts(e, e, e, frame)
    gx, gy, n = (np.asarray(v, dtype=np.int64) for v in zip(*rows, strict=True))
    keep = n > 0
    return GridCounts(gx[keep], gy[keep], n[keep], frame)


def cell_counts(
    session: Session,
    *,
    first_day: dt.date,
    end_day: dt.date,
    subtypes: list[str] | None = None,
    scope: str = "/",
    include_drill: bool = False,
) -> dict[str, int]:
    """Incidents per path (grid cell, or the higher area an incident is placed in) over the
    local days ``[first_day, end_day)`` inside ``scope``: one grouped query over about one
    row per (cell, day, subtype) with incidents, O(cells × days), never the incidents. The
    caller checks :func:`is_built` first (until then the table is empty)."""
    if end_day <= first_day:
        return {}
    c = _CELL.c
    where = _where(
        _CELL,
        first_day=(first_day - _EPOCH).days,
        end_day=(end_day - _EPOCH).days,
        subtypes=subtypes,
        include_drill=include_drill,
    )
    if scope != "/":
        where.append(c.jpath.startswith(scope, autoescape=True))
    rows = _raw(session, select(c.jpath, func.sum(c.n)).where(*where).group_by(c.jpath))
    return {str(j): int(n) for j, n in rows if int(n) != 0}


def is_built(session: Session | Connection) -> bool:
    """Whether the counts exist: a rebuild stored their grid (until then writes do not
    count, and reads fall back to the incidents)."""
    return grid_frame(session) is not None
