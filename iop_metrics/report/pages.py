"""One function per report section (called by the notebook): the section's plain data, computed
here (figures, verdicts, chart SVG), rendered by its template in ``templates/``."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from ..contract import DISCHARGE_REASONS
from ..disclosure import published as pub
from ..disclosure.published import ATTENDANCE
from ..disclosure.suppress import mark
from . import charts
from .data import ReportData
from .labels import REASONS, SERVICE_TYPES, level
from .labels import label as word
from .markup import Hidden, render, svg, trend_point
from .markup import missing as _missing
from .recovery import after_discharge, recovery  # the recovery sections' home
from .sections import control_limits, data_ends, month_name


def _chart(k: int, chart: Any) -> Any:
    """A chart's SVG; an external copy's (``k``) with its data to a reader's precision."""
    return svg(charts.to_svg(chart, k))


def _hidden(df: pd.DataFrame, col: str) -> dict[str, int]:
    """How many of a chart's slots are hidden, for the note under its caption."""
    return {"hidden": int(df[col].isna().sum()), "total": len(df)}


def _left(df: pd.DataFrame, name: str, value: str) -> str:
    """The figures an undrawn chart still shows, in words ("Psychoeducation 11.0%")."""
    shown = df[df[value].notna()]
    return ", ".join(f"{n} {v:.1%}" for n, v in zip(shown[name], shown[value], strict=True))


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(c): v for c, v in r.items()} for r in df.to_dict("records")]


def _named(df: pd.DataFrame, col: str, words: dict[str, str]) -> pd.DataFrame:
    """``df`` with the reader's ``label`` of each code in ``col`` (the code kept as ``code``)."""
    return df.assign(label=[word(c, words) for c in df[col]], code=df[col])


