"""The public side's JSON API, under ``/public/api`` (no sign-in): the proof-of-work challenge,
categories, address search and reverse lookup, nearby open reports, the report and complaint
forms, tracking, police stations and the public statistics.

A router of its own with its own limits: every request passes :func:`public_guard` (reads per
address and minute, in the process) and the forms are counted per address and device in the
database before their body is read (:func:`pingan.citizens.flows.public_throttle_flow`). Its
answers carry :data:`PUBLIC_CSP`, stricter than the staff pages' (no inline styles at all).
Nothing here reaches a staff API: the geocoder is asked through its service for labels and
points only.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import Field, ValidationError
from sqlalchemy import select
from starlette.datastructures import UploadFile

from pingan.api.deps import SessionDep, client_ip
from pingan.citizens import flows, pow, service, throttle
from pingan.citizens.categories import CATEGORIES, COMPLAINT_CATEGORIES
from pingan.citizens.photos import MAX_PHOTO_BYTES, MAX_PHOTOS, clean_photo
from pingan.citizens.schemas import ComplaintIn, NearbyReport, ReportIn, TrackView
from pingan.config import get_settings, session_secret
from pingan.errors import Invalid, NotFound, TooManyRequests
from pingan.geocoding import service as geocoding
from pingan.jurisdictions.models import Jurisdiction
from pingan.ratings.models import StationPhone

__all__ = ["DEVICE_COOKIE", "PUBLIC_CSP", "device_id", "public_guard", "router", "secret"]

PUBLIC_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; font-src 'self'; worker-src 'self' blob:; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
"""The public pages' content security policy: same-origin scripts and styles only."""

DEVICE_COOKIE = "pingan_dev"


def secret() -> bytes:
    """The key of the challenges and the address hashes (the session secret)."""
    return session_secret(get_settings()).encode()


def device_id(request: Request) -> str | None:
    """The device cookie set by the public pages (a random id), if sent."""
    dev = request.cookies.get(DEVICE_COOKIE)
    return dev if dev and 16 <= len(dev) <= 64 and dev.isascii() else None


def _limiter(request: Request) -> throttle.ReadLimiter:
    lim = getattr(request.app.state, "public_reads", None)
    if lim is None:
        lim = request.app.state.public_reads = throttle.ReadLimiter(
            get_settings().public_reads_per_min
        )
    return lim  # type: ignore[no-any-return]


async def public_guard(request: Request, response: Response) -> None:
    """Every public request: at most ``PINGAN_PUBLIC_READS_PER_MIN`` per address and minute,
    and the public CSP on the answer."""
    wait = _limiter(request).check(client_ip(request) or "-")
    if wait:
        raise TooManyRequests(
            "too many requests from this client address; wait a minute",
            retry_after_s=wait,
            field="client address",
        )
    response.headers["Content-Security-Policy"] = PUBLIC_CSP
    response.headers["Cache-Control"] = "no-store"


router = APIRouter(prefix="/public/api", tags=["public"], dependencies=[Depends(public_guard)])


def _lang(request: Request) -> str:
    lang = request.query_params.get("lang") or request.cookies.get("pingan_lang")
    return "en" if lang == "en" else "zh-CN"


@router.get("/challenge", operation_id="public_challenge")
def challenge() -> dict[str, Any]:
    """A proof-of-work challenge for one form (valid 15 minutes, spent once)."""
    bits = get_settings().public_pow_bits
    return {"challenge": pow.issue(secret(), bits=bits), "bits": bits}


@router.get("/categories", operation_id="public_categories")
def categories(request: Request) -> dict[str, Any]:
    """The report categories and the complaint categories in the page language."""
    lang = _lang(request)
    return {
        "report": [
            {
                "code": c.code,
                "name": c.name(lang),
                "hint": c.hint_zh if lang == "zh-CN" else c.hint_en,
            }
            for c in CATEGORIES
        ],
        "complaint": [
            {"code": k, "name": zh if lang == "zh-CN" else en}
            for k, (zh, en) in COMPLAINT_CATEGORIES.items()
        ],
    }


@router.get("/geocode", operation_id="public_geocode")
def geocode(
    session: SessionDep, q: Annotated[str, Query(min_length=1, max_length=100)]
) -> list[dict[str, Any]]:
    """Places whose name matches ``q`` (door plates, roads, junctions, premises): label and
    point only, at most 6."""
    found = geocoding.geocode(session, principal=service.public_principal(), q=q, limit=6)
    return [{"label": c.label, "lon": round(c.lon, 6), "lat": round(c.lat, 6)} for c in found]


@router.get("/reverse", operation_id="public_reverse")
def reverse(
    session: SessionDep,
    lon: Annotated[float, Query(ge=-180, le=180)],
    lat: Annotated[float, Query(ge=-90, le=90)],
) -> dict[str, Any]:
    """The nearest door plate to a point (for "use my location"), or null."""
    rev = geocoding.reverse_geocode(session, principal=service.public_principal(), lon=lon, lat=lat)
    a = rev.address
    return {"label": a.label if a else None, "distance_m": a.distance_m if a else None}


