"""Soak: a bureau's peak hour ×3 against ``pingan serve`` for ``--minutes`` (10 by default),
and a kill -9 of the database in the middle of a burst.

What runs, open loop (each request starts on its schedule whatever the server's answers, its
latency counted from that start), by one dispatcher's bearer token and web session:

- **intake**: ``--intake-per-hour`` new incidents (default 2,700: DESIGN.md's largest city, 3
  million a year, is 342 an hour; its busiest hour is 2.5 times that in the demo city's profile
  (75 against 30 an hour); ×3), each with an ``Idempotency-Key``; an answer that did not come
  (connection lost, 5xx) is sent again with the same key, as a client would;
- **dispatch**: each new incident gets a unit (``POST /incidents/{id}/assignments``), which goes
  en route, on scene and clears 2-4 s apart (``POST /assignments/{id}/transitions``);
- **positions**: ``--units`` units report a position every ``--position-every-s`` seconds;
- **reads**: the incident list, the unit board, an OGC page of 1,000 incidents in a bbox, one
  incident's assignments, and the ``/command`` page, ``--reads-per-s`` in all.

At ``--kill-at`` of the run (default half-way) intake bursts to ``--burst-per-s`` for 20 s, and
5 s into the burst every process of the PostgreSQL cluster in ``--pg-data`` is killed with
SIGKILL and started again 3 s later (``--pg-ctl``). Answers during the outage are counted apart
(they may fail: 503, never a wrong 2xx); outside it there must be 0 errors. At the end every
incident acknowledged with a 201 is looked up in the database: lost ones and keys stored twice
are counted. Printed: p50/p99/max per route, errors, RSS of the workers at the start and the
end, the acknowledged and lost incidents.

Never point ``--pg-data`` at a shared cluster: start a private one (docs/benchmarks.md shows
how), e.g.::

    python benchmarks/bench_soak.py --url postgresql+psycopg://postgres@127.0.0.1:55432/soak \\
        --data-dir /tmp/soak --username dispatcher_01 --password ... \\
        --pg-data /tmp/pg/data --pg-ctl "runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl"

``--minutes 1`` is a smoke run. Not part of ``make test``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import re
import shlex
import signal
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2 as httpx
import numpy as np

HERE = Path(__file__).resolve().parent
BBOX = "102.66,25.00,102.76,25.08"  # the demo city's centre
KEEPALIVE_S = 2.0
"""An idle connection is dropped by the client after this long, before uvicorn closes it (5 s):
at equal expiries a request sent on a connection the server is closing fails with ReadError."""


@dataclass
class Stats:
    """Latencies (ms) and errors per route; answers inside the outage window apart."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(dict))
    outage: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(dict))
    acknowledged: dict[str, str] = field(default_factory=dict)  # idempotency key -> code
    explained: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    samples: dict[str, str] = field(default_factory=dict)  # an error's first answer
    no_unit: int = 0  # incidents left without a unit: the pool was empty
    outage_window: tuple[float, float] | None = None

    def note(self, route: str, scheduled: float, kind: str | None) -> None:
        now = time.perf_counter()
        window = self.outage_window
        if window is not None and window[0] <= scheduled <= window[1]:
            bucket = self.outage[route]
            key = kind or "ok"
            bucket[key] = bucket.get(key, 0) + 1
            return
        if kind is None:
            self.latencies[route].append((now - scheduled) * 1000)
        else:
            self.errors[route][kind] = self.errors[route].get(kind, 0) + 1


