"""When a job is due: every N seconds, daily at a local time, weekly on a day at a local time.

Pure functions of a UTC instant and the bureau's time zone. ``latest_slot(now)`` is the newest
slot at or before ``now`` (the one a scheduler that wakes late still runs, once); ``next_slot``
the first after it. Daily and weekly slots are local wall-clock times (Asia/Shanghai has no
daylight saving; elsewhere a time skipped by a change is taken as the zone's ``fold`` gives it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

__all__ = ["DailyAt", "Every", "Schedule", "WeeklyAt"]

_EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
_DAYS_ZH = "一二三四五六日"
_DAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class Every:
    """Every ``interval_s`` seconds, on multiples of it since 2000-01-01 UTC."""

    interval_s: int

    def latest_slot(self, now: dt.datetime, tz: ZoneInfo) -> dt.datetime:
        n = int((now - _EPOCH).total_seconds() // self.interval_s)
        return _EPOCH + dt.timedelta(seconds=n * self.interval_s)

    def next_slot(self, now: dt.datetime, tz: ZoneInfo) -> dt.datetime:
        return self.latest_slot(now, tz) + dt.timedelta(seconds=self.interval_s)

    def describe(self, lang: str) -> str:
        s = self.interval_s
        if s % 3600 == 0:
            return f"每 {s // 3600} 小时" if lang == "zh-CN" else f"every {s // 3600} h"
        if s % 60 == 0:
            return f"每 {s // 60} 分钟" if lang == "zh-CN" else f"every {s // 60} min"
        return f"每 {s} 秒" if lang == "zh-CN" else f"every {s} s"


@dataclass(frozen=True)
class DailyAt:
    """Every day at ``hour:minute`` local time."""

    hour: int
    minute: int = 0

    def _at(self, day: dt.date, tz: ZoneInfo) -> dt.datetime:
        local = dt.datetime.combine(day, dt.time(self.hour, self.minute), tz)
        return local.astimezone(dt.UTC)

    def latest_slot(self, now: dt.datetime, tz: ZoneInfo) -> dt.datetime:
        today = now.astimezone(tz).date()
        slot = self._at(today, tz)
        return slot if slot <= now else self._at(today - dt.timedelta(days=1), tz)

    def next_slot(self, now: dt.datetime, tz: ZoneInfo) -> dt.datetime:
        return self._at(self.latest_slot(now, tz).astimezone(tz).date() + dt.timedelta(1), tz)

    def describe(self, lang: str) -> str:
        hm = f"{self.hour:02d}:{self.minute:02d}"
        return f"每天 {hm}" if lang == "zh-CN" else f"daily at {hm}"


@dataclass(frozen=True)
class WeeklyAt:
    """Every week on ``weekday`` (0 = Monday) at ``hour:minute`` local time."""

    weekday: int
    hour: int
    minute: int = 0

    def _at(self, day: dt.date, tz: ZoneInfo) -> dt.datetime:
        local = dt.datetime.combine(day, dt.time(self.hour, self.minute), tz)
        return local.astimezone(dt.UTC)

    def latest_slot(self, now: dt.datetime, tz: ZoneInfo) -> dt.datetime:
        today = now.astimezone(tz).date()
        day = today - dt.timedelta(days=(today.weekday() - self.weekday) % 7)
        slot = self._at(day, tz)
        return slot if slot <= now else self._at(day - dt.timedelta(days=7), tz)

    def next_slot(self, now: dt.datetime, tz: ZoneInfo) -> dt.datetime:
        day = self.latest_slot(now, tz).astimezone(tz).date() + dt.timedelta(days=7)
        return self._at(day, tz)

    def describe(self, lang: str) -> str:
        hm = f"{self.hour:02d}:{self.minute:02d}"
        if lang == "zh-CN":
            return f"每周{_DAYS_ZH[self.weekday]} {hm}"
        return f"weekly, {_DAYS_EN[self.weekday]} at {hm}"


Schedule = Every | DailyAt | WeeklyAt
