"""The metrics document (metrics.md, the JSON document) and its rate table.

Every figure is computed by the SQL in ``iop_metrics/compute/sql`` (one metric, one file),
through one module per family beside it: ``census``, ``attendance`` (and dosage),
``retention``, ``transitions`` (and inflow, continuity), ``slices``, ``outcomes``; ``query``
holds ``Query``, ``Scope`` and ``run``. This module puts the headline figures together
(``document``, ``rates``); a family's functions are imported from their own module.

``document`` is built from plain rows and never imports pandas; the functions that return
DataFrames convert the engine's rows above the boundary.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from ..contract import DISCHARGE_REASONS
from .intervals import wilson
from .query import Con, Query, records
from .retention import retention_curve, retention_summary
from .transitions import determined

if TYPE_CHECKING:
    import pandas as pd


def _pick(row: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {k: row[k] for k in keys}


ATTENDANCE_KEYS = (
    "scheduled",
    "attended",
    "no_show",
    "cancelled_client",
    "cancelled_program",
    "attendance_rate",
    "no_show_rate",
)


def document(con: Con, q: Query, *, retention: dict[str, Any] | None = None) -> dict[str, Any]:
    """Every headline figure as the JSON document of metrics.md.

    ``retention`` is ``retention_summary(con, q)`` when the caller already has it.

    Examples
    --------
    >>> from iop_metrics.ingest.sample import example_connection
    >>> from iop_metrics.periods import parse_period
    >>> doc = document(example_connection(), Query.of(parse_period("2026-05")))
    >>> doc["census"]["admissions"], doc["census"]["active_at_end"]
    (2, 1)
    >>> round(doc["retention"]["day_30"], 3), doc["transitions"]["pending"], doc["inflow"]["direct"]
    (0.667, 1, 1)

    A level, site or track no episode has is a ``ValueError`` (``coverage.ScopeError``)
    naming the known codes, not a document of zeros.
    """
    from .coverage import check_query
    from .outcomes import outcomes_key
    from .recovery import follow_up, noms

    check_query(con, q)
    p = q.period

    def one(name: str) -> dict[str, Any]:
        return records(con, name, q)[0]

    att = records(con, "attendance", q, extra={"by": "all"})
    dis = one("discharges")
    tra = one("transitions")
    ret = retention if retention is not None else retention_summary(con, q)
    return {
        "period": {
            "label": p.label,
            "start": p.start.isoformat(),
            "end": p.end.isoformat(),
            "as_of": q.as_of.isoformat(),
        },
        "scope": q.scope.as_dict(),
        "census": one("census"),
        # No session in the period: counts are 0 and the rates undefined.
        "attendance": _pick(att[0], ATTENDANCE_KEYS)
        if att
        else {k: (None if k.endswith("rate") else 0) for k in ATTENDANCE_KEYS},
        "dosage": one("dosage"),
        "discharges": {
            "total": dis["total"],
            "by_reason": {r: dis[r] for r in DISCHARGE_REASONS},
            "completion_rate": dis["completion_rate"],
            "median_length_of_stay_days": dis["median_length_of_stay_days"],
        },
        "retention": {
            "cohort_start": (p.end - dt.timedelta(days=364)).isoformat(),
            "cohort_end": p.end.isoformat(),
            **_pick(
                ret,
                ("cohort_admissions", "day_30", "day_60", "day_90", "initiated_14d", "engaged_34d"),
            ),
        },
        "transitions": {
            "window_days": q.window_days,
            **_pick(tra, ("step_down", "step_up", "lateral", "no_next_care", "pending")),
            "by_next_level": {e["level"]: e["n"] for e in tra["by_next_level"] or []},
            "median_gap_days_step_down": tra["median_gap_days_step_down"],
        },
        "inflow": one("inflow"),
        "continuity": one("continuity"),
        "outcomes": outcomes_key(con, q),
        "noms": noms(con, q),
        "follow_up": follow_up(con, q),
    }


RATE_PARTS: tuple[tuple[str, str, str, str], ...] = (
    # (rate key in the document, label, numerator key, denominator key); "~" = derived count
    ("attendance.attendance_rate", "Attendance rate", "attendance.attended", "~client_scheduled"),
    ("attendance.no_show_rate", "No-show rate", "attendance.no_show", "~client_scheduled"),
    (
        "dosage.share_meeting_threshold",
        "Client-weeks meeting the ASAM threshold",
        "dosage.client_weeks_meeting_threshold",
        "dosage.client_weeks",
    ),
    (
        "discharges.completion_rate",
        "Completion rate",
        "discharges.by_reason.completed",
        "discharges.total",
    ),
    ("retention.initiated_14d", "Initiation within 14 days", "~initiated", "~initiation_eligible"),
    ("retention.engaged_34d", "Engagement within 34 days", "~engaged", "~engagement_eligible"),
    (
        "transitions.step_down_rate",
        "Step-down rate (of determined outcomes)",
        "transitions.step_down",
        "~determined",
    ),
    (
        "continuity.rate_7d",
        "Continuity within 7 days",
        "continuity.followed_up_7d",
        "~continuity_den_7d",
    ),
    (
        "continuity.rate_14d",
        "Continuity within 14 days",
        "continuity.followed_up_14d",
        "~continuity_den_14d",
    ),
    ("outcomes.paired_rate", "Paired scores (of courses)", "outcomes.paired", "outcomes.courses"),
    (
        "outcomes.reliable_improvement_rate",
        "Reliable improvement",
        "outcomes.reliable_improvement",
        "outcomes.paired",
    ),
    (
        "outcomes.reliable_deterioration_rate",
        "Reliable deterioration",
        "outcomes.reliable_deterioration",
        "outcomes.paired",
    ),
    ("outcomes.recovery_rate", "Recovery", "outcomes.recovery", "outcomes.at_caseness"),
    (
        "outcomes.reliable_recovery_rate",
        "Reliable recovery",
        "outcomes.reliable_recovery",
        "outcomes.at_caseness",
    ),
    (
        "outcomes.measured_at_intake_rate",
        "Measured at intake (day 0-13)",
        "outcomes.measured_at_intake",
        "outcomes.intake_eligible",
    ),
    (
        "outcomes.measured_last_30d_rate",
        "Measured in the last 30 days",
        "outcomes.measured_last_30d",
        "outcomes.open_30d",
    ),
)


def derived_counts(doc: dict[str, Any], ret: dict[str, Any]) -> dict[str, int]:
    """Counts behind the document's rates that the document does not list itself."""
    a, c, t = doc["attendance"], doc["continuity"], doc["transitions"]
    return {
        "~client_scheduled": a["attended"] + a["no_show"] + a["cancelled_client"],
        "~continuity_den_7d": c["residential_discharges"] - c["pending_7d"],
        "~continuity_den_14d": c["residential_discharges"] - c["pending_14d"],
        "~determined": determined(t),
        "~initiated": ret["initiated"],
        "~initiation_eligible": ret["initiation_eligible"],
        "~engaged": ret["engaged"],
        "~engagement_eligible": ret["engagement_eligible"],
    }


