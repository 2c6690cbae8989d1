"""The attendance section's charts: the attendance p-chart, a rate by category, the weekly hours
histogram with its ASAM lines. Hidden values are missing and marked, never drawn as 0."""

from __future__ import annotations

import pandas as pd

from .base import BLUE, GREEN, GREY, RED, SUPPRESSED, WIDTH, _pct, _with_hidden, alt, hidden_marks

TOP_HOURS = 20  # the hours histogram's last bar: 20 hours or more (dosage_hours.sql)


def pchart(df: pd.DataFrame, *, missing: str = SUPPRESSED) -> alt.TopLevelMixin:
    """Monthly attendance rate with centre line and 3-sigma limits; flagged months in red."""
    base = alt.Chart(df, width=WIDTH, height=220).encode(x=alt.X("month:O", title=None))
    limits = base.mark_area(opacity=0.18, color=GREY).encode(
        y=alt.Y(
            "lcl:Q", title="Attendance rate", axis=alt.Axis(format="%"), scale=alt.Scale(zero=False)
        ),
        y2=alt.Y2("ucl:Q"),
    )
    centre = base.mark_line(color=GREY, strokeDash=[4, 3]).encode(y=alt.Y("centre:Q"))
    line = base.mark_line(color=BLUE).encode(y=_pct("attendance_rate", "Attendance rate"))
    points = base.mark_point(filled=True, size=60).encode(
        y=alt.Y("attendance_rate:Q"),
        color=alt.condition("datum.flag", alt.value(RED), alt.value(BLUE)),
        tooltip=[alt.Tooltip("month:O"), alt.Tooltip("attendance_rate:Q", format=".1%")],
    )
    chart = alt.layer(limits, centre, line, points)
    if not df["centre"].notna().any():
        return chart
    at = float(df["centre"].dropna().iloc[0])
    return _with_hidden(chart, hidden_marks(df, "month:O", "attendance_rate", at=at, label=missing))


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
            x2=alt.X2("bin_end:Q"),
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
        .encode(x=alt.X("threshold:Q"), color=colour)
    )
    labels = [  # the adults' label right of its line, the adolescents' left of theirs
        alt.Chart(lines[lines["align"] == side])
        .mark_text(align=side, baseline="top", dx=4 if side == "left" else -4, fontSize=11)
        .encode(x=alt.X("threshold:Q"), y=alt.value(2), text=alt.Text("text:N"), color=colour)
        for side in ("left", "right")
        if (lines["align"] == side).any()
    ]
    if missing == SUPPRESSED:  # a grey band from the bin's start to its end
        marks = hidden_marks(df, "hours_bin:Q", "client_weeks", x2="bin_end", label=missing)
    else:
        marks = hidden_marks(df, "mid:Q", "client_weeks", label=missing)
    return _with_hidden(alt.layer(bars, rules, *labels), marks)
