"""Evaluation periods in local time (Asia/Shanghai): ``2026Q3``, ``2026-07``, ``2026H1``,
``2026`` or an explicit ``2026-07-01..2026-09-30`` (both days included)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from pingan.errors import Invalid

__all__ = ["LOCAL_TZ", "Period", "parse_period"]

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
_Q = re.compile(r"^(\d{4})Q([1-4])$")
_H = re.compile(r"^(\d{4})H([12])$")
_M = re.compile(r"^(\d{4})-(\d{2})$")
_Y = re.compile(r"^(\d{4})$")
_R = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")
_HELP = "use 2026Q3, 2026-07, 2026H1, 2026 or 2026-07-01..2026-09-30"


def _add_months(d: dt.date, months: int) -> dt.date:
    m = d.month - 1 + months
    return dt.date(d.year + m // 12, m % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    """A period of whole local days, ``first``..``last`` inclusive."""

    label: str
    kind: str  # month, quarter, half, year, custom
    first: dt.date
    last: dt.date

    @property
    def start(self) -> dt.datetime:
        """Local midnight starting ``first``, in UTC."""
        return dt.datetime.combine(self.first, dt.time(), LOCAL_TZ).astimezone(dt.UTC)

    @property
    def end(self) -> dt.datetime:
        """Local midnight after ``last``, in UTC (exclusive)."""
        nxt = self.last + dt.timedelta(days=1)
        return dt.datetime.combine(nxt, dt.time(), LOCAL_TZ).astimezone(dt.UTC)

    @property
    def months(self) -> int:
        return {"month": 1, "quarter": 3, "half": 6, "year": 12}.get(self.kind, 0)

    def shift(self, steps: int) -> Period:
        """The period ``steps`` periods later (negative: earlier) of the same kind; a custom
        period moves by its own length in days."""
        if self.kind == "custom":
            days = (self.last - self.first).days + 1
            first = self.first + dt.timedelta(days=days * steps)
            last = self.last + dt.timedelta(days=days * steps)
            return Period(f"{first.isoformat()}..{last.isoformat()}", "custom", first, last)
        first = _add_months(self.first, self.months * steps)
        return _calendar(self.kind, first)

    def last_year(self) -> Period:
        """The same days one year earlier (29 February becomes 28 February)."""

        def back(d: dt.date) -> dt.date:
            try:
                return d.replace(year=d.year - 1)
            except ValueError:
                return d.replace(year=d.year - 1, day=28)

        if self.kind == "custom":
            first, last = back(self.first), back(self.last)
            return Period(f"{first.isoformat()}..{last.isoformat()}", "custom", first, last)
        return _calendar(self.kind, back(self.first))


def _calendar(kind: str, first: dt.date) -> Period:
    months = {"month": 1, "quarter": 3, "half": 6, "year": 12}[kind]
    last = _add_months(first, months) - dt.timedelta(days=1)
    y = first.year
    label = {
        "month": f"{y}-{first.month:02d}",
        "quarter": f"{y}Q{(first.month - 1) // 3 + 1}",
        "half": f"{y}H{(first.month - 1) // 6 + 1}",
        "year": f"{y}",
    }[kind]
    return Period(label, kind, first, last)


def parse_period(text: str, *, field: str = "period") -> Period:
    """Parse a period label; ``Invalid`` naming ``field`` for anything else."""
    s = (text or "").strip().upper()
    try:
        if m := _Q.match(s):
            return _calendar("quarter", dt.date(int(m[1]), 3 * int(m[2]) - 2, 1))
        if m := _H.match(s):
            return _calendar("half", dt.date(int(m[1]), 6 * int(m[2]) - 5, 1))
        if m := _M.match(s):
            return _calendar("month", dt.date(int(m[1]), int(m[2]), 1))
        if m := _Y.match(s):
            return _calendar("year", dt.date(int(m[1]), 1, 1))
        if m := _R.match(s):
            first, last = dt.date.fromisoformat(m[1]), dt.date.fromisoformat(m[2])
            if last < first:
                raise Invalid(field, f"the end {last.isoformat()} is before the start {first}")
            if (last - first).days > 3660:
                raise Invalid(field, "a period may span at most 10 years")
            return Period(f"{first.isoformat()}..{last.isoformat()}", "custom", first, last)
    except ValueError as exc:
        raise Invalid(field, f"{text!r} is not a valid period ({exc}); {_HELP}") from None
    raise Invalid(field, f"{text!r} is not a period; {_HELP}")
