"""The site comparison page's funnels: limits by size around the network's rate, one point per
site coloured by its reading, each site named once beside its point (``report.sites`` gives the
figures, already suppressed)."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from ...compute import comparison as cmp
from .base import BLUE, GREY, RED, alt

ORANGE = "#dd6b20"


def chart(
    df: pd.DataFrame, p: float, *, x: str, y: str, tau2: float, title: str, x_title: str
) -> Any:
    """A funnel: limits p (1 +/- z sqrt((1 - p) / (p x) + tau2)) along x, the centre line p,
    one point per site coloured by its reading (grey: too few)."""
    domain = ["as expected", "possibly", "outside 99.8%", "too few"]
    colours = alt.Scale(domain=domain, range=[BLUE, ORANGE, RED, "#a0aec0"])
    shown = df.dropna(subset=[x, y])
    lo = max(1.0, float(shown[x].min()) * 0.5) if len(shown) else 1.0
    top = (float(shown[x].max()) if len(shown) else 100.0) * 1.15
    grid = [lo + (top - lo) * (i / 120) ** 2 for i in range(121)]
    band = []
    for g in grid:
        v = (1 - p) / (p * g)  # V / E^2 on the binomial funnel at size g
        (a, b), (c, d) = (cmp.limits(p, 1.0, v, tau2, z) for z in (cmp.Z95, cmp.Z998))
        band.append({"x": g, "lo95": a, "hi95": b, "lo998": c, "hi998": d, "p": p})
    xs = alt.X("x:Q", title=x_title, scale=alt.Scale(domainMin=0))
    base = alt.Chart(pd.DataFrame(band), width=330, height=230).encode(x=xs)
    axis = alt.Axis(format="%")
    outer = base.mark_area(color=GREY, opacity=0.15).encode(
        y=alt.Y("lo998:Q", title=title, axis=axis), y2=alt.Y2("hi998:Q")
    )
    inner = base.mark_area(color=GREY, opacity=0.25).encode(y=alt.Y("lo95:Q"), y2=alt.Y2("hi95:Q"))
    centre = base.mark_line(color=GREY, strokeDash=[4, 3]).encode(y=alt.Y("p:Q"))
    group = {"higher": "outside 99.8%", "lower": "outside 99.8%", "too few": "too few"}
    pts = shown.assign(
        x=shown[x],
        y=shown[y],
        reading=[
            group.get(r, "possibly" if r.startswith("possibly") else r) for r in shown["reading"]
        ],
    )[["site", "x", "y", "reading"]]
    enc = {"x": alt.X("x:Q", title=x_title), "y": alt.Y("y:Q", axis=axis, title=title)}
    dots = (
        alt.Chart(pts)
        .mark_point(filled=True, size=70)
        .encode(**enc, color=alt.Color("reading:N", scale=colours, legend=None))
    )
    y_top = max([float(r["hi998"]) for r in band] + [float(v) for v in pts["y"]] + [0.01])
    placed = spread_labels(point_labels(pts), x_span=top, y_span=math.ceil(y_top * 10) / 10)
    # a screen reader hears the point's own rate, not where its label was moved to
    placed["description"] = [
        f"{x_title}: {r.x:.12g}; {title}: {r.y:.6%}; label: {r.label}" for r in placed.itertuples()
    ]
    labels = (
        alt.Chart(placed)
        .mark_text(dx=7, align="left", fontSize=11)
        .encode(
            x=enc["x"],
            y=alt.Y("label_y:Q", axis=axis, title=title),
            text=alt.Text("label:N"),
            description=alt.Description("description:N"),
        )
    )
    return alt.layer(outer, inner, centre, dots, labels)


def point_labels(pts: pd.DataFrame) -> pd.DataFrame:
    """One label per place on a funnel: sites drawn at the same point (the same n and rate)
    are named together, "main, north", instead of over each other.

    >>> import pandas as pd
    >>> pts = pd.DataFrame({"site": ["north", "main", "east"], "x": [20, 20, 30], "y": [0.5] * 3})
    >>> point_labels(pts)[["x", "label"]].to_dict("records")
    [{'x': 20, 'label': 'main, north'}, {'x': 30, 'label': 'east'}]
    >>> point_labels(pts.iloc[:0]).columns.tolist()
    ['x', 'y', 'label']
    """
    names = pts.groupby(["x", "y"], sort=True)["site"].agg(lambda s: ", ".join(sorted(map(str, s))))
    return names.rename("label").reset_index()


def spread_labels(
    labels: pd.DataFrame,
    *,
    x_span: float,
    y_span: float,
    width: float = 330,
    height: float = 230,
    line: float = 13,
    char: float = 6.5,
) -> pd.DataFrame:
    """``labels`` with ``label_y``, where each label is written: at its point, or moved down a
    line at a time until it overlaps no label placed above it (two sites with close rates and
    sizes, "main" and "north", are otherwise printed over each other). Sizes are in pixels of
    the chart (``width`` x ``height`` over ``x_span`` and ``y_span`` of data, from 0).

    >>> df = pd.DataFrame({"x": [70, 72, 20], "y": [0.53, 0.54, 0.53],
    ...                    "label": ["main", "north", "far"]})
    >>> [round(v, 3) for v in spread_labels(df, x_span=100, y_span=1.0)["label_y"]]
    [0.483, 0.54, 0.53]
    """
    out = labels.assign(label_y=labels["y"].astype(float))
    xs, ys = out["x"].astype(float).to_dict(), out["y"].astype(float).to_dict()
    placed: list[tuple[float, float, float]] = []  # left, right, baseline in pixels
    for i in out.sort_values(["y", "x"], ascending=[False, True]).index:
        left = xs[i] / x_span * width + 7
        right = left + len(str(out.at[i, "label"])) * char
        py = (1 - ys[i] / y_span) * height
        moved = True
        while moved:
            moved = False
            for a, b, q in placed:
                if left < b and a < right and abs(py - q) < line - 1e-6:  # float-safe
                    py, moved = q + line, True
        placed.append((left, right, py))
        out.at[i, "label_y"] = (1 - py / height) * y_span
    return out