@router.get("/nearby", operation_id="public_nearby")
def nearby(
    request: Request,
    session: SessionDep,
    category: Annotated[str, Query(max_length=32)],
    lon: Annotated[float, Query(ge=-180, le=180)],
    lat: Annotated[float, Query(ge=-90, le=90)],
) -> list[NearbyReport]:
    """Open online reports of the same category within 500 m (is this yours?)."""
    return service.nearby(session, category_code=category, lon=lon, lat=lat, lang=_lang(request))


def _check_pow(challenge_text: str, counter: str) -> str:
    nonce = pow.verify(secret(), challenge_text, counter)
    if nonce is None or nonce.startswith("!"):
        reason = {
            "!expired": "the form's challenge expired; load the form again",
            "!unsolved": "the proof of work is not solved",
        }.get(nonce or "", "the proof of work is missing or wrong; load the form again")
        raise Invalid("pow", reason)
    return nonce


def _ip_hash(request: Request) -> str | None:
    ip = client_ip(request)
    return throttle.hashed(secret(), ip) if ip else None


def _dev_hash(request: Request) -> str | None:
    dev = device_id(request)
    return throttle.hashed(secret(), dev) if dev else None


@router.post(
    "/reports",
    status_code=201,
    operation_id="public_submit_report",
    openapi_extra={
        "requestBody": {
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["category", "description", "lon", "lat"],
                        "properties": {
                            "category": {"type": "string"},
                            "description": {"type": "string"},
                            "lon": {"type": "number"},
                            "lat": {"type": "number"},
                            "address_text": {"type": "string"},
                            "phone": {"type": "string"},
                            "consent": {"type": "boolean"},
                            "pow_challenge": {"type": "string"},
                            "pow_counter": {"type": "string"},
                            "photos": {
                                "type": "array",
                                "items": {"type": "string", "format": "binary"},
                            },
                        },
                    }
                }
            }
        }
    },
)
async def submit_report(request: Request, session: SessionDep) -> JSONResponse:
    """A non-emergency online report (multipart form, up to 5 photos of 5 MB): counted per
    address and device first (429 with ``Retry-After`` past the limit), then the proof of work
    checked and spent, the photos checked and stripped of their metadata, and the report
    written. Answers its tracking code."""
    from starlette.concurrency import run_in_threadpool

    ip_hash, dev_hash = _ip_hash(request), _dev_hash(request)
    await run_in_threadpool(
        flows.public_throttle_flow, session, ip_hash=ip_hash, device_hash=dev_hash
    )
    fields: dict[str, Any] = {}
    photos_raw: list[bytes] = []
    async with request.form(
        max_files=MAX_PHOTOS, max_fields=20, max_part_size=MAX_PHOTO_BYTES + 1024
    ) as form:
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                if key != "photos":
                    raise Invalid(key, "only 'photos' may carry files")
                raw = await value.read(MAX_PHOTO_BYTES + 1)
                if raw:
                    photos_raw.append(raw)
            elif key in fields:
                raise Invalid(key, "given twice")
            else:
                fields[key] = value
    if len(photos_raw) > MAX_PHOTOS:
        raise Invalid("photos", f"at most {MAX_PHOTOS} photos")
    nonce = _check_pow(str(fields.pop("pow_challenge", "")), str(fields.pop("pow_counter", "")))
    fields["consent"] = str(fields.get("consent", "")).lower() in ("1", "true", "on", "yes")
    for k in ("phone", "address_text"):
        if fields.get(k) == "":
            fields.pop(k)
    data = _validated(ReportIn, fields)
    if len(data.description.strip()) < 5:
        raise Invalid("description", "say what happened in at least 5 characters")

    def work() -> tuple[str, str]:
        photos = [clean_photo(raw) for raw in photos_raw]
        report, inc = flows.report_submit_flow(
            session, data=data, photos=photos, pow_nonce=nonce, device_hash=dev_hash
        )
        return report.code, service.public_state(inc.state)

    code, state = await run_in_threadpool(work)
    return JSONResponse(
        {"code": code, "state": state, "track_url": f"/track/{code}"},
        status_code=201,
        headers={"Content-Security-Policy": PUBLIC_CSP},
    )


def _validated(model: Any, fields: dict[str, Any]) -> Any:
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"]) or "body"
        raise Invalid(loc, err["msg"]) from None


class ComplaintPost(ComplaintIn):
    """The complaint form with its proof of work."""

    pow_challenge: str = Field(max_length=200)
    pow_counter: str = Field(max_length=12)


@router.post("/complaints", status_code=201, operation_id="public_submit_complaint")
def submit_complaint(request: Request, session: SessionDep, body: ComplaintPost) -> dict[str, Any]:
    """A complaint about police conduct (JSON), routed to the supervision office; counted
    per address and device like the report form. Answers its tracking code."""
    flows.public_throttle_flow(session, ip_hash=_ip_hash(request), device_hash=_dev_hash(request))
    nonce = _check_pow(body.pow_challenge, body.pow_counter)
    data = ComplaintIn.model_validate(body.model_dump(exclude={"pow_challenge", "pow_counter"}))
    c = flows.complaint_submit_flow(
        session, data=data, pow_nonce=nonce, device_hash=_dev_hash(request)
    )
    return {"code": c.code, "state": c.state, "track_url": f"/track/{c.code}"}


