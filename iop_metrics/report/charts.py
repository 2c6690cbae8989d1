"""DataFrame -> altair Chart. No queries here; hidden (suppressed) values are missing and not drawn.

Charts are rendered to static SVG by vl-convert inside the kernel, so a report
needs no JavaScript and no network to show them.
"""

from __future__ import annotations

import pandas as pd
import vl_convert as vlc

from ..contract import DISCHARGE_REASONS
from ..imports import UNUSED, hidden

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
TOP_HOURS = 20  # the hours histogram's last bar: 20 hours or more (dosage_hours.sql)


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


def pchart(df: pd.DataFrame, *, missing: str = SUPPRESSED) -> alt.TopLevelMixin:
    """Monthly attendance rate with centre line and 3-sigma limits; flagged months in red."""
    base = alt.Chart(df, width=WIDTH, height=220).encode(x=alt.X("month:O", title=None))
    limits = base.mark_area(opacity=0.18, color=GREY).encode(
        y=alt.Y(
            "lcl:Q", title="Attendance rate", axis=alt.Axis(format="%"), scale=alt.Scale(zero=False)
        ),
        y2="ucl:Q",
    )
    centre = base.mark_line(color=GREY, strokeDash=[4, 3]).encode(y="centre:Q")
    line = base.mark_line(color=BLUE).encode(y=_pct("attendance_rate", "Attendance rate"))
    points = base.mark_point(filled=True, size=60).encode(
        y="attendance_rate:Q",
        color=alt.condition("datum.flag", alt.value(RED), alt.value(BLUE)),
        tooltip=[alt.Tooltip("month:O"), alt.Tooltip("attendance_rate:Q", format=".1%")],
    )
    layers = [limits, centre, line, points]
    if df["centre"].notna().any() and (
        marks := hidden_marks(
            df,
            "month:O",
            "attendance_rate",
            at=float(df["centre"].dropna().iloc[0]),
            label=missing,
        )
    ):
        layers.append(marks)
    return alt.layer(*layers)


