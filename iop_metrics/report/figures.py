"""What a report reads from the database: every figure of one query, exact, read once.

``exact`` reads them (the document, the previous period's, the frames published beside the
document, the retention curve, data quality and provenance) into an ``Exact``, which
``data.assemble`` suppresses and lays out without reading anything more. A run keeps each
scope's ``Exact`` in a file (``save_exact``) for its internal and external report.
"""

from __future__ import annotations

import datetime as dt
import os
import pickle
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..compute import metrics as m
from ..compute import series
from ..compute.attendance import attendance
from ..compute.census import length_of_stay_bins
from ..compute.coverage import data_end
from ..compute.engine import engine_of
from ..compute.query import Con, Query, records, run
from ..compute.retention import retention_curve, retention_summary
from ..compute.series import trailing_months
from ..compute.transitions import transition_matrix
from ..disclosure import published as pub
from ..disclosure.model import Cells
from ..disclosure.suppress import document_cells
from ..periods import Period, us_federal_holidays
from . import benchmark as bm


def context_of(q: Query, doc: dict[str, Any]) -> pub.Context:
    """What the published frames' identities need: the period's months (when it is whole
    months), the scope's levels, whether the period is within a year."""
    months = [p for p in trailing_months(q.period) if q.period.start <= p.start <= q.period.end]
    whole = bool(months) and months[0].start == q.period.start and months[-1].end == q.period.end
    return pub.Context(
        period_months=tuple(p.label for p in months) if whole else (),
        levels=tuple(q.scope.levels) if q.scope.levels is not None else None,
        within_year=(q.period.end - q.period.start).days <= 364,
    )


@dataclass(frozen=True)
class Exact:
    """Every figure the report for ``query`` reads from the database, exact: what a report
    and its external copy share, so that a run reads them once per scope (``exact``) and
    renders both from them (the notebook's ``exact`` parameter). Nothing here is suppressed."""

    query: Query
    doc: dict[str, Any]
    ret: dict[str, Any]  # the retention summary behind the document's counts
    frames: dict[str, pd.DataFrame | None]  # the frames published beside it (``_frames``)
    previous: dict[str, Any]  # the previous period's document, and its retention summary
    previous_ret: dict[str, Any]
    curve: pd.DataFrame  # the retention curve (Kaplan-Meier, every day)
    quality: dict[str, Any]
    provenance: dict[str, Any]
    level_names: dict[str, str]
    # the records each episode count of the report counts (``disclosure.atoms``)
    # None: no records read (an internal copy needs none)
    members: dict[str, tuple[str, ...]] | None = None

    def cells(self) -> Cells:
        """The model its suppression protects, for a run to join with the models of the
        reports it publishes beside it (``disclosure.linked``)."""
        present = {n: df for n, df in self.frames.items() if df is not None}
        present["quality"] = pub.quality_frame(self.quality)
        return document_cells(
            self.doc,
            m.derived_counts(self.doc, self.ret),
            tables=present,
            context=context_of(self.query, self.doc),
            members=self.members,
        )


def exact(con: Con, q: Query, *, members: bool = True) -> Exact:
    """Read every figure of the report for ``q`` (``Exact``); with ``members``, the records of
    its episode counts too (what its external copy's model needs, ``disclosure.atoms``)."""
    prev_q = Query(q.period.previous(), q.as_of, q.scope, q.window_days)
    first_end = min(trailing_months(q.period)[0].end, prev_q.period.end)
    # The retention cohort rows, computed once for this period, the previous one and the 12
    # months of the trends (DuckDB; other engines compute each the usual way).
    shared = series.cohorts(con, q, first_end)
    try:
        frames = _frames(con, q, shared)
        ret = shared.summary(q.period.end) if shared else retention_summary(con, q)
        doc = m.document(con, q, retention=ret)
        prev_ret = shared.summary(prev_q.period.end) if shared else None
        prev_ret = prev_ret if prev_ret is not None else retention_summary(con, prev_q)
        previous = m.document(con, prev_q, retention=prev_ret)
        curve = shared.curve(q.period.end).frame() if shared else retention_curve(con, q)
        return Exact(
            q, doc, ret, frames, previous, prev_ret, curve,
            _quality(con, q), _provenance(con), _level_names(con),
            _members(con, q) if members else None,
        )  # fmt: skip
    finally:
        if shared is not None:
            shared.__exit__()


def _members(con: Con, q: Query) -> dict[str, tuple[str, ...]]:
    """The records of the report's episode counts (``disclosure.atoms``), its LOS groups'."""
    from ..disclosure.atoms import document_members

    return document_members(con, q, months=trailing_months(q.period), los_groups=bm.LOS_GROUPS)


def cells_of(con: Con, q: Query) -> Cells:
    """The model of the report for ``q`` (``Exact.cells``) reading only what it holds (the
    document, the frames it publishes and the data-quality counts: no previous period or
    retention curve): an earlier output the publication ledger recomputes
    (``disclosure.ledger``)."""
    shared = series.cohorts(con, q, trailing_months(q.period)[0].end)
    try:
        frames = _frames(con, q, shared)
        ret = shared.summary(q.period.end) if shared else retention_summary(con, q)
        doc = m.document(con, q, retention=ret)
    finally:
        if shared is not None:
            shared.__exit__()
    present = {n: df for n, df in frames.items() if df is not None}
    present["quality"] = pub.quality_frame(_quality(con, q))
    return document_cells(
        doc,
        m.derived_counts(doc, ret),
        tables=present,
        context=context_of(q, doc),
        members=_members(con, q),
    )


def _breakdown(con: Con, q: Query, by: str) -> pd.DataFrame:
    """Attendance by ``by`` (weekday, service type), exact: suppressed with the document."""
    return attendance(con, q, by=by)


