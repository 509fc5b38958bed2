"""Changes of the camera registry: create, edit, retire, import. Each commits once, with its
audit record in the same transaction. Roles come from the permission table (the views ask for
``camera.write``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from pingan.audit.service import record
from pingan.auth.service import Principal
from pingan.cameras import figures, footprints, importers, service, siting
from pingan.cameras.models import Camera
from pingan.cameras.schemas import (
    CameraCreate,
    CameraUpdate,
    ImportReport,
    Reject,
    SitingRequest,
)
from pingan.errors import Invalid
from pingan.geo.crs import to_wgs84
from pingan.jobs.service import Report
from pingan.places.models import Premises
from pingan.store.base import utcnow
from pingan.store.engine import unit_of_work

__all__ = [
    "camera_create_flow",
    "camera_retire_flow",
    "camera_siting_job_flow",
    "camera_update_flow",
    "cameras_import_flow",
    "footprints_import_flow",
]


def _plain(v: Any) -> Any:
    return v if isinstance(v, str | int | float | bool) or v is None else str(v)


def camera_create_flow(session: Session, *, principal: Principal, data: CameraCreate) -> Camera:
    """Register a camera (audited)."""
    c = service.create(session, principal=principal, data=data)
    record(
        session,
        actor=principal.actor,
        action="create",
        entity="camera",
        entity_id=c.id,
        jpath=c.jpath,
        detail={"code": c.code, "status": c.status, "owner": c.owner},
    )
    session.commit()
    return c


def camera_update_flow(
    session: Session, *, principal: Principal, camera_id: int, data: CameraUpdate
) -> Camera:
    """Change a camera (audited with each changed field's old and new value)."""
    c, old = service.update(session, principal=principal, camera_id=camera_id, data=data)
    if old:
        record(
            session,
            actor=principal.actor,
            action="update",
            entity="camera",
            entity_id=c.id,
            jpath=c.jpath,
            detail={k: {"from": _plain(v), "to": _plain(getattr(c, k))} for k, v in old.items()},
        )
    session.commit()
    return c


def camera_retire_flow(
    session: Session, *, principal: Principal, camera_id: int, reason: str
) -> Camera:
    """Take a camera off the network, with the reason (audited)."""
    if not reason.strip():
        raise Invalid("reason", "say why the camera is retired")
    c = service.retire(session, principal=principal, camera_id=camera_id)
    record(
        session,
        actor=principal.actor,
        action="retire",
        entity="camera",
        entity_id=c.id,
        jpath=c.jpath,
        detail={"code": c.code, "reason": reason},
    )
    session.commit()
    return c


def cameras_import_flow(
    session: Session,
    *,
    principal: Principal,
    content: bytes,
    fmt: str,
    crs: str = "WGS84",
    dry_run: bool = False,
) -> ImportReport:
    """Create or update cameras from a CSV or GeoJSON file; bad rows are rejected one by one
    with the field and the reason, the rest are written together (one audit record). With
    ``dry_run`` nothing is written and the report says what would happen."""
    try:
        rows, bad, n = importers.parse(content, fmt=fmt, crs=crs)
    except ValueError as exc:
        field, _, reason = str(exc).partition(": ")
        raise Invalid(field, reason) from None
    rejects = [Reject(row=r.row, code=r.code, field=r.field, reason=r.reason) for r in bad]
    created = updated = 0
    if rows:
        lon, lat = to_wgs84(
            [r.data.lon for r in rows], [r.data.lat for r in rows], rows[0].data.crs
        )
        loc = service.locate_many(session, principal=principal, lon=lon.tolist(), lat=lat.tolist())
        codes = [r.data.code for r in rows if r.data.code]
        existing = {
            c.code: c
            for k in range(0, len(codes), 500)
            for c in session.scalars(select(Camera).where(Camera.code.in_(codes[k : k + 500])))
        }
        pcodes = sorted({r.premises_code for r in rows if r.premises_code})
        premises = {
            code: (pid, jpath)
            for k in range(0, len(pcodes), 500)
            for code, pid, jpath in session.execute(
                select(Premises.code, Premises.id, Premises.jpath).where(
                    Premises.code.in_(pcodes[k : k + 500])
                )
            )
        }
        pids = {r.data.premises_id for r in rows if r.data.premises_id}
        pid_ok = {
            pid
            for pid, jpath in session.execute(
                select(Premises.id, Premises.jpath).where(Premises.id.in_(pids))
            )
            if principal.can_see(jpath)
        }
        now = utcnow()
        new: list[Camera] = []
        for i, r in enumerate(rows):
            d = r.data

            def reject(field: str, reason: str, r: importers.ParsedRow = r) -> None:
                rejects.append(Reject(row=r.row, code=r.data.code, field=field, reason=reason))

            if not loc.inside[i]:
                reject("lon", "outside every jurisdiction of this bureau")
                continue
            if not loc.in_scope[i]:
                reject("lon", "outside your jurisdiction")
                continue
            pid = d.premises_id
            if r.premises_code is not None:
                hit = premises.get(r.premises_code)
                if hit is None or not principal.can_see(hit[1]):
                    reject("premises_code", f"no premises {r.premises_code!r} in your jurisdiction")
                    continue
                pid = hit[0]
            elif pid is not None and pid not in pid_ok:
                reject("premises_id", f"no premises {pid} in your jurisdiction")
                continue
            values = {
                "name": d.name,
                "lon": float(lon[i]),
                "lat": float(lat[i]),
                "heading_deg": d.heading_deg,
                "fov_deg": d.fov_deg,
                "range_m": d.range_m,
                "resolution": d.resolution,
                "owner": d.owner,
                "status": d.status,
                "premises_id": pid,
                "jpath": loc.jpath[i],
                "station_id": loc.station_id[i],
            }
            old = existing.get(d.code) if d.code else None
            if old is not None:
                if not principal.can_see(old.jpath):
                    reject("code", f"{d.code!r} is a camera outside your jurisdiction")
                    continue
                if old.status == "retired":
                    reject("code", f"{d.code!r} is retired; give the new camera another code")
                    continue
                if not dry_run:
                    for k, v in values.items():
                        setattr(old, k, v)
                    old.updated_at = now
                updated += 1
            else:
                code = d.code or f"CAM-{np.random.default_rng().integers(16**8):08X}"
                if not dry_run:
                    new.append(Camera(code=code, created_at=now, updated_at=now, **values))
                created += 1
        if new:
            session.add_all(new)
    rejects.sort(key=lambda x: x.row)
    report = ImportReport(
        format=fmt,
        rows=n,
        created=created,
        updated=updated,
        rejected=len(rejects),
        rejects=rejects,
        dry_run=dry_run,
    )
    if dry_run:
        session.rollback()
        return report
    session.flush()
    record(
        session,
        actor=principal.actor,
        action="import",
        entity="camera",
        jpath=principal.jpath,
        detail={
            "format": fmt,
            "crs": crs,
            "rows": n,
            "created": created,
            "updated": updated,
            "rejected": len(rejects),
        },
    )
    session.commit()
    return report


def camera_siting_job_flow(
    engine: Engine,
    principal: Principal,
    req: SitingRequest,
    *,
    data_dir: Path,
    report: Report | None = None,
) -> dict[str, Any]:
    """The siting of new cameras as a background job: load the scope's snapshot (its own
    read-only unit of work, the request's is over), then :func:`pingan.cameras.siting.siting`
    with progress. Reads only: the job row and its audit record are the jobs package's."""
    progress: Report = report or (lambda _f, _m: None)
    progress(0.02, "loading cameras, incidents and roads")
    with unit_of_work(engine, write=False) as s:
        snap = figures.snapshot(
            s, principal=principal, data_dir=data_dir, history_days=req.history_days
        )
    progress(0.15, f"{snap.inc_xy.shape[0]} incidents, {snap.road_len.size} road pieces loaded")
    answer = siting.siting(snap, req, report=progress)
    progress(1.0, f"{len(answer['cameras'])} cameras placed")
    return answer


def footprints_import_flow(
    session: Session,
    *,
    principal: Principal,
    content: bytes,
    crs: str = "WGS84",
    replace: bool = False,
    dry_run: bool = False,
    source: str = "import",
) -> ImportReport:
    """Load building footprints from GeoJSON (the occlusion layer of the camera figures and
    siting), with the refused features and their reasons; commit once, audited."""
    parsed = footprints.parse_geojson(content, crs=crs)
    written = deleted = 0
    if not dry_run:
        written, deleted = footprints.store(session, parsed=parsed, source=source, replace=replace)
        record(
            session,
            actor=principal.actor,
            action="footprints.import",
            entity="building_footprint",
            entity_id=None,
            jpath="/",
            detail={
                "rows": parsed.rows,
                "written": written,
                "deleted": deleted,
                "rejected": len(parsed.rejects),
                "source": source,
            },
        )
        session.commit()
    return ImportReport(
        format="geojson",
        rows=parsed.rows,
        created=len(parsed.polygons) if dry_run else written,
        updated=0,
        rejected=len(parsed.rejects),
        rejects=parsed.rejects,
        dry_run=dry_run,
    )