def bar_rate(
    df: pd.DataFrame,
    key: str,
    rate: str,
    title: str,
    *,
    sort: list[str] | None = None,
    label: str | None = None,
    missing: str = SUPPRESSED,
) -> alt.TopLevelMixin:
    """Bars of a rate by category (``key``, shown as the column ``label`` when given, the code
    staying in the tooltip); hidden categories keep their slot, marked ``missing``."""
    name = label or key
    shown = df[df[rate].notna()]
    order = sort or [
        *shown.sort_values(rate, ascending=False)[name],
        *sorted(df.loc[df[rate].isna(), name]),
    ]
    tips = [alt.Tooltip(f"{key}:N")]
    if label:
        tips = [alt.Tooltip(f"{label}:N", title="Name"), alt.Tooltip(f"{key}:N", title="Code")]
    bars = (
        alt.Chart(shown[list(dict.fromkeys([name, key, rate]))], width=WIDTH // 2 - 40, height=180)
        .mark_bar(color=BLUE)
        .encode(
            x=alt.X(
                f"{name}:N",
                title=None,
                sort=order,
                scale=alt.Scale(domain=order),
                axis=alt.Axis(labelAngle=-40, labelLimit=140),
            ),
            y=_pct(rate, title),
            tooltip=[*tips, alt.Tooltip(f"{rate}:Q", format=".1%", title=title)],
        )
    )
    return _with_hidden(bars, hidden_marks(df, f"{name}:N", rate, sort=order, label=missing))


def hours_histogram(df: pd.DataFrame, *, missing: str = SUPPRESSED) -> alt.TopLevelMixin:
    """Client-weeks by hours attended on a quantitative hours axis (one bar per whole hour,
    ``hours_bin`` to ``hours_bin + 1``, the last one 20 or more), stacked by threshold group,
    with the ASAM line of each group drawn where it applies: 9 hours (adults), 6 (adolescents)."""
    groups = {9: "Adults (9 h)", 6: "Adolescents (6 h)"}
    df = df.assign(
        group=df["threshold_hours"].map(groups),
        bin_end=df["hours_bin"] + 1,
        mid=df["hours_bin"] + 0.5,
        hours=df["hours_bin"].map(lambda h: f"{h}+" if h >= TOP_HOURS else f"{h} to {h + 1}"),
    )
    order = [groups[t] for t in sorted(groups, reverse=True)]
    colour = alt.Color(
        "group:N", title=None, sort=order, scale=alt.Scale(domain=order, range=[GREEN, BLUE])
    )
    x = alt.X(
        "hours_bin:Q",
        bin=alt.Bin(binned=True, step=1),
        title=f"Hours attended in the week (one bar per hour; the last is {TOP_HOURS} or more)",
        scale=alt.Scale(domain=[0, TOP_HOURS + 1]),
        axis=alt.Axis(
            values=list(range(TOP_HOURS + 1)),
            labelOverlap=False,
            labelExpr=f"datum.value >= {TOP_HOURS} ? '{TOP_HOURS}+' : datum.label",
        ),
    )
    bars = (
        alt.Chart(df, width=WIDTH, height=160)
        .mark_bar(stroke="white", strokeWidth=0.5)
        .encode(
            x=x,
            x2="bin_end:Q",
            y=alt.Y("client_weeks:Q", title="Client-weeks", stack="zero"),
            color=colour,
            tooltip=[
                alt.Tooltip("group:N", title="Threshold"),
                alt.Tooltip("hours:N", title="Hours"),
                alt.Tooltip("client_weeks:Q", title="Client-weeks"),
            ],
        )
    )
    present = sorted({int(t) for t in df["threshold_hours"].dropna()}, reverse=True)
    lines = pd.DataFrame(
        {
            "threshold": present,
            "group": [groups[t] for t in present],
            "text": [f"ASAM {t}-hour line" for t in present],
            "align": ["left" if t == max(groups) else "right" for t in present],
        }
    )
    rules = (
        alt.Chart(lines)
        .mark_rule(strokeDash=[5, 3], strokeWidth=2)
        .encode(x="threshold:Q", color=colour)
    )
    labels = [  # the adults' label right of its line, the adolescents' left of theirs
        alt.Chart(lines[lines["align"] == side])
        .mark_text(align=side, baseline="top", dx=4 if side == "left" else -4, fontSize=11)
        .encode(x="threshold:Q", y=alt.value(2), text="text:N", color=colour)
        for side in ("left", "right")
        if (lines["align"] == side).any()
    ]
    marks = hidden_marks(df, "mid:Q", "client_weeks", label=missing)
    return alt.layer(bars, rules, *labels, *([marks] if marks is not None else []))


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
            x="month:O",
            y=alt.Y("active_at_end:Q", title="Episodes"),
            color=colour,
            tooltip=[alt.Tooltip("month:O"), alt.Tooltip("active_at_end:Q", title="Active at end")],
        )
    )
    marks = hidden_marks(long, "month:O", "n", x_offset="what", label=missing)
    return alt.layer(bars, active) if marks is None else alt.layer(bars, active, marks)


def flow_matrix(df: pd.DataFrame, title: str) -> alt.TopLevelMixin:
    """Heat map of discharges from-level x to-level, by level name (``from_name``, ``to_name``;
    the codes in the tooltip), in the codes' order; hidden cells are blank and labelled '–'."""
    df = df.assign(label=df["n"].map(lambda v: "–" if pd.isna(v) else f"{v:.0f}"))
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
    text = base.mark_text(fontSize=11).encode(text="label:N")
    return alt.layer(heat, text).properties(title=title)


