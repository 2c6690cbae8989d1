"""The recovery sections of the report (recovery.md): admission to discharge per NOMS domain
("Recovery: substance use and life domains") and the follow-up contacts after discharge
("After discharge"), each the plain data of its template, from the document's ``noms`` and
``follow_up`` keys as the report shows them (suppressed as one model with every other figure).

Promises: completeness comes first (the paired count of ended episodes); a share is never
shown without its count and Wilson interval; abstinence among those reached is never shown
without the response rate and abstinence counting everyone not reached as using; deaths
after discharge appear only in internal reports (``disclosure.suppress.internal_only``); a
database without ``noms`` rows renders both sections saying the table was not shipped.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..compute.intervals import wilson
from ..compute.recovery import DOMAINS, WINDOWS
from . import charts
from .data import ReportData
from .markup import missing, render, svg, trend_point

DOMAIN_NAMES = {
    "abstinent": "No use of the primary substance",
    "employed_or_student": "Employed or in school",
    "housed": "Housed (not homeless)",
    "no_arrests": "No arrests",
    "self_help": "Attends self-help groups",
}
WINDOW_NAMES = {"1m": "1 month", "3m": "3 months", "6m": "6 months", "12m": "12 months"}
WINDOW_DAYS = {"1m": "15–59", "3m": "60–134", "6m": "135–269", "12m": "270–455"}
FOLLOW_UP_DOMAINS = ("employed_or_student", "housed", "no_arrests")


def shipped(d: ReportData) -> bool:
    """Whether the load carried any ``noms`` row (load_log: the table with rows loaded)."""
    loaded = d.quality.get("loaded")
    if loaded is None or loaded.empty:
        return False
    rows = loaded.loc[loaded["table_name"] == "noms", "rows_loaded"]
    return bool(len(rows)) and int(rows.fillna(0).sum()) > 0


def _interval(x: Any, n: Any, rate: Any) -> tuple[float | None, float | None]:
    """The Wilson 95% interval of a shown rate (its counts are shown when it is)."""
    if missing(rate) or missing(x) or missing(n) or not n:
        return None, None
    return wilson(int(x), int(n))


def _change(f: dict[str, Any]) -> float | None:
    """The change in points (discharge share - admission share, x 100), when both show."""
    if missing(f.get("admission_rate")) or missing(f.get("discharge_rate")):
        return None
    return (float(f["discharge_rate"]) - float(f["admission_rate"])) * 100


def _reference_row(ref: Any, domain: str) -> dict[str, Any] | None:
    """A benchmark's figures of one domain: withheld (fewer than 30 paired) or its shares."""
    rec = ref.recovery
    if rec is None:
        return None
    f = rec.get(domain)
    if f is None:
        return None
    if f.get("withheld"):
        return {"label": ref.label, "withheld": True}
    return {
        "label": ref.label,
        "withheld": False,
        "paired": f["paired"],
        "admission_rate": f["admission_rate"],
        "discharge_rate": f["discharge_rate"],
        "change": _change(f),
    }


def domain_rows(d: ReportData) -> list[dict[str, Any]]:
    """Each domain as the table shows it: the paired count (marked when hidden), completeness,
    the shares at admission and discharge with their intervals, the change in points, and the
    benchmarks' figures beside it."""
    view, shown = d.view("noms"), d.shown["noms"]
    rows = []
    for key in DOMAINS:
        f, s = view[key], shown[key]
        rows.append(
            {
                "key": key,
                "label": DOMAIN_NAMES[key],
                **f,
                "admission_ci": _interval(s["at_admission"], s["paired"], s["admission_rate"]),
                "discharge_ci": _interval(s["at_discharge"], s["paired"], s["discharge_rate"]),
                "points": _change(s),
                "references": [
                    r for ref in d.references if (r := _reference_row(ref, key)) is not None
                ],
            }
        )
    return rows


