"""The demo's field-app links (issue 24): each foot team of a station is linked to one community
officer of that station (by username order), so that an officer who signs in on ``/m/`` can go on
duty and share his position with the command center. Officers left over have no unit and are told
so by the app. Deterministic: no random draws."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select

from pingan.auth.models import User
from pingan.fieldapp.models import FieldUnit
from pingan.jurisdictions.models import Jurisdiction
from pingan.resources.models import Resource
from pingan.store.engine import unit_of_work

__all__ = ["link_field_units"]


def link_field_units(engine: Any) -> str:
    """Link foot teams to community officers of the same station; a one-line summary.
    O(officers + units)."""
    with unit_of_work(engine) as s:
        station_of = dict(
            s.execute(
                select(Jurisdiction.id, Jurisdiction.parent_id).where(
                    Jurisdiction.level == "community"
                )
            ).all()
        )
        officers: dict[int, list[int]] = {}
        rows = s.execute(
            select(User.id, User.jurisdiction_id)
            .where(User.role == "community_officer")
            .order_by(User.username)
        ).all()
        for uid, jid in rows:
            station = station_of.get(jid) if jid is not None else None
            if station is not None:
                officers.setdefault(station, []).append(uid)
        taken = set(s.scalars(select(FieldUnit.user_id)))
        units = s.execute(
            select(Resource.id, Resource.station_id)
            .where(Resource.kind == "foot_team")
            .order_by(Resource.code)
        ).all()
        links = []
        for rid, station in units:
            free = [u for u in officers.get(station, []) if u not in taken]
            if free:
                taken.add(free[0])
                links.append({"user_id": free[0], "resource_id": rid, "on_duty": False})
        if links:
            s.execute(insert(FieldUnit), links)
        s.commit()
    return f"field app: {len(links)} community officers linked to a foot team"
