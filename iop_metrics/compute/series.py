"""The 12-month series behind a report's trend charts, in one query per family.

``monthly(con, q)`` returns, for each of the 12 calendar months ending with the month
``q``'s period ends in, the same figures a one-month ``document`` would give for that month
as of ``q.as_of`` (census, attendance, dosage, completion, 90-day retention, transition
outcomes), as plain rows. Census and discharges come from one pass over the episodes,
attendance from one scan of the 12 months' sessions, dosage and transitions from one run of
their detail SQL over the 12 months grouped by month; retention computes the cohort rows
once and runs the Kaplan-Meier summary of ``retention.sql`` on each month's slice of them,
so every figure is the one the document computes, not an approximation of it. On an engine
other than DuckDB (Spark) the series is the 12 one-month documents (same figures, slower).

>>> from iop_metrics.compute.metrics import Query, example_connection
>>> from iop_metrics.periods import parse_period
>>> rows = monthly(example_connection(), Query.of(parse_period("2026-05")))
>>> len(rows), rows[-1]["month"], rows[-1]["admissions"], rows[-1]["active_at_end"]
(12, '2026-05', 2, 1)
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..periods import Period, month
from .engine import DuckDBEngine, engine_of, sql_text, used_params
from .metrics import Con, Query, document


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


def _body(name: str) -> str:
    return "\n".join(
        line for line in sql_text(name).splitlines() if not line.lstrip().startswith("--")
    ).strip()


def _with(ctes: list[tuple[str, str]], name: str) -> str:
    """SQL file ``name`` with ``ctes`` (name, SQL text) in front of it as CTEs."""
    body = _body(name)
    if not ctes:
        return body
    parts = ",\n".join(f"{cte} as (\n{text}\n)" for cte, text in ctes)
    if body[:5].lower() == "with ":
        return f"with {parts},\n{body[5:]}"
    return f"with {parts}\n{body}"


def _records(
    eng: DuckDBEngine, text: str, q: Query, extra: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    eng.prepare()
    cur = eng.con.execute(text, used_params(text, {**q.params(), **(extra or {})}))
    return eng._rows(cur).records()


def _by_month(
    eng: DuckDBEngine, name: str, q: Query, months: str, reads: tuple[str, ...] = ()
) -> dict[int, dict[str, Any]]:
    ctes = [("months", months), *(("detail", _body(f)) for f in reads)]
    return {r["month_key"]: r for r in _records(eng, _with(ctes, name), q)}


def _retention(eng: DuckDBEngine, q: Query, months: list[Period]) -> dict[int, dict[str, Any]]:
    """Cohort size and 90-day retention per month: the cohort rows of every month's 12-month
    window computed once (two runs of retention_cohort.sql, 365 days apart, cover them all),
    then retention.sql over each month's slice."""
    last = months[-1].end
    ends = {"end_last": last, "end_before": last - dt.timedelta(days=365)}
    runs = [_body("retention_cohort").replace("$end", f"${name}") for name in ends]
    _records(
        eng,
        "create or replace temp table series_cohorts as\n"
        + "\nunion all\n".join(f"select * from ({r})" for r in runs),
        q,
        ends,
    )
    try:
        out = {}
        for p in months:
            text = _with(
                [
                    ("cohorts", "select * from series_cohorts"),
                    ("detail", _body("series_cohort")),
                    ("curve", _body("retention_curve")),
                ],
                "retention",
            )
            mq = Query(p, q.as_of, q.scope, q.window_days)
            out[p.start.year * 100 + p.start.month] = _records(eng, text, mq)[0]
        return out
    finally:
        eng.con.execute("drop table if exists temp.series_cohorts")


def monthly(con: Con, q: Query) -> list[dict[str, Any]]:
    """One row per month (oldest first): the figures of the report's trend charts."""
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
    dos = _by_month(eng, "series_dosage", span, table, ("dosage_weeks",))
    tra = _by_month(eng, "series_transitions", span, table, ("transitions_detail",))
    ret = _retention(eng, q, months)
    rows = []
    for p in months:
        key = p.start.year * 100 + p.start.month
        e, a, d, t, r = eps[key], att[key], dos[key], tra[key], ret[key]
        determined = t["step_down"] + t["step_up"] + t["lateral"] + t["no_next_care"]
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
                "determined": determined,
                "step_down_rate": t["step_down"] / determined if determined else None,
            }
        )
    return rows


def _from_document(con: Con, p: Period, q: Query) -> dict[str, Any]:
    """One month's row from its full document (engines other than DuckDB)."""
    d = document(con, Query(p, q.as_of, q.scope, q.window_days))
    a, t = d["attendance"], d["transitions"]
    determined = t["step_down"] + t["step_up"] + t["lateral"] + t["no_next_care"]
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
        "determined": determined,
        "step_down_rate": t["step_down"] / determined if determined else None,
    }
