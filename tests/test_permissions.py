"""The permission table: its shape, that it is the one source of the API checks (every route
declares an action from it, or is listed public), and that docs/permissions.md shows it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import Mount, Route

from pingan import permissions
from pingan.api.deps import Allowed
from pingan.auth.models import ROLES
from pingan.errors import PermissionDenied

DOC = Path(__file__).resolve().parents[1] / "docs" / "permissions.md"
BEGIN, END = "<!-- permissions:begin -->", "<!-- permissions:end -->"

PUBLIC: frozenset[tuple[str, str]] = frozenset(
    {
        ("GET", "/healthz"),
        ("POST", "/api/v1/auth/token"),
        ("GET", "/api/v1/openapi.json"),
        ("GET", "/api/v1/docs"),
        ("GET", "/api/v1/redoc"),
        ("GET", "/v/{token}"),
        ("GET", "/docs/oauth2-redirect"),
        ("GET", "/"),
        ("GET", "/login"),
        ("POST", "/login"),
        ("POST", "/logout"),
        ("GET", "/lang/{code}"),
        # the field app's manifest and service worker (no data: the browser fetches them)
        ("GET", "/m/manifest.webmanifest"),
        ("GET", "/m/sw.js"),
        # the public side of the citizen services (pingan.citizens.public, web/citizens.py)
        ("GET", "/report"),
        ("GET", "/track"),
        ("GET", "/track/{code}"),
        ("GET", "/complaints"),
        ("GET", "/notices"),
        ("GET", "/officer"),
        ("GET", "/rental/{token}"),
        ("POST", "/rental/{token}/code"),
        ("POST", "/rental/{token}/verify"),
        ("POST", "/rental/{token}/stays"),
        ("GET", "/public/api/challenge"),
        ("GET", "/public/api/categories"),
        ("GET", "/public/api/geocode"),
        ("GET", "/public/api/reverse"),
        ("GET", "/public/api/nearby"),
        ("POST", "/public/api/reports"),
        ("POST", "/public/api/complaints"),
        ("GET", "/public/api/track/{code}"),
        ("GET", "/public/api/stations"),
        ("GET", "/public/api/stats.csv"),
        ("GET", "/public/api/areas"),
        ("GET", "/public/api/notices"),
        ("GET", "/public/api/officer"),
        ("GET", "/public/api/stars"),
        ("GET", "/public/api/service-points"),
        ("GET", "/open311/v2/discovery.{fmt}"),
        ("GET", "/open311/v2/services.{fmt}"),
        ("GET", "/open311/v2/services/{code}.{fmt}"),
        ("GET", "/open311/v2/requests.{fmt}"),
        ("POST", "/open311/v2/requests.{fmt}"),
        ("GET", "/open311/v2/requests/{request_id}.{fmt}"),
    }
)
"""Routes anyone may call, signed in or not (static files are a mount)."""

FUTURE_PAGES: frozenset[str] = frozenset()
"""Pages in the table whose module is not built yet (issue 19): no link until they exist."""


def _declared(dependant: Dependant) -> list[str]:
    """Every action declared by an ``Allowed`` dependency anywhere in the tree."""
    out: list[str] = []
    for sub in dependant.dependencies:
        if isinstance(sub.call, Allowed):
            out.append(sub.call.action)
        out += _declared(sub)
    return out


def _routes() -> list[tuple[str, str, Any]]:
    from pingan.api.app import create_app

    app = create_app()
    out = []
    for c in iter_route_contexts(app.routes):
        route = c.route
        if isinstance(route, Mount):
            assert route.path == "/static", f"unexpected mount {route.path}"
            continue
        assert isinstance(route, APIRoute | Route), route
        for method in sorted((c.methods or set()) - {"HEAD"}):
            out.append((method, str(c.path), route))
    return out


def test_roles_are_the_auth_roles() -> None:
    assert permissions.ROLES == ROLES


def test_every_route_declares_an_action_or_is_public() -> None:
    routes = _routes()
    assert len(routes) > 100
    missing = []
    pages = {p.path for p in permissions.PAGES}
    for method, path, route in routes:
        if (method, path) in PUBLIC:
            if isinstance(route, APIRoute):
                assert _declared(route.dependant) == [], f"{method} {path} is public"
            continue
        if isinstance(route, APIRoute) and not route.include_in_schema:
            # a page: the table says which action opens it (the nav matrix test checks that
            # the page obeys)
            if path not in pages:
                missing.append(f"page {path}")
            continue
        assert isinstance(route, APIRoute), f"{method} {path}"
        actions = _declared(route.dependant)
        if len(actions) != 1:
            missing.append(f"{method} {path} ({route.operation_id}): {actions}")
    assert missing == [], "routes without an entry in pingan.permissions"


def test_every_page_in_the_table_is_served() -> None:
    served = {path for method, path, _ in _routes() if method == "GET"}
    for p in permissions.PAGES:
        assert p.path in served or p.path in FUTURE_PAGES, p.path
        assert p.action in permissions.ACTIONS


def test_reveals_are_for_case_handlers_only() -> None:
    callers = {r for r in ROLES if permissions.allows(r, "incident.reveal_caller")}
    assert callers == {"commander", "dispatcher", "station_chief"}
    contacts = {r for r in ROLES if permissions.allows(r, "premises.reveal_contact")}
    assert contacts == {"station_chief", "community_officer"}
    for action in ("incident.reveal_caller", "premises.reveal_contact", "dispute.reveal_parties"):
        assert not permissions.allows("analyst", action)


def test_refusal_names_the_role_and_the_action() -> None:
    with pytest.raises(PermissionDenied) as err:
        permissions.check("analyst", "incident.reveal_caller")
    assert err.value.message == (
        "role 'analyst' may not reveal callers (incident.reveal_caller); "
        "allowed: commander, dispatcher, station_chief"
    )
    assert err.value.field == "role"
    permissions.check("dispatcher", "incident.reveal_caller")
    with pytest.raises(KeyError):
        permissions.allows("admin", "incident.reveel_caller")  # a typo is loud
    with pytest.raises(ValueError, match=re.escape("'x.y' is not in pingan.permissions.ACTIONS")):
        Allowed("x.y")


def test_nav_follows_the_table() -> None:
    assert [p.path for p in permissions.nav_for("station_chief")] == [
        "/command",
        "/analysis",
        "/coverage",
        "/cameras",
        "/ops/my",
        "/ops/board",
        "/casework",
        "/evaluation",
        "/reports",
        "/premises",
        "/hazards",
        "/posts",
        "/online-reports",
        "/rentals",
        "/patrols",
        "/events",
        "/ledger",
        "/volunteers",
    ]
    served = {"/command", "/analysis", "/audit"}
    assert [p.path for p in permissions.nav_for("admin", served)] == [
        "/command",
        "/analysis",
        "/audit",
    ]
    assert permissions.scope_of("community_officer", "evaluation.read") == "own"
    assert permissions.scope_of("analyst", "evaluation.read") is None


def test_the_table_imports_no_database_or_web() -> None:
    code = (
        "import sys, pingan.permissions; "
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('sqlalchemy', 'fastapi', 'starlette', 'pydantic')]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_docs_show_the_table() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert BEGIN in text and END in text
    shown = text.split(BEGIN, 1)[1].split(END, 1)[0].strip("\n") + "\n"
    assert shown == permissions.markdown_matrix(), (
        "docs/permissions.md is out of date: paste `python -m pingan.permissions` between "
        "the markers"
    )
