"""The derived tables every load builds give exactly the figures of the long way (the macros
computing from the canonical tables, kept as a reference in tests/sql/long_way_macros.sql), for
every as_of, window and scope; and a database of an older schema is refused with the command
that reloads it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from conftest import SAMPLE
from helpers import long_way, long_way_recovery, memory_db
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_metrics_reference import datasets
from test_recovery_reference import datasets as recovery_datasets

from iop_metrics.compute import derived
from iop_metrics.compute.engine import DuckDBEngine
from iop_metrics.compute.metrics import document
from iop_metrics.compute.query import Query, Scope
from iop_metrics.compute.retention import retention_cohort
from iop_metrics.compute.sqlfiles import compose
from iop_metrics.compute.transitions import inflow_detail, transition_matrix, transitions_detail
from iop_metrics.ingest.load import load_memory
from iop_metrics.periods import Period, month, quarter


def _figures(con, q: Query) -> tuple:
    return (
        document(con, q),
        transitions_detail(con, q),
        inflow_detail(con, q),
        transition_matrix(con, q),
        retention_cohort(con, q),
    )


def _same(a, b) -> None:
    assert a[0] == b[0]
    for x, y in zip(a[1:], b[1:], strict=True):
        pd.testing.assert_frame_equal(x, y, check_exact=True)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    tables=datasets(),
    as_of_extra=st.sampled_from([0, 1, 6, 13, 14, 15, 30, 90]),
    window=st.sampled_from([14, 7, 30, 0]),
    levels=st.sampled_from([("2.1",), ("2.1", "2.5"), None]),
    kind=st.sampled_from(["month", "quarter"]),
)
def test_derived_tables_change_no_figure(tables, as_of_extra, window, levels, kind):
    period = month(2026, 3) if kind == "month" else quarter(2026, 1)
    q = Query(period, period.end + dt.timedelta(days=as_of_extra), Scope(levels), window)
    con = memory_db(tables, reuse=True)  # with the derived tables, built as load builds them
    with long_way(con):
        full = _figures(con, q)
    _same(_figures(con, q), full)


RECOVERY_FILES = ("noms_detail", "noms", "follow_up_detail", "follow_up")


def _recovery_same(con, q: Query) -> int:
    """The recovery rows from the derived tables equal the long way's; their number."""
    engine, rows = DuckDBEngine(con), 0
    for name in RECOVERY_FILES:
        fast = engine.execute(compose(name), q.params()).fetchall()
        assert fast == engine.execute(long_way_recovery(name), q.params()).fetchall(), name
        rows += len(fast)
    return rows


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    tables=recovery_datasets(),
    as_of_extra=st.sampled_from([0, 1, 5, 30, 60]),
    levels=st.sampled_from([("2.1",), None]),
    kind=st.sampled_from(["month", "quarter"]),
)
def test_the_recovery_derived_tables_change_no_row(tables, as_of_extra, levels, kind):
    period = month(2026, 3) if kind == "month" else quarter(2026, 1)
    q = Query(period, period.end + dt.timedelta(days=as_of_extra), Scope(levels), 14)
    _recovery_same(memory_db(tables, reuse=True), q)


def test_the_recovery_derived_tables_change_no_row_on_the_day_a_row_is_dated():
    """test_recovery.py's hand-made data, as of each day a noms row is dated (the day a side
    starts to count) and the day before, for the month before: the same rows both ways."""
    from test_recovery import follow_dataset, noms_dataset

    a, b = noms_dataset(), follow_dataset()
    con = memory_db({k: a[k] + b[k] for k in a})
    days = {dt.date.fromisoformat(str(r["collected_on"])) for r in a["noms"] + b["noms"]}
    # each as_of once: a day before a row's date is often another row's date (57 of 64)
    as_ofs = sorted(days | {day - dt.timedelta(days=1) for day in days})
    for as_of in as_ofs:
        q = Query(month(as_of.year, as_of.month).previous(), as_of, Scope(None), 14)
        _recovery_same(con, q)


def test_a_load_builds_them_and_the_sample_figures_agree():
    con = load_memory(SAMPLE)
    for table in derived.TABLES:
        assert con.execute(f"select count(*) from {table}").fetchall()[0][0] > 0, table
    n = con.execute("select count(*) from episode_next").fetchall()[0][0]
    assert n > 100
    queries = [
        Query.of(month(2026, 10)),
        Query.of(quarter(2026, 2), as_of=dt.date(2026, 7, 9), window_days=30),
        Query.of(month(2026, 9), scope=Scope(None, "north", None)),
    ]
    fast = [_figures(con, q) for q in queries]
    with long_way(con):
        for q, f in zip(queries, fast, strict=True):
            _same(f, _figures(con, q))
    assert _recovery_same(con, Query.of(quarter(2026, 2))) > 20


