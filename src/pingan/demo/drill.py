"""Drill mode: feed simulated calls into a running server in accelerated time and work them as a
dispatcher would, through the same services.

``pingan serve --drill`` starts :class:`Drill` in a background thread. It rebuilds the demo city
from ``demo.json`` (same seed) and draws new calls from the same generative model
(:func:`pingan.demo.simulate.iter_live_incidents`) at ``speed`` times real time. Each call goes
the dispatcher's path:

1. intake: :func:`pingan.incidents.service.create` with ``source="drill"`` (audited, repeat-call
   linking, cell assignment; a repeat call is not dispatched);
2. recommendation: the available unit with the smallest ETA by road at this time of day (drones
   by air), :func:`pingan.rapid_response.service.recommend`, the code behind the recommendations
   endpoint;
3. assignment: :func:`pingan.dispatch.flows.assignment_create_flow` (the atomic take of the unit;
   a unit a person sent meanwhile is a 409, and the next one is tried);
4. the unit's steps through :func:`pingan.dispatch.flows.assignment_transition_flow`: en route
   after a minute, on scene after its ETA (its position reported there), cleared after the time
   on scene; then the incident is resolved and closed.

A call with no unit free waits and is tried again. Steps that a person took first (a dispatcher
cleared the unit by hand) are skipped, not errors. Drill incidents carry ``source = "drill"`` and
are left out of analyses unless asked for (``include_drill``).
"""

from __future__ import annotations

import datetime as dt
import heapq
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from pingan.auth.models import User
from pingan.auth.service import Principal
from pingan.dispatch import flows as dispatch
from pingan.errors import Conflict, Invalid, NotFound, StateTransition
from pingan.incidents import service as incidents
from pingan.incidents.schemas import IncidentCreate
from pingan.rapid_response import data as coverage_data
from pingan.rapid_response import service as coverage_service
from pingan.resources import service as resources
from pingan.resources.schemas import PositionIn
from pingan.store.base import utcnow
from pingan.store.engine import unit_of_work

__all__ = ["Drill"]

log = logging.getLogger("pingan.drill")
EN_ROUTE_S = 60.0
"""Simulated seconds from dispatch to the unit reporting en route."""
ON_SCENE_S = 20 * 60
"""Simulated seconds a unit stays on scene."""
RETRY_S = 120.0
"""Simulated seconds before a call with no unit free is tried again."""
MAX_TRIES = 10


Feed = Iterable[tuple[float, dict[str, Any]]]


