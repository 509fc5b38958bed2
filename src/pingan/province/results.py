"""The stored answers of the province analyses: ``DIR/results/<analysis>.json``.

``pingan analyze … --data DIR`` writes one file per analysis (the last run wins); the
``/province`` page reads them through :func:`province_summary`, which ranks the cities on
CompStat, lists the warnings across the province and the coverage of each city. Hot-spot
cells are kept as the ten hottest per city (the full GeoJSON goes to ``--json OUT``).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

from pingan.province.layout import read_manifest

__all__ = ["province_summary", "read_result", "stored", "write_result"]

_TOP_CELLS = 10


def stored(answer: dict[str, Any]) -> dict[str, Any]:
    """What is kept of an answer: everything but the full hot-spot features."""
    out = {k: v for k, v in answer.items() if k != "cities"}
    cities = []
    for c in answer["cities"]:
        if isinstance(c, dict) and "features" in c:
            hot = [f for f in c["features"] if f["properties"]["hot"]]
            hot.sort(key=lambda f: -f["properties"]["z"])
            c = {k: v for k, v in c.items() if k != "features"} | {"top": hot[:_TOP_CELLS]}
        cities.append(c)
    out["cities"] = cities
    out["stored_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    return out


def write_result(data: Path, answer: dict[str, Any]) -> Path:
    """Write ``DIR/results/<analysis>.json`` atomically; returns its path."""
    folder = Path(data) / "results"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{answer['analysis']}.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(stored(answer), ensure_ascii=False, default=str), encoding="utf-8")
    os.replace(tmp, path)
    return path


def read_result(data: Path, analysis: str) -> dict[str, Any] | None:
    """The stored answer of ``analysis``, or None when it was never run."""
    path = Path(data) / "results" / f"{analysis}.json"
    if not path.is_file():
        return None
    value: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return value


def _change(row: dict[str, Any] | None, window: str) -> dict[str, Any]:
    t = (row or {}).get(window) or {}
    return {
        "current": t.get("current"),
        "previous": t.get("previous"),
        "change_pct": t.get("change_pct"),
        "significant": bool(t.get("significant")),
    }


def province_summary(data: Path) -> dict[str, Any]:
    """The page's model: cities ranked on the 28-day CompStat change (largest rise first),
    the province's warnings (latest run) and each city's coverage: incidents, months of data,
    hot cells and the share of incidents and area they hold."""
    try:
        man = read_manifest(data)
    except FileNotFoundError:
        return {"ready": False, "cities": [], "warnings": [], "runs": {}}
    trends = read_result(data, "trends")
    hot = read_result(data, "hotspots")
    warns = read_result(data, "warnings")
    ts = {c["city"]: c for c in (trends or {}).get("cities", [])}
    hs = {c["city"]: c for c in (hot or {}).get("cities", [])}
    n_warn: dict[str, int] = {}
    flat: list[dict[str, Any]] = []
    for per_city in (warns or {}).get("cities", []):
        for w in per_city:
            n_warn[w["city"]] = n_warn.get(w["city"], 0) + 1
            flat.append(w)
    flat.sort(key=lambda w: (-w["statistic"] / max(w["threshold"], 1e-9), w["city"], w["station"]))
    rows = []
    for c in man.cities:
        t = ts.get(c.code)
        all_row = next((r for r in (t or {}).get("compstat", []) if r["group"] == "all"), None)
        h = hs.get(c.code) or {}
        rows.append(
            {
                "code": c.code,
                "name_zh": c.name_zh,
                "name_en": c.name_en,
                "stations": len(c.stations),
                "days28": _change(all_row, "days28"),
                "week": _change(all_row, "week"),
                "ytd": _change(all_row, "ytd"),
                "months": len((t or {}).get("months", [])),
                "month_counts": (t or {}).get("month_counts", []),
                "hot_cells": h.get("hot_cells"),
                "hot_share_of_incidents": h.get("hot_share_of_incidents"),
                "hot_share_of_area": h.get("hot_share_of_area"),
                "incidents_window": h.get("n_incidents"),
                "warnings": n_warn.get(c.code, 0),
            }
        )
    rows.sort(key=lambda r: (-(r["days28"]["change_pct"] or -1e9), r["code"]))
    for i, r in enumerate(rows):
        r["rank"] = i + 1
    runs = {
        name: {
            "engine": res.get("engine"),
            "as_of": res.get("as_of"),
            "stored_at": res.get("stored_at"),
            "wall_s": round(float(res.get("timing", {}).get("wall_s", 0.0)), 2),
        }
        for name, res in (("trends", trends), ("hotspots", hot), ("warnings", warns))
        if res is not None
    }
    return {
        "ready": bool(runs),
        "made": man.made,
        "cities": rows,
        "warnings": flat[:200],
        "n_warnings": len(flat),
        "hot_days": (hot or {}).get("days"),
        "runs": runs,
    }
