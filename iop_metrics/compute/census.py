"""Census and discharges (metrics.md, Census; Discharges): ``census.sql``, ``discharges.sql``
and ``length_of_stay_bins.sql``; discharges by a client attribute come from ``slices``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .query import Con, Query, run
from .slices import DISCHARGE_SLICE_COLUMNS, slices

if TYPE_CHECKING:
    import pandas as pd


def census(con: Con, q: Query) -> pd.DataFrame:
    """Active at start and end of the period, admissions, discharges, clients served.

    Examples
    --------
    >>> from iop_metrics.periods import parse_period
    >>> from iop_metrics.ingest.sample import example_connection
    >>> con = example_connection()
    >>> census(con, Query.of(parse_period("2026-05")))[["admissions", "active_at_end"]]
       admissions  active_at_end
    0           2              1
    """
    return run(con, "census", q)


def discharges(con: Con, q: Query, *, by: str | None = None) -> pd.DataFrame:
    """Discharges in the period by TEDS-D reason, completion rate, median length of stay.

    With ``by`` (a client attribute, see ``slices``): one row per slice with its discharges,
    completed and disengaged (dropped_out, terminated) discharges and their rates with 95%
    Wilson intervals, e.g. "which payer group drops out most?".

    >>> from iop_metrics.periods import parse_period
    >>> from iop_metrics.ingest.sample import example_connection
    >>> df = discharges(example_connection(), Query.of(parse_period("2026-05")), by="age_band")
    >>> df[["slice", "discharges", "disengaged", "disengaged_rate"]]
       slice  discharges  disengaged  disengaged_rate
    0  26-34           1           1              1.0
    1  45-54           1           0              0.0
    """
    if by is None:
        return run(con, "discharges", q)
    return slices(con, q, by=by)[list(DISCHARGE_SLICE_COLUMNS)]


def length_of_stay_bins(con: Con, q: Query) -> pd.DataFrame:
    """Discharges in the period by TEDS-D length-of-stay code (los_code 1..37, n)."""
    return run(con, "length_of_stay_bins", q)