def rates(con: Con, q: Query) -> pd.DataFrame:
    """Every headline rate with its numerator, denominator and 95% interval.

    Proportions get a Wilson score interval; the 30/60/90-day retention estimates get
    the Kaplan-Meier curve's Greenwood band.

    Examples
    --------
    >>> from iop_metrics.ingest.sample import example_connection
    >>> from iop_metrics.periods import parse_period
    >>> df = rates(example_connection(), Query.of(parse_period("2026-05")))
    >>> df.loc[df.figure == "discharges.completion_rate", ["numerator", "denominator", "rate"]]
       numerator  denominator  rate
    3          1            2   0.5
    """
    ret = retention_summary(con, q)
    return rate_table(document(con, q, retention=ret), ret, retention_curve(con, q))


def rate_table(doc: dict[str, Any], ret: dict[str, Any], curve: pd.DataFrame) -> pd.DataFrame:
    """``rates`` from figures already computed: the document, ``retention_summary`` and the
    retention curve."""
    import pandas as pd

    from .formats import figure_at

    extra = derived_counts(doc, ret)

    def value(key: str) -> Any:
        return extra[key] if key.startswith("~") else figure_at(doc, key)

    rows = []
    for key, label, num, den in RATE_PARTS:
        x, n = value(num), value(den)
        low, high = wilson(x, n)
        rows.append(
            {
                "figure": key,
                "label": label,
                "numerator": x,
                "denominator": n,
                "rate": x / n if n else None,
                "ci_low": low,
                "ci_high": high,
                "interval": "Wilson",
            }
        )
    curve = curve.set_index("day")
    for n_days in (30, 60, 90):
        r = doc["retention"][f"day_{n_days}"]
        at = curve.index[curve.index <= n_days]
        band = curve.loc[at.max()] if len(at) else None
        rows.append(
            {
                "figure": f"retention.day_{n_days}",
                "label": f"Estimated {n_days}-day retention",
                "numerator": None,
                "denominator": doc["retention"]["cohort_admissions"],
                "rate": r,
                "ci_low": None if band is None else float(band["ci_low"]),
                "ci_high": None if band is None else float(band["ci_high"]),
                "interval": "Greenwood (Kaplan-Meier)",
            }
        )
    return pd.DataFrame(rows).astype({"numerator": "Int64", "denominator": "Int64"})
