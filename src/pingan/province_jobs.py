"""The province analyses as a service of this database (issue 25): its incidents exported to the
province's Parquet layout, and the analyses that ``/province`` reads run on that folder.

:func:`export_incidents` is what ``pingan export parquet`` does (one city, the bureau's, in the
layout of :mod:`pingan.province.layout`), and it merges into a province already in the folder:
the city's old partitions are replaced, the other cities of the manifest are kept (same frame
only). :func:`run_analyses` runs trends, hot spots and warnings with the ``local`` engine, or on
Dask when ``PINGAN_DASK_SCHEDULER`` is set, and stores the answers. :func:`province_job` is the
scheduler's job ``province`` (and the button on ``/province``): both, into
``<data_dir>/province``.

:mod:`pingan.province` stays free of the database; this module is the bridge.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import Engine, select

from pingan.audit.service import Actor, record
from pingan.auth.service import Principal
from pingan.config import get_settings
from pingan.errors import Invalid
from pingan.store.engine import unit_of_work

__all__ = [
    "ANALYSES",
    "PROVINCE_FOLDER",
    "Exported",
    "engine_name",
    "export_incidents",
    "province_folder",
    "province_job",
    "run_analyses",
]

PROVINCE_FOLDER = "province"
ANALYSES = ("trends", "hotspots", "warnings")
"""What ``/province`` shows: the CompStat ranking, the warnings, the hot-spot coverage."""
HISTORY_DAYS = 730
_FRAME_TOL = 1e-9


@dataclass(frozen=True)
class Exported:
    """What :func:`export_incidents` wrote."""

    city: str
    rows: int
    files: int
    since: dt.datetime
    until: dt.datetime
    cities: int
    """cities in the folder's manifest after the export"""


def province_folder() -> Path:
    """Where the province of this installation lives: ``<data_dir>/province``."""
    return get_settings().data_dir / PROVINCE_FOLDER


def engine_name() -> str:
    """``dask`` when ``PINGAN_DASK_SCHEDULER`` names a scheduler, else ``local``."""
    from pingan.province.engine import SCHEDULER_ENV

    return "dask" if os.environ.get(SCHEDULER_ENV, "").strip() else "local"


def _priorities(subtypes: Any) -> Any:
    from pingan.incidents.taxonomy import get_taxonomy

    tax = get_taxonomy().subtypes
    return np.array([tax[s].priority if s in tax else 3 for s in subtypes], dtype=np.int8)


