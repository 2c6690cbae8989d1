"""Everything a report shows, gathered once, with small-cell suppression already applied.

The notebook calls ``gather`` and then only draws and writes from the result, so the
figures in the HTML, the PDF and metrics.json come from one computation.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..compute import metrics as m
from ..compute.query import Con, Query
from ..disclosure import published as pub
from ..disclosure.model import COMPLEMENTARY, ESTIMATE, SMALL, WITHHELD
from ..disclosure.precision import KM_DIGITS, KM_PLACES, km_events_pinned, rounded
from ..disclosure.suppress import (
    internal_only,
    mark,
    rounded_keys,
    suppress_document,
    suppress_report,
    suppression_block,
)
from . import benchmark as bm
from .figures import Exact, context_of, exact, load_exact
from .markup import Hidden
from .request import Request


@dataclass(frozen=True)
class ReportData:
    query: Query
    k: int
    doc: dict[str, Any]
    shown: dict[str, Any]
    previous: dict[str, Any]
    monthly: pd.DataFrame
    weekday: pd.DataFrame
    service: pd.DataFrame
    hours: pd.DataFrame
    flow: pd.DataFrame
    flow_12m: pd.DataFrame
    curve: pd.DataFrame
    quality: dict[str, Any]
    rates: pd.DataFrame
    provenance: dict[str, Any] = field(default_factory=dict)
    references: tuple[bm.Reference, ...] = field(default_factory=lambda: tuple(bm.builtin()))
    los_bins: pd.DataFrame = field(default_factory=pd.DataFrame)
    benchmark_file: str | None = None
    bands: pd.DataFrame | None = None  # PHQ-9 band at first x band at last score, courses
    level_names: dict[str, str] = field(default_factory=dict)  # levels_of_care: code -> name
    # Why each hidden figure is hidden (disclosure.model.SMALL, COMPLEMENTARY, RATE, ESTIMATE),
    # and the counts behind the rates (``~client_scheduled`` ...) as shown (None when hidden).
    reasons: dict[str, str] = field(default_factory=dict)
    behind: dict[str, int | None] = field(default_factory=dict)

    @property
    def internal(self) -> bool:
        return self.k <= 1

    @property
    def km_places(self) -> int:
        """The decimals of a percent this copy prints a Kaplan–Meier figure with: an external
        copy rounds them to ``KM_DIGITS`` and prints what is left (``KM_PLACES``: "71%"); an
        internal copy prints them as every rate, to one decimal ("71.4%")."""
        return 1 if self.internal else KM_PLACES

    @property
    def rounded(self) -> list[str]:
        """The figures this copy prints to the nearest ten (an external copy's retention
        cohort, ``suppress.rounded_keys``); none in an internal one."""
        return [] if self.internal else rounded_keys(self.shown)

    @property
    def hidden(self) -> frozenset[str]:
        """The figures hidden (a ``~`` count and a published frame's cells too): ``reasons``'
        keys."""
        return frozenset(self.reasons)

    def view(self, family: str) -> dict[str, Any]:
        """One family of the document as the page shows it: each hidden count is a ``Hidden``
        mark ("<K" or "suppressed", from why it is hidden); rates and estimates as shown."""
        return _marked(self.shown[family], f"{family}.", self.reasons, self.k)

    def published(self) -> dict[str, pd.DataFrame]:
        """The frames the report publishes beside its document (``published.TABLES``), as
        shown; suppressed with the document as one model."""
        out = {
            "monthly": self.monthly,
            "weekday": self.weekday,
            "service": self.service,
            "hours": self.hours,
            "flow": self.flow,
            "flow_12m": self.flow_12m,
            "los": self.los_bins,
        }
        return out if self.bands is None else {**out, "bands": self.bands}

    def context(self) -> pub.Context:
        """What the published frames' identities need (``published.Context``)."""
        return context_of(self.query, self.doc)

    def marked(self, name: str) -> list[dict[str, Any]]:
        """A published frame's rows as a page's table shows them: a hidden count is its
        ``Hidden`` mark ("<K" or "suppressed")."""
        df = self.published()[name]
        spec = pub.TABLES[name]
        rows = []
        for r, row in zip(pub.rows(name, df), df.to_dict("records"), strict=True):
            out = {str(c): v for c, v in row.items()}
            for c in spec.counts:
                m_ = self.mark(pub.cell(name, r, c))
                if m_ is not None:
                    out[c] = m_
            rows.append(out)
        return rows

    def mark(self, key: str) -> Hidden | None:
        """The mark of a hidden figure (a ``~`` count too), None when it is shown."""
        why = self.reasons.get(key)
        return None if why is None else Hidden(mark(why, self.k))


def _marked(node: Any, prefix: str, reasons: dict[str, str], k: int) -> Any:
    if not isinstance(node, dict):
        return node
    out = {}
    for key, v in node.items():
        path = f"{prefix}{key}"
        if isinstance(v, dict):
            out[key] = _marked(v, f"{path}.", reasons, k)
        else:
            why = reasons.get(path, "")
            count = why in (SMALL, COMPLEMENTARY, WITHHELD)  # a hidden rate or estimate: None
            out[key] = Hidden(mark(why, k)) if count and v is None else v
    return out


@dataclass(frozen=True)
class _Figures:
    doc: dict[str, Any]
    retention: dict[str, Any]
    shown: dict[str, Any]
    reasons: dict[str, str]
    behind: dict[str, int | None]

    @property
    def hidden(self) -> set[str]:
        return set(self.reasons)


def _rates(f: _Figures, curve: pd.DataFrame, k: int) -> pd.DataFrame:
    """Headline rates with numerator, denominator and 95% interval; under suppression a
    hidden numerator or denominator is blanked (its reason in ``numerator_hidden`` and
    ``denominator_hidden``), and so are the rate and interval of a hidden rate."""
    df = m.rate_table(f.doc, f.retention, curve)
    if not k:
        return df
    parts = {key: (num, den) for key, _, num, den in m.RATE_PARTS}
    parts.update({f"retention.day_{n}": ("", "retention.cohort_admissions") for n in (30, 60, 90)})
    cols = ["numerator", "denominator", "rate", "ci_low", "ci_high"]
    df[cols] = df[cols].astype("float64")
    for side, i in (("numerator", 0), ("denominator", 1)):
        why = df["figure"].map(lambda key, i=i: f.reasons.get(parts[key][i]))
        df[f"{side}_hidden"] = why
        df[f"{side}_mark"] = why.map(lambda r: None if pd.isna(r) else mark(r, k))
        df.loc[why.notna(), side] = float("nan")
    hide = df["figure"].isin(f.hidden)
    df.loc[hide, ["rate", "ci_low", "ci_high"]] = float("nan")
    km = df["figure"].str.startswith("retention.day_")  # to the whole percent, as printed
    df.loc[km, ["rate", "ci_low", "ci_high"]] = df.loc[km, ["rate", "ci_low", "ci_high"]].round(
        KM_DIGITS
    )
    # their cohort as the retention sentence prints it: to the nearest ten (``precision.COARSE``)
    about = km & df["denominator"].notna() & df["denominator"].ne(0)
    df.loc[about, "denominator"] = f.shown["retention"]["cohort_admissions"]
    df["denominator_about"] = about
    return df


def _band_labels(df: pd.DataFrame, k: int) -> pd.DataFrame:
    """The grid's cell labels: the count; for none, blank in an internal report and "0" in an
    external one (where a blank cell could be taken for a hidden one); a hidden cell has none
    (the chart draws it grey)."""
    out = df.copy()
    zero = "0" if k else ""
    out["label"] = ["" if pd.isna(v) else (zero if v == 0 else f"{int(v)}") for v in out["n"]]
    return out


def gather(
    con: Con,
    q: Query,
    *,
    suppress: int = 0,
    benchmark: str | None = None,
    hide: dict[str, str] | None = None,
) -> ReportData:
    """Compute every figure, table and chart series of the report for ``q``.

    ``suppress`` = K > 1 applies small-cell suppression (no count 1..K-1). ``benchmark`` is a
    file from ``iop-metrics benchmark teds-d``; without one the TEDS 2004 figures are used.
    ``hide``: cells hidden besides what the report's own model hides, with why (what a run
    hides so that its reports read together leak nothing, ``disclosure.linked``).
    """
    return assemble(
        exact(con, q, members=suppress > 1), suppress=suppress, benchmark=benchmark, hide=hide
    )


def assemble(
    x: Exact,
    *,
    suppress: int = 0,
    benchmark: str | None = None,
    hide: dict[str, str] | None = None,
) -> ReportData:
    """The report of ``gather`` from figures already read (``exact``): suppressed for
    ``suppress`` = K > 1, with ``hide`` forced; reads nothing from the database."""
    k = suppress if suppress and suppress > 1 else 0
    q = x.query
    present = {n: df for n, df in x.frames.items() if df is not None}
    if k:  # the data-quality section's counts are in the model too (#30 item 4)
        present["quality"] = pub.quality_frame(x.quality)
    shown, reasons, behind, frames = suppress_report(
        x.doc,
        k,
        derived=m.derived_counts(x.doc, x.ret),
        tables=present,
        context=context_of(q, x.doc),
        forced={**internal_only(x.doc), **(hide or {})} if k else None,
        members=x.members if k else None,  # the quality frame's records want it in the model
    )
    figures = _Figures(x.doc, x.ret, shown, reasons, behind)
    previous, _, _ = suppress_document(
        x.previous, k, derived=m.derived_counts(x.previous, x.previous_ret)
    )
    full_curve = x.curve
    curve = full_curve
    if k:
        curve, unshown = pooled_curve(full_curve, k)
        for day in unshown:  # 1..k-1 disengagements since the last point shown
            if figures.shown["retention"][f"day_{day}"] is not None:
                figures.shown["retention"][f"day_{day}"] = None
                figures.reasons[f"retention.day_{day}"] = ESTIMATE
        # every Kaplan–Meier figure of an external copy to the whole percent: its estimates,
        # the curve drawn through them and the 90-day trend (``disclosure.precision``)
        for day in (30, 60, 90):
            v = figures.shown["retention"][f"day_{day}"]
            if v is not None:
                figures.shown["retention"][f"day_{day}"] = round(v, KM_DIGITS)
        curve = curve.round({c: KM_DIGITS for c in ("retention", "ci_low", "ci_high")})
    hidden = figures.hidden
    monthly = frames["monthly"]
    if k and len(monthly):
        monthly = monthly.assign(day_90=monthly["day_90"].astype("float64").round(KM_DIGITS))
    if k and "retention.day_90" in hidden and len(monthly):
        # the last month's 90-day estimate is the report's own (the same cohort, as of the
        # same day): hidden in the trends and the tile's sparkline as in the figures
        last = pub.cell("monthly", pub.rows("monthly", monthly)[-1], "day_90")
        figures.reasons.setdefault(last, figures.reasons["retention.day_90"])
        monthly = monthly.assign(day_90=monthly["day_90"].astype("float64"))
        monthly.loc[monthly.index[-1], "day_90"] = float("nan")
        hidden = figures.hidden
    if k and ("retention.day_30" in hidden or int(full_curve["events"].sum()) < k):
        curve = curve.iloc[0:0]
    return ReportData(
        query=q,
        k=k,
        doc=figures.doc,
        shown=figures.shown,
        previous=previous,
        monthly=monthly,
        weekday=frames["weekday"],
        service=frames["service"],
        hours=frames["hours"],
        flow=frames["flow"],
        flow_12m=frames["flow_12m"],
        curve=curve,
        quality=copy.deepcopy(x.quality),
        rates=_rates(figures, full_curve, k),
        provenance=copy.deepcopy(x.provenance),
        references=tuple(bm.load(benchmark, track=q.scope.track)),
        los_bins=frames["los"],
        benchmark_file=benchmark,
        bands=_band_labels(frames["bands"], k) if "bands" in frames else None,
        level_names=dict(x.level_names),
        reasons=figures.reasons,
        behind=figures.behind,
    )


def pooled_curve(curve: pd.DataFrame, k: int) -> tuple[pd.DataFrame, set[int]]:
    """The retention curve as an external report draws it, and the days of 30, 60 and 90
    whose estimate it must not show. Every point published (the curve's steps and those
    estimates) stands for 0 or ``k`` or more disengagements since the point before it: a drop
    of the Kaplan–Meier curve over the shown cohort would give a small count away.

    The estimates come first: each of 30, 60 and 90 days is shown when none or ``k`` or more
    disengagements fell since the last one shown (since day 1 for the first), or when, printed
    to the whole percent as an external copy prints them (``disclosure.precision.KM_DIGITS``),
    the two estimates leave that count more than one value (``km_events_pinned``), else hidden.
    Between them, a step is drawn where ``k`` or more have gathered, and a segment's last step
    is dropped when fewer than ``k`` (but some) would be left before the estimate that ends it,
    so a step never takes the count an estimate needs; after the last estimate shown, the
    tail with fewer than ``k`` is left undrawn. The counts at risk and the events are not
    carried.

    >>> df = pd.DataFrame({"day": [1, 2, 3, 4], "at_risk": [40, 35, 30, 20],
    ...     "events": [5, 3, 4, 2], "retention": [1, .875, .8, .69],
    ...     "ci_low": [1, .8, .7, .6], "ci_high": [1, .9, .85, .8]})
    >>> drawn, unshown = pooled_curve(df, 5)
    >>> drawn["day"].tolist(), unshown
    ([1, 2, 4], set())
    """
    days, events = curve["day"].tolist(), curve["events"].tolist()
    at_risk, est = curve["at_risk"].tolist(), curve["retention"].tolist()
    before = [0]  # before[j]: the disengagements of the rows before row j (the drop at j)
    for e in events[:-1]:
        before.append(before[-1] + int(e))
    ends, unshown, last = [], set(), 0
    for j, day in enumerate(days):
        if j and day in (30, 60, 90):
            since = before[j] - before[last]
            rows = [(int(n), int(e)) for n, e in zip(at_risk[last:j], events[last:j], strict=True)]
            # printed to the whole percent, an estimate may stand for fewer than k: the two
            # printed values then leave the count between them more than one value
            if since and since < k and km_events_pinned(est[last], est[j], rows):
                unshown.add(int(day))
            else:
                ends.append(j)
                last = j
    keep = [0]
    for end in [*ends, None]:
        steps: list[int] = []
        start = keep[-1]
        for j in range(start + 1, len(days) if end is None else end):
            if before[j] - before[(steps or [start])[-1]] >= k:
                steps.append(j)
        if end is not None and steps and 0 < before[end] - before[steps[-1]] < k:
            steps.pop()  # what it leaves before the estimate joins the step before it
        keep.extend(steps if end is None else [*steps, end])
    out = curve.iloc[keep].drop(columns=["at_risk", "events"])
    return out.reset_index(drop=True), unshown


def metrics_json(d: ReportData) -> dict[str, str]:
    """The metrics.json of a report (exact figures, or suppressed figures null) as the notebook
    outputs it: JSON text under one key, since notebook files sort the keys of JSON outputs and
    the document's key order is part of its contract."""
    # an external copy prints its rates as a reader uses them (disclosure.precision)
    doc = d.doc if d.internal else rounded({**d.shown, "suppression": suppression_json(d)})
    if d.benchmark_file:
        doc = {**doc, "benchmark": _references_json(d)}
    return {"metrics_json": json.dumps(doc, indent=2)}


def suppression_json(d: ReportData) -> dict[str, Any]:
    """The ``suppression`` block of the report's external metrics.json."""
    return suppression_block(d.k, d.reasons, d.behind, d.rounded)


def _references_json(d: ReportData) -> list[dict[str, Any]]:
    return [
        {
            "label": r.label,
            "year": r.year,
            "state": r.state,
            "withheld": r.withheld,
            "completion_rate": r.completion_rate,
            "median_stay": r.median_stay,
            "recovery": r.recovery,
        }
        for r in d.references
    ]


def report_data(req: Request) -> ReportData:
    """Gather the figures of the report ``req`` asks for: from the file of figures a run has
    already read (``req.exact``, for this very query: the database is then not read again), or
    from the database read-only (with ``engine`` "spark", the exported tables at
    ``data_path`` on Spark); suppressed for its K, with its share of a run's plan forced."""
    q = req.query
    options: dict[str, Any] = {"suppress": req.suppress, "benchmark": req.benchmark}
    forced = req.hide or None
    if req.exact:
        return assemble(load_exact(req.exact, q), hide=forced, **options)
    con = _open(req.engine, req.db_path, req.data_path or "")
    try:
        return gather(con, q, hide=forced, **options)
    finally:
        con.close()


def _open(engine: str, db_path: str, data_path: str) -> Con:
    if engine == "spark":
        from ..compute.spark import SparkEngine

        return SparkEngine.open(data_path)
    if engine != "duckdb":
        from ..errors import InputError

        raise InputError(f"engine is duckdb or spark, not {engine!r}")
    from ..db import connect

    return connect(db_path, read_only=True)
