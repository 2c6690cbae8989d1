"""The report's header, tiles, rates and definitions: plain data from a ``ReportData``, rendered
by the templates in ``templates/`` (one per section; shared pieces in ``macros.html.j2``).

Every count is written by the ``count`` macro (class ``n``) and every rate by ``rate``, so that
suppressed figures show their mark everywhere and a test can find every figure in the page.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from .. import __version__
from ..compute.formats import figure_at
from ..compute.transitions import DETERMINED, step_down_rate
from ..dictionary import ENTRIES, RECOVERY
from ..disclosure.model import WITHHELD
from ..periods import Period
from . import charts, glossary
from .data import ReportData
from .markup import missing as _missing
from .markup import render, svg


def month_name(p: Period) -> str:
    if p.kind == "month":
        return p.start.strftime("%B %Y")
    return p.label


def data_ends(d: ReportData) -> str | None:
    """When the report's as-of date reaches past the end of its data (a partial export, or a
    period not over yet, rendered with --allow-partial): the sentence its header and data
    quality section say, naming the date and the figures it shortens; else ``None``."""
    end = d.provenance.get("data_end")
    if end is None or not end.shortens(d.query.as_of):
        return None
    return str(end.sentence(d.query.as_of))


def site_name(code: str | None, names: dict[str, str] | None) -> str | None:
    """A site as the index names it: "North Campus (site north)" when the import named the
    code, else the code.

    >>> site_name("north", {"north": "North Campus"}), site_name("main", {}), site_name(None, {})
    ('North Campus (site north)', 'main', None)
    """
    if code and names and names.get(code):
        return f"{names[code]} (site {code})"
    return code


def header(d: ReportData, *, title: str, generated_at: dt.datetime, program: str = "") -> str:
    """The report's header; ``program`` is the program's name (empty: not named)."""
    q, prov = d.query, d.provenance
    scope = q.scope
    return render(
        "header.html.j2",
        title=title,
        k=d.k,
        program=program.strip(),
        site=site_name(scope.site, (d.quality.get("imported") or {}).get("site_names")),
        levels=", ".join(f"{d.level_names.get(c, c)} ({c})" for c in scope.levels)
        if scope.levels
        else "",
        track=scope.track,
        period_name=month_name(q.period),
        start=q.period.start,
        end=q.period.end,
        as_of=q.as_of.isoformat(),
        data_ends=data_ends(d),
        snapshot=str(prov.get("snapshot") or "")[:16],
        loaded_at=prov.get("loaded_at"),
        generated=f"{generated_at:%Y-%m-%d %H:%M}",
        version=__version__,
        withheld=WITHHELD in d.reasons.values(),
    )


# The headline tiles, in the order a director asks (issue 29): first the outcomes (did people
# get better, stop using, and how are they after discharge), then the program's size and
# flow, then how well it holds people. Each: label, document key, monthly series column,
# whether it is a rate.
TILES = (
    ("Reliable improvement", "outcomes.reliable_improvement_rate", "reliable_improvement_rate",
     True),
    ("Recovery (PHQ-9/GAD-7)", "outcomes.recovery_rate", "recovery_rate", True),
    ("Abstinent at discharge", "noms.abstinent.discharge_rate", "abstinent_discharge_rate", True),
    ("Reached at 3 months", "follow_up.3m.response_rate", "response_rate_3m", True),
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
    ("Estimated 90-day retention", "retention.day_90", "day_90", True),
    ("Step-down rate", "step_down_rate", "step_down_rate", True),
)  # fmt: skip
# Said under a tile: abstinence at 3 months, never without the response rate (the tile's
# figure) and abstinence counting everyone not reached as using beside it (recovery.md).
TILE_NOTES = {
    "follow_up.3m.response_rate": (
        ("no use:", "follow_up.3m.abstinent_rate_responders", "of those reached,"),
        ("", "follow_up.3m.abstinent_rate_all", "of all due (not reached = using)"),
    ),
}


def _step_down_rate(doc: dict[str, Any]) -> float | None:
    """The tile's step-down rate (the document holds its parts); None when a part is hidden."""
    t = doc["transitions"]
    return None if any(_missing(t[k]) for k in DETERMINED) else step_down_rate(t)


def _tile_value(doc: dict[str, Any], key: str) -> Any:
    return _step_down_rate(doc) if key == "step_down_rate" else figure_at(doc, key)


def _previous(d: ReportData, key: str, series: str) -> Any:
    """The previous period's figure for a tile's change. Under suppression it is the monthly
    series' previous month as shown (the series is suppressed with the document as one
    model, so a change cannot give back what it hides); other periods show no change."""
    if not d.k:
        return _tile_value(d.previous, key)
    if d.query.period.kind != "month" or len(d.monthly) < 2:
        return None
    v = d.monthly[series].iloc[-2]
    return None if _missing(v) else v


def tile_data(d: ReportData) -> list[dict[str, Any]]:
    """Each headline figure, its change from the previous period (points or a count; None when
    either side is missing) and its 12-month sparkline; a rate's and its change's decimals
    (``places``: a Kaplan–Meier estimate's are ``ReportData.km_places``)."""
    from .recovery import shipped

    out = []
    noms = shipped(d)
    for label, key, series, is_rate in TILES:
        if not noms and key.startswith(("noms.", "follow_up.")):
            out.append({"label": label, "absent": "no noms table shipped", "is_rate": is_rate})
            continue
        now, before = _tile_value(d.shown, key), _previous(d, key, series)
        marked = d.mark("transitions.step_down_rate" if key == "step_down_rate" else key)
        if _missing(now) or _missing(before):
            change: float | int | None = None
        else:
            change = (now - before) * 100 if is_rate else int(now) - int(before)
        out.append(
            {
                "label": label,
                "absent": None,
                "value": now if marked is None else marked,
                "is_rate": is_rate,
                "places": d.km_places if key.startswith("retention.day_") else 1,
                "change": change,
                "spark": None
                if charts.too_little(int(d.monthly[series].notna().sum()), len(d.monthly), d.k)
                else svg(charts.to_svg(charts.sparkline(d.monthly, series), d.k)),
                "gaps": int(d.monthly[series].isna().sum()) if d.k else 0,
                "notes": _notes(d, key),
            }
        )
    return out


def _notes(d: ReportData, key: str) -> list[dict[str, Any]]:
    """The lines under a tile (``TILE_NOTES``); abstinence among those reached only beside the
    response and abstinence counting everyone not reached (``recovery.beside``)."""
    from .recovery import beside

    shown = d.shown
    if key.startswith("follow_up."):
        window = key.split(".")[1]
        shown = {"follow_up": {window: beside(d.shown["follow_up"][window])}}
    return [
        {"before": a, "value": figure_at(shown, x), "after": b}
        for a, x, b in TILE_NOTES.get(key, ())
    ]


def tiles(d: ReportData) -> str:
    return render(
        "tiles.html.j2",
        tiles=tile_data(d),
        k=d.k,
        previous=month_name(d.query.period.previous()),
        months=len(d.monthly),
    )


def rate_rows(rates: pd.DataFrame, km_places: int = 1) -> list[dict[str, Any]]:
    """Every headline rate as plain data (retention has no numerator of its own), with the
    decimals of a percent it prints with (``places``): a Kaplan–Meier estimate and its
    interval ``km_places`` (``ReportData.km_places``), every other rate one; ``about`` when
    its denominator is printed to the nearest ten (an external copy's retention cohort)."""
    rows = []
    for r in rates.to_dict("records"):
        km = r["figure"].startswith("retention.day_")
        row = {str(c): v for c, v in r.items()}
        about = bool(row.pop("denominator_about", False))
        places = km_places if km else 1
        rows.append({**row, "has_numerator": not km, "places": places, "about": about})
    return rows


def rates_table(d: ReportData) -> str:
    """Every headline rate with its numerator, denominator and 95% interval."""
    return render("rates.html.j2", rates=rate_rows(d.rates, d.km_places), k=d.k)


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


def definitions() -> str:
    """The definitions appendix in plain language: each figure of the same dictionary as
    docs/metrics.md (which keeps the formal rules), in the words of ``glossary``."""
    return render(
        "definitions.html.j2",
        common=glossary.COMMON,
        entries=glossary.appendix((*ENTRIES, *RECOVERY)),
        formal=glossary.FORMAL,
    )
