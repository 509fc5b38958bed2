"""Planned against actual, from unit position tracks (pure numpy, no database).

* a stop is **visited** when a position of its unit lies within ``radius_m`` of it inside the
  stop's window;
* **time in hot cells**: each position holds until the next one (at most ``max_gap_s``, so a
  unit whose tracker went silent is not counted for the silence), and the held time counts when
  the position lies in one of the plan's hot cells (squares of ``cell_m`` in the city's metric
  projection, given by their lower-left corners).

Both are O(P log P + S·P_w) for P positions and S stops (P_w the positions inside a window).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["time_in_cells_s", "visited"]

F64 = NDArray[np.float64]


def visited(
    stop_xy: F64, window_s: F64, track_t_s: F64, track_xy: F64, *, radius_m: float
) -> NDArray[np.bool_]:
    """For each stop ``(x, y)`` with window ``(start_s, end_s)``, whether a track position lies
    within ``radius_m`` of it at a time inside the window (inclusive). ``track_t_s`` sorted."""
    stops = np.asarray(stop_xy, dtype=np.float64).reshape(-1, 2)
    win = np.asarray(window_s, dtype=np.float64).reshape(-1, 2)
    t = np.asarray(track_t_s, dtype=np.float64)
    xy = np.asarray(track_xy, dtype=np.float64).reshape(-1, 2)
    if win.shape[0] != stops.shape[0]:
        raise ValueError("window_s: expected one (start, end) per stop")
    if xy.shape[0] != t.size:
        raise ValueError("track_xy: expected one position per time")
    out = np.zeros(stops.shape[0], dtype=bool)
    if t.size == 0:
        return out
    lo = np.searchsorted(t, win[:, 0], side="left")
    hi = np.searchsorted(t, win[:, 1], side="right")
    r2 = radius_m * radius_m
    for k in range(stops.shape[0]):
        if hi[k] > lo[k]:
            d = xy[lo[k] : hi[k]] - stops[k]
            out[k] = bool(np.any(d[:, 0] ** 2 + d[:, 1] ** 2 <= r2))
    return out


def time_in_cells_s(
    track_t_s: F64,
    track_xy: F64,
    cell_xy0_m: F64,
    *,
    cell_m: float,
    until_s: float | None = None,
    max_gap_s: float = 300.0,
) -> float:
    """Seconds the track spent inside any of the squares ``[x0, x0+cell_m) × [y0, y0+cell_m)``.

    Each position holds until the next (or ``until_s`` for the last), capped at ``max_gap_s``.
    """
    t = np.asarray(track_t_s, dtype=np.float64)
    xy = np.asarray(track_xy, dtype=np.float64).reshape(-1, 2)
    cells = np.asarray(cell_xy0_m, dtype=np.float64).reshape(-1, 2)
    if t.size == 0 or cells.shape[0] == 0:
        return 0.0
    end = np.append(t[1:], t[-1] if until_s is None else max(float(until_s), t[-1]))
    held = np.minimum(end - t, max_gap_s)
    keys = {(int(a), int(b)) for a, b in np.floor(cells / cell_m).astype(np.int64).tolist()}
    ij = np.floor(xy / cell_m).astype(np.int64)
    inside = np.fromiter(((int(a), int(b)) in keys for a, b in ij.tolist()), bool, ij.shape[0])
    return float(held[inside].sum())
