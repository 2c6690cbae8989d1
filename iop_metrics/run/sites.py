"""The site comparison page: four rates per site on funnel plots against the program's rate.

For a rate with program value p and a site denominator n the limits are
p ± z·√(p(1−p)/n), clipped to [0, 1], with z = 1.96 (95%) and 3.09 (99.8%). Numerators and
denominators come from each site's metrics document (metrics.md): attendance = attended /
(attended + no-show + client cancellations); completion = completed / discharges; step-down
= step-downs / discharges with a determined outcome (step down, up, lateral, no next care);
90-day retention = the Kaplan–Meier estimate over the 12-month admission cohort, with the
cohort size as its denominator (no numerator: people still in care are censored).

>>> [round(x, 4) for x in limits(0.5, 100, 1.96)]
[0.402, 0.598]
>>> limits(0.9, 4, 3.09)[1]
1.0
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..periods import Period
from ..privacy import is_small

Z95, Z998 = 1.96, 3.09
ORANGE = "#dd6b20"


@dataclass(frozen=True)
class Measure:
    key: str
    title: str
    num_label: str
    den_label: str
    definition: str
    has_numerator: bool = True


MEASURES = (
    Measure(
        "attendance",
        "Attendance rate",
        "Attended",
        "Client-scheduled sessions",
        "Sessions attended of the sessions scheduled that the client could attend "
        "(attended, no-show or cancelled by the client; program cancellations excluded).",
    ),
    Measure(
        "completion",
        "Completion rate",
        "Completed",
        "Discharges",
        "Discharges in the period with reason completed, of all discharges in the period.",
    ),
    Measure(
        "retention",
        "90-day retention",
        "Retained",
        "Admissions in the 12-month cohort",
        "Kaplan–Meier estimate of the share still engaged 90 days after admission, over the "
        "admissions of the 12 months ending with the period. It has no simple numerator (people "
        "still in care are censored); the denominator is the cohort size, and the limits treat "
        "the estimate as a proportion of the cohort, which makes them somewhat narrow where many "
        "are still in care: a site just outside deserves a look, not a conclusion.",
        has_numerator=False,
    ),
    Measure(
        "step_down",
        "Step-down rate",
        "Stepped down",
        "Discharges with a determined outcome",
        "Discharges followed by a lower level of care, of the discharges whose next care is "
        "known (step down, step up, lateral or no next care within the window; pending ones "
        "are left out).",
    ),
)


def limits(p: float, n: int, z: float) -> tuple[float, float]:
    """The funnel limits for program rate ``p`` at denominator ``n``."""
    half = z * math.sqrt(p * (1 - p) / n)
    return max(0.0, p - half), min(1.0, p + half)


def parts(doc: dict[str, Any]) -> dict[str, tuple[int | None, int, float | None]]:
    """(numerator, denominator, rate) of each measure from a metrics document."""
    a, t, d = doc["attendance"], doc["transitions"], doc["discharges"]
    client_scheduled = a["attended"] + a["no_show"] + a["cancelled_client"]
    determined = t["step_down"] + t["step_up"] + t["lateral"] + t["no_next_care"]
    out: dict[str, tuple[int | None, int, float | None]] = {
        "attendance": (a["attended"], client_scheduled, None),
        "completion": (d["by_reason"]["completed"], d["total"], None),
        "retention": (None, doc["retention"]["cohort_admissions"], doc["retention"]["day_90"]),
        "step_down": (t["step_down"], determined, None),
    }
    return {k: (x, n, r if x is None else (x / n if n else None)) for k, (x, n, r) in out.items()}


def table(docs: dict[str, dict[str, Any]], network: dict[str, Any], k: int) -> pd.DataFrame:
    """One row per measure and site with limits and a reading; hidden cells missing."""
    rows = []
    net = parts(network)
    for site, doc in docs.items():
        for key, (x, n, r) in parts(doc).items():
            rows.append({"measure": key, "site": site, "numerator": x, "denominator": n, "rate": r})
    df = pd.DataFrame(rows, columns=["measure", "site", "numerator", "denominator", "rate"])
    df = _suppress(df, k)
    for c in ("lo95", "hi95", "lo998", "hi998"):
        df[c] = None
    df["status"] = ""
    for i, row in df.iterrows():
        p = net[row["measure"]][2]
        n = row["denominator"]
        if p is None or pd.isna(n) or not n or pd.isna(row["rate"]):
            df.at[i, "status"] = "suppressed" if k and pd.isna(n) else "no data"
            continue
        lo95, hi95 = limits(p, int(n), Z95)
        lo998, hi998 = limits(p, int(n), Z998)
        df.loc[i, ["lo95", "hi95", "lo998", "hi998"]] = [lo95, hi95, lo998, hi998]
        rate = float(row["rate"])
        side = "above" if rate > p else "below"
        df.at[i, "status"] = (
            f"outside 99.8% ({side})"
            if not lo998 <= rate <= hi998
            else f"outside 95% ({side})"
            if not lo95 <= rate <= hi95
            else "within limits"
        )
    return df


def _suppress(df: pd.DataFrame, k: int) -> pd.DataFrame:
    """Hide a site's numerator, denominator and rate when any of them (or the complement) is
    1..k-1; a lone hidden site per measure takes the next smallest with it, so that no hidden
    count can be worked out from the program's total."""
    out = df.astype({"numerator": "float64", "denominator": "float64", "rate": "float64"})
    if k <= 1:
        return out
    for key, group in out.groupby("measure"):
        den, num = group["denominator"], group["numerator"]
        small = den.map(lambda v: is_small(int(v), k))
        if key != "retention":
            small |= num.map(lambda v: is_small(int(v), k))
            small |= (den - num).map(lambda v: is_small(int(v), k))
        if small.sum() == 1:
            rest = group.loc[~small & (den > 0), "denominator"]
            if len(rest):
                small = small | (small.index == rest.idxmin())
        out.loc[small[small].index, ["numerator", "denominator", "rate"]] = float("nan")
    return out