@router.get("/track/{code}", operation_id="public_track")
def track(
    request: Request, session: SessionDep, code: Annotated[str, Path(max_length=20)]
) -> TrackView:
    """The state and public replies of a report or complaint by its tracking code."""
    view = service.track(session, code=code, lang=_lang(request))
    if view is None:
        raise NotFound("no report or complaint with this tracking code")
    return view


@router.get("/stations", operation_id="public_stations")
def stations(request: Request, session: SessionDep) -> list[dict[str, Any]]:
    """Police stations: code, name, the station house's point and public phone."""
    en = _lang(request) == "en"
    rows = session.execute(
        select(Jurisdiction, StationPhone.phone)
        .outerjoin(StationPhone, StationPhone.station_id == Jurisdiction.id)
        .where(Jurisdiction.level == "station")
        .order_by(Jurisdiction.code)
    ).all()
    return [
        {
            "code": j.code,
            "name": j.name_en if en else j.name_zh,
            "lon": j.site_lon if j.site_lon is not None else j.centroid_lon,
            "lat": j.site_lat if j.site_lat is not None else j.centroid_lat,
            "phone": phone or "110",
        }
        for j, phone in rows
    ]


@router.get(
    "/service-points",
    operation_id="public_service_points",
    response_class=Response,
    responses={200: {"content": {"application/json": {}}}},
)
def service_points(request: Request, session: SessionDep) -> Response:
    """Every police station, police service post (便民服务站) and hospital police room with its
    public phone, and the stations' outlines (simplified) for the map of ``/notices``: kinds,
    names and points only (``{"bbox", "outlines", "points"}``), gzipped when the phone accepts
    it (a slow network carries a third of the bytes)."""
    from pingan.citizens import notices

    outlines = notices.station_outlines(session)
    points = notices.service_points(session, lang=_lang(request))
    bbox = outlines["bbox"]
    if bbox is None and points:
        lons, lats = [p["lon"] for p in points], [p["lat"] for p in points]
        bbox = [min(lons), min(lats), max(lons), max(lats)]
    body = json.dumps(
        {"bbox": bbox, "outlines": outlines["rings"], "points": points},
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()
    headers = {"Vary": "Accept-Encoding"}
    if "gzip" in request.headers.get("accept-encoding", ""):
        body = gzip.compress(body, compresslevel=6)
        headers["Content-Encoding"] = "gzip"
    return Response(body, media_type="application/json", headers=headers)


@router.get(
    "/stats.csv",
    operation_id="public_stats_csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
def stats_csv(session: SessionDep, weeks: Annotated[int, Query(ge=1, le=104)] = 12) -> Response:
    """Online reports per ISO week and category (counts only, no personal data)."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["week", "category", "reports"])
    for row in service.stats_by_week(session, weeks=weeks):
        w.writerow(row)
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": 'attachment; filename="online-reports-by-week.csv"',
            "Content-Security-Policy": PUBLIC_CSP,
        },
    )


def new_device_id() -> str:
    """A fresh device id for the cookie."""
    return secrets.token_urlsafe(18)


@router.get("/notices", operation_id="public_notices")
def notices_near(
    request: Request,
    session: SessionDep,
    lon: Annotated[float, Query(ge=-180, le=180)],
    lat: Annotated[float, Query(ge=-90, le=90)],
) -> dict[str, Any]:
    """Safety notices in force where the point is, and the police stations and posts near it."""
    from pingan.citizens import notices
    from pingan.store.base import utcnow

    lang = _lang(request)
    chain, rows = notices.notices_at(session, lon=lon, lat=lat, today=utcnow().date())
    area = next((j for j in reversed(chain) if j.level == "community"), None)
    return {
        "community": (area.name_en if lang == "en" else area.name_zh) if area else None,
        "notices": [
            {
                "title": n.title,
                "body": n.body,
                "valid_from": n.valid_from.isoformat(),
                "valid_until": n.valid_until.isoformat(),
            }
            for n in rows
        ],
        "stations": notices.nearby_stations(session, lon=lon, lat=lat, lang=lang),
    }


@router.get("/officer", operation_id="public_officer")
def officer(
    request: Request,
    session: SessionDep,
    lon: Annotated[float, Query(ge=-180, le=180)],
    lat: Annotated[float, Query(ge=-90, le=90)],
) -> dict[str, Any]:
    """The community officer of the place: name, community, station, office hours and the
    public work phone."""
    from pingan.citizens import notices

    return notices.officer_at(session, lon=lon, lat=lat, lang=_lang(request))


@router.get("/stars", operation_id="public_stars")
def stars(
    session: SessionDep, q: Annotated[str, Query(min_length=1, max_length=200)]
) -> list[dict[str, Any]]:
    """Rated premises whose name contains ``q``: stars, colour and valid-until; or the sign
    whose QR code reads ``q`` (its link ``…/v/<token>``), with ``status`` (valid, expired,
    revoked)."""
    from pingan.citizens import notices

    return notices.star_lookup(session, q=q)
