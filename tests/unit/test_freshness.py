"""Freshness derived from the declared period grain."""

from __future__ import annotations

import datetime as dt

from quality.freshness import assess, period_end


def test_monthly_data_is_due_twenty_days_after_month_end():
    on_time = assess("2026-10", "month", dt.date(2026, 11, 29))
    assert not on_time.overdue and on_time.latest_due == "2026-10"
    early = assess("2026-09", "month", dt.date(2026, 11, 15))  # October not due until 20 November
    assert not early.overdue and early.latest_due == "2026-09"
    late = assess("2026-09", "month", dt.date(2026, 11, 29))
    assert late.overdue and late.days_late == 9 and late.due_date == dt.date(2026, 11, 20)


def test_an_annual_opd_table_overdue_by_months():
    state = assess("2024", "year", dt.date(2026, 11, 29))
    assert state.latest_due == "2025" and state.overdue
    assert state.days_late == (dt.date(2026, 11, 29) - dt.date(2026, 4, 30)).days


def test_lateness_counts_from_the_first_missing_period():
    state = assess("2025-12", "month", dt.date(2026, 11, 29))
    assert state.days_late == (dt.date(2026, 11, 29) - dt.date(2026, 2, 20)).days


def test_daily_grace_and_custom_grace():
    assert not assess("2026-11-27", "day", dt.date(2026, 11, 29)).overdue
    assert assess("2026-11-25", "day", dt.date(2026, 11, 29)).days_late == 1  # 26th was due on the 28th
    assert not assess("2026-09", "month", dt.date(2026, 11, 29), grace_days=60).overdue
    assert assess(None, "month", dt.date(2026, 11, 29)).overdue


def test_period_end():
    assert period_end("2024-02", "month") == dt.date(2024, 2, 29)
    assert period_end("2025-12", "month") == dt.date(2025, 12, 31)
    assert period_end("2025", "year") == dt.date(2025, 12, 31)
