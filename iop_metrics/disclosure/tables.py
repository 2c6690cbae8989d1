"""The analyst's tables as an outside reader may see them: figures by a client attribute
(``compute.slices``), discharges by an attribute (``compute.census.discharges``) and the
12-month series (``compute.series.monthly_series``), each protected as one model.

These are ``im.slices``, ``im.discharges`` and ``im.monthly_series``: with ``suppress`` = K > 1,
a table's counts are cells tied by the arithmetic a reader can do on it (each column sums to
the program's figure, which a reader may know from the report; a rate is its numerator over
its denominator, so the denominator less the numerator is a count too; a row's reasons are
parts of its discharges; the months of a trend carry the census over), and ``model.protect``
decides what to hide over them, as it does for a report. No count of 1..K-1 is shown, nor
one that can be worked out from the ones shown; a rate or interval built on a hidden count
is hidden with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..compute import census, series
from ..compute import slices as exact
from ..compute.slices import DISCHARGE_SLICE_COLUMNS, SLICE_COUNTS, SLICE_RATES
from .model import COMPLEMENTARY, RATE, SMALL, Cells, is_small, protect

if TYPE_CHECKING:
    import pandas as pd

    from ..compute.query import Con, Query

# The parts of a slice row's count that the row shows, besides the rates' numerators: the
# discharges not completed nor disengaged (the other reasons) are a count too.
SLICE_PARTS = (("discharges", ("completed", "disengaged")),)


@dataclass(frozen=True)
class Frame:
    """How a shared frame's counts add up: its count columns, its rates (rate -> numerator,
    denominator columns of the same row), the parts a row's count holds (count -> part
    columns; the rest is a count of its own), and whether each count column sums to a
    total a reader may know (the program's figure, in the report)."""

    counts: tuple[str, ...]
    rates: tuple[tuple[str, str, str], ...] = ()
    parts: tuple[tuple[str, tuple[str, ...]], ...] = ()
    totals: bool = True


SLICE_FRAME = Frame(
    SLICE_COUNTS, tuple((r, n, d) for r, (n, d) in SLICE_RATES.items()), SLICE_PARTS
)
TOTAL = "total"  # the cells a reader may know beside a frame's rows: f"{TOTAL}.{column}"


def frame_cells(df: pd.DataFrame, spec: Frame) -> Cells:
    """A frame's counts as cells (``row.column``, row by position) tied by ``spec``'s sums:
    ``total.column`` = the column's sum (published: a reader may know it), each rate's
    ``~row.rate:rest`` = denominator - numerator and each part's ``~row.count:other`` = the
    count less its parts (not published, but counts all the same, so protected).

    >>> import pandas as pd
    >>> c = frame_cells(pd.DataFrame({"n": [37, 5]}), Frame(("n",)))
    >>> c.values, c.exact
    ({'0.n': 37, '1.n': 5, 'total.n': 42}, ({'total.n': -1, '0.n': 1, '1.n': 1},))
    """
    values: dict[str, int] = {}
    exact: list[dict[str, int]] = []
    for i, row in enumerate(df[list(spec.counts)].to_dict("records")):
        mine = {c: int(v) for c, v in row.items() if v == v and v is not None}  # NaN: undefined
        values.update({f"{i}.{c}": v for c, v in mine.items()})
        for rate, num, den in spec.rates:
            if num in mine and den in mine:
                rest = f"~{i}.{rate}:rest"
                values[rest] = mine[den] - mine[num]
                exact.append({f"{i}.{den}": -1, f"{i}.{num}": 1, rest: 1})
        for whole, parts in spec.parts:
            if whole in mine and all(p in mine for p in parts):
                other = f"~{i}.{whole}:other"
                values[other] = mine[whole] - sum(mine[p] for p in parts)
                exact.append({f"{i}.{whole}": -1, **{f"{i}.{p}": 1 for p in parts}, other: 1})
    if spec.totals:
        for c in spec.counts:
            cells = [f"{i}.{c}" for i in range(len(df)) if f"{i}.{c}" in values]
            if cells:
                values[f"{TOTAL}.{c}"] = sum(values[x] for x in cells)
                exact.append({f"{TOTAL}.{c}": -1, **dict.fromkeys(cells, 1)})
    published = frozenset(c for c in values if not c.startswith("~"))
    return Cells(values, published, tuple(exact))


def protect_frame(df: pd.DataFrame, k: int, spec: Frame) -> dict[tuple[int, str], str]:
    """Which cells of a shared frame to hide under ``k``, with why: ``(row position, column)``
    -> ``small``, ``complementary`` or ``rate`` (``model.protect`` over ``frame_cells``). A
    column's total of K or more is known to a reader (the report shows it), never hidden:
    when the model would hide one, the column's nonzero cells are hidden instead, and when
    that is not enough, every nonzero count of the frame (hiding more only widens what a
    reader can allow; zeros stay shown, as a reader is told).

    >>> import pandas as pd
    >>> df = pd.DataFrame({"a": [37, 30], "s": [40, 60], "r": [37 / 40, 0.5]})
    >>> protect_frame(df, 11, Frame(("a", "s"), (("r", "a", "s"),), totals=False))
    {(0, 'a'): 'complementary', (0, 'r'): 'rate'}
    """
    if k <= 1:
        return {}
    cells = frame_cells(df, spec)
    forced: dict[str, str] = {}
    done: set[str] = set()  # the columns hidden whole

    def hide_whole(cols: set[str]) -> None:
        done.update(cols)
        for c, v in cells.values.items():
            if v and not c.startswith(("~", f"{TOTAL}.")) and c.split(".", 1)[1] in cols:
                forced[c] = SMALL if 0 < v < k else COMPLEMENTARY

    while True:
        reasons = protect(cells, k, forced=forced)
        # a total of k or more may be shown elsewhere (a small one is hidden there too)
        known = {
            c.split(".", 1)[1]
            for c in reasons
            if c.startswith(f"{TOTAL}.") and not is_small(cells.values[c], k)
        }
        if not known - done and (not known or done >= set(spec.counts)):
            break
        # its column instead; when that is not enough, every column (then all it can)
        hide_whole(known - done if known - done else set(spec.counts))
    out: dict[tuple[int, str], str] = {}
    for c, why in reasons.items():
        row, col = c.split(".", 1)
        if row != TOTAL:
            out[(int(row), col)] = why
    for rate, num, den in spec.rates:
        for i in range(len(df)):
            if (i, num) in out or (i, den) in out:
                out[(i, rate)] = RATE
    return dict(sorted(out.items()))


def suppress_frame(
    df: pd.DataFrame,
    k: int,
    *,
    counts: tuple[str, ...],
    rates: dict[str, tuple[str, str]] | None = None,
    across_rows: bool = True,
) -> pd.DataFrame:
    """A table or chart's data with what ``protect_frame`` hides under ``k`` missing: its
    counts (``counts``; with ``across_rows``, each column sums to a total a reader may know),
    its rates (``rates``: rate -> numerator, denominator columns; the denominator less the
    numerator is a count too) and the rates built on hidden counts. Hidden cells become
    missing values, so a chart does not draw them.

    >>> import pandas as pd
    >>> df = pd.DataFrame({"n": [30, 4, 25, 40]})
    >>> suppress_frame(df, 11, counts=("n",))["n"].tolist()
    [30.0, nan, nan, 40.0]
    """
    spec = Frame(counts, tuple((r, n, d) for r, (n, d) in (rates or {}).items()), (), across_rows)
    out = _hidden(df, protect_frame(df, k, spec))
    for c in counts:
        out[c] = out[c].astype("float64")
    return out


def slices(con: Con, q: Query, *, by: str, suppress: int = 0) -> pd.DataFrame:
    """``compute.slices.slices`` (admissions, discharges, completion, disengagement, not
    disengaged within 90 days and attendance by a client attribute, each rate with its
    numerator, denominator and 95% Wilson interval), suppressed under ``suppress``.

    ``suppress`` = K > 1 protects the table as one model (``protect_frame``): counts of 1..K-1
    are hidden, and so are the further counts that would let one be worked out (a column
    sums to the program's figure; attended 37 of 40 scheduled gives away the 3 not
    attended), and the rates and intervals built on hidden counts. A hidden count is
    ``<NA>`` (counts stay integers), and every hidden cell of a row is named in its
    ``suppressed`` column, so a hidden rate can be told from an undefined one (NaN: no
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
    """A slices frame as ``protect_frame`` leaves it under ``k``: hidden counts ``<NA>``, the
    rates and intervals built on them missing, and a ``suppressed`` column naming each row's
    hidden cells."""
    hidden = _hidden(df, protect_frame(df, k, SLICE_FRAME))
    for rate in SLICE_RATES:  # an interval goes with its rate
        for bound in ("ci_low", "ci_high"):
            hidden[f"{rate}_{bound}"] = hidden[f"{rate}_{bound}"].mask(hidden[rate].isna())
    gone = hidden.isna() & df.notna()
    for c in SLICE_COUNTS:
        hidden[c] = hidden[c].astype("Int64")
    names = [", ".join(c for c in df.columns if row[c]) for _, row in gone.iterrows()]
    hidden["suppressed"] = names
    return hidden


def _hidden(df: pd.DataFrame, reasons: dict[tuple[int, str], str]) -> pd.DataFrame:
    """``df`` with the cells ``reasons`` names missing (their columns as floats)."""
    out = df.copy()
    for col in dict.fromkeys(c for _, c in reasons):
        rows = [i for i, c in reasons if c == col]
        values = out[col].astype("float64")
        values.iloc[rows] = float("nan")
        out[col] = values
    return out


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
    each), suppressed under ``suppress``: the frame protected as the report protects its
    trends (``suppress.suppress_report`` over the frame alone: the census carried from month
    to month, each rate with its numerator and denominator, the 90-day estimate with its
    cohort), hidden cells missing, and each month's retention cohort to the nearest ten, as an
    external report prints it (``precision.COARSE``)."""
    from .suppress import suppress_report

    df = series.monthly_series(con, q, shared=shared)
    k = suppress if suppress > 1 else 0
    if not k:
        return df
    _, _, _, frames = suppress_report({}, k, derived={}, tables={"monthly": df})
    return frames["monthly"]
