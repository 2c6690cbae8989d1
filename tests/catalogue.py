"""Every query the package runs (46: each SQL file, with each grouping of attendance and each
slice), as (file, files it reads, extra parameters): compared across engines and frame paths."""

from __future__ import annotations

from typing import Any

from iop_metrics.compute import outcomes as o
from iop_metrics.compute import recovery as r
from iop_metrics.compute.casemix import OUTCOME_READS, SHARED_READS
from iop_metrics.compute.query import Query
from iop_metrics.compute.slices import SLICES
from iop_metrics.periods import us_federal_holidays

WEEKS = (("detail", "dosage_weeks"),)
QUERIES: list[tuple[str, tuple[tuple[str, str], ...], dict[str, Any]]] = [
    ("census", (), {}),
    ("discharges", (), {}),
    ("length_of_stay_bins", (), {}),
    *[
        ("attendance", (), {"by": by})
        for by in ("all", "service_type", "weekday", "track", "site", "week", "month")
    ],
    ("dosage_weeks", (), {}),
    ("dosage", WEEKS, {}),
    ("dosage_hours", WEEKS, {}),
    ("retention_cohort", (), {}),
    ("retention_curve", (("detail", "retention_cohort"),), {}),
    ("retention", (("detail", "retention_cohort"), ("curve", "retention_curve")), {}),
    ("transitions_detail", (), {}),
    ("transitions", (("detail", "transitions_detail"),), {}),
    ("transition_matrix", (("detail", "transitions_detail"),), {}),
    ("inflow_detail", (), {}),
    ("inflow", (("detail", "inflow_detail"),), {}),
    ("continuity_detail", (), {}),
    ("continuity", (("detail", "continuity_detail"),), {}),
    ("outcomes_ended", (), {}),
    ("outcomes_detail", o.ENDED, {}),
    ("outcomes_episodes", o.DETAIL, {}),
    ("outcomes", o.COURSES, {}),
    ("outcomes_by_instrument", o.DETAIL, {}),
    ("outcomes_cadence", (), {}),
    # recovery (spec recovery.md): admission to discharge, after discharge
    ("noms_detail", r.NOMS_READS, {}),
    ("noms", (*r.NOMS_READS, ("detail", "noms_detail")), {}),
    ("follow_up_detail", r.FOLLOW_UP_READS, {}),
    ("follow_up", r.FOLLOW_UP_READS, {}),
    # the outcome figures of the 12-month trend, by month of discharge
    ("series_outcomes", o.COURSES, {}),
    *[("slices", (), {"attribute": a}) for a in SLICES],
    ("quality", (), {"closed_days": "holidays"}),
    # the case-mix patterns of each adjusted measure of the site comparison
    *[("case_mix_patterns", reads, {}) for reads in OUTCOME_READS.values()],
    *[("case_mix_patterns", reads, {}) for reads in SHARED_READS.values()],
]


def extra_for(q: Query, extra: dict[str, Any]) -> dict[str, Any]:
    """The extra parameters with the period's federal holidays filled in."""
    if extra.get("closed_days") == "holidays":
        return {"closed_days": us_federal_holidays(q.period.start, q.period.end)}
    return extra
