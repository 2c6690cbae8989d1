"""The census-and-flow section's charts: admissions, discharges and census by month, and the
from-level x to-level heat map of discharges. Hidden values are missing and marked."""

from __future__ import annotations

import pandas as pd

from .base import (
    BLUE,
    GREEN,
    GREY,
    SUPPRESSED,
    WIDTH,
    _with_hidden,
    alt,
    hidden_marks,
    with_hidden_cells,
)

CENSUS_LINE = "Active census (end of month)"


def census_trend(df: pd.DataFrame, *, missing: str = SUPPRESSED) -> alt.TopLevelMixin:
    """Admissions and discharges by month (bars) and the census at each month's end (line),
    one legend naming all three."""
    long = df.melt(
        id_vars="month", value_vars=["admissions", "discharges"], var_name="what", value_name="n"
    )
    long["what"] = long["what"].str.capitalize()
    names = ["Admissions", "Discharges", CENSUS_LINE]
    colour = alt.Color(
        "what:N",
        title=None,
        sort=names,
        scale=alt.Scale(domain=names, range=[BLUE, GREY, GREEN]),
        legend=alt.Legend(symbolType="square"),
    )
    bars = (
        alt.Chart(long, width=WIDTH, height=200)
        .mark_bar()
        .encode(
            x=alt.X("month:O", title=None),
            xOffset=alt.XOffset("what:N", sort=names[:2]),
            y=alt.Y("n:Q", title="Episodes"),
            color=colour,
            tooltip=[
                alt.Tooltip("month:O"),
                alt.Tooltip("what:N"),
                alt.Tooltip("n:Q", title="Episodes"),
            ],
        )
    )
    active = (
        alt.Chart(df.assign(what=CENSUS_LINE), width=WIDTH, height=200)
        .mark_line(point=True)
        .encode(
            x=alt.X("month:O"),
            y=alt.Y("active_at_end:Q", title="Episodes"),
            color=colour,
            tooltip=[alt.Tooltip("month:O"), alt.Tooltip("active_at_end:Q", title="Active at end")],
        )
    )
    marks = hidden_marks(long, "month:O", "n", x_offset="what", label=missing)
    return _with_hidden(alt.layer(bars, active), marks)


def flow_matrix(df: pd.DataFrame, title: str) -> alt.TopLevelMixin:
    """Heat map of discharges from-level x to-level, by level name (``from_name``, ``to_name``;
    the codes in the tooltip), in the codes' order; hidden cells are grey, named once in the
    legend."""
    df = df.assign(label=df["n"].map(lambda v: "" if pd.isna(v) else f"{v:.0f}"))
    order = df.sort_values("from_level")["from_name"].drop_duplicates().tolist()
    ends = ("no_next_care", "pending")  # after the levels, in this order
    pairs = dict(zip(df["to_level"], df["to_name"], strict=True))
    columns = [
        pairs[c]
        for c in sorted(pairs, key=lambda c: (c in ends, ends.index(c) if c in ends else 0, c))
    ]
    base = alt.Chart(df, width=alt.Step(52), height=alt.Step(26)).encode(
        x=alt.X(
            "to_name:N",
            title="Went to",
            sort=columns,
            axis=alt.Axis(labelAngle=-35, labelLimit=230),
        ),
        y=alt.Y("from_name:N", title="Discharged from", sort=order, axis=alt.Axis(labelLimit=330)),
    )
    heat = base.mark_rect().encode(
        color=alt.Color("n:Q", title="Discharges (n)", scale=alt.Scale(scheme="blues")),
        tooltip=[
            alt.Tooltip("from_name:N", title="From"),
            alt.Tooltip("from_level:N", title="From (code)"),
            alt.Tooltip("to_name:N", title="To"),
            alt.Tooltip("to_level:N", title="To (code)"),
            alt.Tooltip("n:Q", title="Discharges (n)"),
        ],
    )
    text = base.mark_text(fontSize=11).encode(text=alt.Text("label:N"))
    return with_hidden_cells(base, heat, text, "n").properties(title=title)
