"""Run a province analysis with ``local`` (a loop over cities here) or ``dask`` (distributed).

Both engines run the same three steps of :mod:`pingan.province.analysis` per city: maps over
blocks of incidents, a reduce by integer sums, a kernel on the reduced arrays. Locally a block
is the city's partitions read together; on Dask a block is one partition (one city-month), so
a worker never holds more than one partition's rows plus the small count arrays. The reduce
is a pairwise tree of sums on the workers; for hot spots the Gi* z-scores are then computed by
grid tiles (``tile_cells``), each with a halo of one neighbourhood and the grid's global
moments, and assembled; only the per-city answers come back.

The cluster is ``PINGAN_DASK_SCHEDULER`` (``tcp://host:8786``: an existing scheduler, whose
workers must import this version of pingan and read ``DIR``) or a ``LocalCluster`` of
``workers`` processes with one thread each.

Every task reports its own time split into reading (Parquet I/O and decoding), mapping,
reducing and the kernel; :func:`run` returns their sums with the wall time, which is what the
benchmark's 16-worker estimate is made from.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from pingan.geo.crs import LocalProjection
from pingan.incidents.taxonomy import get_taxonomy
from pingan.province import analysis as an
from pingan.province.layout import (
    CityInfo,
    Manifest,
    Partition,
    empty_column,
    local_day,
    partitions,
    read_manifest,
    read_partition,
)

__all__ = ["ANALYSES", "ENGINES", "Params", "dask_client", "run"]

ANALYSES = ("trends", "hotspots", "warnings", "forecast", "backtest")
ENGINES = ("local", "dask")
SCHEDULER_ENV = "PINGAN_DASK_SCHEDULER"


@dataclass(frozen=True)
class Params:
    """The options of every analysis (each uses its own)."""

    cell_m: float = 250.0
    days: int = 28
    as_of: dt.date | None = None
    method: str = "cusum"
    false_alarms_per_year: float = 1.0
    history_days: int = 365
    forecast_method: str = "kde"
    horizon_days: float = 7.0
    top_share: float = 0.01
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    step_days: float = 7.0
    cities: tuple[str, ...] = ()
    tile_cells: int = 32


@dataclass
class _Times:
    read: float = 0.0
    map: float = 0.0
    reduce: float = 0.0
    kernel: float = 0.0
    client: float = 0.0
    tasks: int = 0

    def add(self, other: dict[str, float]) -> None:
        for k, v in other.items():
            setattr(self, k, getattr(self, k) + v)


@dataclass(frozen=True)
class _Job:
    """One city's work: which columns and months to read, the map, the kernel."""

    city: CityInfo
    parts: list[Partition]
    columns: tuple[str, ...]
    map_fn: Callable[..., Any] | None  # None: the kernel takes the points themselves
    map_args: tuple[Any, ...]
    kernel: Callable[..., Any]
    kernel_args: tuple[Any, ...] = ()
    kernel_kw: dict[str, Any] = field(default_factory=dict)
    tile_cells: int = 0  # > 0: on Dask, Gi* by tiles of this many cells with a halo


def _end_s(man: Manifest, p: Params) -> int:
    """The exclusive end of the analysed time (epoch s): the day after ``as_of`` or the
    data's end from the manifest."""
    if p.as_of is not None:
        return (p.as_of.toordinal() - dt.date(1970, 1, 1).toordinal() + 1) * 86_400 - (
            man.utc_offset_s
        )
    end = man.made.get("end")
    if end is None:
        raise ValueError("as_of: the manifest has no end; give --as-of")
    return int(dt.datetime.fromisoformat(str(end)).timestamp())


def _month(day: int) -> str:
    return str((np.datetime64(0, "D") + day).astype("datetime64[M]"))


