"""The report's words and tables: HTML fragments built from a ``ReportData``.

Every count is written through ``count()`` (class ``n``) and every rate through
``rate()``, so that suppressed figures show as ``<K`` everywhere and a test can
find every figure in the page.
"""

from __future__ import annotations

import datetime as dt
import html
import math
from typing import Any

import pandas as pd

from .. import __version__
from ..dictionary import COMMON, ENTRIES
from ..periods import Period
from ..privacy import figure_at
from . import charts
from .data import ReportData


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA


def count(v: Any, k: int = 0) -> str:
    """A count for display: suppressed (missing under suppression) shows as ``<K``."""
    if _missing(v):
        return f'<span class="n sup">&lt;{k}</span>' if k else '<span class="n">—</span>'
    return f'<span class="n">{int(v):,}</span>'


def rate(v: Any, k: int = 0, *, hidden: bool = False) -> str:
    if hidden or (k and _missing(v)):
        return '<span class="r sup">suppressed</span>'
    if _missing(v):
        return '<span class="r">—</span>'
    return f'<span class="r">{float(v):.1%}</span>'


def month_name(p: Period) -> str:
    if p.kind == "month":
        return p.start.strftime("%B %Y")
    return p.label


def figure(chart: Any, caption: str) -> str:
    return (
        f'<figure class="chart">{charts.to_svg(chart)}'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
    )


def header(d: ReportData, *, title: str, generated_at: dt.datetime) -> str:
    q, prov = d.query, d.provenance
    scope = q.scope
    levels = ", ".join(scope.levels) if scope.levels else "all levels"
    mode = (
        f"External: small-cell suppression on (no count 1–{d.k - 1} shown; CMS policy)"
        if d.k
        else "Internal: not for distribution outside the program (no suppression)"
    )
    rows = [
        ("Program / site", html.escape(scope.site or "all sites")),
        (
            "Scope",
            f"levels of care {html.escape(levels)}; track "
            f"{html.escape(scope.track or 'all tracks')}",
        ),
        ("Period", f"{html.escape(month_name(q.period))} ({q.period.start} – {q.period.end})"),
        ("As of", q.as_of.isoformat()),
        (
            "Data snapshot",
            f"<code>{html.escape(str(prov.get('snapshot') or '')[:16])}</code>, "
            f"loaded {prov.get('loaded_at')}",
        ),
        ("Generated", f"{generated_at:%Y-%m-%d %H:%M} UTC by iop-metrics {__version__}"),
        ("Distribution", mode),
    ]
    body = "".join(f"<tr><th>{a}</th><td>{b}</td></tr>" for a, b in rows)
    cls = "external" if d.k else "internal"
    return (
        f'<header class="report {cls}"><h1>{html.escape(title)}</h1>'
        f'<table class="meta">{body}</table></header>'
    )


TILES = (
    ("Active census", "census.active_at_end", "active_at_end", False),
    ("Admissions", "census.admissions", "admissions", False),
    ("Discharges", "census.discharges", "discharges", False),
    ("Attendance rate", "attendance.attendance_rate", "attendance_rate", True),
    (
        "Client-weeks at ASAM hours",
        "dosage.share_meeting_threshold",
        "share_meeting_threshold",
        True,
    ),
    ("Completion rate", "discharges.completion_rate", "completion_rate", True),
    ("90-day retention", "retention.day_90", "day_90", True),
    ("Step-down rate", "step_down_rate", "step_down_rate", True),
)


def step_down_rate(doc: dict[str, Any]) -> float | None:
    t = doc["transitions"]
    parts = [t["step_down"], t["step_up"], t["lateral"], t["no_next_care"]]
    if any(_missing(x) for x in parts) or not sum(parts):
        return None
    return t["step_down"] / sum(parts)


def _tile_value(doc: dict[str, Any], key: str) -> Any:
    return step_down_rate(doc) if key == "step_down_rate" else figure_at(doc, key)


def tiles(d: ReportData) -> str:
    prev_label = month_name(d.query.period.previous())
    out = []
    for title, key, series, is_rate in TILES:
        now, before = _tile_value(d.shown, key), _tile_value(d.previous, key)
        shown = rate(now, d.k) if is_rate else count(now, d.k)
        if _missing(now) or _missing(before):
            change = "change not shown"
        elif is_rate:
            change = f"{(now - before) * 100:+.1f} pts vs {prev_label}"
        else:
            change = f"{int(now) - int(before):+,} vs {prev_label}"
        spark = figure(charts.sparkline(d.monthly, series), "12 months")
        gaps = int(d.monthly[series].isna().sum()) if d.k else 0
        gap_note = (
            f'<div class="gaps">{gaps} of {len(d.monthly)} months suppressed (gaps)</div>'
            if gaps
            else ""
        )
        out.append(
            f'<div class="tile"><div class="label">{title}</div>'
            f'<div class="value">{shown}</div><div class="change">{change}</div>'
            f"{spark}{gap_note}</div>"
        )
    return '<section class="tiles">' + "".join(out) + "</section>"


