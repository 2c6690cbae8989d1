"""One hand-made case per rule of metrics.md, with the expected figures written out."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from helpers import long_way, memory_db

from iop_metrics.compute.attendance import dosage_weeks
from iop_metrics.compute.metrics import document
from iop_metrics.compute.outcomes import outcomes_detail
from iop_metrics.compute.query import Query, Scope
from iop_metrics.compute.retention import retention_curve
from iop_metrics.compute.transitions import continuity_detail, inflow_detail, transitions_detail
from iop_metrics.errors import InputError
from iop_metrics.ingest.sample import example_connection
from iop_metrics.periods import month, parse_period

D = dt.date.fromisoformat
MAY = month(2026, 5)


def ep(eid, cid, level, admit, dis=None, reason=None, **kw):
    return {
        "episode_id": eid,
        "client_id": cid,
        "level_of_care": level,
        "site": kw.get("site", "main"),
        "track": kw.get("track"),
        "admit_date": D(admit),
        "discharge_date": D(dis) if dis else None,
        "discharge_reason": reason or ("completed" if dis else None),
    }


def ses(eid, date, status="attended", minutes=180, attended=None):
    return {
        "session_id": f"{eid}-{date}-{status}-{minutes}",
        "episode_id": eid,
        "session_date": D(date),
        "service_type": "group",
        "scheduled_minutes": minutes,
        "status": status,
        "attended_minutes": (minutes if attended is None else attended)
        if status == "attended"
        else 0,
    }


def db(episodes, sessions=(), clients=None):
    cids = sorted({e["client_id"] for e in episodes})
    return memory_db(
        {
            "clients": clients or [{"client_id": c, "birth_year": 1980} for c in cids],
            "episodes": list(episodes),
            "sessions": list(sessions),
        }
    )


def doc(con, period=MAY, as_of=None, levels=("2.1",), window=14, site=None):
    return document(
        con,
        Query.of(
            period, as_of=D(as_of) if as_of else None, scope=Scope(levels, site), window_days=window
        ),
    )


def test_worked_example_of_the_spec():
    con = example_connection()
    d = doc(con)
    assert d["census"] == {
        "active_at_start": 1,
        "admissions": 2,
        "discharges": 2,
        "active_at_end": 1,
        "clients_served": 3,
    }
    assert d["discharges"]["median_length_of_stay_days"] == 17.0  # LOS 29 (A) and 5 (B)
    assert d["transitions"]["pending"] == 1 and d["transitions"]["no_next_care"] == 1
    assert d["inflow"] == {
        "stepped_down_into": 1,
        "stepped_up_into": 0,
        "lateral_into": 0,
        "direct": 1,
    }
    assert d["continuity"]["followed_up_7d"] == 1 and d["continuity"]["rate_14d"] == 1.0
    assert d["retention"]["cohort_admissions"] == 3
    assert d["retention"]["day_30"] == pytest.approx(2 / 3)
    assert d["retention"]["day_90"] == pytest.approx(2 / 3)
    later = doc(con, as_of="2026-06-30")
    assert later["transitions"]["step_down"] == 1 and later["transitions"]["pending"] == 0
    assert later["transitions"]["median_gap_days_step_down"] == 5.0
    assert later["transitions"]["by_next_level"] == {"1.0": 1}


def test_census_boundaries_and_identity():
    con = db(
        [
            ep(
                "a", "1", "2.1", "2026-04-10", "2026-05-01"
            ),  # discharged on P.start: active at start
            ep("b", "2", "2.1", "2026-04-10", "2026-04-30"),  # gone before P
            ep("c", "3", "2.1", "2026-05-31"),  # admitted on P.end
            ep(
                "d", "4", "2.1", "2026-05-02", "2026-05-31"
            ),  # discharged on P.end: not active at end
            ep("e", "5", "2.1", "2026-06-01"),  # after P
            ep("f", "1", "2.1", "2026-05-20"),  # a second episode of client 1
        ]
    )
    c = doc(con, as_of="2026-06-30")["census"]
    assert c == {
        "active_at_start": 1,
        "admissions": 3,
        "discharges": 2,
        "active_at_end": 2,
        "clients_served": 3,
    }
    assert c["active_at_end"] == c["active_at_start"] + c["admissions"] - c["discharges"]


def test_attendance_leaves_program_cancellations_out_of_the_rates():
    con = db(
        [ep("a", "1", "2.1", "2026-04-01")],
        [
            ses("a", "2026-05-04"),
            ses("a", "2026-05-05"),
            ses("a", "2026-05-06", "no_show"),
            ses("a", "2026-05-07", "cancelled_client"),
            ses("a", "2026-05-08", "cancelled_program"),
            ses("a", "2026-04-30", "no_show"),  # outside P
        ],
    )
    a = doc(con)["attendance"]
    assert (a["scheduled"], a["attended"], a["cancelled_program"]) == (5, 2, 1)
    assert a["attendance_rate"] == 0.5 and a["no_show_rate"] == 0.25


def test_no_sessions_gives_null_rates_not_zero():
    a = doc(db([ep("a", "1", "2.1", "2026-04-01")]))["attendance"]
    assert a["scheduled"] == 0 and a["attendance_rate"] is None and a["no_show_rate"] is None


def test_dosage_client_weeks_straddle_months_and_skip_admission_and_discharge_weeks():
    march = month(2026, 3)  # Sunday 2026-03-01 ends the week of Monday 2026-02-23
    con = db(
        [
            ep("a", "1", "2.1", "2026-02-23", "2026-03-14"),  # weeks ending 03-01 and 03-08 only
            ep("b", "2", "2.1", "2026-03-03"),  # admitted Tuesday: first week 03-09
        ],
        [
            ses("a", "2026-02-23"),
            ses("a", "2026-02-25"),
            ses("a", "2026-02-27"),  # 9 h
            ses("a", "2026-03-02", attended=120),
            ses("a", "2026-03-04"),  # 5 h
            ses("a", "2026-03-14"),  # discharge week: not a client-week
            ses("b", "2026-03-03"),  # admission week
            ses("b", "2026-03-09", minutes=360),
            ses("b", "2026-03-10", "no_show"),
        ],
        clients=[{"client_id": "1", "birth_year": 1980}, {"client_id": "2", "birth_year": 2010}],
    )
    weeks = dosage_weeks(con, Query.of(march))
    got = [
        (r.episode_id, str(r.sunday.date()), r.hours, r.threshold_hours, r.meets_threshold)
        for r in weeks.itertuples()
    ]
    assert got == [
        ("a", "2026-03-01", 9.0, 9, True),
        ("a", "2026-03-08", 5.0, 9, False),
        ("b", "2026-03-15", 6.0, 6, True),  # adolescent: 2026 - 2010 = 16 < 18
        ("b", "2026-03-22", 0.0, 6, False),
        ("b", "2026-03-29", 0.0, 6, False),
    ]
    d = doc(con, period=march)["dosage"]
    assert d == {
        "client_weeks": 5,
        "client_weeks_meeting_threshold": 2,
        "share_meeting_threshold": 0.4,
        "median_hours_per_client_week": 5.0,
    }


def test_a_week_from_an_admission_on_its_monday_to_a_discharge_on_its_sunday_is_counted():
    # admitted Monday 03-02, discharged Sunday 03-08: open all seven days of that week, its
    # one client-week (9 hours: meets the adult threshold); e, discharged Saturday 03-07, has none
    con = db(
        [
            ep("c", "1", "2.1", "2026-03-02", "2026-03-08"),
            ep("e", "2", "2.1", "2026-03-02", "2026-03-07"),
        ],
        [ses("c", "2026-03-02"), ses("c", "2026-03-04"), ses("c", "2026-03-08")],
    )
    weeks = dosage_weeks(con, Query.of(month(2026, 3)))
    got = [
        (r.episode_id, str(r.sunday.date()), r.hours, r.meets_threshold) for r in weeks.itertuples()
    ]
    assert got == [("c", "2026-03-08", 9.0, True)]


def test_unknown_birth_year_counts_as_adult_17_is_adolescent_and_18_adult():
    # admitted in 2026: born 2009 is 17 that year (6 hours), born 2008 is 18 (9 hours)
    con = db(
        [
            ep("a", "1", "2.1", "2026-04-27"),
            ep("b", "2", "2.1", "2026-04-27"),
            ep("c", "3", "2.1", "2026-04-27"),
        ],
        clients=[
            {"client_id": "1", "birth_year": None},
            {"client_id": "2", "birth_year": 2009},
            {"client_id": "3", "birth_year": 2008},
        ],
    )
    weeks = dosage_weeks(con, Query.of(MAY))
    thresholds = dict(zip(weeks.episode_id, weeks.threshold_hours, strict=False))
    assert thresholds == {"a": 9, "b": 6, "c": 9}


def test_length_of_stay_counts_both_the_admission_and_discharge_day():
    con = db(
        [
            ep("a", "1", "2.1", "2026-05-04", "2026-05-04", "dropped_out"),
            ep("b", "2", "2.1", "2026-05-01", "2026-05-10", "terminated"),
            ep("c", "3", "2.1", "2026-05-01", "2026-05-11", "completed"),
        ]
    )
    d = doc(con)["discharges"]
    assert d["median_length_of_stay_days"] == 10.0  # LOS 1, 10, 11
    assert d["by_reason"]["dropped_out"] == 1 and d["by_reason"]["died"] == 0
    assert d["completion_rate"] == pytest.approx(1 / 3)


def test_kaplan_meier_with_censoring_and_completers_kept_at_risk():
    # as_of 2026-05-31, cohort of five:
    #   a disengages at LOS 10, b at LOS 40 (terminated), c completes at LOS 20 (censored at 61),
    #   d is open (admitted 05-22 -> censored at t = 10), e transferred at LOS 5 (censored, 61).
    con = db(
        [
            ep("a", "1", "2.1", "2026-04-01", "2026-04-10", "dropped_out"),
            ep("b", "2", "2.1", "2026-04-01", "2026-05-10", "terminated"),
            ep("c", "3", "2.1", "2026-04-01", "2026-04-20", "completed"),
            ep("d", "4", "2.1", "2026-05-22"),
            ep("e", "5", "2.1", "2026-04-01", "2026-04-05", "transferred"),
        ]
    )
    r = doc(con)["retention"]
    # event at 10: at risk 5 (t = 10, 40, 61, 10, 61) -> 4/5; event at 40: at risk 3 -> 2/3.
    assert r["cohort_admissions"] == 5
    assert r["day_30"] == pytest.approx(0.8)
    assert r["day_60"] == pytest.approx(0.8 * 2 / 3)
    assert r["day_90"] == pytest.approx(0.8 * 2 / 3)
    curve = retention_curve(con, Query.of(MAY)).set_index("day")
    assert curve.loc[10, "retention"] == 1.0 and curve.loc[11, "retention"] == pytest.approx(0.8)
    assert curve.loc[10, "at_risk"] == 5 and curve.loc[10, "events"] == 1


def test_retention_censors_at_as_of_not_at_the_period_end():
    # period May, as_of 2026-06-30 (30 days after the period end). a completes at LOS 20:
    # censored at t = as_of - admit + 1 = 91 (at the period end it would be 61); b, admitted the
    # same day, drops out on 06-15, after the period but by as_of: an event at LOS 76. At 76 both
    # are at risk: R(90) = 1 - 1/2 = 0.5 (censoring a at 61 would leave b alone: R(90) = 0).
    con = db(
        [
            ep("a", "1", "2.1", "2026-04-01", "2026-04-20", "completed"),
            ep("b", "2", "2.1", "2026-04-01", "2026-06-15", "dropped_out"),
        ]
    )
    r = doc(con, as_of="2026-06-30")["retention"]
    assert r["cohort_admissions"] == 2
    assert (r["day_30"], r["day_60"], r["day_90"]) == (1.0, 1.0, 0.5)
    curve = retention_curve(con, Query.of(MAY, as_of=D("2026-06-30"))).set_index("day")
    assert curve.loc[76, "at_risk"] == 2 and curve.loc[76, "events"] == 1
    assert curve.loc[77, "retention"] == 0.5


def test_retention_cohort_is_the_twelve_months_ending_at_period_end():
    con = db(
        [
            ep("old", "1", "2.1", "2025-05-31", "2025-06-02", "dropped_out"),
            ep("first", "2", "2.1", "2025-06-01", "2025-06-02", "dropped_out"),
            ep("late", "3", "2.1", "2026-06-01"),
        ]
    )
    r = doc(con, as_of="2026-06-30")["retention"]
    assert r["cohort_start"] == "2025-06-01" and r["cohort_admissions"] == 1
    assert r["day_30"] == 0.0


def test_early_engagement_initiation_and_two_further_sessions():
    con = db(
        [
            ep("a", "1", "2.1", "2026-04-01"),  # initiated day 13; two more on day f (one) and f+34
            ep("b", "2", "2.1", "2026-04-01"),  # initiated day 0; only one further session
            ep("c", "3", "2.1", "2026-04-01"),  # first attended on day 14: not initiated
            ep("d", "4", "2.1", "2026-05-20"),  # window for initiation not passed by as_of 05-31
        ],
        [
            ses("a", "2026-04-14"),
            ses("a", "2026-04-14", minutes=60),
            ses("a", "2026-05-18"),
            ses("b", "2026-04-01"),
            ses("b", "2026-04-20"),
            ses("b", "2026-05-20"),  # f+49: too late
            ses("c", "2026-04-15"),
            ses("c", "2026-04-16"),
            ses("c", "2026-04-17"),
            ses("d", "2026-05-21"),
        ],
    )
    r = doc(con)["retention"]
    assert r["initiated_14d"] == pytest.approx(2 / 3)  # a, b of a, b, c (d not yet eligible)
    assert r["engaged_34d"] == pytest.approx(1 / 3)  # a only; eligible a, b, c


def test_engagement_window_f_plus_34_and_eligibility_at_admit_plus_47_on_both_paths():
    # as_of 05-31. g admitted 04-14 (+ 47 = as_of: eligible), initiated that day, further
    # sessions on f + 1 and f + 34: engaged. h admitted 04-15 (+ 47 = 06-01: not yet eligible
    # for engagement, though it would be engaged). k initiated 04-01, further sessions on f + 1
    # and f + 35 (outside): not engaged.
    con = db(
        [
            ep("g", "1", "2.1", "2026-04-14"),
            ep("h", "2", "2.1", "2026-04-15"),
            ep("k", "3", "2.1", "2026-04-01"),
        ],
        [ses("g", "2026-04-14"), ses("g", "2026-04-15"), ses("g", "2026-05-18")]
        + [ses("h", "2026-04-15"), ses("h", "2026-04-16"), ses("h", "2026-04-17")]
        + [ses("k", "2026-04-01"), ses("k", "2026-04-02"), ses("k", "2026-05-06")],
    )
    for path in ("long way", "derived"):
        with long_way(con) if path == "long way" else contextlib.nullcontext():
            r = doc(con)["retention"]
        assert (r["initiated_14d"], r["engaged_34d"]) == (1.0, 0.5), path  # 3 of 3; g of g, k


def _outcome(con, as_of="2026-06-30", window=14, levels=("2.1",)):
    rows = transitions_detail(
        con, Query.of(MAY, as_of=D(as_of), scope=Scope(levels), window_days=window)
    )
    return {
        r.episode_id: (
            r.outcome,
            None
            if r.next_episode_id is None or r.next_episode_id != r.next_episode_id
            else r.next_episode_id,
        )
        for r in rows.itertuples()
    }


def test_next_episode_overlap_same_day_and_ended_before_rules():
    con = db(
        [
            # x: hand-off; the PHP episode began before x ended and is still open at D -> counts.
            ep("x", "1", "2.1", "2026-04-01", "2026-05-10"),
            ep("x-php", "1", "2.5", "2026-05-09"),
            # y: the outpatient episode began the same day as y: not "after y began".
            ep("y", "2", "2.1", "2026-05-01", "2026-05-10"),
            ep("y-op", "2", "1.0", "2026-05-01", "2026-05-30"),
            # z: an episode that began after z but ended before z's discharge is not next.
            ep("z", "3", "2.1", "2026-04-01", "2026-05-10"),
            ep("z-op", "3", "1.0", "2026-04-05", "2026-05-09"),
        ]
    )
    out = _outcome(con)
    assert out["x"] == ("step_up", "x-php")
    assert out["y"] == ("no_next_care", None)
    assert out["z"] == ("no_next_care", None)


def test_a_next_episode_that_ends_on_the_discharge_day_counts_the_long_way_and_derived():
    # w-op (outpatient) began after w and ended on w's discharge day D = 05-10: it "had not
    # ended before D", so it is w's next episode (a step-down); v-op ended the day before D
    con = db(
        [
            ep("w", "1", "2.1", "2026-04-01", "2026-05-10"),
            ep("w-op", "1", "1.0", "2026-04-05", "2026-05-10"),
            ep("v", "2", "2.1", "2026-04-01", "2026-05-10"),
            ep("v-op", "2", "1.0", "2026-04-05", "2026-05-09"),
        ]
    )
    for path in ("long way", "derived"):
        with long_way(con) if path == "long way" else contextlib.nullcontext():
            out = _outcome(con)
        assert (out["w"], out["v"]) == (("step_down", "w-op"), ("no_next_care", None)), path


def test_next_episode_ties_prefer_higher_intensity_then_smaller_id():
    con = db(
        [
            ep("a", "1", "2.1", "2026-04-01", "2026-05-10"),
            ep("a2", "1", "1.0", "2026-05-12"),
            ep("a1", "1", "2.5", "2026-05-12"),
            ep("b", "2", "2.1", "2026-04-01", "2026-05-10"),
            ep("b2", "2", "1.0", "2026-05-12"),
            ep("b1", "2", "OTP", "2026-05-12"),  # both 1.0
        ]
    )
    out = _outcome(con)
    assert out["a"] == ("step_up", "a1")
    assert out["b"] == ("step_down", "b1")


def test_window_boundary_and_pending_versus_no_next_care():
    con = db(
        [
            ep("a", "1", "2.1", "2026-04-01", "2026-05-10"),
            ep("a-op", "1", "1.0", "2026-05-24"),
            ep("b", "2", "2.1", "2026-04-01", "2026-05-10"),
            ep("b-op", "2", "1.0", "2026-05-25"),
            ep("c", "3", "2.1", "2026-04-01", "2026-05-17"),
            ep("d", "4", "2.1", "2026-04-01", "2026-05-18"),
        ]
    )
    out = _outcome(con, as_of="2026-05-31")
    assert out["a"] == ("step_down", "a-op")  # admitted on D + 14
    assert out["b"] == ("no_next_care", None)  # D + 15 is outside; D + 14 <= as_of
    assert out["c"] == ("no_next_care", None)  # D + 14 = as_of: window has passed
    assert out["d"] == ("pending", None)  # D + 14 = as_of + 1
    out7 = _outcome(con, as_of="2026-05-31", window=7)
    assert out7["a"] == ("no_next_care", None)


def test_next_episode_admitted_after_as_of_is_invisible():
    con = db(
        [ep("a", "1", "2.1", "2026-04-01", "2026-05-25"), ep("a-op", "1", "1.0", "2026-06-02")]
    )
    assert _outcome(con, as_of="2026-05-31")["a"] == ("pending", None)
    assert _outcome(con, as_of="2026-06-08")["a"] == ("step_down", "a-op")


def test_lateral_transfer_between_sites_and_gap_is_never_negative():
    con = db(
        [
            ep("a", "1", "2.1", "2026-04-01", "2026-05-10"),
            ep("a-n", "1", "2.1", "2026-05-11", site="north"),
            ep("b", "2", "2.1", "2026-04-01", "2026-05-10"),
            ep("b-op", "2", "1.0", "2026-05-08"),
        ]
    )
    q = Query.of(MAY, as_of=D("2026-06-30"))
    rows = transitions_detail(con, q).set_index("episode_id")
    assert rows.loc["a", "outcome"] == "lateral" and rows.loc["a", "gap_days"] == 1
    assert rows.loc["b", "outcome"] == "step_down" and rows.loc["b", "gap_days"] == 0


def test_inflow_takes_the_previous_episode_discharged_last():
    con = db(
        [
            ep("res", "1", "3.5", "2026-04-01", "2026-05-02"),
            ep("php", "1", "2.5", "2026-04-20", "2026-05-05"),  # discharged later: wins
            ep("iop", "1", "2.1", "2026-05-06"),
            ep("op", "2", "1.0", "2026-04-01", "2026-05-03"),
            ep("iop2", "2", "2.1", "2026-05-04"),
            ep("iop3", "3", "2.1", "2026-05-04"),
        ]
    )
    rows = inflow_detail(con, Query.of(MAY)).set_index("episode_id")
    assert rows.loc["iop", "previous_episode_id"] == "php"
    assert rows.loc["iop", "outcome"] == "stepped_down_into"
    assert rows.loc["iop2", "outcome"] == "stepped_up_into"
    assert rows.loc["iop3", "outcome"] == "direct"


def test_continuity_counts_day_1_through_w_and_excludes_died():
    con = db(
        [
            ep("r1", "1", "3.5", "2026-04-01", "2026-05-01"),
            ep("o1", "1", "2.1", "2026-05-01"),
            ep("r2", "2", "3.7-WM", "2026-04-25", "2026-05-01"),
            ep("o2", "2", "2.1", "2026-05-09"),
            ep("r3", "3", "4.0", "2026-04-25", "2026-05-01", "died"),
            ep("r4", "4", "3.5", "2026-04-01", "2026-05-01"),
            ep("o4", "4", "2.1", "2026-04-28"),
            ep("r5", "5", "3.5", "2026-04-01", "2026-05-28"),
            ep("r6", "6", "3.5", "2026-04-01", "2026-05-20", "dropped_out"),
        ],
        [
            ses("o1", "2026-05-01"),
            ses("o1", "2026-05-08"),  # day 0 does not count; day 7 does
            ses("o4", "2026-05-10", "no_show"),
            ses("o4", "2026-05-12"),  # day 11: 14d only
        ],
    )
    rows = continuity_detail(con, Query.of(MAY)).set_index("episode_id")
    assert rows.loc["r1", "days_to_follow_up"] == 7
    assert rows.loc["r2", "days_to_follow_up"] == 8  # admitted on day 8
    assert "r3" not in rows.index
    c = doc(con)["continuity"]
    assert c == {
        "residential_discharges": 5,
        "followed_up_7d": 1,
        "followed_up_14d": 3,
        "pending_7d": 1,
        "pending_14d": 2,
        "rate_7d": 0.25,
        "rate_14d": 1.0,
    }


def test_continuity_windows_pass_on_day_w_exactly():
    # as_of 05-31: r1 discharged 05-24 (D + 7 = as_of: its 7-day window has passed) and followed
    # up on day 7; r2 discharged 05-17 (D + 14 = as_of), never followed up; r3 discharged 05-25
    # (D + 7 = 06-01: still pending)
    con = db(
        [
            ep("r1", "1", "3.5", "2026-05-01", "2026-05-24"),
            ep("o1", "1", "2.1", "2026-05-20"),
            ep("r2", "2", "3.5", "2026-05-01", "2026-05-17"),
            ep("r3", "3", "3.5", "2026-05-01", "2026-05-25"),
        ],
        [ses("o1", "2026-05-31")],
    )
    rows = continuity_detail(con, Query.of(MAY)).set_index("episode_id")
    assert rows.loc["r1", "days_to_follow_up"] == 7
    assert list(rows["pending_7d"]) == [False, False, True]  # r2, r1, r3 by discharge date
    assert list(rows["pending_14d"]) == [False, True, True]
    assert doc(con)["continuity"] == {
        "residential_discharges": 3,
        "followed_up_7d": 1,
        "followed_up_14d": 0,  # r1's 14 days have not passed
        "pending_7d": 1,
        "pending_14d": 2,
        "rate_7d": 0.5,  # r1 of r1, r2
        "rate_14d": 0.0,  # r2 alone
    }


def test_continuity_site_scope():
    con = db(
        [
            ep("r1", "1", "3.5", "2026-04-01", "2026-05-01", site="north"),
            ep("r2", "2", "3.5", "2026-04-01", "2026-05-01"),
        ]
    )
    assert doc(con, site="north")["continuity"]["residential_discharges"] == 1
    assert doc(con)["continuity"]["residential_discharges"] == 2


def test_as_of_hides_later_admissions_discharges_and_sessions():
    con = db(
        [
            ep("a", "1", "2.1", "2026-05-10", "2026-06-03", "dropped_out"),
            ep("b", "2", "2.1", "2026-06-01"),
        ],
        [ses("a", "2026-05-11"), ses("a", "2026-06-02", "no_show")],
    )
    q = Query.of(month(2026, 5), as_of=D("2026-05-31"))
    d = document(con, q)
    assert d["census"]["active_at_end"] == 1 and d["retention"]["cohort_admissions"] == 1
    assert d["retention"]["day_30"] == 1.0  # the drop-out on 06-03 has not happened yet
    with pytest.raises(Exception, match="before the end of period"):
        Query.of(month(2026, 5), as_of=D("2026-05-30"))


def test_outcome_measures_first_last_improvement_response_remission():
    # spec outcomes.md: an ended course (2 attended treatment sessions), first and last score
    group = {"service_type": "group", "scheduled_minutes": 180, "status": "attended"}
    con = memory_db(
        {
            "clients": [{"client_id": "1", "birth_year": 1980}],
            "episodes": [ep("a", "1", "2.1", "2026-04-01", "2026-05-20")],
            "sessions": [
                {"session_id": f"s{i}", "episode_id": "a", "session_date": D(d), **group}
                for i, d in enumerate(("2026-04-02", "2026-04-03"))
            ],
            "assessments": [
                {
                    "episode_id": "a",
                    "assessed_on": D("2026-04-01"),
                    "instrument": "PHQ-9",
                    "score": 16.0,
                },
                {
                    "episode_id": "a",
                    "assessed_on": D("2026-05-01"),
                    "instrument": "PHQ-9",
                    "score": 4.0,
                },
                {
                    "episode_id": "a",
                    "assessed_on": D("2026-06-15"),
                    "instrument": "PHQ-9",
                    "score": 20.0,
                },  # after discharge and after as_of
                {
                    "episode_id": "a",
                    "assessed_on": D("2026-04-01"),
                    "instrument": "GAD-7",
                    "score": 12.0,
                },
                {
                    "episode_id": "a",
                    "assessed_on": D("2026-05-01"),
                    "instrument": "GAD-7",
                    "score": 9.0,
                },
            ],
        }
    )
    rows = outcomes_detail(con, Query.of(MAY)).set_index("instrument")
    phq, gad = rows.loc["PHQ-9"], rows.loc["GAD-7"]
    assert (
        phq.first_score,
        phq.last_score,
        phq.reliable_improvement,
        phq.response,
        phq.remission,
    ) == (16.0, 4.0, True, True, True)
    assert (phq.first_band, phq.last_band) == ("moderately severe", "minimal")
    # GAD-7 12 -> 9: 3 points is not a reliable change; 9 > 0.5 * 12 is no response
    assert (gad.reliable_improvement, gad.response, gad.last_band) == (False, False, "mild")


def test_period_labels():
    assert parse_period("2026-Q4").end == D("2026-12-31")
    assert parse_period("2026").start == D("2026-01-01")
    assert parse_period("last-quarter", today=D("2026-01-15")).label == "2025-Q4"
    cases = {
        "2026-13": "period '2026-13': month must be 01..12",
        "26-10": "period '26-10' is not understood; use a month (2026-10)",
        "Q4-2026": "period 'Q4-2026' is not understood",
        "last-week": "period 'last-week' is not understood",
        "last-month": "period 'last-month' needs today's date to be resolved",
    }
    for bad, message in cases.items():
        with pytest.raises(InputError) as exc:
            parse_period(bad)
        assert str(exc.value).startswith(message), bad


def test_rates_carry_numerator_denominator_and_wilson_interval():
    from iop_metrics.compute.intervals import wilson
    from iop_metrics.compute.metrics import rates

    df = rates(example_connection(), Query.of(MAY)).set_index("figure")
    row = df.loc["attendance.attendance_rate"]
    assert (row.numerator, row.denominator, row.rate) == (2, 3, pytest.approx(2 / 3))
    # Wilson 95% for 2 of 3, worked by hand: centre (p + z²/2n)/(1 + z²/n), etc.
    assert (row.ci_low, row.ci_high) == (
        pytest.approx(0.2077, abs=1e-4),
        pytest.approx(0.9385, abs=1e-4),
    )
    assert wilson(0, 0) == (None, None)
    assert wilson(0, 10)[0] == 0.0 and wilson(10, 10)[1] == pytest.approx(1.0)
    km = df.loc["retention.day_30"]
    assert km.denominator == 3 and km.interval.startswith("Greenwood")
    assert km.ci_low < km.rate < km.ci_high
