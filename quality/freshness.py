"""Freshness from the declared period grain: which period should have arrived by now, and how late it is.

A period is due ``tenggat_hari`` days after it ends (defaults: daily data 2 days, monthly data 20
days — the tax close — and yearly data 120 days, when OPD annual statistics are compiled). The
dataset is overdue when the latest period loaded is older than the latest period already due;
"how late" counts from that due date, so a steward sees e.g. "terlambat 45 hari".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

DEFAULT_GRACE_DAYS = {"day": 2, "month": 20, "year": 120}


@dataclass(frozen=True)
class Freshness:
    latest_loaded: str | None
    latest_due: str
    due_date: dt.date
    days_late: int

    @property
    def overdue(self) -> bool:
        return self.days_late > 0


def period_end(period: str, grain: str) -> dt.date:
    if grain == "year":
        return dt.date(int(period), 12, 31)
    if grain == "month":
        y, m = map(int, period.split("-"))
        return dt.date(y + (m == 12), m % 12 + 1, 1) - dt.timedelta(days=1)
    return dt.date.fromisoformat(period)


def _previous(period: str, grain: str) -> str:
    if grain == "year":
        return str(int(period) - 1)
    if grain == "month":
        y, m = map(int, period.split("-"))
        return f"{y - (m == 1):04d}-{(m - 2) % 12 + 1:02d}"
    return (dt.date.fromisoformat(period) - dt.timedelta(days=1)).isoformat()


def _containing(day: dt.date, grain: str) -> str:
    return {"year": f"{day.year}", "month": f"{day.year:04d}-{day.month:02d}", "day": day.isoformat()}[grain]


def assess(latest_loaded: str | None, grain: str, today: dt.date, grace_days: int | None = None) -> Freshness:
    """How fresh a dataset is on ``today`` given the latest period it holds."""
    grace = DEFAULT_GRACE_DAYS[grain] if grace_days is None else grace_days
    due = _previous(_containing(today, grain), grain)
    while period_end(due, grain) + dt.timedelta(days=grace) > today:
        due = _previous(due, grain)
    due_date = period_end(due, grain) + dt.timedelta(days=grace)
    if latest_loaded is not None and latest_loaded >= due:
        return Freshness(latest_loaded, due, due_date, 0)
    # Late since the first period after the latest loaded one fell due.
    first_missing = due
    while latest_loaded is not None and _previous(first_missing, grain) > latest_loaded:
        first_missing = _previous(first_missing, grain)
    first_due = period_end(first_missing, grain) + dt.timedelta(days=grace)
    return Freshness(latest_loaded, due, due_date, (today - first_due).days)