def rates_table(d: ReportData) -> str:
    """Every headline rate with its numerator, denominator and 95% interval."""
    rows = []
    for _, r in d.rates.iterrows():
        interval = (
            "—"
            if _missing(r["ci_low"])
            else f"{r['ci_low']:.1%} – {r['ci_high']:.1%} <small>({r['interval']})</small>"
        )
        if d.k and _missing(r["rate"]):
            interval = '<span class="sup">suppressed</span>'
        num = "" if r["figure"].startswith("retention.day_") else count(r["numerator"], d.k)
        rows.append(
            f"<tr><td>{html.escape(r['label'])}</td><td>{num}</td>"
            f"<td>{count(r['denominator'], d.k)}</td><td>{rate(r['rate'], d.k)}</td>"
            f"<td>{interval}</td></tr>"
        )
    head = (
        "<tr><th>Rate</th><th>Numerator</th><th>Denominator</th><th>Rate</th>"
        "<th>95% interval</th></tr>"
    )
    return (
        f'<details class="rates" open><summary>Every rate with its numerator, denominator '
        f'and 95% interval</summary><table class="data"><thead>{head}</thead>'
        f"<tbody>{''.join(rows)}</tbody></table></details>"
    )


def control_limits(monthly: pd.DataFrame) -> tuple[pd.DataFrame, float | None]:
    """p-chart: centre p = sum attended / sum client-scheduled, limits p +/- 3 sqrt(p(1-p)/n)."""
    df = monthly[["month", "attended", "client_scheduled", "attendance_rate"]].copy()
    ok = df["attended"].notna() & df["client_scheduled"].gt(0)
    if not ok.any():
        return df.assign(centre=None, lcl=None, ucl=None, flag=False), None
    p = float(df.loc[ok, "attended"].sum() / df.loc[ok, "client_scheduled"].sum())
    sigma = (p * (1 - p) / df["client_scheduled"].where(ok)) ** 0.5
    df["centre"] = p
    df["lcl"] = (p - 3 * sigma).clip(lower=0)
    df["ucl"] = (p + 3 * sigma).clip(upper=1)
    df["flag"] = ok & ((df["attendance_rate"] < df["lcl"]) | (df["attendance_rate"] > df["ucl"]))
    return df, p


def attendance_sentence(d: ReportData, limits: pd.DataFrame) -> str:
    a = d.shown["attendance"]
    when = month_name(d.query.period)
    if _missing(a["attendance_rate"]):
        return (
            f"Attendance for {when} cannot be shown "
            f"({'too few sessions to report' if d.k else 'no sessions scheduled'})."
        )
    last = limits.iloc[-1]
    if d.query.period.kind != "month" or _missing(last["lcl"]):
        verdict = ""
    elif last["flag"]:
        side = "below" if last["attendance_rate"] < last["lcl"] else "above"
        verdict = f", {side} its usual range ({last['lcl']:.0%}–{last['ucl']:.0%}): worth a look"
    else:
        verdict = f", within its usual range ({last['lcl']:.0%}–{last['ucl']:.0%})"
    flagged = limits.loc[limits["flag"].astype(bool), "month"].tolist()
    extra = (
        f" Months outside the 3-sigma limits: {', '.join(flagged)}."
        if flagged
        else " No month in the last 12 fell outside the 3-sigma limits."
    )
    n = (
        a["attended"] + a["no_show"] + a["cancelled_client"]
        if not any(_missing(a[x]) for x in ("attended", "no_show", "cancelled_client"))
        else None
    )
    of = f" ({count(a['attended'], d.k)} of {count(n, d.k)} sessions)" if n is not None else ""
    return f"Attendance was {rate(a['attendance_rate'])} in {when}{of}{verdict}.{extra}"


def census_sentence(d: ReportData) -> str:
    c = d.shown["census"]
    return (
        f"The program admitted {count(c['admissions'], d.k)} and discharged "
        f"{count(c['discharges'], d.k)} in {month_name(d.query.period)}; "
        f"{count(c['active_at_end'], d.k)} were in care at the end of the period "
        f"({count(c['active_at_start'], d.k)} at the start), "
        f"{count(c['clients_served'], d.k)} clients served in all."
    )


