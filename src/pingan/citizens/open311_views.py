"""Open311 GeoReport v2 under ``/open311/v2`` (JSON and XML by the path's suffix):
``discovery``, ``services``, ``services/{code}``, ``requests`` (GET with the standard filters;
POST with ``api_key``), ``requests/{id}``. ``jurisdiction_id``, when sent, must be
``PINGAN_OPEN311_JURISDICTION_ID``. Errors come in the standard's shape
(``[{"code": 400, "description": "…"}]``). Requests carrying a key are counted per key and
audited; the public reads are limited per address like the rest of the public side."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import ValidationError

from pingan.api.deps import SessionDep, client_ip
from pingan.citizens import flows, open311, service
from pingan.citizens.public import PUBLIC_CSP, public_guard
from pingan.citizens.schemas import ReportIn
from pingan.config import get_settings
from pingan.errors import Invalid, NotFound, PingAnError, TooManyRequests
from pingan.geocoding import service as geocoding

__all__ = ["router"]

router = APIRouter(prefix="/open311/v2", tags=["open311"], dependencies=[Depends(public_guard)])

Fmt = Annotated[str, Path(pattern="^(json|xml)$")]


def _answer(
    fmt: str, root: str, item: str, rows: list[dict[str, Any]], status: int = 200
) -> Response:
    if fmt == "xml":
        return Response(
            open311.to_xml(root, item, rows),
            status_code=status,
            media_type="text/xml; charset=utf-8",
            headers={"Content-Security-Policy": PUBLIC_CSP},
        )
    return Response(
        json.dumps(rows, ensure_ascii=False),
        status_code=status,
        media_type="application/json",
        headers={"Content-Security-Policy": PUBLIC_CSP},
    )


def _one(fmt: str, root: str, doc: dict[str, Any]) -> Response:
    if fmt == "xml":
        body = open311.xml_document(root, doc)
        return Response(body, media_type="text/xml; charset=utf-8")
    return Response(json.dumps(doc, ensure_ascii=False), media_type="application/json")


def _error(fmt: str, exc: PingAnError) -> Response:
    status = exc.status
    text = (
        f"{exc.field}: {exc.message}"
        if exc.field and not exc.message.startswith(f"{exc.field}:")
        else exc.message
    )
    resp = _answer(fmt, "errors", "error", [{"code": status, "description": text}], status)
    if isinstance(exc, TooManyRequests):
        resp.headers["Retry-After"] = str(exc.retry_after_s)
    return resp


def _guarded(fmt: str, work: Callable[[], Response]) -> Response:
    try:
        return work()
    except PingAnError as exc:
        return _error(fmt, exc)


def _jurisdiction(request: Request) -> None:
    given = request.query_params.get("jurisdiction_id")
    if given is not None and given != get_settings().open311_jurisdiction_id:
        raise NotFound(f"jurisdiction_id {given!r} is not served here")


def _lang(request: Request) -> str:
    return "en" if request.query_params.get("lang") == "en" else "zh-CN"


def _audit_key(request: Request, session: Any) -> None:
    key = request.query_params.get("api_key")
    if key:
        flows.open311_read_flow(session, api_key=key, path=request.url.path, ip=client_ip(request))


@router.get("/discovery.{fmt}", operation_id="open311_discovery")
def discovery(request: Request, fmt: Fmt) -> Response:
    """Where the GeoReport v2 endpoint is and what it speaks."""
    base = str(request.base_url).rstrip("/") + "/open311/v2/"
    doc = {
        "changeset": "2026-12-07T00:00:00Z",
        "contact": "Public Security Bureau, 12389",
        "key_service": "Ask the bureau for a key: pingan open311 key add NAME",
        "endpoints": [
            {
                "specification": "http://wiki.open311.org/GeoReport_v2",
                "url": base,
                "changeset": "2026-12-07T00:00:00Z",
                "type": "production",
                "formats": ["application/json", "text/xml"],
            }
        ],
    }
    if fmt == "xml":
        return Response(
            open311.to_xml("discovery", "x", []).replace(
                "<discovery></discovery>",
                "<discovery>"
                + open311.to_xml("d", "x", [doc]).split("<x>", 1)[1].rsplit("</x>", 1)[0]
                + "</discovery>",
            ),
            media_type="text/xml; charset=utf-8",
        )
    return Response(__import__("json").dumps(doc), media_type="application/json")


@router.get("/services.{fmt}", operation_id="open311_services")
def services(request: Request, session: SessionDep, fmt: Fmt) -> Response:
    """Every service (the public report categories)."""

    def work() -> Response:
        _jurisdiction(request)
        _audit_key(request, session)
        return _answer(fmt, "services", "service", open311.services(_lang(request)))

    return _guarded(fmt, work)


@router.get("/services/{code}.{fmt}", operation_id="open311_service_definition")
def service_definition(
    request: Request, session: SessionDep, code: Annotated[str, Path(max_length=32)], fmt: Fmt
) -> Response:
    """A service's definition (no extra attributes)."""

    def work() -> Response:
        _jurisdiction(request)
        _audit_key(request, session)
        return _one(fmt, "service_definition", open311.service_definition(code))

    return _guarded(fmt, work)


