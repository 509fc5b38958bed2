"""The permission table: which role may do which action, in which scope, and which page each
action opens. One table drives the API checks (:func:`pingan.api.deps.Allowed`), the page
guards and the navigation (``pingan.web.views``), and ``docs/permissions.md`` (kept true by a
test). A pure module: no database, no web stack.

Scopes (the rows an allowed caller reaches; services enforce them, outside scope is a 404):

- ``bureau``: not bound to a jurisdiction (reference data, the audit log, users);
- ``jurisdiction``: rows inside the caller's jurisdiction (the whole bureau for users without
  one: administrators, commanders, dispatchers, analysts);
- ``own``: only rows assigned to the caller (a community officer's own cells and tasks, a
  caller's own background jobs).

To add an endpoint: give it an action here (or reuse one) and declare it with
``Allowed("x.y")``; to add a page: add a :class:`PageRule` to :data:`PAGES` (with a ``nav``
label key if it belongs in the top navigation).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from pingan.errors import PermissionDenied

__all__ = [
    "ACTIONS",
    "PAGES",
    "ROLES",
    "STAFF",
    "Action",
    "PageRule",
    "Scope",
    "actions_for",
    "allows",
    "check",
    "markdown_matrix",
    "nav_for",
    "page_allows",
    "page_rule",
    "scope_of",
]

ROLES: tuple[str, ...] = (
    "admin",
    "commander",
    "dispatcher",
    "station_chief",
    "community_officer",
    "analyst",
    "supervisor",
    "volunteer",
)
"""Every role, in the order the docs list them (the same as ``pingan.auth.models.ROLES``).
``volunteer`` is a member of a volunteer patrol team (群防群治): it signs in to the field app's
volunteer mode, sees its own shifts and checks in and out; nothing else."""

STAFF: tuple[str, ...] = tuple(r for r in ROLES if r != "volunteer")
"""The roles of the police staff (every role but ``volunteer``)."""

Scope = Literal["bureau", "jurisdiction", "own"]


@dataclass(frozen=True)
class Action:
    """One thing a caller may do: who may (role → scope) and the words of a refusal."""

    name: str
    what: str
    """the refusal's verb phrase: ``role 'analyst' may not <what> (<name>)``"""
    roles: Mapping[str, Scope]
    note: str = ""


_J: Scope = "jurisdiction"
_B: Scope = "bureau"
_O: Scope = "own"

_EVERYONE_J: dict[str, Scope] = dict.fromkeys(STAFF, _J)
_EVERYONE_B: dict[str, Scope] = dict.fromkeys(STAFF, _B)
_ANALYSIS: dict[str, Scope] = {
    "admin": _J,
    "commander": _J,
    "dispatcher": _J,
    "station_chief": _J,
    "analyst": _J,
}
_INCIDENT_WRITERS: dict[str, Scope] = {
    "admin": _J,
    "commander": _J,
    "dispatcher": _J,
    "station_chief": _J,
}
_CASE_HANDLERS: dict[str, Scope] = {"commander": _J, "dispatcher": _J, "station_chief": _J}
_ISSUERS: dict[str, Scope] = {"admin": _J, "commander": _J, "station_chief": _J}
_PREMISES_READERS: dict[str, Scope] = {
    "admin": _J,
    "commander": _J,
    "station_chief": _J,
    "community_officer": _J,
    "analyst": _J,
}


def _actions(*items: Action) -> dict[str, Action]:
    return {a.name: a for a in items}