def _moves(d: ReportData, rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The dumbbell chart's data: the program's shares per domain, then each benchmark's."""
    out = []
    for r in rows:
        shown = d.shown["noms"][r["key"]]
        out.append(
            {
                "label": r["label"],
                "source": charts.recovery.PROGRAM,
                "admission": shown["admission_rate"],
                "discharge": shown["discharge_rate"],
            }
        )
        out += [
            {
                "label": r["label"],
                "source": ref["label"],
                "admission": ref["admission_rate"],
                "discharge": ref["discharge_rate"],
            }
            for ref in r["references"]
            if not ref["withheld"]
        ]
    df = pd.DataFrame(out, columns=["label", "source", "admission", "discharge"])
    return df.astype({"admission": "float64", "discharge": "float64"})


def recovery(d: ReportData) -> str:
    """Recovery: substance use and life domains, admission to discharge (the ``noms`` key)."""
    rows = domain_rows(d)
    moves = _moves(d, rows)
    program = moves[moves["source"] == charts.recovery.PROGRAM]
    drawn = bool((program["admission"].notna() & program["discharge"].notna()).any())
    chart = None
    if drawn:
        chart = svg(
            charts.to_svg(charts.domain_moves(moves, missing=charts.missing_label(d.k)), d.k)
        )
    a = d.shown["noms"]["abstinent"]
    return render(
        "recovery.html.j2",
        k=d.k,
        shipped=shipped(d),
        n=d.view("noms"),
        ended=d.doc["noms"]["ended"],
        rows=rows,
        abstinent=rows[0],
        reduced_ci=_interval(a["reduced"], a["using_at_admission"], a["reduced_rate"]),
        chart=chart,
        chart_suppressed=bool(d.k and not drawn and d.doc["noms"]["abstinent"]["paired"]),
        refs=[x.label for x in d.references if x.recovery is not None],
        no_twins=[x.label for x in d.references if x.recovery is None and d.benchmark_file],
    )


def _not_reached_any(f: dict[str, Any]) -> Any:
    """Those not reached for any reason but a refusal or no attempt (not reached, deceased),
    from shown figures only: an external report shows their sum, never the deaths."""
    parts = (f["due"], f["reached"], f["declined"], f["not_attempted"])
    if any(missing(x) for x in parts):
        return None
    return int(f["due"]) - int(f["reached"]) - int(f["declined"]) - int(f["not_attempted"])


def beside(f: dict[str, Any]) -> dict[str, Any]:
    """A window's figures with abstinence among those reached left out (``None``) unless the
    response rate and abstinence counting everyone not reached as using are shown beside it
    (recovery.md: never the first without the other two); under suppression one of those may
    be hidden while it is not."""
    both = not missing(f["response_rate"]) and not missing(f["abstinent_rate_all"])
    return f if both else {**f, "abstinent_rate_responders": None}


def window_rows(d: ReportData) -> list[dict[str, Any]]:
    """Each window as the table shows it (marked counts, rates with intervals)."""
    view, shown = d.view("follow_up"), d.shown["follow_up"]
    rows = []
    for w in WINDOWS:
        f, s = beside(view[w]), beside(shown[w])
        rows.append(
            {
                "window": w,
                "name": WINDOW_NAMES[w],
                "days": WINDOW_DAYS[w],
                **f,
                "not_reached_any": _not_reached_any(s),
                "response_ci": _interval(s["reached"], s["due"], s["response_rate"]),
                "responders_ci": _interval(
                    s["abstinent"], s["abstinent_known"], s["abstinent_rate_responders"]
                ),
                "all_ci": _interval(s["abstinent"], s["due"], s["abstinent_rate_all"]),
                "domains": [
                    {
                        "label": DOMAIN_NAMES[x],
                        "n": f[x],
                        "known": f[f"{x}_known"],
                        "rate": None
                        if missing(s[x]) or missing(s[f"{x}_known"]) or not s[f"{x}_known"]
                        else s[x] / s[f"{x}_known"],
                    }
                    for x in FOLLOW_UP_DOMAINS
                ],
            }
        )
    return rows


WINDOW_PARTS = (
    ("Reached (response rate)", "response_rate", "reached", "due"),
    ("No use, of those reached", "abstinent_rate_responders", "abstinent", "abstinent_known"),
    ("No use, counting everyone not reached as using", "abstinent_rate_all", "abstinent", "due"),
)


def _windows_frame(d: ReportData) -> pd.DataFrame:
    rows = []
    for w in WINDOWS:
        f = beside(d.shown["follow_up"][w])
        if not d.doc["follow_up"][w]["due"]:
            continue  # nobody due: no point, not a hidden one
        for label, rate, num, den in WINDOW_PARTS:
            shown = not missing(f[rate])
            rows.append(
                {
                    "window": WINDOW_NAMES[w],
                    "measure": label,
                    "rate": f[rate] if shown else None,
                    "numerator": f[num] if shown else None,
                    "denominator": f[den] if shown else None,
                }
            )
    columns = ["window", "measure", "rate", "numerator", "denominator"]
    return pd.DataFrame(rows, columns=columns).astype({"rate": "float64"})


TREND_PARTS = (
    ("Abstinent at discharge", "abstinent_discharge_rate", "abstinent_at_discharge",
     "abstinent_paired"),
    ("Reached at 3 months", "response_rate_3m", "reached_3m", "due_3m"),
)  # fmt: skip


def _trend(d: ReportData) -> dict[str, Any] | None:
    """The 12-month trend chart of abstinent at discharge and the 3-month response rate, how
    many of its points are hidden; None when no month has a figure to draw."""
    rows, hidden_months, total, gone = [], [], 0, 0
    for r in d.monthly.to_dict("records"):
        lost = 0
        for label, rate, num, den in TREND_PARTS:
            rows.append(trend_point(r, label, rate, num, den))
            over = not missing(r[den]) and r[den] != 0 or (missing(r[den]) and d.k)
            total += bool(over)
            lost += rows[-1]["rate"] is None and bool(over)
        gone += lost
        if lost == len(TREND_PARTS):
            hidden_months.append(r["month"])
    df = pd.DataFrame(rows, columns=["month", "measure", "rate", "numerator", "denominator"])
    df = df.astype({"rate": "float64"})
    if df["rate"].notna().any():
        months = list(d.monthly["month"])
        chart = charts.recovery_trend(df, months, hidden_months)
        return {"svg": svg(charts.to_svg(chart, d.k)), "hidden": gone, "total": total}
    if d.k and total:
        return {"svg": None, "hidden": gone, "total": total}
    return None


def after_discharge(d: ReportData) -> str:
    """After discharge: the follow-up contacts of the four windows (the ``follow_up`` key),
    and the 12-month trends of abstinent at discharge and the 3-month response rate."""
    frame = _windows_frame(d)
    chart = None
    if frame["rate"].notna().any():
        drawn = charts.follow_up_windows(frame, [WINDOW_NAMES[w] for w in WINDOWS])
        chart = {
            "svg": svg(charts.to_svg(drawn, d.k)),
            "hidden": int(frame["rate"].isna().sum()),
            "total": len(frame),
        }
    deaths = None
    if d.internal:
        deaths = [(WINDOW_NAMES[w], d.doc["follow_up"][w]["deceased"]) for w in WINDOWS]
    return render(
        "after_discharge.html.j2",
        k=d.k,
        shipped=shipped(d),
        rows=window_rows(d),
        three=window_rows(d)[1],
        any_due=any(d.doc["follow_up"][w]["due"] for w in WINDOWS),
        chart=chart,
        chart_suppressed=bool(d.k and chart is None and len(frame)),
        deaths=deaths,
        trend=_trend(d),
        months=len(d.monthly),
    )
