"""What every chart shares: the width and colours, the count titles the suppression test reads,
``to_svg``, the grey "suppressed" / "no data" marks of hidden slots, and the tiles' sparkline.

altair is imported here, once, with the optional modules it does not need hidden
(``iop_metrics.imports``); the section modules take ``alt`` from here.
"""

from __future__ import annotations

import re

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
    "Episodes (numerator)",
    "Of episodes (denominator)",
)


# A mark container with no mark in it (a layer whose every value was hidden or missing, such as
# the census bars of an external report where all 24 are suppressed): Vega still gives it the
# role graphics-symbol, with nothing to name it by, which axe-core reports as a serious
# svg-img-alt. It draws nothing, so it is hidden from assistive technology instead.
EMPTY_MARKS = re.compile(r'(<g\b[^>]*?) role="graphics-symbol"([^>]*?(?:/>|></g>))')


def to_svg(chart: alt.TopLevelMixin, k: int = 0) -> str:
    """Render a chart to an SVG string (no network, no browser); a layer with no mark is
    hidden from screen readers (``EMPTY_MARKS``). An external copy's (``k`` > 1) keeps its
    data to ``disclosure.precision.DIGITS`` decimals: its labels, tooltips and the positions
    drawn from them tell no more than a rate to 0.1 point."""
    text = spec(chart)
    if k > 1:
        import json

        from ...disclosure.precision import drawn

        whole = json.loads(text)
        whole["datasets"] = drawn(whole.get("datasets", {}))
        text = json.dumps(whole)
    return EMPTY_MARKS.sub(r'\1 aria-hidden="true"\2', vlc.vegalite_to_svg(text))


def spec(chart: alt.TopLevelMixin) -> str:
    """The chart's Vega-Lite JSON as altair writes it, not checked whole against the Vega-Lite
    schema here (altair checks each part as it is built): the check gives the same text and
    took ~0.3 s of the ~2.5 s CPU a report spends on its charts (jsonschema over every nested
    object). The charts are the package's own, so the whole check is a test's:
    tests/test_chart_specs.py checks every chart of the sample's report and the sites funnels."""
    return chart.to_json(validate=False)


SUPPRESSED = "suppressed"
NO_DATA = "no data"


def missing_label(k: int) -> str:
    """What an empty slot of a chart says: "suppressed" in an external report (K > 1), where a
    missing figure was hidden; "no data" in an internal one, which hides nothing."""
    return SUPPRESSED if k else NO_DATA


HIDDEN_FILL = "#d9d9d9"  # a hidden slot's grey, named once in the chart's legend
STATUS = "_status"  # the hidden layer's own field, never one of the chart's columns


def hidden_marks(
    df: pd.DataFrame,
    x: str,
    value: str,
    *,
    sort: list[str] | None = None,
    x_offset: str | None = None,
    x2: str | None = None,
    at: float = 0.0,
    label: str = SUPPRESSED,
) -> alt.Chart | None:
    """The slots whose ``value`` is missing, so a reader sees that a bar or point was left out
    and not that it is 0. In an external report (``label`` "suppressed") each hidden slot is a
    grey band the height of the plot, named once in the legend ("suppressed"); in an internal
    one, which hides nothing, an empty slot reads "no data", written upward from ``at``. Only
    the slot's name goes into the layer's data: no figure of a hidden cell is carried.
    ``x2``: the column where a quantitative slot ends."""
    keys = [c for c in (x.split(":")[0], x_offset, x2) if c]
    hidden = df.loc[df[value].isna(), keys].drop_duplicates()
    if hidden.empty:
        return None
    enc: dict = {"x": alt.X(x, sort=sort) if sort else alt.X(x)}
    if x_offset:
        enc["xOffset"] = alt.XOffset(f"{x_offset}:N")
    if label == SUPPRESSED:
        if x2:
            enc["x2"] = alt.X2(f"{x2}:Q")
        colour = alt.Color(
            f"{STATUS}:N",
            title=None,
            scale=alt.Scale(domain=[SUPPRESSED], range=[HIDDEN_FILL]),
            legend=alt.Legend(orient="bottom", symbolType="square"),
        )
        return (
            alt.Chart(hidden.assign(**{STATUS: SUPPRESSED}))
            .mark_rect(opacity=0.6)
            .encode(color=colour, **enc)
        )
    return (
        alt.Chart(hidden.assign(**{STATUS: label}))
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
        .encode(text=alt.Text(f"{STATUS}:N"), y=alt.datum(at), **enc)
    )


