"""The 12-month series behind a report's trend charts, in one query per family.

``monthly(con, q)`` returns, for each of the 12 calendar months ending with the month
``q``'s period ends in, the same figures a one-month ``document`` would give for that month
as of ``q.as_of`` (census, attendance, dosage, completion, 90-day retention, transition
outcomes, reliable improvement and recovery), as plain rows. Census and discharges come from one
pass over the episodes, attendance from one scan of the 12 months' sessions, dosage, transitions
and outcomes from one run of their detail SQL over the 12 months grouped by month (a month's
outcome cohort is the courses that ended in it); retention computes the cohort rows
once and runs the Kaplan-Meier summary of ``retention.sql`` on each month's slice of them,
so every figure is the one the document computes, not an approximation of it. On an engine
other than DuckDB (Spark) the series is the 12 one-month documents (same figures, slower).

>>> from iop_metrics.compute.query import Query
>>> from iop_metrics.ingest.sample import example_connection
>>> from iop_metrics.periods import parse_period
>>> rows = monthly(example_connection(), Query.of(parse_period("2026-05")))
>>> len(rows), rows[-1]["month"], rows[-1]["admissions"], rows[-1]["active_at_end"]
(12, '2026-05', 2, 1)
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from ..periods import Period, month
from .engine import DuckDBEngine, Rows, engine_of
from .metrics import document
from .query import Con, Query, records
from .sqlfiles import compose, sql_code
from .transitions import determined, step_down_rate

if TYPE_CHECKING:
    import pandas as pd

# The outcome figures of each month's row: the document's outcomes key of that month.
OUTCOME_COUNTS = ("courses", "paired", "reliable_improvement", "at_caseness", "recovery")
OUTCOME_RATES = {
    "reliable_improvement_rate": ("reliable_improvement", "paired"),
    "recovery_rate": ("recovery", "at_caseness"),
}
OUTCOME_KEYS = (
    "courses",
    "paired",
    "reliable_improvement",
    "reliable_improvement_rate",
    "at_caseness",
    "recovery",
    "recovery_rate",
)
# The recovery figures of each month's row (recovery.md): abstinent at discharge over the
# episodes paired on abstinence that ended in the month (the document's noms.abstinent), and the
# 3-month follow-up of the windows that closed in the 12 months ending with the month (its
# follow_up.3m: a rolling figure, as the document's is for any period).
RECOVERY_COUNTS = ("abstinent_paired", "abstinent_at_discharge", "due_3m", "reached_3m")
RECOVERY_RATES = {
    "abstinent_discharge_rate": ("abstinent_at_discharge", "abstinent_paired"),
    "response_rate_3m": ("reached_3m", "due_3m"),
}

# What a month's row counts, and its rates over them (numerator, denominator).
SERIES_COUNTS = (
    "active_at_end",
    "admissions",
    "discharges",
    "attended",
    "client_scheduled",
    "no_show",
    "client_weeks",
    "meeting",
    "completed",
    "cohort",
    "step_down",
    "determined",
    *OUTCOME_COUNTS,
    *RECOVERY_COUNTS,
)
SERIES_RATES = {
    "attendance_rate": ("attended", "client_scheduled"),
    "share_meeting_threshold": ("meeting", "client_weeks"),
    "completion_rate": ("completed", "discharges"),
    "step_down_rate": ("step_down", "determined"),
    **OUTCOME_RATES,
    **RECOVERY_RATES,
}


def trailing_months(period: Period, n: int = 12) -> list[Period]:
    """The ``n`` calendar months ending with the month ``period`` ends in."""
    last = month(period.end.year, period.end.month)
    out = [last]
    while len(out) < n:
        out.insert(0, out[0].previous())
    return out


def _months_cte(months: list[Period]) -> str:
    """The months as a portable VALUES table: month_key (yyyymm), month_start, month_end."""
    rows = ",\n        ".join(
        f"({p.start.year * 100 + p.start.month}, date '{p.start.isoformat()}', "
        f"date '{p.end.isoformat()}')"
        for p in months
    )
    columns = "m (month_key, month_start, month_end)"
    return f"select * from (\n    values\n        {rows}\n) as {columns}"


def _records(
    eng: DuckDBEngine, text: str, q: Query, extra: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    return eng._rows(eng.execute(text, {**q.params(), **(extra or {})})).records()


def _by_month(eng: DuckDBEngine, name: str, q: Query, months: str) -> dict[int, dict[str, Any]]:
    text = compose(name, given={"months": months})
    return {r["month_key"]: r for r in _records(eng, text, q)}


class Cohorts:
    """Retention cohort rows (retention_cohort.sql) as of ``q.as_of`` in ``q``'s scope, computed
    once for every 12-month admission window ending between ``first_end`` and ``q.period.end``,
    then sliced per window: ``summary(end)`` is retention.sql and ``curve(end)`` is
    retention_curve.sql for the window ending at ``end``, the same rows the document would
    compute (a cohort row's t, event and flags depend on as_of, never on the window). Use as a
    context manager on a DuckDB engine; the scratch table is dropped on exit."""

    TABLE = "series_cohorts"

    def __init__(self, eng: DuckDBEngine, q: Query, first_end: dt.date) -> None:
        self.eng, self.q = eng, q
        last = q.period.end
        # Windows [e - 364, e], 365 days apart, until they reach first_end's window.
        ends: dict[str, dt.date] = {"end_": last}
        while min(ends.values()) > first_end:
            ends[f"end_{'x' * len(ends)}"] = min(ends.values()) - dt.timedelta(days=365)
        runs = [sql_code("retention_cohort").replace("$end", f"${name}") for name in ends]
        _records(
            eng,
            f"create or replace temp table {self.TABLE} as\n"
            + "\nunion all\n".join(f"select * from ({r})" for r in runs),
            q,
            ends,
        )
        self.first_end = first_end

    def _slice(self, name: str, end: dt.date) -> str:
        """File ``name`` reading series_cohort.sql's rows as its cohort (``detail``)."""
        if not self.first_end <= end <= self.q.period.end:
            raise ValueError(f"no cohort rows computed for the window ending {end}")
        given = {"cohorts": f"select * from {self.TABLE}"}
        return compose(name, bind={"detail": "series_cohort"}, given=given)

    def _query(self, end: dt.date) -> Query:
        return Query(Period("window", end, end, "span"), self.q.as_of, self.q.scope)

    def summary(self, end: dt.date) -> dict[str, Any]:
        text = self._slice("retention", end)
        return _records(self.eng, text, self._query(end))[0]

    def curve(self, end: dt.date) -> Rows:
        text = self._slice("retention_curve", end)
        return self.eng._rows(self.eng.execute(text, self._query(end).params()))

    def __enter__(self) -> Cohorts:
        return self

    def __exit__(self, *exc: object) -> None:
        self.eng.con.execute(f"drop table if exists temp.{self.TABLE}")


def cohorts(con: Con, q: Query, first_end: dt.date) -> Cohorts | None:
    """``Cohorts`` on a DuckDB engine, else ``None`` (compute each summary the usual way)."""
    eng = engine_of(con)
    return Cohorts(eng, q, first_end) if isinstance(eng, DuckDBEngine) else None


def _retention(
    eng: DuckDBEngine, q: Query, months: list[Period], shared: Cohorts | None
) -> dict[int, dict[str, Any]]:
    """Cohort size and 90-day retention per month, from cohort rows computed once."""
    if shared is not None:
        return {p.start.year * 100 + p.start.month: shared.summary(p.end) for p in months}
    with Cohorts(eng, q, months[0].end) as own:
        return {p.start.year * 100 + p.start.month: own.summary(p.end) for p in months}


def monthly(con: Con, q: Query, *, shared: Cohorts | None = None) -> list[dict[str, Any]]:
    """One row per month (oldest first): the figures of the report's trend charts. ``shared``:
    cohort rows already computed for ``q`` (covering the first month's window)."""
    eng = engine_of(con)
    if not isinstance(eng, DuckDBEngine):
        return [_from_document(con, p, q) for p in trailing_months(q.period)]
    months = trailing_months(q.period)
    span = Query(
        Period("12 months", months[0].start, months[-1].end, "span"),
        q.as_of,
        q.scope,
        q.window_days,
    )
    table = _months_cte(months)
    eps = _by_month(eng, "series_episodes", span, table)
    att = _by_month(eng, "series_attendance", span, table)
    dos = _by_month(eng, "series_dosage", span, table)
    tra = _by_month(eng, "series_transitions", span, table)
    out = _outcomes(eng, span)
    rec = _recovery(con, q, months)
    ret = _retention(eng, q, months, shared)
    rows = []
    for p in months:
        key = p.start.year * 100 + p.start.month
        e, a, d, t, r = eps[key], att[key], dos[key], tra[key], ret[key]
        o = out.get(key, NO_OUTCOMES)
        rows.append(
            {
                "month": p.label,
                "active_at_end": e["active_at_end"],
                "admissions": e["admissions"],
                "discharges": e["discharges"],
                "attended": a["attended"],
                "client_scheduled": a["client_scheduled"],
                "no_show": a["no_show"],
                "attendance_rate": a["attendance_rate"],
                "client_weeks": d["client_weeks"],
                "meeting": d["meeting"],
                "share_meeting_threshold": d["share_meeting_threshold"],
                "completed": e["completed"],
                "completion_rate": e["completion_rate"],
                "cohort": r["cohort_admissions"],
                "day_90": r["day_90"],
                "step_down": t["step_down"],
                "determined": determined(t),
                "step_down_rate": step_down_rate(t),
                **{k: o[k] for k in OUTCOME_KEYS},
                **rec[key],
            }
        )
    return rows


def monthly_series(con: Con, q: Query, *, shared: Cohorts | None = None) -> pd.DataFrame:
    """The 12 months ending with ``q``'s period, one row each, as of ``q.as_of``: census,
    attendance, dosage, completion, 90-day retention, step-down, reliable improvement and
    recovery figures with their counts (for trends, sparklines and the attendance control
    chart); ``monthly``'s rows as a frame, the same figures as 12 one-month documents. With
    its small cells hidden: ``im.monthly_series(..., suppress=K)`` (``disclosure.tables``)."""
    import pandas as pd

    return pd.DataFrame(monthly(con, q, shared=shared))


def _rate(num: int, den: int) -> float | None:
    return num / den if den else None


def _recovery_row(paired: int, at_discharge: int, due: int, reached: int) -> dict[str, Any]:
    return {
        "abstinent_paired": paired,
        "abstinent_at_discharge": at_discharge,
        "abstinent_discharge_rate": _rate(at_discharge, paired),
        "due_3m": due,
        "reached_3m": reached,
        "response_rate_3m": _rate(reached, due),
    }


def _recovery(con: Con, q: Query, months: list[Period]) -> dict[int, dict[str, Any]]:
    """Each month's recovery figures from one run of noms_detail over the 12 months (grouped
    by the month of discharge) and one of follow_up_detail over the windows closed in the 23
    months the rolling 3-month figures cover (each month takes those closed in its own 12)."""
    from .recovery import follow_up_detail, noms_detail

    def span(start: dt.date) -> Query:
        return Query(Period("span", start, months[-1].end, "span"), q.as_of, q.scope, q.window_days)

    nd = noms_detail(con, span(months[0].start))
    nd = nd[(nd["domain"] == "abstinent") & nd["paired"].astype(bool)]
    fu = follow_up_detail(con, span(months[0].end - dt.timedelta(days=364)))
    fu = fu[fu["window_name"] == "3m"]
    import pandas as pd

    ends, closes = pd.to_datetime(nd["discharge_date"]), pd.to_datetime(fu["closes_on"])
    out = {}
    for p in months:
        first, last = pd.Timestamp(p.start), pd.Timestamp(p.end)
        ended = nd[(ends >= first) & (ends <= last)]
        due = fu[(closes >= last - pd.Timedelta(days=364)) & (closes <= last)]
        out[p.start.year * 100 + p.start.month] = _recovery_row(
            len(ended),
            int(ended["discharge"].astype(bool).sum()),
            len(due),
            int((due["category"] == "reached").sum()),
        )
    return out


# A month in which no in-scope episode ended: what its document's outcomes key says.
NO_OUTCOMES: dict[str, Any] = {k: None if k.endswith("_rate") else 0 for k in OUTCOME_KEYS}


def _outcomes(eng: DuckDBEngine, span: Query) -> dict[int, dict[str, Any]]:
    """The combined outcome figures of each month of ``span`` with an ended episode, from one
    run of the outcome cohort, detail and per-course SQL over the whole span."""
    return {r["month_key"]: r for r in records(eng, "series_outcomes", span)}


def _from_document(con: Con, p: Period, q: Query) -> dict[str, Any]:
    """One month's row from its full document (engines other than DuckDB)."""
    d = document(con, Query(p, q.as_of, q.scope, q.window_days))
    a, t = d["attendance"], d["transitions"]
    return {
        "month": p.label,
        "active_at_end": d["census"]["active_at_end"],
        "admissions": d["census"]["admissions"],
        "discharges": d["census"]["discharges"],
        "attended": a["attended"],
        "client_scheduled": a["attended"] + a["no_show"] + a["cancelled_client"],
        "no_show": a["no_show"],
        "attendance_rate": a["attendance_rate"],
        "client_weeks": d["dosage"]["client_weeks"],
        "meeting": d["dosage"]["client_weeks_meeting_threshold"],
        "share_meeting_threshold": d["dosage"]["share_meeting_threshold"],
        "completed": d["discharges"]["by_reason"]["completed"],
        "completion_rate": d["discharges"]["completion_rate"],
        "cohort": d["retention"]["cohort_admissions"],
        "day_90": d["retention"]["day_90"],
        "step_down": t["step_down"],
        "determined": determined(t),
        "step_down_rate": step_down_rate(t),
        **{k: d["outcomes"][k] for k in OUTCOME_KEYS},
        **_recovery_row(
            d["noms"]["abstinent"]["paired"],
            d["noms"]["abstinent"]["at_discharge"],
            d["follow_up"]["3m"]["due"],
            d["follow_up"]["3m"]["reached"],
        ),
    }