ACTIONS: dict[str, Action] = _actions(
    # --- the caller's own account, reference data, maps and jobs
    Action(
        "account.read",
        "read their account",
        dict.fromkeys(ROLES, _B),
        "others' accounts: user.manage",
    ),
    Action("user.manage", "manage users", {"admin": _B}),
    Action("reference.read", "read reference data", _EVERYONE_B, "the incident taxonomy"),
    Action("map.read", "read map layers", _EVERYONE_J, "roads, OGC collections, point lookup"),
    Action("job.read", "read background jobs", dict.fromkeys(STAFF, _O)),
    Action("job.run", "run scheduled jobs", {"admin": _B}),
    Action("audit.read", "read the audit log", {"admin": _B}),
    # --- jurisdictions
    Action("jurisdiction.read", "read jurisdictions", _EVERYONE_J),
    Action("jurisdiction.create", "change jurisdictions", {"admin": _B}),
    Action(
        "jurisdiction.update",
        "change jurisdictions",
        {"admin": _B, "station_chief": _J},
        "station chiefs: the cells of their station",
    ),
    # --- incidents and dispatch
    Action("incident.read", "read incidents", _EVERYONE_J, "caller data masked"),
    Action("incident.create", "change incidents", _INCIDENT_WRITERS),
    Action("incident.transition", "change incidents", _INCIDENT_WRITERS),
    Action(
        "incident.reveal_caller",
        "reveal callers",
        _CASE_HANDLERS,
        "the roles that handle the call; every view audited with its reason",
    ),
    Action("incident.dispatch", "dispatch units", _INCIDENT_WRITERS),
    Action("incident.note", "add notes to incidents", _INCIDENT_WRITERS),
    Action("rating.read", "read premises ratings and hazards", _PREMISES_READERS),
    Action("rating.manage", "compute and revoke ratings", _ISSUERS),
    Action(
        "premises.feature",
        "record premises security features and hazards",
        _ISSUERS | {"community_officer": _J},
        "also re-rate one premises now",
    ),
    Action("hazard.close", "close hazards", _ISSUERS, "a rectified hazard stops counting"),
    Action("assignment.transition", "change assignments", _INCIDENT_WRITERS),
    # --- key places: school gate posts, police rooms, rectification orders (issue 21)
    Action(
        "post.read",
        "read school posts and police rooms",
        _PREMISES_READERS,
        "posts, check-ins, daily compliance, police-room staffing",
    ),
    Action("post.manage", "set up school posts", _ISSUERS),
    Action(
        "post.checkin",
        "check in at school posts",
        {"station_chief": _J, "community_officer": _J},
        "at the gate (within its radius) inside a duty window; police-room shifts too",
    ),
    Action(
        "order.handle",
        "follow rectification orders",
        {"admin": _J, "station_chief": _J, "community_officer": _J},
        "record the owner's signature and the fix with photos",
    ),
    Action("order.review", "accept rectification orders", _ISSUERS, "accept or send back"),
    Action(
        "unit.moveup",
        "move units up",
        _INCIDENT_WRITERS,
        "send an available unit to stand elsewhere to restore 1-3-5 minute coverage",
    ),
    Action("unit.recommend", "see unit recommendations", _ANALYSIS),
    Action("resource.read", "read resources", _EVERYONE_J),
    Action("resource.write", "change resources", _INCIDENT_WRITERS),
    Action(
        "resource.position",
        "report unit positions",
        _INCIDENT_WRITERS | {"community_officer": _O},
        "community officers: their own unit from the field app, only while on duty",
    ),
    # --- the field app on the officer's phone (issue 24)
    Action(
        "field.use",
        "use the field app",
        {"station_chief": _O, "community_officer": _O, "volunteer": _O},
        "the phone app /m/: own duties, offline queue, on-duty switch; volunteers: check-in only",
    ),
    # --- places
    Action("place.read", "read places", _EVERYONE_J, "premises and key areas, contacts masked"),
    Action(
        "place.write",
        "change places",
        {"admin": _J, "station_chief": _J, "community_officer": _J},
    ),
    Action(
        "premises.reveal_contact",
        "reveal premises contacts",
        {"station_chief": _J, "community_officer": _J},
        "the station and community that look after the premises; audited with its reason",
    ),
    # --- analysis, warnings, coverage, reports
    Action("analysis.read", "run analyses", _ANALYSIS, "trends, hot spots, forecasts, scans"),
    Action(
        "province.read",
        "read the province's analyses",
        {"admin": _B, "commander": _B, "analyst": _B},
        "the department's /province page: every city's CompStat, warnings and coverage",
    ),
    Action(
        "province.run",
        "run the province analyses",
        {"admin": _B, "analyst": _B},
        "the button on /province: this city's incidents exported, the analyses run again",
    ),
    Action("warning.read", "read warnings", _EVERYONE_J),
    Action("warning.handle", "handle warnings", _ANALYSIS),
    Action("coverage.read", "see coverage", _ANALYSIS, "response areas, gaps, the report"),
    Action("coverage.plan", "run siting", _ANALYSIS),
    # --- cameras (视频监控): the registry, coverage figures, blind spots, siting
    Action(
        "camera.read",
        "read cameras",
        _EVERYONE_J,
        "the registry, view sectors, coverage figures and blind spots",
    ),
    Action("camera.write", "change cameras", {"admin": _J, "station_chief": _J}),
    Action(
        "camera.plan",
        "site new cameras",
        {"admin": _J, "commander": _J, "station_chief": _J, "analyst": _J},
        "the siting of new cameras over blind spots",
    ),
    Action(
        "report.read",
        "read briefings",
        {"admin": _J, "commander": _J, "station_chief": _J, "analyst": _J},
    ),
    # --- disputes
    Action("dispute.read", "read disputes", _EVERYONE_J, "parties masked"),
    Action(
        "dispute.handle",
        "change disputes",
        {**_ISSUERS, "dispatcher": _J, "community_officer": _J},
        "register, mediate, follow up",
    ),
    Action(
        "dispute.reveal_parties",
        "reveal dispute parties",
        {"commander": _J, "station_chief": _J, "community_officer": _J},
        "the mediators; audited with its reason",
    ),
    # --- instructions and checklists
    Action("instruction.issue", "issue instructions", _ISSUERS),
    Action(
        "instruction.supervise",
        "supervise instructions",
        _ISSUERS,
        "the board: instructions issued, rates, notices",
    ),
    Action(
        "instruction.handle",
        "handle instructions",
        {**_ISSUERS, "community_officer": _O},
        "sign, do and report what was sent to you",
    ),
    # --- patrol plans and event security
    Action(
        "patrol.read",
        "read patrol plans",
        _EVERYONE_J,
        "plans, planned against actual, patrol cards",
    ),
    Action(
        "patrol.plan",
        "make patrol plans",
        {"admin": _J, "commander": _J, "station_chief": _J},
        "generate, assign units and officers, publish",
    ),
    Action("event.read", "read event security plans", _EVERYONE_J, "plans, live board, reports"),
    Action(
        "event.plan",
        "plan event security",
        {"admin": _J, "commander": _J, "station_chief": _J},
        "create events and their plans",
    ),
    Action(
        "event.command",
        "command event security",
        {"admin": _J, "commander": _J, "dispatcher": _J, "station_chief": _J},
        "the event log, post assignments and staffing, checks done",
    ),
    Action("checklist.manage", "manage checklist templates", {"admin": _B, "commander": _B}),
    # --- evaluation
    Action(
        "evaluation.read",
        "read evaluations",
        {**_ISSUERS, "community_officer": _O},
        "community officers: their own scorecard",
    ),
    Action("evaluation.manage", "change scorecards", {"admin": _B}),
    # --- citizen services (online reports use the incident actions)
    Action(
        "online_report.triage",
        "triage online reports",
        _INCIDENT_WRITERS,
        "accept, refer or reject with a reason the citizen reads (merge: incident.transition)",
    ),
    Action(
        "complaint.read",
        "read complaints about police conduct",
        {"supervisor": _J},
        "the supervision office only (督察); station chiefs never; complainants masked",
    ),
    Action(
        "complaint.handle",
        "handle complaints about police conduct",
        {"supervisor": _J},
        "accept, investigate, conclude, reply; every view audited",
    ),
    Action(
        "rental.read",
        "read rental-house stays",
        {"admin": _J, "commander": _J, "station_chief": _J, "community_officer": _J},
        "tenants masked",
    ),
    Action(
        "rental.review",
        "review rental-house stays",
        {"station_chief": _J, "community_officer": _J},
        "accept or return a stay; reveal a tenant (audited with its reason)",
    ),
    Action(
        "notice.write",
        "write community notices and officer profiles",
        {"admin": _J, "station_chief": _J},
    ),
    Action(
        "evaluation.survey",
        "record satisfaction surveys",
        {"admin": _J, "commander": _J, "station_chief": _J},
    ),
    Action(
        "evaluation.inspect",
        "record premises inspections",
        {"admin": _J, "station_chief": _J, "community_officer": _J},
    ),
    # --- the services ledger (服务台账) and volunteer teams (群防群治), issue 24
    Action(
        "ledger.record",
        "record services in the ledger",
        {"station_chief": _J, "community_officer": _J},
        "what an officer did for people, at a point of their jurisdiction; no personal data",
    ),
    Action(
        "ledger.read",
        "read the services ledger",
        {**_ISSUERS, "community_officer": _O},
        "community officers: their own entries; counts per officer, cell and community",
    ),
    Action(
        "volunteer.read",
        "read volunteer teams",
        {**_ISSUERS, "community_officer": _J},
        "teams, members (masked), shifts, hours, recognition, hot cells without a team",
    ),
    Action(
        "volunteer.manage",
        "manage volunteer teams",
        {"admin": _J, "station_chief": _J, "community_officer": _J},
        "teams, members, shifts; assign teams to hot cells",
    ),
    Action(
        "volunteer.reveal",
        "reveal volunteers' contacts",
        {"station_chief": _J, "community_officer": _J},
        "the station and community that run the team; audited with its reason",
    ),
    Action(
        "volunteer.shifts",
        "read volunteer shifts",
        {**_ISSUERS, "community_officer": _J, "volunteer": _O},
        "volunteers: their own shifts of the day (the field app's volunteer mode)",
    ),
    Action(
        "volunteer.shift",
        "check in to volunteer shifts",
        {"station_chief": _J, "community_officer": _J, "volunteer": _O},
        "volunteers: their own shifts of today only",
    ),
)