def _case() -> dict[str, list[dict]]:
    """One client: 2.1 from Jan 1 to Jan 20 (dropped out), then 1.0 from Jan 25, still open."""
    ep = {"client_id": "c1", "site": "main", "track": None, "discharge_reason": None}
    return {
        "clients": [{"client_id": "c1", "birth_year": 1980}],
        "episodes": [
            {
                **ep,
                "episode_id": "e1",
                "level_of_care": "2.1",
                "admit_date": dt.date(2026, 1, 1),
                "discharge_date": dt.date(2026, 1, 20),
                "discharge_reason": "dropped_out",
            },
            {
                **ep,
                "episode_id": "e2",
                "level_of_care": "1.0",
                "admit_date": dt.date(2026, 1, 25),
                "discharge_date": None,
            },
        ],
        "sessions": [],
    }


def test_hand_made_next_episode_by_as_of_and_window():
    con = memory_db(_case())
    span = Period("Jan 1-20", dt.date(2026, 1, 1), dt.date(2026, 1, 20), "span")

    def outcome(as_of: dt.date, window: int) -> tuple[str, object]:
        rows = transitions_detail(con, Query(span, as_of, Scope(), window))
        return rows.loc[0, "outcome"], rows.loc[0, "gap_days"]

    # e2 is admitted on Jan 25: not yet known on Jan 22, five days after the discharge.
    assert outcome(dt.date(2026, 1, 22), 14)[0] == "pending"
    assert outcome(dt.date(2026, 1, 31), 14) == ("step_down", 5)
    assert outcome(dt.date(2026, 1, 31), 5) == ("step_down", 5)
    assert outcome(dt.date(2026, 1, 31), 4)[0] == "no_next_care"
    assert con.execute("select next_episode_id from episode_next").fetchall() == [("e2",)]


def test_hand_made_engagement_by_as_of():
    tables = _case()
    day = dt.date(2026, 1, 1)
    tables["sessions"] = [
        {
            "session_id": f"s{i}",
            "episode_id": "e1",
            "session_date": day + dt.timedelta(days=d),
            "service_type": "group",
            "scheduled_minutes": 180,
            "status": status,
            "attended_minutes": 180 if status == "attended" else 0,
        }
        for i, (d, status) in enumerate(
            [(3, "no_show"), (4, "attended"), (9, "attended"), (9, "no_show"), (16, "attended")]
        )
    ]
    con = memory_db(tables)
    assert con.execute("select initiated_on, third_on from episode_engagement").fetchall() == [
        (dt.date(2026, 1, 5), dt.date(2026, 1, 17))
    ]
    span = Period("Jan 1-5", dt.date(2026, 1, 1), dt.date(2026, 1, 5), "span")

    def row(as_of: dt.date) -> tuple:
        r = retention_cohort(con, Query(span, as_of, Scope(), 14)).iloc[0]
        return bool(r["initiated"]), bool(r["engaged"])

    assert row(dt.date(2026, 1, 5)) == (True, False)  # initiated on Jan 5
    assert row(dt.date(2026, 1, 16)) == (True, False)  # one further session so far
    assert row(dt.date(2026, 1, 17)) == (True, True)  # the second further one, on Jan 17


def test_hand_made_treatment_sessions_and_the_course_by_as_of():
    """episode_treatment counts e1's attended sessions that are not assessments, dated Jan 1..20:
    not the no-show, the assessment, nor the sessions before admission and after discharge."""
    from iop_metrics.compute.outcomes import outcome_courses

    tables = _case()
    day = dt.date(2026, 1, 1)
    kinds = [
        (-2, "group", "attended"),  # before admission
        (0, "assessment", "attended"),
        (2, "group", "no_show"),
        (3, "individual", "attended"),
        (19, "group", "attended"),  # on the day of discharge
        (21, "group", "attended"),  # after discharge
    ]
    tables["sessions"] = [
        {
            "session_id": f"s{i}",
            "episode_id": "e1",
            "session_date": day + dt.timedelta(days=d),
            "service_type": service,
            "scheduled_minutes": 60,
            "status": status,
            "attended_minutes": 60 if status == "attended" else 0,
        }
        for i, (d, service, status) in enumerate(kinds)
    ]
    con = memory_db(tables)
    jan = month(2026, 1)
    with long_way(con):
        before = outcome_courses(con, Query.of(jan))  # the full computation
    got = "select episode_id, discharge_date, treatment_sessions from episode_treatment"
    assert con.execute(got).fetchall() == [("e1", dt.date(2026, 1, 20), 2)]
    after = outcome_courses(con, Query.of(jan))
    assert after["episode_id"].tolist() == ["e1"] and after["treatment_sessions"].tolist() == [2]
    pd.testing.assert_frame_equal(before, after, check_exact=True)
    # as of Jan 19 e1 has not ended: no course yet
    span = Period("Jan 1-19", dt.date(2026, 1, 1), dt.date(2026, 1, 19), "span")
    assert outcome_courses(con, Query(span, dt.date(2026, 1, 19), Scope(), 14)).empty


