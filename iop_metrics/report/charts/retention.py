"""The retention and continuity sections' charts: the retention curve with its band, discharge
reasons beside the references, and the rates of follow-up as horizontal bars."""

from __future__ import annotations

import pandas as pd

from ...contract import DISCHARGE_REASONS
from .base import BLUE, GREY, RED, SUPPRESSED, WIDTH, _pct, alt


def retention_curve(
    df: pd.DataFrame, points: dict[int, float] | None = None, *, places: int = 1
) -> alt.TopLevelMixin:
    """The curve with its band, points at 30, 60 and 90 days: the curve's own, or ``points``
    (day -> retention, the document's figures) when the curve is drawn in pooled steps; their
    tooltips print ``places`` decimals of a percent (``ReportData.km_places``)."""
    df = df[df["day"] <= 180]
    base = alt.Chart(df, width=WIDTH, height=240).encode(
        x=alt.X("day:Q", title="Days since admission")
    )
    band = base.mark_area(opacity=0.2, color=BLUE, interpolate="step-after").encode(
        y=_pct("ci_low", "Still engaged"), y2=alt.Y2("ci_high:Q")
    )
    line = base.mark_line(color=BLUE, interpolate="step-after").encode(y=alt.Y("retention:Q"))
    if points is None:
        marks_df = df[df["day"].isin([30, 60, 90])]
    else:
        marks_df = pd.DataFrame({"day": list(points), "retention": list(points.values())})
    marks = (
        alt.Chart(marks_df)
        .mark_point(filled=True, size=70, color=RED)
        .encode(
            x=alt.X("day:Q"),
            y=alt.Y("retention:Q"),
            tooltip=[alt.Tooltip("day:Q"), alt.Tooltip("retention:Q", format=f".{places}%")],
        )
    )
    labels = (
        alt.Chart(marks_df)
        .mark_text(dy=-12, color=RED)
        .encode(
            x=alt.X("day:Q"), y=alt.Y("retention:Q"), text=alt.Text("retention:Q", format=".0%")
        )
    )
    return alt.layer(band, line, marks, labels)


def reasons_vs_reference(shares: pd.DataFrame) -> alt.Chart:
    """Shares of discharges by reason (``label``; the TEDS-D code, ``reason``, in the tooltip),
    this period beside each reference."""
    order = list(dict.fromkeys(shares.set_index("reason").loc[list(DISCHARGE_REASONS), "label"]))
    return (
        alt.Chart(shares, width=WIDTH // 2, height=200)
        .mark_bar()
        .encode(
            y=alt.Y("label:N", title=None, sort=order, axis=alt.Axis(labelLimit=220)),
            x=alt.X("share:Q", title="Share of discharges", axis=alt.Axis(format="%")),
            yOffset=alt.YOffset("source:N", sort=list(dict.fromkeys(shares["source"]))),
            color=alt.Color(
                "source:N",
                title=None,
                sort=list(dict.fromkeys(shares["source"])),
                scale=alt.Scale(range=[BLUE, GREY, "#a0aec0"]),
                legend=alt.Legend(orient="bottom", direction="vertical", labelLimit=400),
            ),
            tooltip=[
                alt.Tooltip("source:N"),
                alt.Tooltip("label:N", title="Reason"),
                alt.Tooltip("reason:N", title="Code (TEDS-D)"),
                alt.Tooltip("share:Q", format=".1%"),
            ],
        )
    )


def rate_bars(df: pd.DataFrame, title: str, *, missing: str = SUPPRESSED) -> alt.TopLevelMixin:
    """Horizontal bars of rates in [0, 1]; a hidden rate's row reads ``missing``."""
    hidden = df.loc[df["rate"].isna(), ["label"]]
    marks = (
        alt.Chart(hidden.assign(text=missing))
        .mark_text(align="left", dx=4, fontSize=10, fontStyle="italic", color=GREY)
        .encode(y=alt.Y("label:N", sort=list(df["label"])), x=alt.datum(0), text=alt.Text("text:N"))
    )
    bars = (
        alt.Chart(df[df["rate"].notna()], width=WIDTH // 2, height=120)
        .mark_bar(color=BLUE)
        .encode(
            y=alt.Y("label:N", title=None, sort=list(df["label"])),
            x=alt.X(
                "rate:Q", title=title, scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")
            ),
            tooltip=[alt.Tooltip("label:N"), alt.Tooltip("rate:Q", format=".1%")],
        )
    )
    return bars if hidden.empty else alt.layer(bars, marks)