@dataclass(frozen=True)
class PageRule:
    """A page (path as routed), the action that opens it and its navigation label key."""

    path: str
    action: str
    nav: str | None = None


PAGES: tuple[PageRule, ...] = (
    PageRule("/command", "incident.read", "nav.command"),
    PageRule("/analysis", "analysis.read", "nav.analysis"),
    PageRule("/province", "province.read", "nav.province"),
    PageRule("/coverage", "coverage.read", "nav.coverage"),
    PageRule("/cameras", "camera.read", "nav.cameras"),
    PageRule("/ops/my", "instruction.handle", "nav.ops_my"),
    PageRule("/ops/board", "instruction.supervise", "nav.ops_board"),
    PageRule("/casework", "dispute.handle", "nav.casework"),
    PageRule("/evaluation", "evaluation.read", "nav.evaluation"),
    PageRule("/audit", "audit.read", "nav.audit"),
    PageRule("/reports", "report.read", "nav.reports"),
    PageRule("/jobs", "job.run", "nav.jobs"),
    PageRule("/premises", "rating.read", "nav.premises"),
    PageRule("/hazards", "rating.read", "nav.hazards"),
    PageRule("/posts", "post.read", "nav.posts"),
    PageRule("/online-reports", "online_report.triage", "nav.online_reports"),
    PageRule("/rentals", "rental.read", "nav.rentals"),
    PageRule("/supervision", "complaint.read", "nav.supervision"),
    PageRule("/patrols", "patrol.read", "nav.patrols"),
    PageRule("/events", "event.read", "nav.events"),
    PageRule("/ledger", "ledger.read", "nav.ledger"),
    PageRule("/volunteers", "volunteer.read", "nav.volunteers"),
    # pages reached from the ones above (no link of their own)
    PageRule("/ops", "account.read"),
    PageRule("/casework/disputes/new", "dispute.handle"),
    PageRule("/casework/disputes/{dispute_id}", "dispute.handle"),
    PageRule("/premises/{premises_id}", "rating.read"),
    PageRule("/premises/{premises_id}/inspect", "evaluation.inspect"),
    PageRule("/posts/checkin", "post.checkin"),
    PageRule("/m/", "field.use"),
)
"""Every signed-in page, in navigation order."""

