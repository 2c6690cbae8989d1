"""The report's 12-month series, now one query per family, gives exactly the figures of the 12
one-month documents it replaced (the previous implementation is kept here as the reference)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from iop_metrics.compute import metrics as m
from iop_metrics.compute.series import monthly, trailing_months
from iop_metrics.periods import parse_period
from iop_metrics.report.data import monthly_series


def _by_documents(con, q: m.Query) -> pd.DataFrame:
    """The series as 12 full documents, one per month (the implementation before #11)."""
    rows = []
    for p in trailing_months(q.period):
        d = m.document(con, m.Query(p, q.as_of, q.scope, q.window_days))
        a, t = d["attendance"], d["transitions"]
        determined = t["step_down"] + t["step_up"] + t["lateral"] + t["no_next_care"]
        rows.append(
            {
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
        )
    return pd.DataFrame(rows)


QUERIES = {
    "month": m.Query.of(parse_period("2026-10")),
    "quarter": m.Query.of(parse_period("2026-Q2")),
    "early month": m.Query.of(parse_period("2025-03")),  # months before the data start
    "as of later": m.Query.of(parse_period("2026-05"), as_of=dt.date(2026, 7, 10)),
    "all levels, site": m.Query.of(parse_period("2026-08"), scope=m.Scope(None, "north", None)),
    "track, window 30": m.Query.of(
        parse_period("2026-06"), scope=m.Scope(track="adult-evening"), window_days=30
    ),
}


@pytest.mark.parametrize("name", QUERIES)
def test_series_equals_twelve_documents_exactly(sample_con, name):
    q = QUERIES[name]
    want = _by_documents(sample_con, q)
    got = pd.DataFrame(monthly(sample_con, q))
    assert list(got.columns) == list(want.columns)
    assert got["month"].tolist() == [p.label for p in trailing_months(q.period)]
    pd.testing.assert_frame_equal(got, want, check_exact=True, check_dtype=False)


def test_series_has_figures_to_compare(sample_con):
    got = pd.DataFrame(monthly(sample_con, QUERIES["month"]))
    assert got["admissions"].sum() > 100 and got["attended"].sum() > 1000
    assert got["day_90"].notna().all() and got["step_down"].sum() > 0


def test_suppressed_series_equals_the_documents_suppressed(sample_con):
    from iop_metrics.privacy import suppress_frame

    q = m.Query.of(parse_period("2026-10"), scope=m.Scope(site="north"))
    got = monthly_series(sample_con, q, suppress=11)
    counts = (
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
    )
    rates = {
        "attendance_rate": ("attended", "client_scheduled"),
        "share_meeting_threshold": ("meeting", "client_weeks"),
        "completion_rate": ("completed", "discharges"),
        "step_down_rate": ("step_down", "determined"),
    }
    want = suppress_frame(
        _by_documents(sample_con, q), 11, across_rows=False, counts=counts, rates=rates
    )
    want["day_90"] = want["day_90"].astype("float64").mask(want["cohort"].isna())
    assert got["admissions"].isna().any()  # the site's small months are hidden
    pd.testing.assert_frame_equal(got, want, check_exact=True, check_dtype=False)


def test_series_leaves_no_scratch_table(sample_con):
    monthly(sample_con, QUERIES["month"])
    left = sample_con.execute(
        "select count(*) from duckdb_tables() where table_name = 'series_cohorts'"
    ).fetchall()
    assert left == [(0,)]


@pytest.mark.parametrize(
    ("period", "suppress"), [("2026-10", 0), ("2026-Q2", 11), ("2025", 0), ("2026-08", 11)]
)
def test_gather_with_shared_cohort_rows_equals_computing_each(
    sample_con, monkeypatch, period, suppress
):
    from iop_metrics.compute import series
    from iop_metrics.report.data import gather

    q = m.Query.of(parse_period(period))
    fast = gather(sample_con, q, suppress=suppress)
    monkeypatch.setattr(series, "cohorts", lambda *a, **k: None)
    slow = gather(sample_con, q, suppress=suppress)
    assert fast.doc == slow.doc and fast.previous == slow.previous
    assert fast.shown == slow.shown and fast.hidden == slow.hidden
    for name in ("monthly", "curve", "rates"):
        pd.testing.assert_frame_equal(getattr(fast, name), getattr(slow, name), check_exact=True)
    assert len(fast.curve) > 0 or suppress