def _instant(name: str, text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        at = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise Invalid(name, "use W3C format, e.g. 2026-12-01T00:00:00Z") from None
    if at.tzinfo is None:
        raise Invalid(name, "must include a timezone, e.g. 2026-12-01T00:00:00Z")
    return at


def _csv(text: str | None) -> list[str]:
    return [p.strip() for p in (text or "").split(",") if p.strip()]


@router.get("/requests.{fmt}", operation_id="open311_list_requests")
def list_requests(request: Request, session: SessionDep, fmt: Fmt) -> Response:
    """Service requests: ``service_request_id`` (comma separated; overrides the rest),
    ``service_code``, ``start_date``, ``end_date`` (at most 90 days apart; default the last
    90 days) and ``status`` (open, closed)."""

    def work() -> Response:
        _jurisdiction(request)
        _audit_key(request, session)
        qp = request.query_params
        rows = open311.request_rows(
            session,
            ids=_csv(qp.get("service_request_id")),
            service_codes=_csv(qp.get("service_code")),
            start=_instant("start_date", qp.get("start_date")),
            end=_instant("end_date", qp.get("end_date")),
            status=_csv(qp.get("status")),
            lang=_lang(request),
        )
        return _answer(fmt, "service_requests", "request", rows)

    return _guarded(fmt, work)


@router.get("/requests/{request_id}.{fmt}", operation_id="open311_get_request")
def get_request(
    request: Request,
    session: SessionDep,
    request_id: Annotated[str, Path(max_length=20)],
    fmt: Fmt,
) -> Response:
    """One service request by its id (the tracking code)."""

    def work() -> Response:
        _jurisdiction(request)
        _audit_key(request, session)
        rows = open311.request_rows(session, ids=[request_id], lang=_lang(request))
        if not rows:
            raise NotFound(f"service_request_id {request_id!r} does not exist")
        return _answer(fmt, "service_requests", "request", rows)

    return _guarded(fmt, work)


@router.post("/requests.{fmt}", operation_id="open311_create_request")
async def create_request(request: Request, session: SessionDep, fmt: Fmt) -> Response:
    """Create a service request (form-encoded, as the standard sends it): ``api_key``,
    ``service_code``, ``lat`` and ``long`` (WGS-84) or ``address_string`` (geocoded),
    ``description``; ``phone`` with ``consent=true``. Answers its ``service_request_id``."""
    async with request.form(max_files=0, max_fields=40, max_part_size=16 * 1024) as form:
        fields = {k: v for k, v in form.items() if isinstance(v, str)}

    def work() -> Response:
        given = fields.get("jurisdiction_id")
        if given is not None and given != get_settings().open311_jurisdiction_id:
            raise NotFound(f"jurisdiction_id {given!r} is not served here")
        open311.check_key(session, fields.get("api_key"))  # the key before the body
        open311.service_definition(fields.get("service_code", ""))  # a known service
        address = fields.get("address_string") or None
        lat, lon = fields.get("lat"), fields.get("long")
        if lat and lon:
            try:
                lat_f, lon_f = float(lat), float(lon)
            except ValueError:
                raise Invalid("lat", "lat and long must be numbers") from None
        elif address:
            found = geocoding.geocode(
                session, principal=service.public_principal("open311"), q=address, limit=1
            )
            if not found:
                raise Invalid("address_string", f"{address!r} was not found; send lat and long")
            lat_f, lon_f = found[0].lat, found[0].lon
        else:
            raise Invalid("lat", "send lat and long, or address_string")
        try:
            data = ReportIn(
                category=fields.get("service_code", ""),
                description=fields.get("description") or "(Open311)",
                lon=lon_f,
                lat=lat_f,
                address_text=address,
                phone=fields.get("phone") or None,
                consent=fields.get("consent", "").lower() in ("1", "true", "yes"),
            )
        except ValidationError as exc:
            err = exc.errors()[0]
            field = {"category": "service_code", "lon": "long"}.get(
                str(err["loc"][0]), str(err["loc"][0])
            )
            raise Invalid(field, err["msg"]) from None
        if open311.services() and data.category not in {
            s["service_code"] for s in open311.services()
        }:
            raise Invalid("service_code", f"{data.category!r} is not a service")
        report, _ = flows.open311_post_flow(
            session, api_key=fields.get("api_key"), data=data, ip=client_ip(request)
        )
        return _answer(
            fmt,
            "service_requests",
            "request",
            [{"service_request_id": report.code, "service_notice": "", "account_id": None}],
            201,
        )

    return await run_in_threadpool(_guarded, fmt, work)