def _levels_named(df: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """A flow matrix with each level's name beside its code (``from_name``, ``to_name``)."""
    return df.assign(
        from_name=[level(c, names) for c in df["from_level"]],
        to_name=[level(c, names) for c in df["to_level"]],
    )


def _verdict(d: ReportData, limits: pd.DataFrame) -> dict[str, Any] | None:
    """Where this month's attendance falls against its control limits (months only)."""
    last = limits.iloc[-1]
    if d.query.period.kind != "month" or _missing(last["lcl"]):
        return None
    side = "within"
    if last["flag"]:
        side = "below" if last["attendance_rate"] < last["lcl"] else "above"
    return {"side": side, "lcl": last["lcl"], "ucl": last["ucl"]}


def attendance(d: ReportData) -> str:
    limits, _ = control_limits(d.monthly)
    miss = charts.missing_label(d.k)
    a = d.shown["attendance"]
    parts = ("attended", "no_show", "cancelled_client")
    no_show = []
    service = _named(d.service, "key", SERVICE_TYPES)
    for df, noun, title, sort, name in (
        (d.weekday, "weekdays", "No-show rate by weekday", list(d.weekday["key"]), None),
        (service, "service types", "No-show rate by service type", None, "label"),
    ):
        shown = int(df["no_show_rate"].notna().sum())
        if shown and not charts.too_little(shown, len(df), d.k):
            bars = charts.bar_rate(
                df, "key", "no_show_rate", "No-show rate", sort=sort, label=name, missing=miss
            )
            chart = _chart(d.k, bars)
        elif len(df):
            chart = None  # every rate hidden, or almost: the template says so instead
        else:
            continue
        left = _left(df, name or "key", "no_show_rate")
        hidden = _hidden(df, "no_show_rate")
        no_show.append({"svg": chart, "title": title, "noun": noun, "left": left, **hidden})
    hours: dict[str, Any] = {"svg": None, "suppressed": bool(d.k and len(d.hours))}
    hours.update(_hidden(d.hours, "client_weeks"))
    shown = int(d.hours["client_weeks"].notna().sum())
    if shown and not charts.too_little(shown, len(d.hours), d.k):
        hours["svg"] = _chart(d.k, charts.hours_histogram(d.hours, missing=miss))
    months = int(limits["attendance_rate"].notna().sum())
    drawn = months and not charts.too_little(months, len(limits), d.k)
    return render(
        "attendance.html.j2",
        k=d.k,
        when=month_name(d.query.period),
        a=d.view("attendance"),
        sessions=None if any(_missing(a[x]) for x in parts) else sum(a[x] for x in parts),
        verdict=None if _missing(a["attendance_rate"]) else _verdict(d, limits),
        flagged=limits.loc[limits["flag"].astype(bool), "month"].tolist(),
        pchart={
            "svg": _chart(d.k, charts.pchart(limits, missing=miss)) if drawn else None,
            **_hidden(limits, "attendance_rate"),
        },
        no_show=no_show,
        service=[
            {**r, **{c: m[c] for c in ATTENDANCE}}
            for r, m in zip(_records(service), d.marked("service"), strict=True)
        ],
        dosage=d.view("dosage"),
        hours=hours,
    )


def _heat_drawn(df: pd.DataFrame, k: int) -> bool:
    """Whether a heat map of counts (``n``) is drawn: some cell is shown, and in an external
    report some shown cell is more than 0 (a grid of zeros and hidden cells shows nothing)."""
    return bool(df["n"].notna().any() and (not k or df["n"].gt(0).any()))


def _cells(df: pd.DataFrame) -> dict[str, int]:
    """A heat map's cells: how many are hidden, shown as 0, and in all."""
    return {**_hidden(df, "n"), "zeros": int(df["n"].eq(0).sum())}


def census_and_flow(d: ReportData) -> str:
    bars = d.monthly.melt(id_vars="month", value_vars=["admissions", "discharges"])
    flows = []
    for df, title in (
        (d.flow, "Level-of-care flow this period"),
        (d.flow_12m, "Level-of-care flow, trailing 12 months"),
    ):
        flows.append(
            {
                "title": title,
                "svg": _chart(d.k, charts.flow_matrix(_levels_named(df, d.level_names), title))
                if _heat_drawn(df, d.k)
                else None,
                "suppressed": bool(d.k and len(df)),
                **_cells(df),
            }
        )
    return render(
        "census_and_flow.html.j2",
        k=d.k,
        when=month_name(d.query.period),
        c=d.view("census"),
        t=d.view("transitions"),
        i=d.view("inflow"),
        trend={
            "svg": None
            if charts.too_little(int(bars["value"].notna().sum()), len(bars), d.k)
            else _chart(d.k, charts.census_trend(d.monthly, missing=charts.missing_label(d.k))),
            **_hidden(bars, "value"),
        },
        flows=flows,
    )


def _share(n: Any, total: Any) -> float | None:
    """A reason's share of the period's discharges: none when either count is hidden (the
    shares of shown counts reveal nothing more than the counts) or there is no discharge."""
    if _missing(n) or _missing(total) or not total:
        return None
    return float(n) / float(total)


def _ref_share(r: Any, share: float | None) -> Any:
    """A reference's share for the ``share`` column kind: "withheld", None or the share."""
    return "withheld" if r.withheld else share


def retention(d: ReportData) -> str:
    from .benchmark import los_group

    r, s = d.shown["retention"], d.shown["discharges"]
    # an external curve is drawn in pooled steps: its points are the document's figures
    marks = {n: r[f"day_{n}"] for n in (30, 60, 90) if r[f"day_{n}"] is not None} if d.k else None
    curve = charts.retention_curve(d.curve, marks, places=d.km_places) if len(d.curve) else None
    shares = _reason_shares(d)
    marked = d.view("discharges")["by_reason"]
    reasons = pd.DataFrame(
        {"reason": list(DISCHARGE_REASONS), "n": [marked[x] for x in DISCHARGE_REASONS]}
    )
    reasons["share"] = [_share(n, s["total"]) for n in reasons["n"]]
    reasons = _named(reasons, "reason", REASONS)
    reason_columns = [
        ("label", "Reason (TEDS-D)", "label"),
        ("n", "Discharges", "count"),
        ("share", "Share (this period)", "rate"),
    ]
    for i, ref in enumerate(d.references):
        reasons[f"ref{i}"] = [_ref_share(ref, ref.reasons.get(x)) for x in DISCHARGE_REASONS]
        reason_columns.append((f"ref{i}", ref.label, "share"))
    los = s["median_length_of_stay_days"]
    with_bins = [x for x in d.references if x.los_shares or x.withheld]
    los_df = d.los_bins.copy()
    los_columns = [
        ("bin", "Length of stay", "text"),
        ("n", "Discharges", "count"),
        ("share", "Share", "rate"),
    ]
    for i, ref in enumerate(with_bins):
        los_df[f"ref{i}"] = [_ref_share(ref, ref.los_shares.get(b)) for b in los_df["bin"]]
        los_columns.append((f"ref{i}", ref.label, "share"))
    names = " and ".join(x.label for x in d.references)
    return render(
        "retention.html.j2",
        k=d.k,
        km_places=d.km_places,
        r=d.view("retention"),
        s=d.view("discharges"),
        cohort_end=f"{d.query.period.end:%d %B %Y}",
        # an external copy prints the cohort to the nearest ten (``disclosure.precision``)
        cohort_about="retention.cohort_admissions" in d.rounded,
        curve=None if curve is None else _chart(d.k, curve),
        curve_suppressed=bool(d.k and r["cohort_admissions"] != 0),
        references=d.references,
        los_bin=los_group(int(round(los))) if d.benchmark_file and not _missing(los) else None,
        names=names,
        reasons_chart=None if shares.empty else _chart(d.k, charts.reasons_vs_reference(shares)),
        reasons_suppressed=bool(d.k and s["total"] != 0),
        reasons=_records(reasons),
        reason_columns=reason_columns,
        los_refs=[x.label for x in with_bins],
        los=[{**r, "n": m["n"]} for r, m in zip(_records(los_df), d.marked("los"), strict=True)],
        los_columns=los_columns,
    )


def _reason_shares(d: ReportData) -> pd.DataFrame:
    total = d.shown["discharges"]["total"]
    if d.k and d.hidden & {f"discharges.by_reason.{r}" for r in DISCHARGE_REASONS}:
        return pd.DataFrame()  # shares would reveal hidden counts
    if not total:
        return pd.DataFrame()
    rows = [
        {
            "source": "This period",
            "reason": r,
            "share": d.shown["discharges"]["by_reason"][r] / total,
        }
        for r in DISCHARGE_REASONS
    ]
    for ref in d.references:
        if not ref.withheld:
            rows += [
                {"source": ref.label, "reason": r, "share": ref.reasons.get(r, 0.0)}
                for r in DISCHARGE_REASONS
                if r in ref.reasons
            ]
    df = pd.DataFrame(rows)
    return df.assign(label=[word(r, REASONS) for r in df["reason"]])


def _or_mark(v: Any, mark: Any) -> Any:
    """A rates-table count, or its mark ("<K" or "suppressed") when it is hidden."""
    return Hidden(mark) if _missing(v) and isinstance(mark, str) else v


def continuity(d: ReportData) -> str:
    c = d.shown["continuity"]
    df = pd.DataFrame(
        {"label": ["Within 7 days", "Within 14 days"], "rate": [c["rate_7d"], c["rate_14d"]]}
    )
    chart = None
    if df["rate"].notna().any():
        bars = charts.rate_bars(df, "Followed up", missing=charts.missing_label(d.k))
        chart = {"svg": _chart(d.k, bars), **_hidden(df, "rate")}
    windows = []
    q = d.query
    for days in (7, 14):
        [row] = d.rates[d.rates["figure"] == f"continuity.rate_{days}d"].to_dict("records")
        # the discharges a window counts: those of the period whose W days had passed by as_of
        through = min(q.period.end, q.as_of - dt.timedelta(days=days))
        windows.append(
            {
                "window": f"Within {days} days",
                "days": days,
                "counted": f"{q.period.start} – {through}" if through >= q.period.start else "none",
                "closed": _or_mark(row["denominator"], row.get("denominator_mark")),
                "followed": _or_mark(row["numerator"], row.get("numerator_mark")),
                "rate": row["rate"],
                "ci_low": row["ci_low"],
                "ci_high": row["ci_high"],
                "pending": d.view("continuity")[f"pending_{days}d"],
            }
        )
    return render(
        "continuity.html.j2",
        k=d.k,
        c=d.view("continuity"),
        windows=windows,
        chart=chart,
        suppressed=bool(d.k and c["residential_discharges"] != 0),
    )


CHANGE_PARTS = (
    ("Improved reliably", "reliable_improvement"),
    ("No reliable change", None),
    ("Deteriorated reliably", "reliable_deterioration"),
)


def _change_shares(o: dict[str, Any]) -> pd.DataFrame:
    """Per instrument with a reliable-change threshold: the shares of its paired courses that
    improved, did not change, deteriorated reliably (None where a count is hidden)."""
    rows = []
    for code, f in o["by_instrument"].items():
        if f["reliable_improvement"] is None and f["paired"] is not None:
            continue  # no reliable change defined (BAM-use)
        n, ri, rd = f["paired"], f["reliable_improvement"], f["reliable_deterioration"]
        known = None not in (n, ri, rd) and n
        for label, key in CHANGE_PARTS:
            share = None
            if known:
                share = (f[key] if key else n - ri - rd) / n
            rows.append({"label": code, "category": label, "share": share})
    return pd.DataFrame(rows, columns=["label", "category", "share"])


TREND_PARTS = (
    ("Reliable improvement", "reliable_improvement_rate", "reliable_improvement", "paired"),
    ("Recovery", "recovery_rate", "recovery", "at_caseness"),
)


def _outcome_trend(monthly: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The 12 months' reliable improvement and recovery as long rows (month, measure, rate,
    numerator, denominator; the counts are left out where the rate is missing), and the months
    whose two rates are both hidden (a rate over no course is missing, not hidden)."""
    rows, hidden = [], []
    for r in monthly.to_dict("records"):
        gone = 0
        for label, rate, num, den in TREND_PARTS:
            rows.append(trend_point(r, label, rate, num, den))
            gone += rows[-1]["rate"] is None and r[den] != 0
        if gone == len(TREND_PARTS):
            hidden.append(r["month"])
    columns = ["month", "measure", "rate", "numerator", "denominator"]
    return pd.DataFrame(rows, columns=columns), hidden


def _trend(d: ReportData) -> dict[str, Any] | None:
    """The trend chart's SVG and how many of its points are hidden; ``None`` if no point is
    drawn (``svg`` None when there are points to draw but every one is hidden)."""
    df, hidden = _outcome_trend(d.monthly)
    months = list(d.monthly["month"])
    over_courses = d.monthly[[den for *_, den in TREND_PARTS]].ne(0).to_numpy().ravel()
    total = int(over_courses.sum())
    shown = int(df["rate"].notna().sum())
    gone = total - shown
    if shown and not charts.too_little(shown, total, d.k):
        svg_ = _chart(d.k, charts.outcome_trend(df, months, hidden))
        return {"svg": svg_, "hidden": gone, "total": total}
    if d.k and total:
        left = ", ".join(
            f"{r['month']} {r['measure'].lower()} {r['rate']:.1%}"
            for r in df[df["rate"].notna()].to_dict("records")
        )
        return {"svg": None, "hidden": gone, "total": total, "left": left}
    return None


def outcomes(d: ReportData) -> str:
    """Outcomes: did people get better? (the document's outcomes key, as suppressed)."""
    o = d.shown["outcomes"]
    shares = _change_shares(o)
    change = None
    if not shares.empty and shares["share"].notna().any():
        bars = charts.change_bars(shares, missing=charts.missing_label(d.k))
        change = {"svg": _chart(d.k, bars), **_hidden(shares, "share")}
    bands = None
    if d.bands is not None and not d.bands.empty and d.bands["n"].notna().any():
        drawn = _heat_drawn(d.bands, d.k)
        bands = {
            "svg": _chart(d.k, charts.band_shift(d.bands)) if drawn else None,
            **_cells(d.bands),
        }
    return render(
        "outcomes.html.j2",
        k=d.k,
        o=d.view("outcomes"),
        admissions=d.view("census")["admissions"],
        any_course=bool(d.doc["outcomes"]["courses"]),
        rates=_records(d.rates[d.rates["figure"].str.startswith("outcomes.")]),
        change=change,
        change_suppressed=bool(d.k and not shares.empty),
        bands=bands,
        trend=_trend(d),
        months=len(d.monthly),
    )


def _quality_counts(d: ReportData) -> dict[tuple[str, str, str], dict[str, Any]]:
    """The data-quality section's counts as a reader sees them, by (part, table, reason): the
    figure, or its mark where the report's model hides it (``published.TABLES["quality"]``)."""
    df = pub.quality_frame(d.quality)
    out: dict[tuple[str, str, str], dict[str, Any]] = {}
    for name, r in zip(pub.rows("quality", df), df.to_dict("records"), strict=True):
        shown: dict[str, Any] = {}
        for col in pub.QUALITY_COUNTS:
            why = d.reasons.get(pub.cell("quality", name, col))
            shown[col] = Hidden(mark(why, d.k)) if why else r[col]
        out[(r["part"], r["table_name"], r["reason"])] = shown
    return out


def _import_summary(imported: dict[str, Any], shown: dict[Any, dict[str, Any]]) -> dict[str, Any]:
    """How the EHR export became the contract tables (from load_log's import report)."""
    m = imported["mapping"]
    rows = _records(imported["tables"])
    marked = {
        "rows_read": "import_read",
        "rows_skipped": "skipped",
        "rows_collapsed": "collapsed",
        "rows_written": "written",
    }
    for r in rows if shown else ():
        r.update({col: shown[("imported", r["table_name"], "")][x] for col, x in marked.items()})
    return {"file": m["file"], "sha256": m["sha256"][:12], "tables": rows}


def data_quality(d: ReportData) -> str:
    q = d.quality
    loaded, rejected = _records(q["loaded"]), _records(q["rejected"])
    shown = _quality_counts(d) if d.k else {}
    for r in loaded if shown else ():  # what the report's model hides, with its mark
        r.update(
            {c: shown[("loaded", r["table_name"], "")][c] for c in ("rows_read", "rows_loaded")}
        )
    for r in rejected if shown else ():
        r["n"] = shown[("rejected", r["table_name"], r["reason"])]["n"]
    checks = {c: shown[("checks", c, "")]["n"] if shown else q[c] for c in pub.CHECKS}
    return render(
        "data_quality.html.j2",
        k=d.k,
        data_ends=data_ends(d),
        loaded=loaded,
        rejected=rejected,
        imported=_import_summary(q["imported"], shown) if q.get("imported") else None,
        open_without_session=checks["open_without_session_30d"],
        closed_days=checks["sessions_on_closed_days"],
    )


__all__ = [
    "after_discharge",
    "attendance",
    "census_and_flow",
    "continuity",
    "data_quality",
    "outcomes",
    "recovery",
    "retention",
]