def _jobs(analysis: str, data: Path, man: Manifest, p: Params) -> tuple[list[_Job], dict[str, Any]]:
    """The per-city jobs of ``analysis`` and what the answer says about its inputs."""
    if analysis not in ANALYSES:
        raise ValueError(f"analysis: {analysis!r}; use {', '.join(ANALYSES)}")
    end_s = _end_s(man, p)
    off = man.utc_offset_s
    as_of = int(local_day(np.array([end_s - 1]), off)[0])
    cities = [c for c in man.cities if not p.cities or c.code in p.cities]
    if not cities:
        raise ValueError(f"cities: none of {list(p.cities)} is in the province")
    meta: dict[str, Any] = {"as_of": str(np.datetime64(0, "D") + as_of), "end": end_s}
    jobs: list[_Job] = []
    for city in cities:
        grid = an.CityGrid.of(city, p.cell_m)
        if analysis == "hotspots":
            t0 = end_s - p.days * 86_400
            day0 = int(local_day(np.array([t0]), off)[0])
            jobs.append(
                _Job(
                    city,
                    _window(data, city, day0, as_of),
                    ("reported_at", "x_m", "y_m"),
                    an.grid_counts,
                    (grid, t0, end_s),
                    an.hotspot_city,
                    (grid,),
                    {},
                    tile_cells=p.tile_cells,
                )
            )
            meta |= {"days": p.days, "cell_m": p.cell_m}
        elif analysis == "warnings":
            if p.history_days < 56:
                raise ValueError("history_days: the seasonal baseline needs at least 56 days")
            day0 = as_of - p.history_days + 1
            grps = an.groups()
            jobs.append(
                _Job(
                    city,
                    _window(data, city, day0, as_of),
                    ("reported_at", "subtype", "station"),
                    an.station_days,
                    (city.stations, grps, day0, p.history_days, off),
                    an.warnings_city,
                    (grps, day0),
                    {"method": p.method, "false_alarm_rate": p.false_alarms_per_year / 365},
                )
            )
            meta |= {"method": p.method, "history_days": p.history_days}
        elif analysis == "trends":
            y = (np.datetime64(0, "D") + as_of).astype("datetime64[Y]")
            day0 = int((y - 1).astype("datetime64[D]").astype(np.int64)) - 28
            classes = tuple(get_taxonomy().classes)
            jobs.append(
                _Job(
                    city,
                    _window(data, city, day0, as_of),
                    ("reported_at", "klass"),
                    an.class_days,
                    (classes, day0, as_of - day0 + 1, off),
                    an.compstat_city,
                    (classes, day0, as_of),
                )
            )
        elif analysis == "forecast":
            day0 = as_of - 365
            jobs.append(
                _Job(
                    city,
                    _window(data, city, day0, as_of),
                    ("reported_at", "x_m", "y_m"),
                    None,
                    (),
                    an.forecast_city,
                    (grid,),
                    {
                        "t_now": end_s,
                        "method": p.forecast_method,
                        "horizon_days": p.horizon_days,
                        "top_share": p.top_share,
                    },
                )
            )
            meta |= {"method": p.forecast_method, "cell_m": p.cell_m}
        else:
            if p.start is None or p.end is None or p.end <= p.start:
                raise ValueError("end: give --start and --end with end after start")
            s_day = int(local_day(np.array([int(p.start.timestamp())]), off)[0])
            e_day = int(local_day(np.array([int(p.end.timestamp())]), off)[0])
            jobs.append(
                _Job(
                    city,
                    _window(data, city, s_day - 365, e_day + int(np.ceil(p.step_days))),
                    ("reported_at", "x_m", "y_m"),
                    None,
                    (),
                    an.backtest_city,
                    (grid,),
                    {
                        "start": p.start,
                        "end": p.end,
                        "method": p.forecast_method,
                        "step_days": p.step_days,
                    },
                )
            )
            meta |= {"method": p.forecast_method, "cell_m": p.cell_m}
    return jobs, meta


def _window(data: Path, city: CityInfo, day0: int, day1: int) -> list[Partition]:
    """The city's partitions whose month overlaps local days ``day0..day1``."""
    lo, hi = _month(day0), _month(day1)
    return [q for q in partitions(data, [city.code]) if lo <= q.month <= hi]


