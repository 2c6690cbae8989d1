"""Figures by a client attribute (metrics.md, Slices; ``slices.sql``): admissions, discharges,
completion, disengagement, not disengaged within 90 days and attendance per slice, each rate
with its 95% Wilson interval. The exact figures: what an outside reader may see of them is
``disclosure.tables``'s (``im.slices(..., suppress=K)``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .intervals import wilson
from .query import Con, Query, run

if TYPE_CHECKING:
    import pandas as pd


SLICES = ("payer", "primary_substance", "referral_source", "sex", "age_band")


SLICE_RATES = {  # rate: (numerator, denominator), each with a 95% Wilson interval
    "completion_rate": ("completed", "discharges"),
    "disengaged_rate": ("disengaged", "discharges"),
    "retention_90d": ("retained_90d", "retention_trials"),
    "attendance_rate": ("attended", "client_scheduled"),
}


SLICE_DISCHARGE = ("completed", "completion_rate", "disengaged")


SLICE_COUNTS = (
    "admissions",
    "discharges",
    "completed",
    "disengaged",
    "retention_trials",
    "retained_90d",
    "attended",
    "client_scheduled",
)


SLICE_COLUMNS = tuple(
    c for r, (x, _) in SLICE_RATES.items() for c in (x, r, f"{r}_ci_low", f"{r}_ci_high")
)


# the columns of discharges by a client attribute (``census.discharges(..., by=...)``)
DISCHARGE_SLICE_COLUMNS = (
    "slice",
    "discharges",
    *(c for c in SLICE_COLUMNS if c.startswith(SLICE_DISCHARGE)),
)


def _with_intervals(df: pd.DataFrame) -> pd.DataFrame:
    """Each slice rate followed by its 95% Wilson interval (None where it is undefined)."""
    out = df.copy()
    for rate, (x, n) in SLICE_RATES.items():
        bounds = [wilson(int(a), int(b)) for a, b in zip(df[x], df[n], strict=True)]
        at = int(out.columns.get_loc(rate)) + 1  # type: ignore[arg-type]
        out.insert(at, f"{rate}_ci_low", [lo for lo, _ in bounds])
        out.insert(at + 1, f"{rate}_ci_high", [hi for _, hi in bounds])
        out[[f"{rate}_ci_low", f"{rate}_ci_high"]] = out[
            [f"{rate}_ci_low", f"{rate}_ci_high"]
        ].astype("float64")
    return out


def slices(con: Con, q: Query, *, by: str) -> pd.DataFrame:
    """Admissions, discharges, completion, disengagement, not disengaged within 90 days (a
    yes/no, not the report's estimated 90-day retention) and attendance by a client attribute,
    each rate with its numerator, denominator and 95% Wilson interval.

    ``by`` is one of payer, primary_substance, referral_source, sex, age_band. Disengaged
    discharges are dropped_out or terminated ones in the period; not disengaged within 90 days
    counts the retention cohort's episodes whose 90 days have passed by as_of
    (``retention_trials``), retained unless discharged disengaged within 90 days.

    Examples
    --------
    >>> from iop_metrics.periods import parse_period
    >>> from iop_metrics.ingest.sample import example_connection
    >>> df = slices(example_connection(), Query.of(parse_period("2026-05")), by="age_band")
    >>> df[["slice", "admissions", "attendance_rate"]]
       slice  admissions  attendance_rate
    0  26-34           1              0.0
    1  45-54           1              1.0
    """
    if by not in SLICES:
        raise ValueError(f"by must be one of {SLICES}")
    return _with_intervals(run(con, "slices", q, extra={"attribute": by}))
