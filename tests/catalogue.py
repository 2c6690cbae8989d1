"""Every query the package runs (56: each SQL file, with each grouping of attendance and each
slice), as (file, binding of the CTEs its header leaves to the caller, extra parameters):
compared across engines and frame paths. What each file reads comes from its header
(``sqlfiles.compose``); ``test_every_file_is_run_here_or_read_by_one`` keeps this list whole."""

from __future__ import annotations

from typing import Any

from iop_metrics.compute.casemix import OUTCOME_FILES, SHARED_FILES
from iop_metrics.compute.query import Query
from iop_metrics.compute.slices import SLICES
from iop_metrics.periods import us_federal_holidays

QUERIES: list[tuple[str, dict[str, str], dict[str, Any]]] = [
    ("census", {}, {}),
    ("discharges", {}, {}),
    ("length_of_stay_bins", {}, {}),
    *[
        ("attendance", {}, {"by": by})
        for by in ("all", "service_type", "weekday", "track", "site", "week", "month")
    ],
    ("dosage_weeks", {}, {}),
    ("dosage", {}, {}),
    ("dosage_hours", {}, {}),
    ("retention_cohort", {}, {}),
    ("retention_curve", {}, {}),
    ("retention", {}, {}),
    ("transitions_detail", {}, {}),
    ("transitions", {}, {}),
    ("transition_matrix", {}, {}),
    ("inflow_detail", {}, {}),
    ("inflow", {}, {}),
    ("continuity_detail", {}, {}),
    ("continuity", {}, {}),
    ("outcomes_ended", {}, {}),
    ("outcomes_detail", {}, {}),
    ("outcomes_episodes", {}, {}),
    ("outcomes", {}, {}),
    ("outcomes_by_instrument", {}, {}),
    ("outcomes_cadence", {}, {}),
    # recovery (spec recovery.md): admission to discharge, after discharge
    ("noms_detail", {}, {}),
    ("noms", {}, {}),
    ("follow_up_detail", {}, {}),
    ("follow_up", {}, {}),
    # the outcome figures of the 12-month trend, by month of discharge
    ("series_outcomes", {}, {}),
    *[("slices", {}, {"attribute": a}) for a in SLICES],
    ("quality", {}, {"closed_days": "holidays"}),
    # the case-mix patterns of each adjusted measure of the site comparison
    *[("case_mix_patterns", {"outcome": f}, {}) for f in OUTCOME_FILES.values()],
    *[("case_mix_patterns", {"outcome": f}, {}) for f in SHARED_FILES.values()],
    # not metrics: what the data covers and the load's records (coverage, the report, a run)
    *[(f"data_{x}", {}, {}) for x in ("first_day", "last_day", "export_day")],
    *[(f"data_{x}", {}, {}) for x in ("levels", "sites", "tracks")],
    *[(f"load_{x}", {}, {}) for x in ("rows", "rejected", "import_report", "provenance")],
]


def extra_for(q: Query, extra: dict[str, Any]) -> dict[str, Any]:
    """The extra parameters with the period's federal holidays filled in."""
    if extra.get("closed_days") == "holidays":
        return {"closed_days": us_federal_holidays(q.period.start, q.period.end)}
    return extra
