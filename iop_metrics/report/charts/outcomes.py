"""The outcomes section's charts: reliable change by instrument, the shift of severity bands
and the monthly trend of reliable improvement and recovery. Hidden values are marked."""

from __future__ import annotations

import pandas as pd

from . import base
from .base import BLUE, GREEN, GREY, SUPPRESSED, WIDTH, alt

CHANGE_COLOURS = {"Improved reliably": "#2c7fb8", "No reliable change": "#bdbdbd"}
CHANGE_COLOURS["Deteriorated reliably"] = "#d95f0e"


def change_bars(df: pd.DataFrame, *, missing: str = SUPPRESSED) -> alt.TopLevelMixin:
    """One stacked bar per instrument (``label``): the shares of its paired courses that
    improved reliably, did not change reliably, deteriorated reliably (``category``,
    ``share``); an instrument whose shares are hidden reads ``missing``."""
    order = list(CHANGE_COLOURS)
    hidden = df.loc[df["share"].isna(), ["label"]].drop_duplicates()
    bars = (
        alt.Chart(df[df["share"].notna()], width=WIDTH // 2, height=30 * df["label"].nunique())
        .mark_bar()
        .encode(
            y=alt.Y("label:N", title=None),
            x=alt.X(
                "share:Q",
                title="Share of courses paired on the instrument",
                stack="zero",
                scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format="%"),
            ),
            color=alt.Color(
                "category:N",
                title=None,
                sort=order,
                scale=alt.Scale(domain=order, range=list(CHANGE_COLOURS.values())),
                legend=alt.Legend(orient="bottom"),
            ),
            order=alt.Order("rank:Q"),
            tooltip=[
                alt.Tooltip("label:N"),
                alt.Tooltip("category:N"),
                alt.Tooltip("share:Q", format=".0%"),
            ],
        )
        .transform_calculate(rank=f"indexof({order!r}, datum.category)")
    )
    if hidden.empty:
        return bars
    marks = (
        alt.Chart(hidden.assign(text=missing))
        .mark_text(align="left", dx=4, fontSize=10, fontStyle="italic", color=GREY)
        .encode(y=alt.Y("label:N"), x=alt.datum(0), text=alt.Text("text:N"))
    )
    return alt.layer(bars, marks)


def band_shift(df: pd.DataFrame) -> alt.TopLevelMixin:
    """Severity band at the first score (rows) against the band at the last (columns): the
    number of courses in each cell (``start``, ``end``, ``n``, its ``label``); a hidden cell is
    grey, named once in the legend."""
    bands = list(dict.fromkeys(df["band_order"]))
    grid = alt.Chart(df, width=WIDTH // 3, height=WIDTH // 3).encode(
        y=alt.Y("start:N", title="Band at the first score", sort=bands),
        x=alt.X("end:N", title="Band at the last score", sort=bands),
    )
    cells = grid.mark_rect().encode(
        color=alt.Color("n:Q", title="Courses", scale=alt.Scale(scheme="blues")),
        tooltip=[alt.Tooltip("start:N"), alt.Tooltip("end:N"), alt.Tooltip("n:Q")],
    )
    text = grid.mark_text(fontSize=11).encode(text=alt.Text("label:N"))
    return base.with_hidden_cells(grid, cells, text, "n")


OUTCOME_TREND_COLOURS = {"Reliable improvement": BLUE, "Recovery": GREEN}


def outcome_trend(df: pd.DataFrame, months: list[str], hidden: list[str]) -> alt.TopLevelMixin:
    """Reliable improvement and recovery by the month the courses ended: one line each
    (``month``, ``measure``, ``rate``, with ``numerator`` and ``denominator`` in the tooltip);
    a month in ``hidden`` (both rates suppressed) keeps its slot, marked "suppressed"."""
    return base.monthly_rates(
        df,
        months,
        hidden,
        OUTCOME_TREND_COLOURS,
        x_title="Month the course ended",
        y_title="Share of courses",
        unit="Courses",
    )