def export_incidents(
    out: Path,
    *,
    principal: Principal,
    actor: Actor,
    since: dt.datetime,
    until: dt.datetime,
    city: str | None = None,
    engine: Engine | None = None,
) -> Exported:
    """Write this database's incidents reported in ``[since, until)`` (no repeat calls,
    cancelled or duplicates; the rows ``principal`` sees) as one city of the province layout
    under ``out``, and its manifest entry; audited as ``incidents.export_parquet``.

    A province already in ``out`` on the same frame keeps its other cities (this city's old
    partitions are replaced); on another frame it is an :class:`Invalid` naming ``out``.
    O(incidents) in time and memory."""
    from pingan.crime_analysis.data import area_ids, load_incidents
    from pingan.jurisdictions.models import Jurisdiction
    from pingan.province.layout import (
        MANIFEST,
        CityInfo,
        Manifest,
        read_manifest,
        write_city,
    )
    from pingan.province.layout import write_manifest as write_man

    if until <= since:
        raise Invalid("until", "must be after since")
    with unit_of_work(engine, write=False) as s:
        frame = load_incidents(s, principal=principal, since=since, until=until)
        rows = s.execute(
            select(Jurisdiction.id, Jurisdiction.code, Jurisdiction.level, Jurisdiction.parent_id)
        ).all()
        root = s.execute(
            select(
                Jurisdiction.code,
                Jurisdiction.name_zh,
                Jurisdiction.name_en,
                Jurisdiction.min_lon,
                Jurisdiction.min_lat,
                Jurisdiction.max_lon,
                Jurisdiction.max_lat,
            )
            .where(Jurisdiction.parent_id.is_(None), Jurisdiction.min_lon.is_not(None))
            .order_by(Jurisdiction.id)
            .limit(1)
        ).first()
    if root is None:
        raise Invalid("out", "the database has no jurisdictions to export against")
    code_of = {int(r[0]): str(r[1]) for r in rows}
    stations = tuple(sorted(str(r[1]) for r in rows if r[2] == "station"))
    n = len(frame)
    st = area_ids(frame.jpath, 2).tolist() if n else []
    ce = area_ids(frame.jpath, 4).tolist() if n else []
    offset = int(dt.datetime.now(ZoneInfo(get_settings().timezone)).utcoffset().total_seconds())  # type: ignore[union-attr]
    proj = frame.projection
    bx0, by0 = proj.forward([float(root[3] or 0)], [float(root[4] or 0)])
    bx1, by1 = proj.forward([float(root[5] or 0)], [float(root[6] or 0)])
    code = city or str(root[0])
    info = CityInfo(
        code=code,
        name_zh=str(root[1]),
        name_en=str(root[2] or root[0]),
        seed=0,
        offset_m=(0.0, 0.0),
        bounds_m=(float(bx0[0]), float(by0[0]), float(bx1[0]), float(by1[0])),
        stations=stations,
    )
    made: dict[str, Any] = {
        "source": "pingan export parquet",
        "since": since.isoformat(),
        "end": until.isoformat(),
    }
    others: tuple[CityInfo, ...] = ()
    old = read_manifest(out) if (Path(out) / MANIFEST).is_file() else None
    if old is not None:
        same = (
            abs(old.lon0 - float(proj.lon0)) < _FRAME_TOL
            and abs(old.lat0 - float(proj.lat0)) < _FRAME_TOL
            and old.utc_offset_s == offset
        )
        if not same:
            raise Invalid(
                "out",
                f"{out} holds a province on another frame ({old.lon0:.5f}, {old.lat0:.5f}); "
                "choose an empty folder",
            )
        others = tuple(c for c in old.cities if c.code != code)
        made = old.made | {"end": until.isoformat(), "exported": {"city": code} | made}
    shutil.rmtree(Path(out) / "incidents" / f"city={code}", ignore_errors=True)
    cols = {
        "id": frame.id,
        "reported_at": frame.t_s,
        "subtype": frame.subtype,
        "klass": frame.klass,
        "priority": _priorities(frame.subtype),
        "station": np.asarray([code_of.get(int(i), "") for i in st], dtype=str),
        "cell": np.asarray([code_of.get(int(i), "") for i in ce], dtype=str),
        "lon": frame.lon,
        "lat": frame.lat,
        "x_m": frame.x_m,
        "y_m": frame.y_m,
    }
    files = write_city(out, code, cols, utc_offset_s=offset)
    man = Manifest(
        lon0=float(proj.lon0),
        lat0=float(proj.lat0),
        utc_offset_s=offset,
        cities=(info, *others),
        made=made,
    )
    write_man(out, man)
    with unit_of_work(engine) as s:
        record(
            s,
            actor=actor,
            action="incidents.export_parquet",
            entity="incident",
            jpath="/",
            detail={
                "rows": n,
                "since": since.isoformat(),
                "until": until.isoformat(),
                "out": str(out),
            },
        )
        s.commit()
    return Exported(code, n, len(files), since, until, len(man.cities))


def run_analyses(
    data: Path,
    *,
    engine: str | None = None,
    workers: int = 2,
    analyses: tuple[str, ...] = ANALYSES,
) -> dict[str, Any]:
    """Run ``analyses`` on the province in ``data`` (``engine``: default :func:`engine_name`)
    and store each answer where ``/province`` reads it; the summary of the runs. With Dask
    one client serves every analysis."""
    from pingan.province.engine import dask_client, run
    from pingan.province.results import write_result

    eng = engine or engine_name()
    out: dict[str, Any] = {"engine": eng}
    t0 = time.perf_counter()

    def one(name: str, client: Any) -> None:
        answer = run(name, data, engine=eng, workers=workers, client=client)
        write_result(data, answer)
        out[f"{name}_s"] = round(float(answer["timing"]["wall_s"]), 2)
        out["cities"] = len(answer["cities"])
        out["as_of"] = answer["as_of"]
        if name == "warnings":
            out["warnings"] = sum(len(c) for c in answer["cities"])

    if eng == "dask":
        with dask_client(workers) as client:
            for name in analyses:
                one(name, client)
    else:
        for name in analyses:
            one(name, None)
    out["seconds"] = round(time.perf_counter() - t0, 2)
    return out


def province_job(engine: Engine, now: dt.datetime, *, actor: Actor | None = None) -> dict[str, Any]:
    """The job ``province``: this database's last two years of incidents exported into
    ``<data_dir>/province`` (the other cities of a province there are kept), then trends, hot
    spots and warnings run on the whole folder."""
    t0 = time.perf_counter()
    folder = province_folder()
    until = now.replace(microsecond=0)
    ex = export_incidents(
        folder,
        principal=Principal(
            user_id=0, username="scheduler", role="admin", jpath="/", jurisdiction_id=None
        ),
        actor=actor or Actor.system("scheduler:province"),
        since=until - dt.timedelta(days=HISTORY_DAYS),
        until=until,
        engine=engine,
    )
    res = run_analyses(folder)
    return {
        "city": ex.city,
        "incidents": ex.rows,
        "cities": ex.cities,
        "engine": res["engine"],
        "as_of": res.get("as_of"),
        "warnings": res.get("warnings", 0),
        "export_s": round(time.perf_counter() - t0 - res["seconds"], 2),
        "analyses_s": res["seconds"],
        "seconds": round(time.perf_counter() - t0, 1),
    }
