"""Pages: sign-in, the command center, language switch. Other page modules reuse ``render``
and ``page_caller`` (the page guard).

Which pages a role may open, and so the navigation, come from the permission table
(:data:`pingan.permissions.PAGES`): a link shows exactly when its page opens. Templates ask
``can('instruction.issue')`` and scripts ``PA.can("instruction.issue")`` before offering an
action.

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
from fastapi.routing import iter_route_contexts
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import select

from pingan.api.deps import SessionDep, client_ip
from pingan.api.middleware import SecurityHeaders
from pingan.auth.models import User
from pingan.auth.service import (
    Principal,
    authenticate,
    end_sessions,
    principal_for,
    session_user,
    start_session,
)
from pingan.errors import Locked, TooManyRequests, Unauthenticated
from pingan.permissions import ACTIONS, actions_for, nav_for, page_allows
from pingan.web.i18n import LANGUAGES, messages, translator

__all__ = [
    "NavItem",
    "PageCaller",
    "page_caller",
    "render",
    "require_login",
    "router",
    "setup",
    "templates",
]

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
    """A link in the top navigation (label key and target)."""

    key: str
    href: str


def _served_pages(app: FastAPI) -> frozenset[str]:
    """The GET paths the app serves (computed once per app, after every router is in)."""
    paths = getattr(app.state, "served_paths", None)
    if paths is None:
        paths = frozenset(
            str(c.path) for c in iter_route_contexts(app.routes) if "GET" in (c.methods or ())
        )
        app.state.served_paths = paths
    return frozenset(paths)


def nav_items(request: Request, principal: Principal | None) -> list[NavItem]:
    """The links of ``principal``: every page with a label its role may open (and that this
    app serves), in the table's order."""
    if principal is None:
        return []
    return [
        NavItem(p.nav or "", p.path) for p in nav_for(principal.role, _served_pages(request.app))
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
    role = principal.role if principal is not None else None

    def can(action: str) -> bool:
        rule = ACTIONS[action]  # a misspelt action is a KeyError, not a button hidden for good
        return role is not None and role in rule.roles

    ctx = {
        "request": request,
        "lang": lang,
        "t": translator(lang),
        "i18n_json": json.dumps(messages(lang), ensure_ascii=False),
        "csrf": csrf_token(request),
        "principal": principal,
        "nav": nav_items(request, principal),
        "can": can,
        "can_list": " ".join(sorted(actions_for(role))) if role is not None else "",
        "path": request.url.path,
        # a drill running in this server (pingan serve --drill): every page says so
        "drill": getattr(request.app.state, "drill", None) is not None,
    }
    ctx.update(context or {})
    return templates.TemplateResponse(request, name, ctx, status_code=status_code)


def require_login(request: Request, session: Any) -> Principal | RedirectResponse:
    """The signed-in principal, or a redirect to the sign-in page."""
    user = session_user(session, request.session)
    if user is not None:
        return principal_for(session, user, ip=client_ip(request))
    return RedirectResponse(f"/login?next={request.url.path}", status_code=303)


@dataclass(frozen=True)
class PageCaller:
    """The signed-in caller of a page and whether the permission table lets its role open it."""

    principal: Principal
    allowed: bool

    @property
    def status_code(self) -> int:
        """200 for an allowed caller, 403 for the others (the page says why)."""
        return 200 if self.allowed else 403


def page_caller(request: Request, session: Any, path: str) -> PageCaller | RedirectResponse:
    """The page guard: the signed-in caller and whether it may open the page at ``path`` (its
    routed path, a key of :data:`pingan.permissions.PAGES`), or a redirect to sign in. Pages
    never compare roles themselves."""
    who = require_login(request, session)
    if isinstance(who, RedirectResponse):
        return who
    return PageCaller(who, page_allows(who.role, path))


LANDING: dict[str, str] = {"volunteer": "/m/"}
"""Where a role lands after sign-in when no page was asked for (others: the command center);
a volunteer may use only the field app's check-in screen."""


@router.get("/")
def home(request: Request, session: SessionDep) -> RedirectResponse:
    """The signed-in user's landing page (the command center; the field app for volunteers), or
    the sign-in page."""
    user = session_user(session, request.session) if request.session.get("uid") else None
    if user is None:
        return RedirectResponse("/login", 303)
    return RedirectResponse(LANDING.get(user.role, "/command"), 303)


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
    except TooManyRequests as exc:
        session.commit()
        resp = render(
            request,
            "login.html",
            {"next": _safe_next(next), "error": t("login.throttled")},
            status_code=429,
        )
        resp.headers["Retry-After"] = str(exc.retry_after_s)
        return resp
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
    start_session(request.session, user)
    request.session["csrf"] = secrets.token_urlsafe(32)
    if lang:
        request.session["lang"] = lang
    target = _safe_next(next)
    if target == "/command":  # the default: the role's own landing page
        target = LANDING.get(user.role, target)
    return RedirectResponse(target, status_code=303)


@router.post("/logout")
def logout(request: Request, session: SessionDep, csrf: str = Form("")) -> RedirectResponse:
    """End the session, and with it every session of the user (every copy of the cookie, on
    every device): the user's session version moves on."""
    expected = request.session.get("csrf", "")
    if expected and secrets.compare_digest(csrf, expected):
        user = session_user(session, request.session)
        if user is not None:
            who = principal_for(session, user, ip=client_ip(request))
            end_sessions(session, actor=who.actor, user=user, why="signed out")
            session.commit()
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
    page = page_caller(request, session, "/command")
    if isinstance(page, RedirectResponse):
        return page
    user = session.scalar(select(User).where(User.id == page.principal.user_id))
    drill = getattr(request.app.state, "drill", None) is not None
    # the address search asks the geocoder (pingan.geocoding, always served; included routers
    # are not listed in app.routes, so looking for its path there found nothing)
    geocoder = True
    # recommendations rank units by road ETA: without a road network the page says so instead
    roads = (Path(request.app.state.settings.data_dir) / "roads.npz").exists()
    return render(
        request,
        "command.html",
        {
            "user": user,
            "drill": drill,
            "geocoder": geocoder,
            "roads": roads,
            "forbidden": not page.allowed,
        },
        principal=page.principal,
        status_code=page.status_code,
    )


def setup(app: FastAPI) -> None:
    """Mount the static files and add the security headers to every page."""
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    app.add_middleware(SecurityHeaders, csp=CSP)