class Soak:
    """The load of the module docstring against ``base``."""

    def __init__(self, base: str, token: str, cookies: dict[str, str], args: Any) -> None:
        self.base = base
        self.args = args
        self.stats = Stats()
        self.client = httpx.AsyncClient(
            base_url=base,
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
            limits=httpx.Limits(
                max_connections=200, max_keepalive_connections=100, keepalive_expiry=KEEPALIVE_S
            ),
        )
        self.pages = httpx.AsyncClient(
            base_url=base,
            cookies=cookies,
            timeout=30,
            limits=httpx.Limits(keepalive_expiry=KEEPALIVE_S),
        )
        self.units: list[int] = []
        self.recent: list[int] = []
        self.tasks: set[asyncio.Task[Any]] = set()
        self.subtypes = ["fight", "pickpocketing", "bicycle_theft", "traffic_accident"]
        self.last_failure = ""

    def spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def call(
        self, route: str, method: str, path: str, *, scheduled: float, expect: int, **kw: Any
    ) -> httpx.Response | None:
        r = await self.send(route, method, path, **kw)
        if r is None:
            self.stats.note(route, scheduled, self.last_failure)
            return None
        self.stats.note(route, scheduled, None if r.status_code == expect else _kind(r))
        return r if r.status_code == expect else None

    async def send(self, route: str, method: str, path: str, **kw: Any) -> httpx.Response | None:
        """The answer, or None when none came (``last_failure`` says why); counts nothing."""
        client = self.pages if route == "command_page" else self.client
        try:
            return await client.request(method, path, **kw)
        except httpx.HTTPError as exc:
            self.last_failure = type(exc).__name__
            return None

    async def intake(self, scheduled: float) -> None:
        key = uuid.uuid4().hex
        body = {
            "subtype": random.choice(self.subtypes),
            "lon": 102.66 + random.random() * 0.1,
            "lat": 25.00 + random.random() * 0.08,
            "summary": f"soak {key}",
        }
        for attempt in range(8):  # a client sends an unanswered creation again, same key
            r = await self.call(
                "intake",
                "POST",
                "/api/v1/incidents",
                scheduled=scheduled if attempt == 0 else time.perf_counter(),
                expect=201,
                json=body,
                headers={"Idempotency-Key": key},
            )
            if r is not None:
                out = r.json()
                self.stats.acknowledged[key] = out["code"]
                self.recent.append(out["id"])
                del self.recent[:-200]
                if out.get("state") == "duplicate":
                    # a repeat call (same kind, near in place and time: linked to the first
                    # one); the server refuses a unit for it with 409, as it should, so a
                    # dispatcher sends none: these were the soak's "unexplained" 409s
                    self.stats.explained["repeat calls linked as duplicates: no unit sent"] += 1
                elif self.units and not self.args.no_dispatch:
                    self.spawn(self.dispatch(out["id"]))
                return
            await asyncio.sleep(1 + attempt)

    async def dispatch(self, incident_id: int) -> None:
        """Send a unit from the pool, then move it on; a unit goes back to the pool only when it
        is known to be available again (cleared, or looked up after an answer that did not say
        what happened), never on a guess: a unit put back while the server had in fact sent it
        (its answer lost in the outage) was sent again later and refused with 409."""
        if not self.units:
            self.stats.no_unit += 1
            return
        unit = self.units.pop(random.randrange(len(self.units)))
        scheduled = time.perf_counter()
        path = f"/api/v1/incidents/{incident_id}/assignments"
        r = await self.send("assign", "POST", path, json={"resource_id": unit})
        if r is not None and r.status_code == 201:
            self.stats.note("assign", scheduled, None)
            assignment = int(r.json()["id"])
        elif r is not None and r.status_code == 409 and _busy_on(r) == incident_id:
            # an earlier attempt of this very request went through (its answer was lost)
            self.stats.note("assign", scheduled, None)
            self.stats.explained["assign: 409, the unit already on this incident"] += 1
            found = await self.own_assignment(incident_id, unit)
            if found is None:
                return
            assignment = found
        else:
            self.stats.note("assign", scheduled, self.last_failure if r is None else _kind(r))
            if r is not None and r.status_code == 409:
                self.stats.samples.setdefault("assign 409", r.text[:300])
            await self.settle(unit)
            return
        for to_state in ("en_route", "on_scene", "cleared"):
            await asyncio.sleep(2 + random.random() * 2)
            moved = await self.call(
                "assignment_transition",
                "POST",
                f"/api/v1/assignments/{assignment}/transitions",
                scheduled=time.perf_counter(),
                expect=200,
                json={"to_state": to_state},
            )
            if moved is None:
                await self.settle(unit)
                return
        self.units.append(unit)

    async def settle(self, unit: int) -> None:
        """After an answer that did not say what became of ``unit``: look it up (a few tries,
        the database may be away) and put it back in the pool only if it is available."""
        for attempt in range(10):
            r = await self.send("unit_lookup", "GET", f"/api/v1/resources/{unit}")
            if r is not None and r.status_code == 200:
                if r.json().get("status") == "available":
                    self.units.append(unit)
                else:
                    self.stats.explained["units kept out of the pool (not available)"] += 1
                return
            await asyncio.sleep(1 + attempt)

    async def own_assignment(self, incident_id: int, unit: int) -> int | None:
        """The active assignment of ``unit`` on ``incident_id`` (an earlier attempt's)."""
        path = f"/api/v1/incidents/{incident_id}/assignments"
        r = await self.send("incident_assignments", "GET", path)
        if r is None or r.status_code != 200:
            return None
        rows = r.json()
        rows = rows["items"] if isinstance(rows, dict) else rows
        mine = [a for a in rows if a.get("resource_id") == unit and a.get("state") == "dispatched"]
        return int(mine[-1]["id"]) if mine else None

    async def position(self, scheduled: float, unit: int) -> None:
        await self.call(
            "position",
            "POST",
            f"/api/v1/resources/{unit}/positions",
            scheduled=scheduled,
            expect=200,
            json={"lon": 102.66 + random.random() * 0.1, "lat": 25.0 + random.random() * 0.08},
        )

    async def read(self, scheduled: float) -> None:
        choice = random.random()
        if choice < 0.35:
            await self.call(
                "list", "GET", "/api/v1/incidents?limit=50", scheduled=scheduled, expect=200
            )
        elif choice < 0.6:
            await self.call(
                "board", "GET", "/api/v1/dispatch/board", scheduled=scheduled, expect=200
            )
        elif choice < 0.75:
            path = f"/api/v1/ogc/collections/incidents/items?limit=1000&bbox={BBOX}"
            await self.call("ogc", "GET", path, scheduled=scheduled, expect=200)
        elif choice < 0.9 and self.recent:
            path = f"/api/v1/incidents/{random.choice(self.recent)}/assignments"
            await self.call("incident_assignments", "GET", path, scheduled=scheduled, expect=200)
        else:
            await self.call("command_page", "GET", "/command", scheduled=scheduled, expect=200)

    async def every(self, rate: float, seconds: float, make: Any) -> None:
        """Start ``make(scheduled)`` ``rate`` times a second for ``seconds`` (open loop)."""
        if rate <= 0:
            return
        start = time.perf_counter()
        i = 0
        while True:
            scheduled = start + i / rate
            if scheduled - start >= seconds:
                return
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            self.spawn(make(scheduled))
            i += 1

    async def positions(self, seconds: float) -> None:
        fleet = list(self.units[: self.args.units])
        if not fleet:
            return
        rate = len(fleet) / self.args.position_every_s
        await self.every(
            rate, seconds, lambda s, it=iter(_cycle(fleet)): self.position(s, next(it))
        )

    async def run(self, seconds: float, kill: Any) -> None:
        r = await self.client.get("/api/v1/resources", params={"status": "available", "limit": 500})
        r.raise_for_status()
        data = r.json()
        items = data["items"] if isinstance(data, dict) else data
        mobile = {"patrol_car", "motorcycle", "foot_team", "mobile_kiosk"}
        self.units = [u["id"] for u in items if u["kind"] in mobile]
        random.shuffle(self.units)
        jobs = [
            self.every(self.args.intake_per_hour / 3600, seconds, self.intake),
            self.every(self.args.reads_per_s, seconds, self.read),
            self.positions(seconds),
        ]
        if kill is not None:
            jobs.append(self.burst_and_kill(seconds, kill))
        progress = asyncio.create_task(self.progress(seconds))
        await asyncio.gather(*jobs)
        # requests still in flight (and intake resends) get 60 s more, then are given up
        # (tasks started meanwhile, a dispatch after a late intake, are waited for too)
        deadline = time.perf_counter() + 60
        while self.tasks and time.perf_counter() < deadline:
            await asyncio.wait(list(self.tasks), timeout=max(0.1, deadline - time.perf_counter()))
        pending = list(self.tasks)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        if pending:
            print(f"  {len(pending)} requests still unanswered 60 s after the end: cancelled")
        progress.cancel()
        await self.client.aclose()
        await self.pages.aclose()

    async def progress(self, seconds: float) -> None:
        start = time.perf_counter()
        while True:
            await asyncio.sleep(30)
            done = sum(len(v) for v in self.stats.latencies.values())
            errors = sum(sum(k.values()) for k in self.stats.errors.values())
            print(
                f"  {time.perf_counter() - start:5.0f} s of {seconds:.0f}: {done} answered, "
                f"{errors} errors, {len(self.tasks)} in flight",
                flush=True,
            )

    async def burst_and_kill(self, seconds: float, kill: Any) -> None:
        await asyncio.sleep(seconds * self.args.kill_at)
        t0 = time.perf_counter()
        burst = asyncio.create_task(self.every(self.args.burst_per_s, 20, self.intake))
        await asyncio.sleep(5)
        # answers to requests scheduled from the kill until 10 s after the restart are counted
        # apart: the outage, the crash recovery and the pools' reconnection
        began = time.perf_counter() - 0.5
        self.stats.outage_window = (began, float("inf"))
        print(f"  kill -9 of PostgreSQL at {time.perf_counter() - t0:.1f} s into the burst")
        await asyncio.to_thread(kill)
        self.stats.outage_window = (began, time.perf_counter() + 10)
        await burst


