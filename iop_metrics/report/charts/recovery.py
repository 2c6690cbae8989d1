"""The recovery sections' charts (recovery.md): each domain's move from admission to discharge
(a dumbbell, the benchmark's beside it), the four follow-up windows, and the 12-month trends.
Hidden values are missing and not drawn; a slot left out is marked."""

from __future__ import annotations

import pandas as pd

from .base import BLUE, GREY, SUPPRESSED, WIDTH, _with_hidden, alt, hidden_marks, monthly_rates

PROGRAM = "This program"
BENCHMARK_GREY = "#a0aec0"
WINDOW_COLOURS = {
    "Reached (response rate)": GREY,
    "No use, of those reached": BLUE,
    "No use, counting everyone not reached as using": "#d95f0e",
}
RECOVERY_TREND_COLOURS = {"Abstinent at discharge": BLUE, "Reached at 3 months": GREY}


def domain_moves(df: pd.DataFrame, *, missing: str = SUPPRESSED) -> alt.TopLevelMixin:
    """One dumbbell per domain and source (``label``, ``source``, ``admission``,
    ``discharge``: shares): a hollow dot at admission, a filled one at discharge, a line
    between, the program first and each benchmark beside it in grey. A program row whose
    shares are hidden (or undefined) reads ``missing``."""
    sources = list(dict.fromkeys(df["source"]))
    colours = [BLUE if s == PROGRAM else BENCHMARK_GREY for s in sources]
    order = list(dict.fromkeys(df["label"]))
    shown = df[df["admission"].notna() & df["discharge"].notna()]
    y = alt.Y("label:N", title=None, sort=order)
    x_scale = alt.Scale(domain=[0, 1])
    colour = alt.Color(
        "source:N",
        title=None,
        sort=sources,
        scale=alt.Scale(domain=sources, range=colours),
        legend=alt.Legend(orient="bottom"),
    )
    tip = [
        alt.Tooltip("label:N", title="Domain"),
        alt.Tooltip("source:N", title="Source"),
        alt.Tooltip("admission:Q", title="At admission", format=".0%"),
        alt.Tooltip("discharge:Q", title="At discharge", format=".0%"),
    ]
    base = alt.Chart(shown, width=WIDTH - 160, height=34 * len(order)).encode(
        y=y, yOffset=alt.YOffset("source:N", sort=sources), color=colour, tooltip=tip
    )
    line = base.mark_rule(strokeWidth=2).encode(
        x=alt.X(
            "admission:Q",
            title="Share positive: hollow at admission, filled at discharge",
            scale=x_scale,
            axis=alt.Axis(format="%"),
        ),
        x2=alt.X2("discharge:Q"),
    )
    start = base.mark_point(size=70, filled=False, strokeWidth=2).encode(
        x=alt.X("admission:Q", scale=x_scale)
    )
    end = base.mark_point(size=70, filled=True, opacity=1).encode(
        x=alt.X("discharge:Q", scale=x_scale)
    )
    layers = [line, start, end]
    hidden = df[(df["source"] == PROGRAM) & (df["admission"].isna() | df["discharge"].isna())]
    if not hidden.empty:
        layers.append(
            alt.Chart(hidden[["label"]].assign(text=missing))
            .mark_text(align="left", dx=4, fontSize=10, fontStyle="italic", color=GREY)
            .encode(y=alt.Y("label:N", sort=order), x=alt.datum(0), text=alt.Text("text:N"))
        )
    return alt.layer(*layers)


def follow_up_windows(df: pd.DataFrame, windows: list[str]) -> alt.TopLevelMixin:
    """The four windows (``window``) left to right: the response rate and abstinence among
    those reached and counting everyone not reached as using (``measure``, ``rate``, with
    ``numerator`` and ``denominator`` in the tooltip); a window whose every rate is hidden keeps
    its slot, marked "suppressed"."""
    order = list(WINDOW_COLOURS)
    shown = df[df["rate"].notna()]
    lines = (
        alt.Chart(shown, width=WIDTH - 260, height=150)
        .mark_line(point=alt.OverlayMarkDef(size=60, filled=True))
        .encode(
            x=alt.X(
                "window:O", title="Window after discharge", scale=alt.Scale(domain=windows),
                axis=alt.Axis(labelAngle=0),
            ),
            y=alt.Y(
                "rate:Q", title="Share", axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1]),
            ),
            color=alt.Color(
                "measure:N",
                title=None,
                sort=order,
                scale=alt.Scale(domain=order, range=list(WINDOW_COLOURS.values())),
                legend=alt.Legend(orient="right", labelLimit=260),
            ),
            tooltip=[
                alt.Tooltip("window:O", title="Window"),
                alt.Tooltip("measure:N", title="Figure"),
                alt.Tooltip("rate:Q", title="Rate", format=".1%"),
                alt.Tooltip("numerator:Q", title="Episodes (numerator)", format=","),
                alt.Tooltip("denominator:Q", title="Of episodes (denominator)", format=","),
            ],
        )
    )  # fmt: skip
    gone = df.groupby("window", sort=False)["rate"].apply(lambda s: s.isna().all())
    slots = pd.DataFrame(
        {"window": windows, "value": [None if gone.get(w) else 1 for w in windows]}
    )
    return _with_hidden(lines, hidden_marks(slots, "window:O", "value", sort=windows, at=0.0))


def recovery_trend(df: pd.DataFrame, months: list[str], hidden: list[str]) -> alt.TopLevelMixin:
    """Abstinent at discharge (by the month the episodes ended) and the 3-month response rate
    (the windows closed in the 12 months ending with the month): one line each (``month``,
    ``measure``, ``rate``, ``numerator``, ``denominator``); a month in ``hidden`` (both rates
    suppressed) keeps its slot, marked "suppressed"."""
    return monthly_rates(
        df,
        months,
        hidden,
        RECOVERY_TREND_COLOURS,
        x_title="Month",
        y_title="Share",
        unit="Episodes",
    )