def with_hidden_cells(base: alt.Chart, cells: alt.Chart, text: alt.Chart, value: str):
    """A heat map's ``cells`` and ``text`` (layers of ``base``) with its hidden cells (``value``
    missing) grey, named once in the legend ("suppressed") and carrying no mark of their own;
    as before when none is hidden."""
    if base.data[value].notna().all():  # type: ignore[union-attr]
        return alt.layer(cells, text)
    colour = alt.Color(
        f"{STATUS}:N",
        title=None,
        scale=alt.Scale(domain=[SUPPRESSED], range=[HIDDEN_FILL]),
        legend=alt.Legend(orient="bottom", symbolType="square"),
    )
    grey = (
        base.transform_filter(f"!isValid(datum['{value}'])")
        .transform_calculate(**{STATUS: f"'{SUPPRESSED}'"})
        .mark_rect()
        .encode(color=colour)
    )
    return alt.layer(grey, cells, text).resolve_scale(color="independent")


def _with_hidden(chart: alt.TopLevelMixin, marks: alt.Chart | None) -> alt.TopLevelMixin:
    """``chart`` with the marks of its hidden slots: grey bands behind it, on a colour scale
    of their own (the chart's legend stays its own), or "no data" words over it."""
    if marks is None:
        return chart
    layers = list(chart.layer) if isinstance(chart, alt.LayerChart) else [chart]
    if marks.mark.type != "rect":  # type: ignore[union-attr]
        return alt.layer(*layers, marks)
    size = next(
        {"width": c.width, "height": c.height}
        for c in (chart, *layers)
        if c.width is not alt.Undefined
    )
    return alt.layer(marks.properties(**size), alt.layer(*layers)).resolve_scale(
        color="independent"
    )


def monthly_rates(
    df: pd.DataFrame,
    months: list[str],
    hidden: list[str],
    colours: dict[str, str],
    *,
    x_title: str,
    y_title: str,
    unit: str,
) -> alt.TopLevelMixin:
    """Monthly rates, one line per ``measure`` coloured by ``colours`` (``month``, ``rate``,
    with ``numerator`` and ``denominator`` of ``unit`` in the tooltip); a month in ``hidden``
    (every rate suppressed) keeps its slot, marked "suppressed"."""
    order = list(colours)
    lines = (
        alt.Chart(df[df["rate"].notna()], width=WIDTH, height=200)
        .mark_line(point=alt.OverlayMarkDef(size=50, filled=True))
        .encode(
            x=alt.X("month:O", title=x_title, scale=alt.Scale(domain=months)),
            y=alt.Y(
                "rate:Q", title=y_title, axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])
            ),
            color=alt.Color(
                "measure:N",
                title=None,
                sort=order,
                scale=alt.Scale(domain=order, range=list(colours.values())),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("month:O", title="Month"),
                alt.Tooltip("measure:N", title="Measure"),
                alt.Tooltip("rate:Q", title="Rate", format=".1%"),
                alt.Tooltip("numerator:Q", title=f"{unit} (numerator)", format=","),
                alt.Tooltip("denominator:Q", title=f"Of {unit.lower()} (denominator)", format=","),
            ],
        )
    )
    slots = pd.DataFrame({"month": months, "value": [None if m in hidden else 1 for m in months]})
    return _with_hidden(lines, hidden_marks(slots, "month:O", "value", at=0.0))


def too_little(shown: int, total: int, k: int) -> bool:
    """Whether an external chart has almost nothing left to draw once its hidden slots are
    left out: fewer than 2 of its ``total`` slots shown, or fewer than a quarter. The report
    then says so in words instead (an internal report, which hides nothing, always draws).

    >>> too_little(1, 8, 11), too_little(1, 24, 11), too_little(4, 14, 11), too_little(1, 8, 0)
    (True, True, False, False)
    """
    return bool(k) and total > 0 and (shown < 2 or 4 * shown < total)


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
