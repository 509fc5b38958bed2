"""The public pages of the citizen services (no sign-in, phone-first, zh-CN default and en):
``/report`` (report online), ``/track`` and ``/track/<code>``, ``/complaints`` (网上督察),
and the staff pages: the supervision office's ``/supervision``, the station's queue of online
reports ``/online-reports`` (网上报警受理) and the rental-registration queue ``/rentals``.

Every public page is small: one stylesheet and one script (``static/css/public.css``,
``static/js/public.js``, a few KB each), no map library (the map pin is an SVG of the
communities' outlines, ``/public/api/areas``), the page's texts inline as JSON, and the public
CSP (no inline script or style at all). The first visit sets a random device cookie
(``pingan_dev``), which the form limits count by.
"""

from __future__ import annotations

import gzip
import json
import secrets
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import shapely
from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from pingan.api.deps import SessionDep
from pingan.citizens import flows, rental, service
from pingan.citizens.categories import CATEGORIES, COMPLAINT_CATEGORIES
from pingan.citizens.public import DEVICE_COOKIE, PUBLIC_CSP, device_id, new_device_id, public_guard
from pingan.citizens.schemas import StayIn
from pingan.config import get_settings
from pingan.errors import PingAnError
from pingan.jurisdictions.models import Jurisdiction
from pingan.web.i18n import messages, translator
from pingan.web.views import language, page_caller, render, templates

__all__ = ["public_page", "router", "setup"]

router = APIRouter(include_in_schema=False, dependencies=[Depends(public_guard)])
staff = APIRouter(include_in_schema=False)


_SCRIPT_TEXTS = {
    "report": ("pub.report.", "pub.err.", "pub.state."),
    "complaint": ("pub.report.", "pub.err.", "pub.complaint.submit"),
    "notices": (
        "pub.report.",
        "pub.err.",
        "pub.notices.",
        "pub.kind.",
        "pub.stars.",
        "pub.place.",
        "pub.map.",
    ),
    "officer": ("pub.report.", "pub.err.", "pub.officer.", "pub.place."),
}
"""The texts each page's script uses (the rest is rendered on the server): fewer bytes."""


def _public_messages(lang: str, page: str) -> str:
    prefixes = _SCRIPT_TEXTS.get(page, ())
    keys = {k: v for k, v in messages(lang).items() if k.startswith(prefixes)} if prefixes else {}
    return json.dumps(keys, ensure_ascii=False).replace("</", "<\\/")


_STATIC = Path(__file__).with_name("static")
_INLINE: dict[str, tuple[float, str]] = {}


def _inline(rel: str) -> str:
    """A static file's text, to inline into the public pages (re-read when it changes)."""
    path = _STATIC / rel
    mtime = path.stat().st_mtime
    hit = _INLINE.get(rel)
    if hit is None or hit[0] != mtime:
        text = path.read_text(encoding="utf-8").replace("</", "<\\/")
        hit = _INLINE[rel] = (mtime, text)
    return hit[1]


def page_csp(nonce: str) -> str:
    """The public CSP with this response's nonce for its one inline style and script."""
    return PUBLIC_CSP.replace("script-src 'self'", f"script-src 'self' 'nonce-{nonce}'").replace(
        "style-src 'self'", f"style-src 'self' 'nonce-{nonce}'"
    )