def _flow(con: Con, q: Query) -> pd.DataFrame:
    """The level-of-care flow matrix, exact: suppressed with the document."""
    return transition_matrix(con, q)


BANDS = ("minimal", "mild", "moderate", "moderately severe", "severe")


def _bands(con: Con, q: Query) -> pd.DataFrame:
    """PHQ-9 severity band at the first against the last score of the paired courses: one row
    per cell of the grid (``n`` courses), exact: suppressed with the document."""
    from ..compute.outcomes import outcomes_detail

    detail = outcomes_detail(con, q)
    paired = detail[(detail["instrument"] == "PHQ-9") & detail["paired"].astype(bool)]
    counts = paired.groupby(["first_band", "last_band"]).size()
    grid = [(a, b) for a in BANDS for b in BANDS]
    df = pd.DataFrame(
        {
            "start": [a for a, _ in grid],
            "end": [b for _, b in grid],
            "n": [int(counts.get((a, b), 0)) for a, b in grid],
            "band_order": [a for a, _ in grid],
        }
    )
    df = df.assign(band_order=[BANDS[i // len(BANDS)] for i in range(len(grid))])
    return df


def _los_bins(con: Con, q: Query) -> pd.DataFrame:
    """The period's discharges in TEDS's LOS bins (grouped for display), exact."""
    codes = length_of_stay_bins(con, q)
    counts = dict(zip(codes["los_code"].astype(int), codes["n"].astype(int), strict=True))
    df = pd.DataFrame(
        {
            "bin": [label for label, _, _ in bm.LOS_GROUPS],
            "n": [sum(counts.get(c, 0) for c in range(lo, hi + 1)) for _, lo, hi in bm.LOS_GROUPS],
        }
    )
    total = int(df["n"].sum())
    df["share"] = df["n"] / total if total else float("nan")
    return df


def _quality(con: Con, q: Query) -> dict[str, Any]:
    closed = us_federal_holidays(q.period.start, q.period.end)
    figures = records(con, "quality", q, extra={"closed_days": closed})[0]
    engine = engine_of(con)
    loaded = engine.query("load_rows", {}).frame()
    rejected = engine.query("load_rejected", {}).frame()
    return {**figures, "loaded": loaded, "rejected": rejected, "imported": _imported(con)}


def _imported(con: Con) -> dict[str, Any] | None:
    """The import summary when the load came through a mapping (load_log.import_report)."""
    from ..disclosure.atoms import import_report

    report = import_report(con)
    if report is None:
        return None
    tables = pd.DataFrame(
        [
            {
                "table_name": name,
                "files": ", ".join(t["files"]),
                "rows_read": t["rows_read"],
                "rows_skipped": sum(sum(v.values()) for v in t["rows_skipped"].values()),
                "rows_collapsed": t["rows_collapsed"],
                "rows_written": t["rows_written"],
                "labels": sum(len(c) for c in t["codes"].values()),
            }
            for name, t in report["tables"].items()
        ]
    )
    from ..ingest.labels import code_names

    sites = code_names(report, "episodes", "site")
    return {"mapping": report["mapping"], "tables": tables, "site_names": sites}


def _level_names(con: Con) -> dict[str, str]:
    """The loaded levels_of_care table's names, by code (the report's labels for levels)."""
    rows = engine_of(con).query("data_levels", {}).data
    return {str(code): str(name) for code, name in rows}


def _provenance(con: Con) -> dict[str, Any]:
    rows = engine_of(con).query("load_provenance", {}).data
    snapshot, loaded_at, version = rows[0] if rows else (None, None, None)
    end = data_end(con)
    return {
        "snapshot": snapshot,
        "loaded_at": loaded_at,
        "loaded_by_version": version,
        "data_end": end,  # where the data ends (coverage.DataEnd), None without data
    }


def _frames(con: Con, q: Query, shared: series.Cohorts | None) -> dict[str, pd.DataFrame | None]:
    """Every frame the report publishes beside its document, exact."""
    all_levels = Query(
        Period(
            f"{q.period.label} (12 months)",
            q.period.end - dt.timedelta(days=364),
            q.period.end,
            "span",
        ),
        q.as_of,
        q.scope,
        q.window_days,
    )
    return {
        "monthly": pd.DataFrame(series.monthly(con, q, shared=shared)),
        "weekday": _breakdown(con, q, "weekday"),
        "service": _breakdown(con, q, "service_type"),
        "hours": run(con, "dosage_hours", q),
        "flow": _flow(con, q),
        "flow_12m": _flow(con, all_levels),
        "los": _los_bins(con, q),
        "bands": _bands(con, q),
    }


def keep(value: Any, path: str | os.PathLike[str]) -> None:
    """Keep ``value`` for the outputs of a run that share it (a file of the run's own folder)."""
    with open(path, "wb") as f:
        pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)


def kept(path: str | os.PathLike[str], q: Query, what: str, query_of: Any) -> Any:
    """What ``keep`` kept at ``path``, checked to be the ``what`` of ``q`` (``query_of(value)``
    gives the query it was computed for, or None when it is not such a value)."""
    with open(path, "rb") as f:
        value = pickle.load(f)  # noqa: S301 - written by this run, in its own folder
    if query_of(value) != q:
        raise ValueError(f"{path}: not the {what} of {q.period.label} {q.scope}")
    return value


def save_exact(x: Exact, path: str | os.PathLike[str]) -> None:
    """Keep ``x`` for the reports of a run that share it (a file of the run's own folder)."""
    keep(x, path)


def load_exact(path: str | os.PathLike[str], q: Query) -> Exact:
    """The figures ``save_exact`` kept, checked to be those of ``q``."""
    x: Exact = kept(path, q, "figures", lambda v: v.query if isinstance(v, Exact) else None)
    return x