def dosage_sentence(d: ReportData) -> str:
    s = d.shown["dosage"]
    hours = s["median_hours_per_client_week"]
    med = "" if _missing(hours) else f"; the median client-week had {hours:.1f} hours"
    return (
        f"{rate(s['share_meeting_threshold'], d.k)} of "
        f"{count(s['client_weeks'], d.k)} full client-weeks met the ASAM intensive "
        f"outpatient threshold (9 hours, 6 for adolescents){med}."
    )


def retention_sentence(d: ReportData) -> str:
    r = d.shown["retention"]
    days = ", ".join(f"{rate(r[f'day_{n}'], d.k)} at {n} days" for n in (30, 60, 90))
    return (
        f"Of {count(r['cohort_admissions'], d.k)} admissions in the 12 months to "
        f"{d.query.period.end:%d %B %Y}, an estimated {days} were still engaged "
        "(Kaplan–Meier; completers count as engaged). NIDA: most people need at least "
        "3 months in treatment."
    )


def _reference_figure(r: Any, value: str | None) -> str:
    if r.withheld or value is None:
        return '<span class="r sup">withheld</span> (fewer than 30 discharges)'
    return value


def discharge_sentence(d: ReportData) -> str:
    """Completions and median stay, each beside its reference named by source and year."""
    from .benchmark import los_group

    s = d.shown["discharges"]
    refs = d.references
    completion = "; ".join(
        f"{html.escape(r.label)}: "
        + _reference_figure(r, None if r.completion_rate is None else f"{r.completion_rate:.1%}")
        for r in refs
    )
    los = s["median_length_of_stay_days"]
    stay = ""
    if not _missing(los):
        binned = f", in TEDS's {los_group(int(round(los)))} bin" if d.benchmark_file else ""
        medians = "; ".join(
            f"{html.escape(r.median_stay_label or r.label)}: {_reference_figure(r, r.median_stay)}"
            for r in refs
        )
        stay = f". The median stay was {los:.0f} days{binned} ({medians})"
    return (
        f"{count(s['by_reason']['completed'], d.k)} of {count(s['total'], d.k)} "
        f"discharges were completions ({rate(s['completion_rate'], d.k)}; {completion}){stay}."
    )


def transitions_sentence(d: ReportData) -> str:
    t = d.shown["transitions"]
    return (
        f"After discharge, {count(t['step_down'], d.k)} stepped down, "
        f"{count(t['step_up'], d.k)} stepped up and {count(t['lateral'], d.k)} moved "
        f"laterally within {t['window_days']} days; {count(t['no_next_care'], d.k)} had no "
        f"next care and {count(t['pending'], d.k)} are still within their window."
    )


def continuity_sentence(d: ReportData) -> str:
    c = d.shown["continuity"]
    return (
        f"Of {count(c['residential_discharges'], d.k)} residential or inpatient discharges "
        f"(deaths excluded), {rate(c['rate_7d'], d.k)} were followed up within 7 days and "
        f"{rate(c['rate_14d'], d.k)} within 14 days; {count(c['pending_7d'], d.k)} and "
        f"{count(c['pending_14d'], d.k)} are still within those windows (NQF #3453 "
        "analogue)."
    )


def table(df: pd.DataFrame, columns: list[tuple[str, str, str]], k: int = 0) -> str:
    """HTML table; columns are (field, title, kind) with kind count, rate, text or html (as is)."""
    head = "".join(f"<th>{html.escape(t)}</th>" for _, t, _ in columns)
    rows = []
    for _, r in df.iterrows():
        cells = []
        for f, _, kind in columns:
            v = r[f]
            cells.append(
                count(v, k)
                if kind == "count"
                else rate(v, k)
                if kind == "rate"
                else str(v)
                if kind == "html"
                else html.escape(str(v))
            )
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return (  # the wrapper keeps a short table on one printed page (Chromium splits tables)
        f'<div class="table keep"><table class="data"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def definitions() -> str:
    items = []
    for e in ENTRIES:
        parts = [html.escape(e.definition)]
        parts += [f"<br><em>{label}:</em> {html.escape(value)}" for label, value in e.details()]
        items.append(f"<dt>{html.escape(e.name)}</dt><dd>{''.join(parts)}</dd>")
    return f'<p>{html.escape(COMMON)}</p><dl class="definitions">{"".join(items)}</dl>'
