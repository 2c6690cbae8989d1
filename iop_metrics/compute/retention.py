"""Retention (metrics.md, Retention): the 12-month admission cohort (``retention_cohort.sql``),
its Kaplan-Meier curve (``retention_curve.sql``) and the summary (``retention.sql``), each
reading the ones before it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .query import Con, Query, records, run

if TYPE_CHECKING:
    import pandas as pd


def retention_cohort(con: Con, q: Query) -> pd.DataFrame:
    """The 12-month admission cohort: (t, event) per episode and early-engagement flags."""
    return run(con, "retention_cohort", q)


def retention_curve(con: Con, q: Query) -> pd.DataFrame:
    """Kaplan-Meier retention R(N) by day with at-risk, events and a 95% Greenwood band."""
    return run(con, "retention_curve", q)


def retention(con: Con, q: Query) -> pd.DataFrame:
    """Cohort size, 30/60/90-day retention, initiation within 14 and engagement within 34 days."""
    return run(con, "retention", q)


def retention_summary(con: Con, q: Query) -> dict[str, Any]:
    """The retention figures with the counts behind initiation and engagement."""
    return records(con, "retention", q)[0]
