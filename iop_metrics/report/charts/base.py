"""What every chart shares: the width and colours, the count titles the suppression test reads,
``to_svg``, the grey "suppressed" / "no data" marks of hidden slots, and the tiles' sparkline.

altair is imported here, once, with the optional modules it does not need hidden
(``iop_metrics.imports``); the section modules take ``alt`` from here.
"""

from __future__ import annotations

import pandas as pd
import vl_convert as vlc

from ...imports import UNUSED, hidden

with hidden(*UNUSED):
    import altair as alt

WIDTH = 640
BLUE, GREY, RED, GREEN = "#2b6cb0", "#718096", "#c53030", "#2f855a"
# Titles of fields that carry counts in chart data (the suppression test reads these).
COUNT_TITLES = (
    "Admissions",
    "Discharges",
    "Active at end",
    "Client-weeks",
    "Discharges (n)",
    "Episodes",
    "admissions",
    "discharges",
    "active_at_end",
    "client_weeks",
    "n",
    "Courses (numerator)",
    "Of courses (denominator)",
)


def to_svg(chart: alt.TopLevelMixin) -> str:
    """Render a chart to an SVG string (no network, no browser)."""
    return vlc.vegalite_to_svg(chart.to_json())


SUPPRESSED = "suppressed"
NO_DATA = "no data"


def missing_label(k: int) -> str:
    """What an empty slot of a chart says: "suppressed" in an external report (K > 1), where a
    missing figure was hidden; "no data" in an internal one, which hides nothing."""
    return SUPPRESSED if k else NO_DATA


def hidden_marks(
    df: pd.DataFrame,
    x: str,
    value: str,
    *,
    sort: list[str] | None = None,
    x_offset: str | None = None,
    at: float = 0.0,
    label: str = SUPPRESSED,
) -> alt.Chart | None:
    """A grey ``label`` ("suppressed", or "no data" in an internal report), written upward from
    ``at``, in every slot whose ``value`` is missing, so a reader sees that a bar or point was
    left out and not that it is 0. Only the slot's name goes into the layer's data: no figure
    of a hidden cell is carried."""
    keys = [c for c in (x.split(":")[0], x_offset) if c]
    hidden = df.loc[df[value].isna(), keys].drop_duplicates()
    if hidden.empty:
        return None
    enc: dict = {"x": alt.X(x, sort=sort) if sort else x, "y": alt.datum(at)}
    if x_offset:
        enc["xOffset"] = f"{x_offset}:N"
    return (
        alt.Chart(hidden.assign(label=label))
        .mark_text(
            angle=270,
            align="left",
            baseline="middle",
            dy=0,
            dx=4,
            fontSize=10,
            fontStyle="italic",
            color=GREY,
        )
        .encode(text="label:N", **enc)
    )


def _with_hidden(chart: alt.Chart, marks: alt.Chart | None) -> alt.TopLevelMixin:
    return chart if marks is None else alt.layer(chart, marks)


def _pct(field: str, title: str) -> alt.Y:
    return alt.Y(f"{field}:Q", title=title, axis=alt.Axis(format="%"))


def sparkline(df: pd.DataFrame, field: str) -> alt.Chart:
    """A tile's 12 months, as a decoration of the figure beside it: its marks carry no ARIA
    roles (an empty layer, every month hidden, would be an image with no name)."""
    enc = alt.Y(f"{field}:Q", axis=None, scale=alt.Scale(zero=False))
    return (
        alt.Chart(df[["month", field]], width=130, height=28)
        .mark_line(color=BLUE, aria=False, point=alt.OverlayMarkDef(size=8, color=BLUE, aria=False))
        .encode(x=alt.X("month:O", axis=None), y=enc)
        .configure_view(stroke=None)
    )