# ---------------------------------------------------------------------------------------------
# the tasks (module-level functions, so Dask can ship them by reference)
# ---------------------------------------------------------------------------------------------
def _read(paths: list[str], columns: tuple[str, ...]) -> dict[str, Any]:
    parts = [read_partition(q, columns) for q in paths]
    if not parts:
        return {c: empty_column(c) for c in columns}
    return {c: np.concatenate([q[c] for q in parts]) for c in columns}


def _map_task(
    paths: list[str], columns: tuple[str, ...], fn: Callable[..., Any], args: tuple[Any, ...]
) -> tuple[Any, dict[str, float]]:
    t = time.perf_counter()
    cols = _read(paths, columns)
    t_read = time.perf_counter() - t
    t = time.perf_counter()
    out = fn(cols, *args)
    return out, {"read": t_read, "map": time.perf_counter() - t, "tasks": 1}


def _sum_task(*parts: tuple[Any, dict[str, float]]) -> tuple[Any, dict[str, float]]:
    t = time.perf_counter()
    total = parts[0][0].copy()
    for arr, _ in parts[1:]:
        total += arr
    times: dict[str, float] = {"read": 0.0, "map": 0.0, "reduce": 0.0, "kernel": 0.0, "tasks": 1}
    for _, tm in parts:
        for k, v in tm.items():
            times[k] = times.get(k, 0.0) + v
    times["reduce"] += time.perf_counter() - t
    return total, times


def _kernel_task(
    reduced: tuple[Any, dict[str, float]],
    job: _Job,
    z: tuple[Any, dict[str, float]] | None = None,
) -> tuple[Any, dict[str, float]]:
    t = time.perf_counter()
    arr, times = reduced
    kw = job.kernel_kw if z is None else {**job.kernel_kw, "z": z[0]}
    out = job.kernel(job.city, arr, *job.kernel_args, **kw)
    took = time.perf_counter() - t
    if z is not None:
        return out, {**times, "kernel": z[1]["kernel"] + took, "tasks": z[1]["tasks"] + 1}
    return out, {**times, "kernel": took, "tasks": times.get("tasks", 0) + 1}


def _moments_task(reduced: tuple[Any, dict[str, float]]) -> tuple[int, float, float]:
    return an.gi_star_moments(reduced[0])


def _tile_task(
    reduced: tuple[Any, dict[str, float]],
    moments: tuple[int, float, float],
    tile: tuple[tuple[int, int], tuple[int, int]],
) -> tuple[Any, float]:
    t = time.perf_counter()
    z = an.gi_star_tile(reduced[0], tile[0], tile[1], moments)
    return z, time.perf_counter() - t


def _assemble_task(
    shape: tuple[int, int],
    spec: list[tuple[tuple[int, int], tuple[int, int]]],
    *parts: tuple[Any, float],
) -> tuple[Any, dict[str, float]]:
    z = np.empty(shape)
    for ((r0, r1), (c0, c1)), (zt, _) in zip(spec, parts, strict=True):
        z[r0:r1, c0:c1] = zt
    return z, {"kernel": sum(tk for _, tk in parts), "tasks": len(parts) + 2}


def _points_task(job: _Job) -> tuple[Any, dict[str, float]]:
    t = time.perf_counter()
    cols = _read([q.path for q in job.parts], job.columns)
    t_read = time.perf_counter() - t
    t = time.perf_counter()
    out = job.kernel(job.city, *job.kernel_args, cols, **job.kernel_kw)
    return out, {"read": t_read, "kernel": time.perf_counter() - t, "tasks": 1}


def _local(job: _Job) -> tuple[Any, dict[str, float]]:
    if job.map_fn is None:
        return _points_task(job)
    mapped = _map_task([q.path for q in job.parts], job.columns, job.map_fn, job.map_args)
    return _kernel_task(mapped, job)


def _empty(job: _Job) -> tuple[Any, dict[str, float]]:
    return _map_task([], job.columns, job.map_fn, job.map_args)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# the engines
