"""The report's 12-month series, now one query per family, gives exactly the figures of the 12
one-month documents it replaced (the previous implementation is kept here as the reference),
outcomes included: each month's outcome cohort is the courses that ended in it."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from helpers import client, episode, session, write_dataset

from iop_metrics.compute import metrics as m
from iop_metrics.compute.outcomes import outcomes_key
from iop_metrics.compute.query import Query, Scope
from iop_metrics.compute.series import monthly, trailing_months
from iop_metrics.disclosure.tables import monthly_series
from iop_metrics.ingest.load import load
from iop_metrics.periods import month, parse_period

# The document's outcomes figures each month's row carries (written out, not imported).
OUTCOMES = (
    "courses",
    "paired",
    "reliable_improvement",
    "reliable_improvement_rate",
    "at_caseness",
    "recovery",
    "recovery_rate",
)


# The one-month documents of the sample, computed once per process: the tests below compare
# the series with the same months' documents (a document of the sample is ~0.1 s). The two
# tests that read the same months run in one xdist group (DOCUMENTS), so that under -n the
# second finds them computed on its worker instead of computing 12 documents again.
_DOCUMENTS: dict[Query, dict] = {}
DOCUMENTS = pytest.mark.xdist_group("series-documents")


def _document(con, q: Query) -> dict:
    """``m.document`` of the sample (``sample_con``) for ``q``, computed once."""
    if q not in _DOCUMENTS:
        _DOCUMENTS[q] = m.document(con, q)
    return _DOCUMENTS[q]


def _by_documents(con, q: Query) -> pd.DataFrame:
    """The series as 12 full documents, one per month (the implementation before #11)."""
    rows = []
    for p in trailing_months(q.period):
        d = _document(con, Query(p, q.as_of, q.scope, q.window_days))
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
                **{k: d["outcomes"][k] for k in OUTCOMES},
                # recovery.md: abstinent at discharge over the month's paired episodes, and
                # the 3-month follow-up of the windows closed in the 12 months to its end
                "abstinent_paired": d["noms"]["abstinent"]["paired"],
                "abstinent_at_discharge": d["noms"]["abstinent"]["at_discharge"],
                "abstinent_discharge_rate": d["noms"]["abstinent"]["discharge_rate"],
                "due_3m": d["follow_up"]["3m"]["due"],
                "reached_3m": d["follow_up"]["3m"]["reached"],
                "response_rate_3m": d["follow_up"]["3m"]["response_rate"],
            }
        )
    return pd.DataFrame(rows)


QUERIES = {
    "month": Query.of(parse_period("2026-10")),
    "quarter": Query.of(parse_period("2026-Q2")),
    "early month": Query.of(parse_period("2025-03")),  # months before the data start
    "as of later": Query.of(parse_period("2026-05"), as_of=dt.date(2026, 7, 10)),
    "all levels, site": Query.of(parse_period("2026-08"), scope=Scope(None, "north", None)),
    "track, window 30": Query.of(
        parse_period("2026-06"), scope=Scope(track="adult-evening"), window_days=30
    ),
}


@DOCUMENTS
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
    assert got["paired"].sum() > 100 and got["recovery"].sum() > 50
    assert got["reliable_improvement_rate"].notna().all() and got["recovery_rate"].nunique() > 6


@DOCUMENTS
@pytest.mark.parametrize("name", ["month", "all levels, site", "as of later"])
def test_each_months_outcomes_are_that_months_document_figures(sample_con, name):
    q = QUERIES[name]
    rows = monthly(sample_con, q)
    for p, row in zip(trailing_months(q.period), rows, strict=True):
        doc = _document(sample_con, Query(p, q.as_of, q.scope, q.window_days))["outcomes"]
        got = {k: row[k] for k in OUTCOMES}
        want = {k: doc[k] for k in OUTCOMES}
        assert got == want, p.label  # exact: the same integers and the same divisions
        for k in OUTCOMES:
            assert type(got[k]) is type(want[k]), (p.label, k)


def _a(eid: str, day: str, instrument: str, score: float) -> dict:
    return {"episode_id": eid, "assessed_on": day, "instrument": instrument, "score": score}


def _outcome_case() -> dict[str, list[dict]]:
    """Courses ending in four months of the 12 ending 2026-05 (and one before, one after)."""
    t: dict[str, list[dict]] = {"clients": [], "episodes": [], "sessions": [], "assessments": []}

    def add(eid, admit, discharge, scores, *, sessions=2, level="2.1"):
        t["clients"].append(client(f"C{eid}"))
        t["episodes"].append(episode(eid, f"C{eid}", level, admit, discharge))
        start = dt.date.fromisoformat(admit)
        t["sessions"] += [
            session(eid, (start + dt.timedelta(days=3 + i)).isoformat()) for i in range(sessions)
        ]
        t["assessments"] += [_a(eid, d, i, v) for d, i, v in scores]

    def two(instrument, first, last, a="2026-01-05", b="2026-01-25"):
        return [(a, instrument, first), (b, instrument, last)]

    # 2025-05 (before the 12 months): never counted
    add("O1", "2025-04-01", "2025-05-31", two("PHQ-9", 20, 2, "2025-04-02", "2025-05-30"))
    # 2025-06, its first day: PHQ-9 12 -> 3, reliable improvement and recovery
    add("W1", "2025-05-01", "2025-06-01", two("PHQ-9", 12, 3, "2025-05-02", "2025-06-01"))
    # 2026-03: M1 PHQ-9 16 -> 9 (improved 7, recovered); M2 GAD-7 10 -> 12 (no reliable change,
    # still a case); M3 ended on the month's last day after one session: not a course
    add("M1", "2026-01-02", "2026-03-20", two("PHQ-9", 16, 9))
    add("M2", "2026-01-02", "2026-03-25", two("GAD-7", 10, 12))
    add("M3", "2026-01-02", "2026-03-31", two("PHQ-9", 20, 1), sessions=1)
    # 2026-04: A1 (its first day) PHQ-9 5 -> 12, deteriorated, not a case at start; A2 has one
    # score only (not paired)
    add("A1", "2026-01-02", "2026-04-01", two("PHQ-9", 5, 12))
    add("A2", "2026-01-02", "2026-04-15", [("2026-01-05", "PHQ-9", 18)])
    # 2026-05: Y1 PHQ-9 20 -> 8 and GAD-7 15 -> 5; Y2 GAD-7 9 -> 5 (exactly 4); both improved
    # and recovered. Y3 is open, Y4 ends after as_of, Y5 is a residential (3.5) course.
    y1 = ("2026-04-02", "2026-05-31")
    add("Y1", "2026-04-01", "2026-05-31", two("PHQ-9", 20, 8, *y1) + two("GAD-7", 15, 5, *y1))
    add("Y2", "2026-04-01", "2026-05-10", two("GAD-7", 9, 5, "2026-04-02", "2026-05-09"))
    add("Y3", "2026-04-01", "", two("PHQ-9", 20, 2, "2026-04-02", "2026-05-09"))
    add("Y4", "2026-04-10", "2026-06-05", two("PHQ-9", 20, 2, "2026-04-12", "2026-05-20"))
    add("Y5", "2026-04-01", "2026-05-20", two("PHQ-9", 20, 2, "2026-04-02", "2026-05-19"),
        level="3.5")  # fmt: skip
    return t


