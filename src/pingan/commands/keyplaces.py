"""``pingan posts``, ``pingan orders`` and ``pingan hazards``: school gate posts (护学岗) and
their daily compliance, hospital police rooms, rectification orders (整改) and their escalation,
and hazard points and segments (隐患点/段) per level of government."""

from __future__ import annotations

import json

import typer

from pingan.commands import cli_principal, date_option, fail, one_line

__all__ = ["hazards_app", "orders_app", "posts_app"]


posts_app = typer.Typer(
    help="School gate posts (护学岗), their daily compliance, and hospital police rooms.",
    no_args_is_help=True,
)


@posts_app.command("add")
def posts_add(
    premises_id: int = typer.Argument(..., min=1, max=2**31 - 1, help="the school's premises id"),
    windows: str = typer.Option("07:30-08:10,16:30-17:30", help="local duty windows"),
    days: str = typer.Option("12345", help="school days as ISO weekdays (12345 = Mon-Fri)"),
    radius_m: float = typer.Option(100.0, min=10, max=1000, help="check-in radius at the gate"),
    user: str | None = typer.Option(None, "--user", help="act as this user (default: admin)"),
) -> None:
    """Set up a school gate post at a school (its gate at the school's point)."""
    from pydantic import ValidationError

    from pingan.commands import fail_validation
    from pingan.keyplaces.flows import post_create_flow
    from pingan.keyplaces.schemas import PostCreate
    from pingan.store.engine import get_engine, migrate, unit_of_work

    try:
        data = PostCreate(
            premises_id=premises_id, windows=windows, school_days=days, radius_m=radius_m
        )
    except ValidationError as exc:
        fail_validation(exc, {"school_days": "--days"})
    migrate(get_engine())
    with one_line(), unit_of_work() as s:
        post = post_create_flow(s, principal=cli_principal(s, user), data=data)
        typer.echo(f"post {post.id} {post.code} {post.name}: {post.windows} on days {days}")


@posts_app.command("list")
def posts_list(
    station: str | None = typer.Option(None, help="code of one station"),
    user: str | None = typer.Option(None, "--user", help="act as this user (default: admin)"),
) -> None:
    """The active school gate posts."""
    from pingan.keyplaces import service
    from pingan.ratings.service import get_station_by_code
    from pingan.store.engine import get_engine, migrate, unit_of_work

    migrate(get_engine())
    with one_line(), unit_of_work(write=False) as s:
        p = cli_principal(s, user)
        sid = get_station_by_code(s, principal=p, code=station).id if station else None
        rows = service.list_posts(s, principal=p, station_id=sid)
        for post in rows:
            typer.echo(f"{post.id}\t{post.code}\t{post.name}\t{post.windows}\t{post.school_days}")
    typer.echo(f"{len(rows)} posts")


@posts_app.command("compliance")
def posts_compliance(
    day: str | None = typer.Option(None, help="local day YYYY-MM-DD (default: today)"),
    station: str | None = typer.Option(None, help="code of one station"),
    as_json: bool = typer.Option(False, "--json", help="print the whole report as JSON"),
    user: str | None = typer.Option(None, "--user", help="act as this user (default: admin)"),
) -> None:
    """Posts staffed / due per station on a day (a window is due once it has started)."""
    from pingan.keyplaces import service
    from pingan.ratings.service import get_station_by_code
    from pingan.store.engine import get_engine, migrate, unit_of_work

    d = date_option(day, "--day")
    migrate(get_engine())
    with one_line(), unit_of_work(write=False) as s:
        p = cli_principal(s, user)
        sid = get_station_by_code(s, principal=p, code=station).id if station else None
        out = service.compliance(s, principal=p, day=d, station_id=sid)
    if as_json:
        typer.echo(out.model_dump_json(indent=2))
        return
    for r in out.stations:
        share = "-" if r.share is None else f"{100 * r.share:.0f}%"
        typer.echo(f"{r.station_code or '-'}\t{r.station_name or ''}\t{r.staffed}/{r.due}\t{share}")
    total = "-" if out.share is None else f"{100 * out.share:.0f}%"
    typer.echo(f"{out.day}: {out.staffed} of {out.due} duty windows staffed ({total})")


