"""Pages: sign-in, the command center, language switch. Other page modules reuse ``render``,
``require_login`` and append to ``NAV``.

Pages are server-rendered (Jinja2); the map and lists call the JSON API with the session cookie
and the ``X-CSRF-Token`` header. Everything is served from this process: the front-end packages
(MapLibre GL, ECharts) are installed from npm into ``static/vendor`` at setup time.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import select

from pingan.api.deps import SessionDep, client_ip
from pingan.api.middleware import SecurityHeaders
from pingan.auth.models import User
from pingan.auth.service import Principal, authenticate, principal_for
from pingan.errors import Locked, Unauthenticated
from pingan.web.i18n import LANGUAGES, messages, translator

__all__ = ["NAV", "NavItem", "render", "require_login", "router", "setup", "templates"]

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
router = APIRouter(include_in_schema=False)

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; worker-src 'self' blob:; child-src blob:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "
    "frame-ancestors 'none'; form-action 'self'"
)


@dataclass(frozen=True)
class NavItem:
    """A link in the top navigation, shown to the listed roles (all when empty)."""

    key: str
    href: str
    roles: tuple[str, ...] = ()


NAV: list[NavItem] = [
    NavItem("nav.command", "/command"),
    NavItem(
        "nav.analysis",
        "/analysis",
        ("admin", "commander", "analyst", "station_chief", "dispatcher"),
    ),
    NavItem("nav.coverage", "/coverage", ("admin", "commander", "analyst", "dispatcher")),
]


def language(request: Request) -> str:
    """The page language: session, then cookie, then the configured default (zh-CN)."""
    lang = request.session.get("lang") or request.cookies.get("pingan_lang")
    if lang in LANGUAGES:
        return str(lang)
    return str(request.app.state.settings.default_language)


def csrf_token(request: Request) -> str:
    """The session's CSRF token (created on first use)."""
    tok = request.session.get("csrf")
    if not tok:
        tok = secrets.token_urlsafe(32)
        request.session["csrf"] = tok
    return str(tok)


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    principal: Principal | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """Render a page with the language, translations, CSRF token and navigation."""
    lang = language(request)
    nav = [n for n in NAV if principal is not None and (not n.roles or principal.role in n.roles)]
    ctx = {
        "request": request,
        "lang": lang,
        "t": translator(lang),
        "i18n_json": json.dumps(messages(lang), ensure_ascii=False),
        "csrf": csrf_token(request),
        "principal": principal,
        "nav": nav,
        "path": request.url.path,
    }
    ctx.update(context or {})
    return templates.TemplateResponse(request, name, ctx, status_code=status_code)


def require_login(request: Request, session: Any) -> Principal | RedirectResponse:
    """The signed-in principal, or a redirect to the sign-in page."""
    uid = request.session.get("uid")
    if uid is not None:
        user = session.get(User, int(uid))
        if user is not None and user.is_active:
            return principal_for(session, user, ip=client_ip(request))
        request.session.clear()
    return RedirectResponse(f"/login?next={request.url.path}", status_code=303)


@router.get("/")
def home(request: Request) -> RedirectResponse:
    """The command center, or the sign-in page."""
    return RedirectResponse("/command" if request.session.get("uid") else "/login", 303)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/command") -> HTMLResponse:
    """The sign-in form."""
    return render(request, "login.html", {"next": _safe_next(next), "error": None})


def _safe_next(target: str) -> str:
    return target if target.startswith("/") and not target.startswith("//") else "/command"


@router.post("/login", response_class=HTMLResponse)
def login_submit(
    request: Request,
    session: SessionDep,
    username: str = Form(..., max_length=64),
    password: str = Form(..., max_length=256),
    csrf: str = Form(""),
    next: str = Form("/command"),
) -> Response:
    """Check the password (5 failures lock the account) and start a session."""
    t = translator(language(request))
    expected = request.session.get("csrf", "")
    if not expected or not secrets.compare_digest(csrf, expected):
        return render(
            request,
            "login.html",
            {"next": _safe_next(next), "error": t("login.expired")},
            status_code=403,
        )
    try:
        user = authenticate(session, username=username, password=password, ip=client_ip(request))
    except Locked:
        session.commit()
        return render(
            request,
            "login.html",
            {"next": _safe_next(next), "error": t("login.locked")},
            status_code=423,
        )
    except Unauthenticated:
        session.commit()  # keep the failure count and its audit record
        return render(
            request,
            "login.html",
            {"next": _safe_next(next), "error": t("login.failed")},
            status_code=401,
        )
    session.commit()
    lang = request.session.get("lang")
    request.session.clear()
    request.session["uid"] = user.id
    request.session["csrf"] = secrets.token_urlsafe(32)
    if lang:
        request.session["lang"] = lang
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout")
def logout(request: Request, csrf: str = Form("")) -> RedirectResponse:
    """End the session."""
    expected = request.session.get("csrf", "")
    if expected and secrets.compare_digest(csrf, expected):
        request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/lang/{code}")
def set_language(code: str, request: Request, back: str = "/") -> RedirectResponse:
    """Switch the language (zh-CN or en) and go back."""
    resp = RedirectResponse(_safe_next(back) if back != "/" else "/", status_code=303)
    if code in LANGUAGES:
        request.session["lang"] = code
        resp.set_cookie("pingan_lang", code, max_age=365 * 86400, samesite="strict")
    return resp


@router.get("/command", response_class=HTMLResponse)
def command_center(request: Request, session: SessionDep) -> Response:
    """The dispatch workstation: live map, intake, incident queue and detail, unit board."""
    who = require_login(request, session)
    if isinstance(who, RedirectResponse):
        return who
    user = session.scalar(select(User).where(User.id == who.user_id))
    drill = getattr(request.app.state, "drill", None) is not None
    # the address search asks the geocoder only when it is there (a 404 would be a console error)
    geocoder = any(getattr(r, "path", "") == "/api/v1/geocode" for r in request.app.routes)
    return render(
        request,
        "command.html",
        {"user": user, "drill": drill, "geocoder": geocoder},
        principal=who,
    )


def setup(app: FastAPI) -> None:
    """Mount the static files and add the security headers to every page."""
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    app.add_middleware(SecurityHeaders, csp=CSP)