def retention_curve(df: pd.DataFrame) -> alt.TopLevelMixin:
    df = df[df["day"] <= 180]
    base = alt.Chart(df, width=WIDTH, height=240).encode(
        x=alt.X("day:Q", title="Days since admission")
    )
    band = base.mark_area(opacity=0.2, color=BLUE, interpolate="step-after").encode(
        y=_pct("ci_low", "Still engaged"), y2="ci_high:Q"
    )
    line = base.mark_line(color=BLUE, interpolate="step-after").encode(y="retention:Q")
    marks_df = df[df["day"].isin([30, 60, 90])]
    marks = (
        alt.Chart(marks_df)
        .mark_point(filled=True, size=70, color=RED)
        .encode(
            x="day:Q",
            y="retention:Q",
            tooltip=[alt.Tooltip("day:Q"), alt.Tooltip("retention:Q", format=".1%")],
        )
    )
    labels = (
        alt.Chart(marks_df)
        .mark_text(dy=-12, color=RED)
        .encode(x="day:Q", y="retention:Q", text=alt.Text("retention:Q", format=".0%"))
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
        .encode(y=alt.Y("label:N", sort=list(df["label"])), x=alt.datum(0), text="text:N")
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
        .encode(y="label:N", x=alt.datum(0), text="text:N")
    )
    return alt.layer(bars, marks)


def band_shift(df: pd.DataFrame) -> alt.TopLevelMixin:
    """Severity band at the first score (rows) against the band at the last (columns): the
    number of courses in each cell (``start``, ``end``, ``n``; a hidden cell has no number)."""
    bands = list(dict.fromkeys(df["band_order"]))
    base = alt.Chart(df, width=WIDTH // 3, height=WIDTH // 3).encode(
        y=alt.Y("start:N", title="Band at the first score", sort=bands),
        x=alt.X("end:N", title="Band at the last score", sort=bands),
    )
    cells = base.mark_rect().encode(
        color=alt.Color("n:Q", title="Courses", scale=alt.Scale(scheme="blues")),
        tooltip=[alt.Tooltip("start:N"), alt.Tooltip("end:N"), alt.Tooltip("n:Q")],
    )
    text = base.mark_text(fontSize=11).encode(text="label:N")
    return alt.layer(cells, text)


OUTCOME_TREND_COLOURS = {"Reliable improvement": BLUE, "Recovery": GREEN}


def outcome_trend(df: pd.DataFrame, months: list[str], hidden: list[str]) -> alt.TopLevelMixin:
    """Reliable improvement and recovery by the month the courses ended: one line each
    (``month``, ``measure``, ``rate``, with ``numerator`` and ``denominator`` in the tooltip);
    a month in ``hidden`` (both rates suppressed) keeps its slot, marked "suppressed"."""
    order = list(OUTCOME_TREND_COLOURS)
    shown = df[df["rate"].notna()]
    x = alt.X("month:O", title="Month the course ended", scale=alt.Scale(domain=months))
    y = alt.Y(
        "rate:Q",
        title="Share of courses",
        axis=alt.Axis(format="%"),
        scale=alt.Scale(domain=[0, 1]),
    )
    lines = (
        alt.Chart(shown, width=WIDTH, height=200)
        .mark_line(point=alt.OverlayMarkDef(size=50, filled=True))
        .encode(
            x=x,
            y=y,
            color=alt.Color(
                "measure:N",
                title=None,
                sort=order,
                scale=alt.Scale(domain=order, range=list(OUTCOME_TREND_COLOURS.values())),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("month:O", title="Month"),
                alt.Tooltip("measure:N", title="Measure"),
                alt.Tooltip("rate:Q", title="Rate", format=".1%"),
                alt.Tooltip("numerator:Q", title="Courses (numerator)", format=","),
                alt.Tooltip("denominator:Q", title="Of courses (denominator)", format=","),
            ],
        )
    )
    slots = pd.DataFrame({"month": months, "value": [None if m in hidden else 1 for m in months]})
    return _with_hidden(lines, hidden_marks(slots, "month:O", "value", at=0.0))
