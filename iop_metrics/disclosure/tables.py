"""The analyst's tables as an outside reader may see them: figures by a client attribute
(``compute.slices``), discharges by an attribute (``compute.census.discharges``) and the
12-month series (``compute.series.monthly_series``) with their small cells hidden.

These are ``im.slices``, ``im.discharges`` and ``im.monthly_series``: with ``suppress`` = K > 1,
counts of 1..K-1 and the rates (and intervals) built on them are hidden before a table is
shared.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..compute import census, series
from ..compute import slices as exact
from ..compute.series import SERIES_COUNTS, SERIES_RATES
from ..compute.slices import DISCHARGE_SLICE_COLUMNS, SLICE_COUNTS, SLICE_RATES
from .suppress import suppress_frame

if TYPE_CHECKING:
    import pandas as pd

    from ..compute.query import Con, Query


def slices(con: Con, q: Query, *, by: str, suppress: int = 0) -> pd.DataFrame:
    """``compute.slices.slices`` (admissions, discharges, completion, disengagement, not
    disengaged within 90 days and attendance by a client attribute, each rate with its
    numerator, denominator and 95% Wilson interval), suppressed under ``suppress``.

    ``suppress`` = K > 1 hides counts of 1..K-1 and the rates and intervals built on them: a
    hidden count is ``<NA>`` (counts stay integers), and every hidden cell of a row is named in
    its ``suppressed`` column, so a hidden rate can be told from an undefined one (NaN: no
    denominator), which ``suppressed`` does not name.

    Examples
    --------
    >>> from iop_metrics.compute.query import Query
    >>> from iop_metrics.ingest.sample import example_connection
    >>> from iop_metrics.periods import parse_period
    >>> q = Query.of(parse_period("2026-05"))
    >>> slices(example_connection(), q, by="age_band", suppress=3)[["slice", "admissions"]]
       slice  admissions
    0  26-34        <NA>
    1  45-54        <NA>
    """
    df = exact.slices(con, q, by=by)
    return df if suppress <= 1 else hide(df, suppress)


def hide(df: pd.DataFrame, k: int) -> pd.DataFrame:
    """A slices frame with its counts of 1..k-1 hidden, the rates and intervals built on them
    with them, and a ``suppressed`` column naming each row's hidden cells."""
    hidden = suppress_frame(df, k, counts=SLICE_COUNTS, rates=dict(SLICE_RATES))
    for rate in SLICE_RATES:  # an interval goes with its rate
        for bound in ("ci_low", "ci_high"):
            hidden[f"{rate}_{bound}"] = hidden[f"{rate}_{bound}"].mask(hidden[rate].isna())
    gone = hidden.isna() & df.notna()
    for c in SLICE_COUNTS:
        hidden[c] = hidden[c].astype("Int64")
    names = [", ".join(c for c in df.columns if row[c]) for _, row in gone.iterrows()]
    hidden["suppressed"] = names
    return hidden


def discharges(con: Con, q: Query, *, by: str | None = None, suppress: int = 0) -> pd.DataFrame:
    """``compute.census.discharges``; with ``by`` and ``suppress`` = K > 1, the slices'
    discharge columns as ``slices`` hides them, with the ``suppressed`` column."""
    if by is None or suppress <= 1:
        return census.discharges(con, q, by=by)
    return slices(con, q, by=by, suppress=suppress)[[*DISCHARGE_SLICE_COLUMNS, "suppressed"]]


def monthly_series(
    con: Con, q: Query, *, suppress: int = 0, shared: series.Cohorts | None = None
) -> pd.DataFrame:
    """``compute.series.monthly_series`` (the 12 months ending with ``q``'s period, one row
    each), suppressed under ``suppress``: each month's counts of 1..K-1 and the rates built
    on them hidden, month by month (a month's total is not shown beside its rows)."""
    k = suppress if suppress > 1 else 0
    df = series.monthly_series(con, q, shared=shared)
    out = suppress_frame(df, k, across_rows=False, counts=SERIES_COUNTS, rates=SERIES_RATES)
    if k > 1:
        out["day_90"] = out["day_90"].astype("float64").mask(out["cohort"].isna())
    return out