def test_hand_made_scores_and_score_dates():
    """episode_scores: e1's PHQ-9 within Jan 1..20 (not the score before admission nor after
    discharge; Jan 5's two scores at their mean); episode_score_dates: every scored date of every
    episode, open e2 included. The outcome detail and cadence are the same either way."""
    from iop_metrics.compute.outcomes import outcomes_detail, outcomes_key

    tables = _case()
    tables["sessions"] = [
        {"session_id": f"s{d}", "episode_id": "e1", "session_date": dt.date(2026, 1, d),
         "service_type": "group", "scheduled_minutes": 60, "status": "attended"}
        for d in (2, 3)
    ]  # fmt: skip
    scores = [
        ("e1", "2025-12-30", 27),  # before admission
        ("e1", "2026-01-05", 15),
        ("e1", "2026-01-05", 18),
        ("e1", "2026-01-19", 6),
        ("e1", "2026-01-21", 2),  # after discharge
        ("e2", "2026-01-26", 12),
    ]
    tables["assessments"] = [
        {"episode_id": e, "assessed_on": dt.date.fromisoformat(d), "instrument": "PHQ-9",
         "score": v}
        for e, d, v in scores
    ]  # fmt: skip
    con = memory_db(tables)
    jan = Query.of(month(2026, 1))
    with long_way(con):
        before = (outcomes_detail(con, jan), outcomes_key(con, jan))
    assert con.execute("select * exclude (discharge_date) from episode_scores").fetchall() == [
        ("e1", "PHQ-9", 2, 3, dt.date(2026, 1, 5), dt.date(2026, 1, 19), 16.5, 6.0)
    ]
    dates = con.execute("select episode_id, assessed_on from episode_score_dates").fetchall()
    assert [(e, d.isoformat()) for e, d in dates] == [
        ("e1", "2025-12-30"),
        ("e1", "2026-01-05"),
        ("e1", "2026-01-19"),
        ("e1", "2026-01-21"),
        ("e2", "2026-01-26"),
    ]
    after = (outcomes_detail(con, jan), outcomes_key(con, jan))
    pd.testing.assert_frame_equal(before[0], after[0], check_exact=True)
    assert before[1] == after[1]
    assert after[1]["by_instrument"]["PHQ-9"]["reliable_improvement"] == 1  # 16.5 -> 6
    assert (after[1]["measured_last_30d"], after[1]["open_30d"]) == (0, 0)
    # e1 scored on day 4; e2 (admitted Jan 25) reaches day 13 after as_of: not eligible
    assert (after[1]["measured_at_intake"], after[1]["intake_eligible"]) == (1, 1)


def test_the_long_way_is_what_the_reference_block_reads():
    """Inside ``long_way`` the macros read the canonical tables, outside the derived ones: the
    comparisons above compare two computations, not one with itself."""

    def next_episode_reads(con) -> str:
        rows = con.execute(
            "select macro_definition from duckdb_functions() where function_name = 'next_episode'"
        ).fetchall()
        return " ".join(
            sorted("episode_next" if "episode_next" in r[0] else "episodes" for r in rows)
        )

    con = memory_db(_case())
    assert next_episode_reads(con) == "episode_next"
    with long_way(con):
        assert next_episode_reads(con) == "episode_next episodes"
        rows = con.execute("select count(*) from next_episode(date '2026-01-31', 14)").fetchall()
        assert rows == [(1,)]
        con.execute("drop table episode_next")  # the long way does not read it
        assert con.execute(
            "select count(*) from next_episode(date '2026-01-31', 14)"
        ).fetchall() == [(1,)]
    assert next_episode_reads(con) == "episode_next"


def _old(db: Path, version: int | None) -> None:
    """``db`` as a database of schema ``version`` (None: loaded before the version existed)."""
    import duckdb

    con = duckdb.connect(str(db))
    if version is None:
        con.execute("alter table load_log drop column schema_version")
    else:
        con.execute("update load_log set schema_version = $v", {"v": version})
    con.close()


@pytest.mark.parametrize("version", [None, 0])
def test_an_older_database_is_refused_with_the_command_that_reloads_it(
    sample_db, tmp_path, capsys, version
):
    """Every command opens a database through ``db.connect``: one of an older schema version
    (or none) exits 2 with the reload command, instead of computing without its derived
    tables; the current one opens."""
    import shutil

    from iop_metrics.cli import main
    from iop_metrics.db import SCHEMA_VERSION, connect, schema_version
    from iop_metrics.errors import InputError

    assert schema_version(connect(sample_db)) == SCHEMA_VERSION == 1
    db = tmp_path / "old.duckdb"
    shutil.copy(sample_db, db)
    _old(db, version)
    with pytest.raises(InputError, match="loaded by an older version of iop-metrics"):
        connect(db)
    assert main(["metrics", "--db", str(db), "--period", "2026-09"]) == 2
    err = capsys.readouterr().err
    assert f"schema version 0; this one reads {SCHEMA_VERSION}" in err
    assert f"iop-metrics load DATA_DIR --db {db}" in err
