"""A cache of the answers pages ask for, by (scope, filters, local day).

Answers are kept per process for :data:`ANSWER_TTL_S` seconds, keyed by what the caller
gives (its scope and filters), the bureau's local day and
:func:`pingan.aggregates.service.generation` (which moves when this process writes counts), so
a page opened again, or by another user of the same scope, is answered from memory; other
processes' writes show within the TTL. At most :data:`CACHE_MAX` answers are kept (least
recently used first out). Errors are not kept.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from pingan.aggregates.service import generation
from pingan.config import get_settings

__all__ = ["ANSWER_TTL_S", "CACHE_MAX", "cached", "clear_cache"]

ANSWER_TTL_S = 60.0
CACHE_MAX = 256

_CACHE: OrderedDict[tuple[Any, ...], tuple[float, Any]] = OrderedDict()
_CACHE_LOCK = threading.Lock()


def clear_cache() -> None:
    """Forget every kept answer (tests; a rebuild of the counts)."""
    with _CACHE_LOCK:
        _CACHE.clear()


def cached(key: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
    """The answer kept for ``key`` (plus the local day and this process's count generation)
    if computed less than :data:`ANSWER_TTL_S` ago, else ``compute()``, kept. O(1) on a hit."""
    tz = ZoneInfo(get_settings().timezone)
    full = (*key, dt.datetime.now(tz).date(), generation())
    now = time.monotonic()
    with _CACHE_LOCK:
        hit = _CACHE.get(full)
        if hit is not None and now - hit[0] < ANSWER_TTL_S:
            _CACHE.move_to_end(full)
            return hit[1]
    value = compute()
    with _CACHE_LOCK:  # young from when it is ready (a slow answer is not born stale)
        _CACHE[full] = (time.monotonic(), value)
        while len(_CACHE) > CACHE_MAX:
            _CACHE.popitem(last=False)
    return value