@posts_app.command("rooms")
def posts_rooms(
    user: str | None = typer.Option(None, "--user", help="act as this user (default: admin)"),
) -> None:
    """Hospital police rooms: who is on duty, hours staffed over 7 days / hours due."""
    from pingan.keyplaces import service
    from pingan.store.engine import get_engine, migrate, unit_of_work

    migrate(get_engine())
    with one_line(), unit_of_work(write=False) as s:
        rooms = service.list_rooms(s, principal=cli_principal(s, user))
    for r in rooms:
        duty = ", ".join(r.on_duty) or "无人"
        typer.echo(f"{r.id}\t{r.name}\t{duty}\t{r.staffed_h_7d:g}/{r.required_h_7d:g} h")
    typer.echo(f"{len(rooms)} police rooms")


orders_app = typer.Typer(
    help="Rectification orders (整改通知) opened by failed inspection items.",
    no_args_is_help=True,
)


@orders_app.command("list")
def orders_list(
    state: str | None = typer.Option(None, help="issued, signed, reported, rework or accepted"),
    late: bool = typer.Option(False, "--late", help="only orders past their deadline"),
    station: str | None = typer.Option(None, help="code of one station"),
    user: str | None = typer.Option(None, "--user", help="act as this user (default: admin)"),
) -> None:
    """Rectification orders, open ones by deadline first."""
    from pingan.keyplaces import orders
    from pingan.keyplaces.models import ORDER_STATES
    from pingan.ratings.service import get_station_by_code
    from pingan.store.engine import get_engine, migrate, unit_of_work

    if state is not None and state not in ORDER_STATES:
        fail(f"--state: {state!r} is not a state; use one of {', '.join(ORDER_STATES)}")
    migrate(get_engine())
    with one_line(), unit_of_work(write=False) as s:
        p = cli_principal(s, user)
        sid = get_station_by_code(s, principal=p, code=station).id if station else None
        total, rows = orders.list_orders(
            s, principal=p, state=state, late_only=late, station_id=sid, limit=1000
        )
        for o in orders.order_read(s, rows):
            flag = f" LATE(level {o.escalation_level})" if o.late else ""
            typer.echo(
                f"{o.code}\t{o.state}\t{o.deadline}\t{o.premises_name}\t{o.item_label}{flag}"
            )
    typer.echo(f"{total} orders")


@orders_app.command("escalate")
def orders_escalate() -> None:
    """Escalate late orders now (the scheduler's ``rectification`` job does it every hour)."""
    from pingan.audit.service import Actor
    from pingan.keyplaces.flows import orders_escalate_flow
    from pingan.store.engine import get_engine, migrate, unit_of_work

    migrate(get_engine())
    with one_line(), unit_of_work() as s:
        moved = orders_escalate_flow(s, actor=Actor.system("cli"))
        for o in moved:
            typer.echo(f"{o.code}\tlevel {o.escalation_level}\tdeadline {o.deadline}")
    typer.echo(f"{len(moved)} orders escalated")


hazards_app = typer.Typer(
    help="Hazard points and road segments (隐患点/段) per level of government (三级挂牌督办).",
    no_args_is_help=True,
)


@hazards_app.command("list")
def hazards_list(
    level: str | None = typer.Option(None, help="station, district or city"),
    status: str | None = typer.Option("open", help="open, rectifying or closed ('' for all)"),
    rank: str = typer.Option("incidents", help="incidents (most touched first) or deadline"),
    user: str | None = typer.Option(None, "--user", help="act as this user (default: admin)"),
) -> None:
    """The hazard board: hazards with the incidents within 100 m over 12 months."""
    from pingan.ratings import hazards
    from pingan.ratings.models import HAZARD_STATUSES
    from pingan.store.engine import get_engine, migrate, unit_of_work

    if level is not None and level not in hazards.LEVELS:
        fail(f"--level: {level!r} is not a level; use station, district or city")
    status = status or None
    if status is not None and status not in HAZARD_STATUSES:
        fail(f"--status: {status!r} is not a status; use {', '.join(HAZARD_STATUSES)}")
    if rank not in ("incidents", "deadline"):
        fail(f"--rank: {rank!r}: use incidents or deadline")
    migrate(get_engine())
    with one_line(), unit_of_work(write=False) as s:
        total, rows = hazards.list_hazards(
            s, principal=cli_principal(s, user), level=level, status=status, limit=10_000
        )
        counts = hazards.incidents_touching(s, rows)
    order = range(len(rows))
    if rank == "incidents":
        order = sorted(order, key=lambda i: (-counts[i], rows[i].id))  # type: ignore[assignment]
    for i in order:
        h = rows[i]
        typer.echo(
            f"{h.code}\t{h.level}\t{h.category}\t{h.status}\t{h.deadline or '-'}\t"
            f"{counts[i]} incidents\t{h.title}"
        )
    typer.echo(f"{total} hazards")


