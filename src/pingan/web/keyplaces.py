"""Pages of the key places: one premises (``/premises/{id}``: its rating explained, inspections,
rectification orders, hazards nearby, sign download), the inspection form on a phone
(``/premises/{id}/inspect``), the school gate posts of a station (``/posts``: the day's
compliance, posts, police rooms) and the check-in screen at the gate (``/posts/checkin``).
Shells filled by ``static/js/premise.js``, ``inspect.js``, ``posts.js`` and ``checkin.js``."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from pingan.api.deps import SessionDep
from pingan.errors import NotFound
from pingan.inputs import Id
from pingan.places.models import Premises
from pingan.web.views import page_caller, render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


def _premises(session: SessionDep, premises_id: int, who: object) -> Premises | None:
    p = session.get(Premises, premises_id)
    if p is None or not who.can_see(p.jpath):  # type: ignore[attr-defined]
        return None
    return p


def _page(
    request: Request,
    session: SessionDep,
    rule: str,
    template: str,
    premises_id: int | None = None,
) -> Response:
    page = page_caller(request, session, rule)
    if isinstance(page, RedirectResponse):
        return page
    who = page.principal
    forbidden = not page.allowed
    p = None
    if premises_id is not None and not forbidden:
        p = _premises(session, premises_id, who)
        if p is None:
            raise NotFound(f"premises {premises_id} does not exist or is outside your jurisdiction")
    return render(
        request,
        template,
        {"forbidden": forbidden, "p": p},
        principal=who,
        status_code=403 if forbidden else 200,
    )


@router.get("/premises/{premises_id}", response_class=HTMLResponse)
def premises_detail(request: Request, session: SessionDep, premises_id: Id) -> Response:
    """One premises: rating explained, inspections, orders, hazards nearby, sign."""
    return _page(request, session, "/premises/{premises_id}", "premise.html", premises_id)


@router.get("/premises/{premises_id}/inspect", response_class=HTMLResponse)
def inspect_page(request: Request, session: SessionDep, premises_id: Id) -> Response:
    """The inspection form (phone-first)."""
    return _page(request, session, "/premises/{premises_id}/inspect", "inspect.html", premises_id)


@router.get("/posts", response_class=HTMLResponse)
def posts_page(request: Request, session: SessionDep) -> Response:
    """School gate posts of the caller's stations: the day's compliance, police rooms."""
    return _page(request, session, "/posts", "posts.html")


@router.get("/posts/checkin", response_class=HTMLResponse)
def checkin_page(request: Request, session: SessionDep) -> Response:
    """Check in at a school gate from a phone."""
    return _page(request, session, "/posts/checkin", "checkin.html")
