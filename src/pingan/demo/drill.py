"""Drill mode: feed simulated incidents into a running server in accelerated time, and move units.

``pingan serve --drill`` starts :class:`Drill` in a background thread. It rebuilds the demo city
from ``demo.json`` (same seed), draws new incidents from the same generative model
(:func:`pingan.demo.simulate.iter_live_incidents`) at ``speed`` times real time, creates each one
through the incident service (audited, with repeat-call linking and cell assignment like any
other), dispatches the nearest available ground unit, moves it on scene after its travel time,
and frees it when the incident is closed. The command-center page shows it all live through the
incident stream. Incidents are stamped with the wall-clock time they are created.
"""

from __future__ import annotations

import datetime as dt
import heapq
import json
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine, select

from pingan.audit.service import record
from pingan.auth.models import User
from pingan.auth.service import Principal
from pingan.geo.crs import haversine_m
from pingan.incidents import service as incidents
from pingan.incidents.schemas import IncidentCreate
from pingan.resources.models import Resource
from pingan.store.base import utcnow
from pingan.store.engine import unit_of_work

__all__ = ["Drill"]

log = logging.getLogger("pingan.drill")
GROUND = ("patrol_car", "motorcycle", "foot_team", "tactical_unit")
SPEED_KPH = {"patrol_car": 35.0, "motorcycle": 30.0, "foot_team": 5.0, "tactical_unit": 35.0}
DETOUR = 1.3
ON_SCENE_S = 20 * 60


class Drill:
    """A background incident feed for drills (see the module docstring)."""

    def __init__(self, engine: Engine, data_dir: Path, *, speed: float = 60.0) -> None:
        self.engine = engine
        self.data_dir = data_dir
        self.speed = speed
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="pingan-drill", daemon=True)
        self.created = 0
        self._queue: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = 0

    def start(self) -> None:
        """Start feeding in the background."""
        self.thread.start()

    def close(self) -> None:
        """Stop feeding and wait for the thread."""
        self.stop.set()
        self.thread.join(timeout=5)

    # ------------------------------------------------------------------ internals
    def _schedule(self, delay_wall_s: float, action: Callable[[], None]) -> None:
        self._seq += 1
        heapq.heappush(self._queue, (time.monotonic() + delay_wall_s, self._seq, action))

    def _run_due(self) -> None:
        now = time.monotonic()
        while self._queue and self._queue[0][0] <= now:
            _, _, action = heapq.heappop(self._queue)
            try:
                action()
            except Exception:  # a failed step must not stop the drill
                log.exception("drill step failed")

    def _principal(self) -> Principal:
        with unit_of_work(self.engine, write=False) as s:
            user = s.scalar(select(User).where(User.role == "dispatcher").order_by(User.id))
            if user is None:
                user = s.scalar(select(User).where(User.role == "admin").order_by(User.id))
            if user is None:
                raise RuntimeError("drill needs a dispatcher or admin user in the database")
            return Principal(user.id, user.username, user.role, "/", None, "drill")

    def _run(self) -> None:
        from pingan.demo.city import build_city
        from pingan.demo.simulate import iter_live_incidents

        meta_path = self.data_dir / "demo.json"
        if not meta_path.is_file():
            log.error("drill: no demo city here (%s missing); run `pingan demo` first", meta_path)
            return
        params: dict[str, Any] = json.loads(meta_path.read_text())["params"]
        city = build_city(
            seed=int(params["seed"]),
            osm_path=params.get("osm"),
            bbox=tuple(params["bbox"]) if params.get("bbox") else None,
        )
        principal = self._principal()
        with unit_of_work(self.engine, write=False) as s:
            units = s.execute(
                select(
                    Resource.id, Resource.kind, Resource.lon, Resource.lat, Resource.status
                ).where(Resource.kind.in_(GROUND))
            ).all()
        self.unit_id = np.array([u.id for u in units], dtype=np.int64)
        self.unit_kind = np.array([u.kind for u in units], dtype=object)
        self.unit_lon = np.array([u.lon or 0.0 for u in units])
        self.unit_lat = np.array([u.lat or 0.0 for u in units])
        self.unit_free = np.array([u.status == "available" for u in units], dtype=bool)
        feed = iter_live_incidents(
            city, seed=int(params["seed"]) + 1, start=dt.datetime.now(dt.UTC), speed=self.speed
        )
        log.info("drill running at %sx with %d ground units", self.speed, len(units))
        for delay, item in feed:
            deadline = time.monotonic() + delay
            while time.monotonic() < deadline:
                if self.stop.wait(min(0.2, max(0.0, deadline - time.monotonic()))):
                    return
                self._run_due()
            if self.stop.is_set():
                return
            try:
                self._new_incident(principal, item)
            except Exception:
                log.exception("drill: incident not created")

    def _new_incident(self, principal: Principal, item: dict[str, Any]) -> None:
        body = IncidentCreate(
            subtype=item["subtype"],
            lon=float(item["lon"]),
            lat=float(item["lat"]),
            source=item.get("source", "call_110"),
            priority=int(item["priority"]),
            summary="演练 drill",
        )
        with unit_of_work(self.engine) as s:
            inc, _ = incidents.create(s, principal=principal, data=body)
            s.commit()
            inc_id, state, lon, lat = inc.id, inc.state, inc.lon, inc.lat
        self.created += 1
        if state != "received" or not self.unit_free.any():
            return
        free = np.flatnonzero(self.unit_free)
        d = haversine_m(lon, lat, self.unit_lon[free], self.unit_lat[free])
        k = int(free[int(np.argmin(d))])
        eta_s = float(d.min()) * DETOUR / (SPEED_KPH[str(self.unit_kind[k])] / 3.6)
        self.unit_free[k] = False
        self._step(principal, inc_id, "dispatched", unit=k, unit_status="dispatched")
        self._schedule(5.0 / self.speed * 60, lambda: self._step(principal, inc_id, "en_route"))
        self._schedule(
            eta_s / self.speed,
            lambda: self._step(
                principal, inc_id, "on_scene", unit=k, unit_status="on_scene", move_to=(lon, lat)
            ),
        )
        done = (eta_s + ON_SCENE_S) / self.speed
        self._schedule(done, lambda: self._step(principal, inc_id, "resolved"))
        self._schedule(
            done + 1.0,
            lambda: self._step(principal, inc_id, "closed", unit=k, unit_status="available"),
        )

    def _step(
        self,
        principal: Principal,
        inc_id: int,
        to_state: str,
        *,
        unit: int | None = None,
        unit_status: str | None = None,
        move_to: tuple[float, float] | None = None,
    ) -> None:
        with unit_of_work(self.engine) as s:
            incidents.transition(
                s, principal=principal, incident_id=inc_id, to_state=to_state, note="drill"
            )
            if unit is not None and unit_status is not None:
                res = s.get(Resource, int(self.unit_id[unit]))
                if res is not None:
                    res.status = unit_status
                    if move_to is not None:
                        res.lon, res.lat = move_to
                        res.position_at = utcnow()
                        self.unit_lon[unit], self.unit_lat[unit] = move_to
                    record(
                        s,
                        actor=principal.actor,
                        action="status",
                        entity="resource",
                        entity_id=res.id,
                        jpath=res.jpath,
                        detail={"status": unit_status, "incident": inc_id, "drill": True},
                    )
                if unit_status == "available":
                    self.unit_free[unit] = True
            s.commit()