class Drill:
    """A background drill (see the module docstring). ``feed`` yields ``(wall_delay_s, call)``
    (default: the demo city's live model); ``speed`` is simulated seconds per wall second."""

    def __init__(
        self,
        engine: Engine,
        data_dir: Path,
        *,
        speed: float = 60.0,
        feed: Feed | None = None,
    ) -> None:
        self.engine = engine
        self.data_dir = Path(data_dir)
        self.speed = speed
        self.feed = feed
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="pingan-drill", daemon=True)
        self.created = 0
        self.dispatched = 0
        self.closed = 0
        self.waiting = 0
        self.done = threading.Event()
        self._queue: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = 0

    def start(self) -> None:
        """Start feeding in the background."""
        self.thread.start()

    def close(self) -> None:
        """Stop feeding and wait for the thread."""
        self.stop.set()
        self.thread.join(timeout=5)

    # ------------------------------------------------------------------ scheduling
    def _schedule(self, delay_sim_s: float, action: Callable[[], None]) -> None:
        self._seq += 1
        due = time.monotonic() + delay_sim_s / self.speed
        heapq.heappush(self._queue, (due, self._seq, action))

    def _run_due(self) -> None:
        now = time.monotonic()
        while self._queue and self._queue[0][0] <= now:
            _, _, action = heapq.heappop(self._queue)
            try:
                action()
            except Exception:  # a failed step must not stop the drill
                log.exception("drill step failed")

    def _wait(self, wall_s: float) -> bool:
        """Run due steps for ``wall_s`` seconds; False when stopped."""
        deadline = time.monotonic() + wall_s
        while True:
            self._run_due()
            left = deadline - time.monotonic()
            if left <= 0:
                return not self.stop.is_set()
            nxt = self._queue[0][0] - time.monotonic() if self._queue else left
            if self.stop.wait(max(0.0, min(0.2, left, nxt))):
                return False

    # ------------------------------------------------------------------ set-up
    def _principal(self) -> Principal:
        with unit_of_work(self.engine, write=False) as s:
            user = s.scalar(select(User).where(User.role == "dispatcher").order_by(User.id))
            if user is None:
                user = s.scalar(select(User).where(User.role == "admin").order_by(User.id))
            if user is None:
                raise RuntimeError("drill needs a dispatcher or admin user in the database")
            return Principal(user.id, user.username, user.role, "/", None, "drill")

    def _demo_feed(self) -> Iterator[tuple[float, dict[str, Any]]] | None:
        from pingan.demo.city import build_city
        from pingan.demo.simulate import iter_live_incidents

        meta_path = self.data_dir / "demo.json"
        if not meta_path.is_file():
            log.error("drill: no demo city here (%s missing); run `pingan demo` first", meta_path)
            return None
        params: dict[str, Any] = json.loads(meta_path.read_text())["params"]
        city = build_city(
            seed=int(params["seed"]),
            osm_path=params.get("osm"),
            bbox=tuple(params["bbox"]) if params.get("bbox") else None,
        )
        return iter_live_incidents(
            city, seed=int(params["seed"]) + 1, start=dt.datetime.now(dt.UTC), speed=self.speed
        )

    def _run(self) -> None:
        feed = self.feed if self.feed is not None else self._demo_feed()
        if feed is None:
            return
        principal = self._principal()
        log.info("drill running at %sx", self.speed)
        for delay, item in feed:
            if not self._wait(delay):
                return
            try:
                self._intake(principal, item)
            except Exception:
                log.exception("drill: incident not created")
        # the feed has ended (tests): finish the calls in hand
        while self._queue and self._wait(0.05):
            pass
        self.done.set()

    # ------------------------------------------------------------------ the dispatcher's path
    def _intake(self, principal: Principal, item: dict[str, Any]) -> None:
        body = IncidentCreate(
            subtype=item["subtype"],
            lon=float(item["lon"]),
            lat=float(item["lat"]),
            source="drill",
            priority=int(item["priority"]),
            summary="演练 drill",
        )
        with unit_of_work(self.engine) as s:
            inc, _ = incidents.create(s, principal=principal, data=body)
            s.commit()
            inc_id, state = inc.id, inc.state
        self.created += 1
        if state == "received":
            self._dispatch(principal, inc_id, tries=1)

    def _dispatch(self, principal: Principal, inc_id: int, *, tries: int) -> None:
        """Send the best available unit by road ETA; try again later when none is free."""
        with unit_of_work(self.engine) as s:
            inc = incidents.get_or_raise(s, principal=principal, incident_id=inc_id)
            if inc.state != "received":
                return  # a person dealt with it
            point = (inc.lon, inc.lat)
            reason = ""
            try:
                net = coverage_data.load_network(self.data_dir)
                forces = coverage_data.load_forces(s, principal=principal)
                ranked = coverage_service.recommend(
                    net, forces, point, k=3, at=dispatch.local_time(utcnow())
                )["units"]
            except (Invalid, Conflict) as exc:
                ranked = []
                reason = exc.message
            s.rollback()
            for unit in ranked:
                try:
                    a = dispatch.assignment_create_flow(
                        s,
                        principal=principal,
                        incident_id=inc_id,
                        resource_id=int(unit["id"]),
                        note="drill",
                        data_dir=self.data_dir,
                    )
                except Conflict:
                    s.rollback()  # sent by someone else meanwhile: the next one
                    continue
                self.dispatched += 1
                self._follow(principal, a.id, inc_id, point, float(a.eta_s or unit["eta_s"]))
                return
        if tries >= MAX_TRIES:
            log.info("drill: incident %s left waiting after %d tries: %s", inc_id, tries, reason)
            self.waiting += 1
            return
        if not ranked:
            log.info("drill: no unit for incident %s yet: %s", inc_id, reason)
        self._schedule(RETRY_S, lambda: self._dispatch(principal, inc_id, tries=tries + 1))

    def _follow(
        self, principal: Principal, aid: int, inc_id: int, point: tuple[float, float], eta: float
    ) -> None:
        travel = max(eta, EN_ROUTE_S + 1.0)
        self._schedule(EN_ROUTE_S, lambda: self._move(principal, aid, "en_route"))
        self._schedule(travel, lambda: self._move(principal, aid, "on_scene", point=point))
        done = travel + ON_SCENE_S
        self._schedule(done, lambda: self._move(principal, aid, "cleared"))
        self._schedule(done + 1.0, lambda: self._close(principal, inc_id))

    def _move(
        self,
        principal: Principal,
        aid: int,
        to_state: str,
        *,
        point: tuple[float, float] | None = None,
    ) -> None:
        with unit_of_work(self.engine) as s:
            try:
                a = dispatch.assignment_transition_flow(
                    s, principal=principal, assignment_id=aid, to_state=to_state, note="drill"
                )
            except (StateTransition, NotFound):
                s.rollback()
                return  # a person moved it first
            if point is not None:  # the unit reports its position on arrival
                resources.report_position(
                    s,
                    principal=principal,
                    resource_id=a.resource_id,
                    data=PositionIn(lon=point[0], lat=point[1]),
                )
                s.commit()

    def _close(self, principal: Principal, inc_id: int) -> None:
        for to in ("resolved", "closed"):
            with unit_of_work(self.engine) as s:
                inc = incidents.get_or_raise(s, principal=principal, incident_id=inc_id)
                if to not in incidents.LIFECYCLE.allowed(inc.state):
                    return  # a person closed or moved it
                incidents.transition(
                    s, principal=principal, incident_id=inc_id, to_state=to, note="drill"
                )
                s.commit()
        self.closed += 1