@pytest.fixture(scope="module")
def outcome_case(tmp_path_factory):
    import duckdb

    tmp = tmp_path_factory.mktemp("series-outcomes")
    load(write_dataset(tmp / "data", _outcome_case()), tmp / "o.duckdb")
    con = duckdb.connect(str(tmp / "o.duckdb"), read_only=True)
    yield con
    con.close()


NO_COURSE = (0, 0, 0, None, 0, 0, None)
# month: courses, paired, reliable_improvement (rate), at_caseness, recovery (rate)
BY_HAND = {
    "2025-06": (1, 1, 1, 1.0, 1, 1, 1.0),  # W1
    "2026-03": (2, 2, 1, 0.5, 2, 1, 0.5),  # M1, M2 (M3 not a course)
    "2026-04": (2, 1, 0, 0.0, 0, 0, None),  # A1 (A2 unpaired): no case at start
    "2026-05": (2, 2, 2, 1.0, 2, 2, 1.0),  # Y1, Y2
}


def test_outcome_series_on_a_hand_made_case(outcome_case):
    q = Query.of(month(2026, 5))
    rows = monthly(outcome_case, q)
    got = {r["month"]: tuple(r[k] for k in OUTCOMES) for r in rows}
    labels = [p.label for p in trailing_months(q.period)]
    assert list(got) == labels and labels[0] == "2025-06"
    assert got == {x: BY_HAND.get(x, NO_COURSE) for x in labels}
    # the same as each month's document's outcomes (outcomes_key: what document() puts there,
    # without the rest of the document; test_each_months_outcomes_are_that_months_document_figures
    # compares with the whole document), here and with the residential course in scope
    for scoped in (q, Query.of(month(2026, 5), scope=Scope(levels=None))):
        for p, row in zip(trailing_months(q.period), monthly(outcome_case, scoped), strict=True):
            doc = outcomes_key(outcome_case, Query(p, q.as_of, scoped.scope))
            assert {k: row[k] for k in OUTCOMES} == {k: doc[k] for k in OUTCOMES}, p.label
    all_levels = monthly(outcome_case, Query.of(month(2026, 5), scope=Scope(levels=None)))
    assert tuple(all_levels[-1][k] for k in OUTCOMES) == (3, 3, 3, 1.0, 3, 3, 1.0)  # with Y5
    # as of 2026-06-30 Y4 has ended, but in June: May's row does not change
    later = monthly(outcome_case, Query.of(month(2026, 5), as_of=dt.date(2026, 6, 30)))
    assert [tuple(r[k] for k in OUTCOMES) for r in later] == list(got.values())


def test_suppressed_series_equals_the_documents_suppressed(sample_con):
    from iop_metrics.disclosure.suppress import suppress_report

    q = Query.of(parse_period("2026-10"), scope=Scope(site="north"))
    got = monthly_series(sample_con, q, suppress=11)
    # the documents' figures month by month, protected as the report protects its trends
    _, _, _, frames = suppress_report(
        {}, 11, derived={}, tables={"monthly": _by_documents(sample_con, q)}
    )
    want = frames["monthly"]
    assert got["admissions"].isna().any()  # the site's small months are hidden
    assert got["paired"].isna().all() and got["recovery_rate"].isna().all()  # 1..10 each month
    # the census carried over: May's 11 at its end, shown by the month-by-month rule this
    # replaces, gave back June's 7 discharges ("<11") as 11 + 12 admissions - 16 at June's end
    assert pd.isna(got.loc[6, "active_at_end"]) and pd.isna(got.loc[6, "admissions"])
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

    q = Query.of(parse_period(period))
    fast = gather(sample_con, q, suppress=suppress)
    monkeypatch.setattr(series, "cohorts", lambda *a, **k: None)
    slow = gather(sample_con, q, suppress=suppress)
    assert fast.doc == slow.doc and fast.previous == slow.previous
    assert fast.shown == slow.shown and fast.hidden == slow.hidden
    for name in ("monthly", "curve", "rates"):
        pd.testing.assert_frame_equal(getattr(fast, name), getattr(slow, name), check_exact=True)
    assert len(fast.curve) > 0 or suppress