def public_page(
    request: Request,
    name: str,
    page: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> HTMLResponse:
    """Render a public page: language, texts, the public CSP, the device cookie."""
    lang = language(request)
    nonce = secrets.token_urlsafe(16)
    ctx = {
        "request": request,
        "lang": lang,
        "t": translator(lang),
        "page": page,
        "i18n": _public_messages(lang, page),
        "path": request.url.path,
        "nonce": nonce,
        # one request for the whole first view: a slow 3G phone waits one round trip, not two
        "inline_css": _inline("css/public.css"),
        "inline_js": _inline("js/public.js"),
    }
    ctx.update(context or {})
    resp = templates.TemplateResponse(request, name, ctx, status_code=status_code)
    if "gzip" in request.headers.get("accept-encoding", ""):
        # compressed here, not by a middleware for the whole app (it would hold back streams)
        body = gzip.compress(bytes(resp.body), compresslevel=6)
        resp.body = body
        resp.headers["Content-Encoding"] = "gzip"
        resp.headers["Content-Length"] = str(len(body))
    resp.headers["Vary"] = "Accept-Encoding, Cookie"
    resp.headers["Content-Security-Policy"] = page_csp(nonce)
    resp.headers["Cache-Control"] = "no-store"
    if device_id(request) is None:
        resp.set_cookie(
            DEVICE_COOKIE,
            new_device_id(),
            max_age=365 * 86400,
            httponly=True,
            samesite="strict",
            secure=get_settings().secure_cookies,
        )
    return resp


@router.get("/report", response_class=HTMLResponse)
def report_page(request: Request) -> Response:
    """Report online (non-emergency)."""
    lang = language(request)
    cats = [
        {"code": c.code, "name": c.name(lang), "hint": c.hint_zh if lang == "zh-CN" else c.hint_en}
        for c in CATEGORIES
    ]
    return public_page(
        request,
        "public_report.html",
        "report",
        {"cats": cats, "retention_days": get_settings().public_contact_retention_days},
    )


@router.get("/track", response_class=HTMLResponse)
def track_form(request: Request, code: str | None = None) -> Response:
    """Enter a tracking code."""
    if code:
        clean = "".join(ch for ch in code.upper() if ch.isalnum())[:20]
        return RedirectResponse(f"/track/{clean}", status_code=303)
    return public_page(request, "public_track.html", "track", {"view": None, "code": ""})


@router.get("/track/{code}", response_class=HTMLResponse)
def track_page(request: Request, session: SessionDep, code: str) -> Response:
    """A report's or complaint's state and public replies (server-rendered: no script needed)."""
    lang = language(request)
    view = service.track(session, code=code[:20], lang=lang) if len(code) <= 20 else None
    tz = ZoneInfo(get_settings().timezone)
    return public_page(
        request,
        "public_track.html",
        "track",
        {"view": view, "code": code[:20], "tz": tz},
        status_code=200 if view is not None else 404,
    )


@router.get("/complaints", response_class=HTMLResponse)
def complaints_page(request: Request, session: SessionDep) -> Response:
    """Complain about police conduct (网上督察)."""
    lang = language(request)
    stations = session.execute(
        select(Jurisdiction.code, Jurisdiction.name_zh, Jurisdiction.name_en)
        .where(Jurisdiction.level == "station")
        .order_by(Jurisdiction.code)
    ).all()
    return public_page(
        request,
        "public_complaint.html",
        "complaint",
        {
            "cats": [
                (k, zh if lang == "zh-CN" else en) for k, (zh, en) in COMPLAINT_CATEGORIES.items()
            ],
            "stations": [(c, zh if lang == "zh-CN" else en) for c, zh, en in stations],
            "retention_days": get_settings().public_contact_retention_days,
        },
    )


@router.get("/notices", response_class=HTMLResponse)
def notices_page(request: Request) -> Response:
    """Safety notices where I am, police stations and posts near me, star lookup."""
    return public_page(request, "public_notices.html", "notices")


@router.get("/officer", response_class=HTMLResponse)
def officer_page(request: Request) -> Response:
    """Find my community officer by address or location."""
    return public_page(request, "public_officer.html", "officer")


_RENTAL_TTL_S = 30 * 60


def _rental_state(request: Request, pid: int) -> dict[str, Any]:
    st = request.session.get("rental")
    if not isinstance(st, dict) or st.get("pid") != pid:
        st = {"pid": pid, "csrf": secrets.token_urlsafe(16)}
        request.session["rental"] = st
    return st


def _rental_page(
    request: Request,
    session: Any,
    token: str,
    *,
    error: str | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    pid = rental.parse_token(token)
    house = rental.rental_house(session, pid) if pid is not None else None
    ctx: dict[str, Any] = {"house": house, "token": token, "error": error, "notice": notice}
    if house is None:
        return public_page(request, "public_rental.html", "rental", ctx, status_code=404)
    st = _rental_state(request, house.id)
    verified = float(st.get("ok_until", 0)) > time.time()
    stays = []
    if verified:
        for s in rental.stays_of(session, house.id):
            stays.append(
                {
                    "start_date": s.start_date,
                    "end_date": s.end_date,
                    "tenant_count": s.tenant_count,
                    "state": s.state,
                    "review_note": s.review_note,
                    "masked": rental.masked(s),
                }
            )
    ctx.update(csrf=st["csrf"], phone=st.get("phone"), verified=verified, stays=stays)
    return public_page(request, "public_rental.html", "rental", ctx, status_code=status_code)


@router.get("/rental/{token}", response_class=HTMLResponse)
def rental_page(request: Request, session: SessionDep, token: str) -> Response:
    """A rental house's page (from its plate's QR): the landlord verifies by SMS code, then
    registers stays."""
    t = translator(language(request))
    notice = {
        "sent": t("pub.rental.sent"),
        "ok": t("pub.rental.ok"),
        "done": t("pub.rental.done"),
    }.get(request.query_params.get("m", ""))
    return _rental_page(request, session, token[:64], notice=notice)


async def _rental_form(request: Request, token: str) -> tuple[int | None, dict[str, str], bool]:
    pid = rental.parse_token(token[:64])
    async with request.form(max_files=0, max_fields=20, max_part_size=4096) as form:
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
    st = request.session.get("rental") or {}
    ok = (
        pid is not None
        and isinstance(st, dict)
        and st.get("pid") == pid
        and secrets.compare_digest(str(st.get("csrf", "")), fields.get("csrf", "-"))
    )
    return pid, fields, ok


def _back(token: str, m: str) -> RedirectResponse:
    return RedirectResponse(f"/rental/{token}?m={m}", status_code=303)


def _pub_error(t: Any, exc: PingAnError) -> str:
    key = f"pub.rental.err.{exc.field}" if exc.field else ""
    text = t(key) if key else ""
    return str(text) if text and text != key else str(t("pub.err.invalid"))


@router.post("/rental/{token}/code", response_class=HTMLResponse)
async def rental_send_code(request: Request, session: SessionDep, token: str) -> Response:
    """Send the landlord a code by SMS."""
    pid, fields, ok = await _rental_form(request, token)
    t = translator(language(request))
    if pid is None or not ok:
        return _rental_page(request, session, token, error=t("pub.err.pow"), status_code=403)
    phone = fields.get("phone", "").strip()
    try:
        await run_in_threadpool(flows.rental_code_flow, session, premises_id=pid, phone=phone)
    except PingAnError as exc:
        return _rental_page(
            request, session, token, error=_pub_error(t, exc), status_code=exc.status
        )
    request.session["rental"] = {**request.session["rental"], "phone": phone}
    return _back(token, "sent")


@router.post("/rental/{token}/verify", response_class=HTMLResponse)
async def rental_verify(request: Request, session: SessionDep, token: str) -> Response:
    """Check the landlord's code; verified for 30 minutes."""
    pid, fields, ok = await _rental_form(request, token)
    t = translator(language(request))
    st = request.session.get("rental") or {}
    if pid is None or not ok or not st.get("phone"):
        return _rental_page(request, session, token, error=t("pub.err.pow"), status_code=403)
    try:
        await run_in_threadpool(
            flows.rental_verify_flow,
            session,
            premises_id=pid,
            phone=str(st["phone"]),
            code=fields.get("code", ""),
        )
    except PingAnError as exc:
        return _rental_page(
            request, session, token, error=_pub_error(t, exc), status_code=exc.status
        )
    request.session["rental"] = {**st, "ok_until": time.time() + _RENTAL_TTL_S}
    return _back(token, "ok")


@router.post("/rental/{token}/stays", response_class=HTMLResponse)
async def rental_register(request: Request, session: SessionDep, token: str) -> Response:
    """Register a stay (verified landlords only)."""
    pid, fields, ok = await _rental_form(request, token)
    t = translator(language(request))
    st = request.session.get("rental") or {}
    if pid is None or not ok or float(st.get("ok_until", 0)) < time.time():
        return _rental_page(request, session, token, error=t("pub.rental.expired"), status_code=403)
    try:
        data = StayIn.model_validate(
            {
                "tenant_count": fields.get("tenant_count") or 0,
                "start_date": fields.get("start_date") or None,
                "end_date": fields.get("end_date") or None,
                "tenant_name": fields.get("tenant_name", "").strip(),
                "tenant_id_no": fields.get("tenant_id_no", "").strip(),
                "consent": fields.get("consent") == "true",
            }
        )
    except ValidationError as exc:
        field = str(exc.errors()[0]["loc"][0]) if exc.errors()[0]["loc"] else ""
        return _rental_page(
            request,
            session,
            token,
            status_code=422,
            error=t("pub.rental.bad_field", field=t(f"pub.rental.f.{field}")),
        )
    try:
        await run_in_threadpool(
            flows.rental_stay_flow,
            session,
            premises_id=pid,
            data=data,
            landlord_phone=str(st.get("phone", "")),
        )
    except PingAnError as exc:
        return _rental_page(
            request, session, token, error=_pub_error(t, exc), status_code=exc.status
        )
    return _back(token, "done")


@router.get(
    "/public/api/areas", include_in_schema=True, tags=["public"], operation_id="public_areas"
)
def areas(session: SessionDep) -> dict[str, Any]:
    """The communities' outlines, simplified (about 20 m), for the map pin: a GeoJSON
    FeatureCollection with each community's name; and the bounding box of them all."""
    rows = session.execute(
        select(Jurisdiction.id, Jurisdiction.name_zh, Jurisdiction.geometry).where(
            Jurisdiction.level == "community", Jurisdiction.geometry.is_not(None)
        )
    ).all()
    feats = []
    bounds = [180.0, 90.0, -180.0, -90.0]
    for jid, name, geom in rows:
        g = shapely.simplify(shapely.from_geojson(geom), 0.0002)
        g = shapely.set_precision(g, 0.00001)
        b = g.bounds
        bounds = [
            min(bounds[0], b[0]),
            min(bounds[1], b[1]),
            max(bounds[2], b[2]),
            max(bounds[3], b[3]),
        ]
        feats.append(
            {
                "type": "Feature",
                "id": jid,
                "properties": {"name": name},
                "geometry": json.loads(shapely.to_geojson(g)),
            }
        )
    return {"type": "FeatureCollection", "features": feats, "bbox": bounds}


@staff.get("/supervision", response_class=HTMLResponse)
def supervision_page(request: Request, session: SessionDep) -> Response:
    """The supervision office's queue of complaints (a shell filled from /api/v1/complaints)."""
    page = page_caller(request, session, "/supervision")
    if isinstance(page, RedirectResponse):
        return page
    return render(
        request,
        "supervision.html",
        {"forbidden": not page.allowed},
        principal=page.principal,
        status_code=page.status_code,
    )


@staff.get("/online-reports", response_class=HTMLResponse)
def online_reports_page(request: Request, session: SessionDep) -> Response:
    """The station's queue of online reports: accept, merge, refer or reject, reply (a shell
    filled by ``static/js/online_reports.js`` from ``/api/v1/online-reports``)."""
    page = page_caller(request, session, "/online-reports")
    if isinstance(page, RedirectResponse):
        return page
    return render(
        request,
        "online_reports.html",
        {"forbidden": not page.allowed},
        principal=page.principal,
        status_code=page.status_code,
    )


@staff.get("/rentals", response_class=HTMLResponse)
def rentals_page(request: Request, session: SessionDep) -> Response:
    """The rental-registration queue: stays registered by landlords (verify or refuse, reveal
    a tenant with a reason), the stays of each house and the share of houses registered (a
    shell filled by ``static/js/rentals.js`` from ``/api/v1/rental-stays`` and
    ``/api/v1/rental-houses``)."""
    page = page_caller(request, session, "/rentals")
    if isinstance(page, RedirectResponse):
        return page
    return render(
        request,
        "rentals.html",
        {"forbidden": not page.allowed},
        principal=page.principal,
        status_code=page.status_code,
    )


def setup(app: FastAPI) -> None:
    """The staff page has the staff pages' guard and CSP, not the public ones."""
    app.include_router(staff)