def network_row(network: dict[str, Any], key: str, k: int) -> dict[str, Any]:
    x, n, r = parts(network)[key]
    hidden = k > 1 and any(is_small(v, k) for v in (x, n, None if x is None else n - x))
    if hidden:
        return {"numerator": None, "denominator": None, "rate": None}
    return {"numerator": x, "denominator": n, "rate": r}


def chart(df: pd.DataFrame, p: float, title: str, *, n_min: int) -> Any:
    """The funnel plot of one measure: limits by denominator, centre line, one point per site."""
    from ..report.charts import BLUE, GREY, RED, alt

    domain = ["within limits", "outside 95%", "outside 99.8%"]
    colours = alt.Scale(domain=domain, range=[BLUE, ORANGE, RED])

    shown = df.dropna(subset=["rate", "denominator"])
    top = max([int(shown["denominator"].max()) if len(shown) else n_min, n_min]) * 1.15
    grid = sorted({max(n_min, round(n_min + (top - n_min) * (i / 120) ** 2)) for i in range(121)})
    band = pd.DataFrame(
        [
            {"n": n, "lo95": a, "hi95": b, "lo998": c, "hi998": d, "p": p}
            for n in grid
            for (a, b), (c, d) in [(limits(p, n, Z95), limits(p, n, Z998))]
        ]
    )
    x = alt.X("n:Q", title="Denominator", scale=alt.Scale(domainMin=0))
    base = alt.Chart(band, width=420, height=240).encode(x=x)
    outer = base.mark_area(color=GREY, opacity=0.15, interpolate="monotone").encode(
        y=alt.Y("lo998:Q", title=title, axis=alt.Axis(format="%")), y2="hi998:Q"
    )
    inner = base.mark_area(color=GREY, opacity=0.25, interpolate="monotone").encode(
        y="lo95:Q", y2="hi95:Q"
    )
    centre = base.mark_line(color=GREY, strokeDash=[4, 3]).encode(y="p:Q")

    def reading(status: str) -> str:
        return "within limits" if status.startswith("within") else status.split(" (")[0]

    pts = shown.assign(reading=shown["status"].map(reading))
    pts = pts[["site", "denominator", "rate", "reading"]]
    enc = {
        "x": alt.X("denominator:Q", title="Denominator"),
        "y": alt.Y("rate:Q", axis=alt.Axis(format="%")),
    }
    dots = (
        alt.Chart(pts)
        .mark_point(filled=True, size=70)
        .encode(**enc, color=alt.Color("reading:N", scale=colours, legend=None))
    )
    labels = alt.Chart(pts).mark_text(dx=7, align="left", fontSize=11).encode(**enc, text="site:N")
    return alt.layer(outer, inner, centre, dots, labels)


def sentence(df: pd.DataFrame) -> str:
    """Names every site outside the 99.8% limits, or says there is none."""
    titles = {m.key: m.title.lower() for m in MEASURES}
    out = df[df["status"].str.startswith("outside 99.8")]
    if out.empty:
        return (
            "No site is outside the 99.8% limits on any of the four rates: the differences "
            "between sites are within what chance alone produces."
        )
    named = [
        f"{site} ({titles[str(key)]}, {str(status).split('(')[1].rstrip(')')})"
        for site, key, status in zip(out["site"], out["measure"], out["status"], strict=True)
    ]
    return (
        "Outside the 99.8% limits, so differing from the program by more than chance: "
        + "; ".join(named)
        + "."
    )


def write_sites_page(
    db: str | Path,
    period: Period,
    path: Path,
    *,
    sites: tuple[str, ...],
    levels: tuple[str, ...] | None,
    suppress: int,
) -> None:
    """Compute every site's figures from ``db`` and write the comparison page to ``path``."""
    from markupsafe import Markup

    from ..compute import metrics as m
    from ..db import connect
    from ..report.charts import to_svg
    from .pages import render_page, report_css

    k = suppress if suppress > 1 else 0
    con = connect(db)
    try:

        def doc(site: str | None) -> dict[str, Any]:
            return m.document(con, m.Query.of(period, scope=m.Scope(levels, site)))

        network = doc(None)
        docs = {s: doc(s) for s in sites}
    finally:
        con.close()
    df = table(docs, network, k)
    measures = []
    for meas in MEASURES:
        rows = df[df["measure"] == meas.key]
        net = network_row(network, meas.key, k)
        svg = None
        if net["rate"] is not None:
            fig = chart(rows, float(net["rate"]), meas.title, n_min=max(1, k))
            svg = Markup(to_svg(fig))
        records = [
            {c: (None if _na(v) else v) for c, v in r.items()}
            for r in rows.to_dict(orient="records")
        ]
        measures.append({**meas.__dict__, "rows": records, "network": net, "chart": svg})
    page = render_page(
        "sites.html.j2",
        title=f"Sites compared, {period.label}",
        css=report_css(),
        k=k,
        external=bool(k),
        period_label=f"{period.label} ({period.start} – {period.end})",
        levels=", ".join(levels) if levels else "all",
        generated=f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        sentence=sentence(df),
        measures=measures,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(path)


def _na(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA
