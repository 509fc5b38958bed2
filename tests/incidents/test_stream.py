"""The live incident stream (server-sent events) against a real server."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx

from tests.serverutil import free_port, prepare_db, start_server


def test_stream_delivers_new_incidents_in_scope(tmp_path: Path) -> None:
    url, city = prepare_db(tmp_path / "s.db")
    port = free_port()
    proc = start_server(url, port, tmp_path / "server.log")
    base = f"http://127.0.0.1:{port}"
    got: list[dict[str, object]] = []
    ready = threading.Event()

    def listen() -> None:
        headers = {"Authorization": f"Bearer {city.tokens['chief0']}"}
        with httpx.stream(
            "GET", f"{base}/api/v1/incidents/stream?poll_s=0.2", headers=headers, timeout=20
        ) as r:
            assert r.headers["content-type"].startswith("text/event-stream")
            for line in r.iter_lines():
                ready.set()
                if line.startswith("data: "):
                    got.append(json.loads(line[6:]))
                    if len(got) >= 1:
                        return

    t = threading.Thread(target=listen)
    try:
        t.start()
        assert ready.wait(10)
        h = {"Authorization": f"Bearer {city.tokens['dispatcher']}"}
        lon1, lat1 = city.cell_center(12)  # station 1: not in chief0's scope
        lon0, lat0 = city.cell_center(1)  # station 0
        httpx.post(
            f"{base}/api/v1/incidents",
            headers=h,
            json={"subtype": "fight", "lon": lon1, "lat": lat1},
        ).raise_for_status()
        mine = httpx.post(
            f"{base}/api/v1/incidents",
            headers=h,
            json={"subtype": "fire", "lon": lon0, "lat": lat0},
        ).json()
        t.join(15)
        assert [g["id"] for g in got] == [mine["id"]]
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:  # an open stream holds the graceful shutdown
            proc.kill()
            proc.wait(10)


def _events(r: httpx.Response) -> Iterator[tuple[str, str, dict[str, object]]]:
    """``(id, event, data)`` of each server-sent event read from ``r``."""
    eid, event = "", ""
    for line in r.iter_lines():
        if line.startswith("id: "):
            eid = line[4:]
        elif line.startswith("event: "):
            event = line[7:]
        elif line.startswith("data: "):
            yield eid, event, json.loads(line[6:])


def test_stream_carries_incident_changes_and_unit_status(tmp_path: Path) -> None:
    """Every change (unit created, incident, dispatch, on scene, cleared, a note) reaches a
    stream, each event with an id; a stream opened with ``Last-Event-ID`` resumes from there.

    Read in this thread, without a listening thread racing the writes: it was flaky after other
    test modules because the listener only saw changes from its first poll on (less 3 s), and a
    loaded machine could start that poll late; the resume makes the order irrelevant."""
    url, city = prepare_db(tmp_path / "s.db")
    port = free_port()
    proc = start_server(url, port, tmp_path / "server.log")
    base = f"http://127.0.0.1:{port}"
    watch = {"Authorization": f"Bearer {city.tokens['chief0']}"}
    h = {"Authorization": f"Bearer {city.tokens['dispatcher']}"}
    try:
        before = str(int(time.time() * 1e6) - 1)  # an id from before every change below
        unit = httpx.post(
            f"{base}/api/v1/resources",
            headers=h,
            json={"code": "C1", "kind": "patrol_car", "name_zh": "巡逻车", "station_code": "T1-S0"},
        ).json()
        lon0, lat0 = city.cell_center(1)
        inc = httpx.post(
            f"{base}/api/v1/incidents",
            headers=h,
            json={"subtype": "fire", "lon": lon0, "lat": lat0},
        ).json()
        a = httpx.post(
            f"{base}/api/v1/incidents/{inc['id']}/assignments",
            headers=h,
            json={"resource_id": unit["id"]},
            timeout=30,
        ).json()
        for to in ("on_scene", "cleared"):
            httpx.post(
                f"{base}/api/v1/assignments/{a['id']}/transitions", headers=h, json={"to_state": to}
            ).raise_for_status()
        got: list[tuple[str, str, dict[str, object]]] = []
        with httpx.stream(
            "GET",
            f"{base}/api/v1/incidents/stream?poll_s=0.2",
            headers=watch | {"Last-Event-ID": before},
            timeout=20,
        ) as r:
            assert r.headers["content-type"].startswith("text/event-stream")
            events = _events(r)
            for e in events:
                got.append(e)
                done = e[1] == "unit" and e[2]["id"] == unit["id"] and e[2]["status"] == "available"
                if done and any(g[1] == "incident" and g[2]["state"] == "on_scene" for g in got):
                    break
            # live: a change made while the stream is open arrives too
            httpx.post(
                f"{base}/api/v1/incidents/{inc['id']}/notes", headers=h, json={"text": "到场"}
            ).raise_for_status()
            t0 = time.monotonic()
            for e in events:
                got.append(e)
                if e[1] == "incident" and e[2]["id"] == inc["id"] and e[0] != got[0][0]:
                    break
            assert time.monotonic() - t0 < 10
        assert all(e[0].isdigit() for e in got), got  # every event carries an id
        ids = [int(e[0]) for e in got]
        assert ids == sorted(ids) and ids[0] >= int(before)
        states = [d["state"] for _, e, d in got if e == "incident" and d["id"] == inc["id"]]
        assert states[-1] == "on_scene"
        statuses = [d["status"] for _, e, d in got if e == "unit" and d["id"] == unit["id"]]
        assert statuses[-1] == "available"
        # a stream that resumes from the last id gets nothing older than it again
        last = got[-1][0]
        with httpx.stream(
            "GET",
            f"{base}/api/v1/incidents/stream?poll_s=0.2",
            headers=watch | {"Last-Event-ID": last},
            timeout=20,
        ) as r:
            httpx.post(
                f"{base}/api/v1/assignments/{a['id']}/transitions",
                headers=h,
                json={"to_state": "cleared"},
            )  # a 409: nothing changes
            httpx.post(
                f"{base}/api/v1/incidents/{inc['id']}/transitions",
                headers=h,
                json={"to_state": "resolved"},
            ).raise_for_status()
            for _, event, d in _events(r):
                if event == "incident" and d["state"] == "resolved":
                    break
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:  # an open stream holds the graceful shutdown
            proc.kill()
            proc.wait(10)
