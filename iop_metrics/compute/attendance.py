"""Attendance and dosage (metrics.md, Attendance; Dosage): ``attendance.sql``,
``dosage_weeks.sql`` and ``dosage.sql`` (which reads the client-weeks as ``detail``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .query import Con, Query, run

if TYPE_CHECKING:
    import pandas as pd


def attendance(con: Con, q: Query, *, by: str = "all") -> pd.DataFrame:
    """Session counts by status and the attendance and no-show rates, grouped ``by`` one of
    ``all``, ``service_type``, ``weekday``, ``track``, ``site``, ``week``, ``month``."""
    allowed = ("all", "service_type", "weekday", "track", "site", "week", "month")
    if by not in allowed:
        raise ValueError(f"by must be one of {allowed}")
    return run(con, "attendance", q, extra={"by": by})


def dosage_weeks(con: Con, q: Query) -> pd.DataFrame:
    """One row per client-week: hours attended against the 9 (6) hour ASAM threshold."""
    return run(con, "dosage_weeks", q)


def dosage(con: Con, q: Query) -> pd.DataFrame:
    """Client-weeks, those meeting the threshold, their share and the median hours."""
    return run(con, "dosage", q)