def _kind(r: httpx.Response) -> str:
    """An error's kind: status and code (``HTTP 409 conflict``)."""
    try:
        code = r.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return f"HTTP {r.status_code}"
    return f"HTTP {r.status_code} {code}"


def _busy_on(r: httpx.Response) -> int | None:
    """The incident a 409 says the unit is on (``detail.incident_id``), if any."""
    try:
        return int(r.json()["error"]["detail"]["incident_id"])
    except (ValueError, KeyError, TypeError):
        return None


def _cycle(items: list[int]) -> Any:
    while True:
        yield from items


def kill_postgres(pg_data: Path, pg_ctl: str) -> None:
    """SIGKILL every process of the cluster in ``pg_data``, wait 3 s, start it again."""
    postmaster = int((pg_data / "postmaster.pid").read_text().split()[0])
    victims = [postmaster, *_children(postmaster)]
    for pid in victims:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    print(f"  killed {len(victims)} PostgreSQL processes (postmaster {postmaster})")
    time.sleep(3)
    log = pg_data.parent / "restart.log"
    cmd = [*shlex.split(pg_ctl), "-D", str(pg_data), "-l", str(log), "-w", "start"]
    started = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    print(f"  PostgreSQL up again after crash recovery in {time.perf_counter() - started:.1f} s")


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry.name))
    return out


def rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def start_server(args: Any, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = os.environ | {
        "PINGAN_DATABASE_URL": args.url,
        "PINGAN_DATA_DIR": str(args.data_dir),
        "PINGAN_SCHEDULER": "0",
    }
    src = HERE.parent / "src"
    env["PYTHONPATH"] = f"{src}{os.pathsep}{env.get('PYTHONPATH', '')}"
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "pingan.cli",
                "serve",
                "--port",
                str(port),
                "--workers",
                str(args.workers),
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise RuntimeError(log.read_text()[-3000:])
        time.sleep(0.5)
    proc.kill()
    raise RuntimeError("server did not start in 300 s")


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sign_in(base: str, username: str, password: str) -> tuple[str, dict[str, str]]:
    r = httpx.post(
        f"{base}/api/v1/auth/token",
        json={"username": username, "password": password},
        timeout=60,
    )
    r.raise_for_status()
    token = r.json()["access_token"]
    with httpx.Client(base_url=base, timeout=60) as c:
        page = c.get("/login")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert csrf is not None, "no CSRF field on /login"
        c.post(
            "/login",
            data={"username": username, "password": password, "csrf": csrf.group(1)},
        )
        cookies = dict(c.cookies)
    return token, cookies


def count_stored(url: str, stats: Stats) -> tuple[int, int, int]:
    """(acknowledged, lost, keys stored more than once) from the database itself."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    codes = set(stats.acknowledged.values())
    with engine.connect() as conn:
        stored = {
            row[0]
            for row in conn.execute(text("SELECT code FROM incidents WHERE summary LIKE 'soak %'"))
        }
        twice = conn.execute(
            text(
                "SELECT count(*) FROM (SELECT summary FROM incidents WHERE summary LIKE "
                "'soak %' GROUP BY summary HAVING count(*) > 1) AS t"
            )
        ).scalar_one()
    engine.dispose()
    return len(codes), len(codes - stored), int(twice)


def report(stats: Stats, seconds: float) -> int:
    print(f"{'route':<24}{'n':>7}{'rate/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}  errors")
    errors = 0
    for route in sorted(set(stats.latencies) | set(stats.errors)):
        lat = np.array(stats.latencies.get(route, []))
        errs = stats.errors.get(route, {})
        errors += sum(errs.values())
        if len(lat):
            p50, p99, top = np.percentile(lat, 50), np.percentile(lat, 99), lat.max()
        else:
            p50 = p99 = top = float("nan")
        print(
            f"{route:<24}{len(lat):>7}{len(lat) / seconds:>8.2f}{p50:>9.1f}{p99:>9.1f}"
            f"{top:>9.1f}  {errs or 0}"
        )
    for what, n in sorted(stats.explained.items()):
        print(f"explained, not errors: {what}: {n}")
    if stats.no_unit:
        print(f"incidents left without a unit (the pool was empty): {stats.no_unit}")
    for what, body in sorted(stats.samples.items()):
        print(f"first {what}: {body}")
    if stats.outage:
        print("during the outage (kill -9 of PostgreSQL, restart, recovery):")
        for route, kinds in sorted(stats.outage.items()):
            print(f"  {route:<22}{kinds}")
    return errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="the database pingan serves (SQLAlchemy)")
    parser.add_argument("--data-dir", type=Path, required=True, help="PINGAN_DATA_DIR")
    parser.add_argument("--username", default="dispatcher_01")
    parser.add_argument("--password", required=True)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--intake-per-hour", type=float, default=2700.0)
    parser.add_argument("--reads-per-s", type=float, default=8.0)
    parser.add_argument("--units", type=int, default=200, help="units reporting positions")
    parser.add_argument("--position-every-s", type=float, default=10.0)
    parser.add_argument("--burst-per-s", type=float, default=15.0, help="intake in the burst")
    parser.add_argument("--kill-at", type=float, default=0.5, help="share of the run")
    parser.add_argument("--pg-data", type=Path, help="a PRIVATE cluster's data directory")
    parser.add_argument("--pg-ctl", default="pg_ctl", help="how to run pg_ctl for it")
    parser.add_argument("--no-kill", action="store_true")
    parser.add_argument("--no-dispatch", action="store_true", help="intake without dispatch")
    args = parser.parse_args()
    seconds = args.minutes * 60
    log = args.data_dir / "soak-serve.log"
    args.data_dir.mkdir(parents=True, exist_ok=True)
    proc, base = start_server(args, log)
    try:
        token, cookies = sign_in(base, args.username, args.password)
        kill = None
        if args.pg_data is not None and not args.no_kill:
            kill = lambda: kill_postgres(args.pg_data, args.pg_ctl)  # noqa: E731
        workers = _children(proc.pid)
        soak = Soak(base, token, cookies, args)
        print("warm-up (30 s, not counted)", flush=True)
        asyncio.run(soak.run(30, None))
        soak = Soak(base, token, cookies, args)
        rss0 = rss_mb(_children(proc.pid))
        print(
            f"soak: {args.minutes:g} min against {base} ({args.workers} workers {workers})",
            flush=True,
        )
        t0 = time.perf_counter()
        asyncio.run(soak.run(seconds, kill))
        wall = time.perf_counter() - t0
        rss1 = rss_mb(_children(proc.pid))
        errors = report(soak.stats, wall)
        acked, lost, twice = count_stored(args.url, soak.stats)
        print(
            f"workers' RSS: {rss0:.0f} MB at the start, {rss1:.0f} MB at the end "
            f"({rss1 - rss0:+.0f} MB)"
        )
        print(
            f"incidents acknowledged {acked}, lost {lost}, stored twice {twice}; "
            f"errors outside the outage {errors}"
        )
        replaced = log.read_text().count("started worker")
        print(f"workers replaced by the supervisor: {replaced}")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


if __name__ == "__main__":
    main()