# ---------------------------------------------------------------------------------------------
@contextmanager
def dask_client(workers: int = 2, memory_limit: str = "2GiB") -> Iterator[Any]:
    """A ``distributed.Client``: on ``PINGAN_DASK_SCHEDULER`` when set, else on a new
    ``LocalCluster`` of ``workers`` single-threaded processes (closed on exit)."""
    import logging

    from distributed import Client, LocalCluster

    addr = os.environ.get(SCHEDULER_ENV, "").strip()
    if addr:
        with Client(addr) as client:  # type: ignore[no-untyped-call]
            yield client
        return
    with (
        LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            memory_limit=memory_limit,
            dashboard_address=":0",
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster) as client,  # type: ignore[no-untyped-call]
    ):
        yield client


def _tree_sum(client: Any, futs: list[Any]) -> Any:
    """Pairwise reduction on the workers (depth log2 n, at most 8 inputs a task)."""
    while len(futs) > 1:
        futs = [client.submit(_sum_task, *futs[i : i + 8]) for i in range(0, len(futs), 8)]
    return futs[0]


def _on_dask(client: Any, jobs: list[_Job]) -> list[tuple[Any, dict[str, float]]]:
    finals = []
    for job in jobs:
        if job.map_fn is None:
            finals.append(client.submit(_points_task, job, pure=False))
            continue
        maps = [
            client.submit(_map_task, [q.path], job.columns, job.map_fn, job.map_args, pure=False)
            for q in job.parts
        ] or [client.submit(_empty, job, pure=False)]
        reduced = _tree_sum(client, maps)
        if job.tile_cells > 0:  # Gi* by tiles, each with a halo of one neighbourhood
            grid = job.kernel_args[0]
            spec = an.tiles(grid.ny, grid.nx, job.tile_cells)
            moments = client.submit(_moments_task, reduced, pure=False)
            parts = [client.submit(_tile_task, reduced, moments, t, pure=False) for t in spec]
            z = client.submit(_assemble_task, (grid.ny, grid.nx), spec, *parts, pure=False)
            finals.append(client.submit(_kernel_task, reduced, job, z, pure=False))
        else:
            finals.append(client.submit(_kernel_task, reduced, job, pure=False))
    return list(client.gather(finals))


def run(
    analysis: str,
    data: Path,
    *,
    engine: str = "local",
    params: Params | None = None,
    workers: int = 2,
    client: Any = None,
) -> dict[str, Any]:
    """Run ``analysis`` on the province under ``data`` with ``engine``.

    Returns ``{"analysis", "engine", "as_of", "cities": [per-city answers], "timing": {...}}``;
    the per-city answers are the same on both engines (to float rounding). ``client``: an
    existing ``distributed.Client`` to use (else one is made for the run).
    """
    if engine not in ENGINES:
        raise ValueError(f"engine: {engine!r}; use local or dask")
    p = params or Params()
    man = read_manifest(data)
    jobs, meta = _jobs(analysis, Path(data), man, p)
    wall = time.perf_counter()
    if engine == "local":
        results = [_local(j) for j in jobs]
    elif client is not None:
        results = _on_dask(client, jobs)
    else:
        with dask_client(workers) as c:
            results = _on_dask(c, jobs)
    times = _Times()
    for _, tm in results:
        times.add(tm)
    if analysis == "hotspots":  # the GeoJSON is drawn here, from the arrays the tasks sent
        t = time.perf_counter()
        proj = LocalProjection(man.lon0, man.lat0)
        for job, (res, _) in zip(jobs, results, strict=True):
            res["features"] = an.cell_features(res, job.kernel_args[0], proj)
            del res["_cells"]
        times.client += time.perf_counter() - t
    return {
        "analysis": analysis,
        "engine": engine,
        **meta,
        "cities": [r for r, _ in results],
        "partitions": sum(len(j.parts) for j in jobs),
        "timing": {
            "wall_s": time.perf_counter() - wall,
            "read_s": times.read,
            "map_s": times.map,
            "reduce_s": times.reduce,
            "kernel_s": times.kernel,
            "client_s": times.client,
            "tasks": times.tasks,
        },
    }