_PAGES_BY_PATH = {p.path: p for p in PAGES}


def allows(role: str, action: str) -> bool:
    """Whether ``role`` may do ``action`` (an unknown action is a ``KeyError``: a typo)."""
    return role in ACTIONS[action].roles


def scope_of(role: str, action: str) -> Scope | None:
    """The scope in which ``role`` may do ``action``, None when it may not."""
    return ACTIONS[action].roles.get(role)


def check(role: str, action: str) -> None:
    """Raise ``PermissionDenied`` (403) naming the action unless ``role`` may do it."""
    a = ACTIONS[action]
    if role not in a.roles:
        allowed = ", ".join(r for r in ROLES if r in a.roles)
        raise PermissionDenied(
            f"role {role!r} may not {a.what} ({a.name}); allowed: {allowed}", field="role"
        )


def actions_for(role: str) -> frozenset[str]:
    """Every action ``role`` may do (for templates: ``can('instruction.issue')``)."""
    return frozenset(name for name, a in ACTIONS.items() if role in a.roles)


def page_rule(path: str) -> PageRule:
    """The rule of a page by its routed path (``KeyError`` when the page is not in the table)."""
    return _PAGES_BY_PATH[path]


def page_allows(role: str, path: str) -> bool:
    """Whether ``role`` may open the page at ``path``."""
    return allows(role, _PAGES_BY_PATH[path].action)


def nav_for(role: str, present: frozenset[str] | set[str] | None = None) -> list[PageRule]:
    """The navigation links of ``role``: the pages with a label that it may open, limited to
    the paths in ``present`` (the pages the running app serves) when given."""
    return [
        p
        for p in PAGES
        if p.nav is not None and allows(role, p.action) and (present is None or p.path in present)
    ]


_SCOPE_MARK = {"bureau": "B", "jurisdiction": "J", "own": "O"}


def markdown_matrix() -> str:
    """The table as Markdown (``docs/permissions.md`` holds this text; a test compares)."""
    head = "| action | " + " | ".join(ROLES) + " | refusal says | note |"
    rule = "|" + "---|" * (len(ROLES) + 3)
    lines = [head, rule]
    for a in ACTIONS.values():
        cells = [_SCOPE_MARK[a.roles[r]] if r in a.roles else "—" for r in ROLES]
        lines.append(f"| `{a.name}` | " + " | ".join(cells) + f" | may not {a.what} | {a.note} |")
    lines += ["", "| page | opened by | nav label |", "|---|---|---|"]
    for p in PAGES:
        lines.append(f"| `{p.path}` | `{p.action}` | {f'`{p.nav}`' if p.nav else '—'} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # the matrix of docs/permissions.md
    print(markdown_matrix(), end="")