@hazards_app.command("add")
def hazards_add(
    category: str = typer.Option(..., help="traffic, fire or public_order"),
    title: str = typer.Option(..., help="what the hazard is"),
    lon: float | None = typer.Option(None, min=-180, max=180, help="point longitude (WGS-84)"),
    lat: float | None = typer.Option(None, min=-90, max=90, help="point latitude (WGS-84)"),
    line: str | None = typer.Option(
        None, help="a road segment as JSON coordinates [[lon,lat],[lon,lat],...]"
    ),
    level: str = typer.Option("station", help="station, district or city"),
    owner: str = typer.Option("", help="who must rectify it"),
    deadline: str | None = typer.Option(None, help="YYYY-MM-DD"),
    user: str | None = typer.Option(None, "--user", help="act as this user (default: admin)"),
) -> None:
    """Record a hazard point (--lon/--lat) or road segment (--line)."""
    from pydantic import ValidationError

    from pingan.commands import fail_validation
    from pingan.ratings.flows import hazard_create_flow
    from pingan.ratings.schemas import HazardCreate
    from pingan.store.engine import get_engine, migrate, unit_of_work

    geometry = None
    if line is not None:
        try:
            coords = json.loads(line)
        except json.JSONDecodeError:
            fail("--line: not JSON; write [[lon,lat],[lon,lat]]")
        geometry = {"type": "LineString", "coordinates": coords}
    try:
        data = HazardCreate(
            category=category,  # type: ignore[arg-type]
            title=title,
            lon=lon,
            lat=lat,
            geometry=geometry,
            level=level,  # type: ignore[arg-type]
            owner=owner,
            deadline=date_option(deadline, "--deadline"),
        )
    except ValidationError as exc:
        fail_validation(exc)
    migrate(get_engine())
    with one_line(), unit_of_work() as s:
        h = hazard_create_flow(s, principal=cli_principal(s, user), data=data)
        typer.echo(f"hazard {h.id} {h.code} at {h.level} level ({h.lon:.5f}, {h.lat:.5f})")


@hazards_app.command("close")
def hazards_close(
    hazard_id: int = typer.Argument(..., min=1, max=2**31 - 1, help="the hazard id"),
    user: str | None = typer.Option(None, "--user", help="act as this user (default: admin)"),
) -> None:
    """Close a rectified hazard."""
    from pingan.ratings.flows import hazard_close_flow
    from pingan.store.engine import get_engine, migrate, unit_of_work

    migrate(get_engine())
    with one_line(), unit_of_work() as s:
        h = hazard_close_flow(s, principal=cli_principal(s, user), hazard_id=hazard_id)
        typer.echo(f"hazard {h.code} closed")


@hazards_app.command("escalate")
def hazards_escalate() -> None:
    """Overdue hazards go up one level now (the ``rectification`` job does it every hour)."""
    from pingan.audit.service import Actor
    from pingan.ratings.flows import hazards_escalate_flow
    from pingan.store.engine import get_engine, migrate, unit_of_work

    migrate(get_engine())
    with one_line(), unit_of_work() as s:
        moved = hazards_escalate_flow(s, actor=Actor.system("cli"))
        for h in moved:
            typer.echo(f"{h.code}\tnow at {h.level} level\tdeadline {h.deadline}")
    typer.echo(f"{len(moved)} hazards escalated")
