"""Outcome figures (spec outcomes.md) on a hand-made dataset: each episode exercises one rule,
and every figure is written out by hand below."""

from __future__ import annotations

import contextlib
import datetime as dt
import random

import duckdb
import pandas as pd
import pytest
from helpers import WHO5, client, episode, session, write_dataset

from iop_metrics.compute.metrics import document
from iop_metrics.compute.outcomes import outcome_courses, outcomes, outcomes_detail
from iop_metrics.compute.query import Query, Scope
from iop_metrics.ingest.load import load
from iop_metrics.periods import month

MAY = month(2026, 5)


def _a(eid: str, day: str, instrument: str, score: float) -> dict:
    return {"episode_id": eid, "assessed_on": day, "instrument": instrument, "score": score}


def _course(eid: str, first: dict[str, float], last: dict[str, float], **kw) -> tuple:
    """An IOP episode 04-01 .. 05-20 with 2 attended groups, first scores on 04-02 and last
    scores on 05-18."""
    ep = episode(eid, f"C{eid}", "2.1", "2026-04-01", kw.get("discharge", "2026-05-20"))
    sess = [session(eid, "2026-04-06"), session(eid, "2026-04-07")]
    scores = [_a(eid, "2026-04-02", k, v) for k, v in first.items()]
    scores += [_a(eid, "2026-05-18", k, v) for k, v in last.items()]
    return ep, sess, scores


# eid: what it exercises
COURSES = {
    "E01": ({"PHQ-9": 16}, {"PHQ-9": 10}),  # improvement exactly 6; still a case at 10
    "E02": ({"GAD-7": 8}, {"GAD-7": 4}),  # GAD-7 case at exactly 8, improvement exactly 4
    "E03": ({"PHQ-9": 15, "GAD-7": 7}, {"PHQ-9": 10, "GAD-7": 4}),  # -5 and -3: no reliable change
    "E04": ({"PHQ-9": 4}, {"PHQ-9": 10}),  # deterioration exactly +6, not a case at start
    "E05": ({"PHQ-9": 20, "GAD-7": 6}, {"PHQ-9": 12, "GAD-7": 10}),  # mixed: neither
    "E09": ({"BAM-use": 30}, {"BAM-use": 10}),  # an instrument without thresholds only
    "E10": ({"WHO-5": 8, "PHQ-9": 12}, {"WHO-5": 15}),  # higher is better; PHQ-9 unpaired
    "E17": ({"PHQ-9": 11}, {"PHQ-9": 8}),  # recovery without reliable improvement
    "E18": ({"PHQ-9": 16}, {"PHQ-9": 8}),  # response exactly at 50%
}


def dataset() -> dict[str, list[dict]]:
    t: dict[str, list[dict]] = {"clients": [], "episodes": [], "sessions": [], "assessments": []}

    def add(ep: dict, sess: list[dict], scores: list[dict]) -> None:
        t["clients"].append(client(ep["client_id"]))
        t["episodes"].append(ep)
        t["sessions"] += sess
        t["assessments"] += scores

    for eid, (first, last) in COURSES.items():
        add(*_course(eid, first, last))
    # E06: two PHQ-9 scores on each date: 12 and 14 (mean 13), then 6 and 8 (mean 7)
    ep, sess, _ = _course("E06", {}, {})
    add(ep, sess, [_a("E06", "2026-04-02", "PHQ-9", s) for s in (12, 14)]
        + [_a("E06", "2026-05-18", "PHQ-9", s) for s in (6, 8)])  # fmt: skip
    # E07: a score before admission (25) and after discharge (27) do not count: 18 -> 4
    ep, sess, _ = _course("E07", {}, {}, discharge="2026-05-15")
    days = (("2026-03-25", 25), ("2026-04-03", 18), ("2026-05-10", 4), ("2026-05-20", 27))
    add(ep, sess, [_a("E07", d, "PHQ-9", s) for d, s in days])
    # E08: one treatment session plus an assessment session: not a course, though paired
    ep = episode("E08", "CE08", "2.1", "2026-04-01", "2026-05-20")
    add(ep, [session("E08", "2026-04-02", service="assessment"), session("E08", "2026-04-06"),
             session("E08", "2026-04-07", status="no_show")],
        [_a("E08", "2026-04-02", "PHQ-9", 15), _a("E08", "2026-05-18", "PHQ-9", 5)])  # fmt: skip
    # Cadence. E11 open since 04-01, scored 05-05; E12 discharged after as_of, scored 04-02 only
    add(episode("E11", "CE11", "2.1", "2026-04-01"), [], [_a("E11", "2026-05-05", "GAD-7", 9)])
    add(episode("E12", "CE12", "2.1", "2026-04-01", "2026-06-10"), [],
        [_a("E12", "2026-04-02", "PHQ-9", 9), _a("E12", "2026-06-05", "PHQ-9", 3)])  # fmt: skip
    # E13 admitted 05-10, scored on day 13 (05-23); E14 admitted 05-20 (day 13 is after as_of);
    # E15 admitted 05-01, scored on day 14 (05-15): not at intake, but in the last 30 days
    add(episode("E13", "CE13", "2.1", "2026-05-10"), [], [_a("E13", "2026-05-23", "PHQ-9", 11)])
    add(episode("E14", "CE14", "2.1", "2026-05-20"), [], [_a("E14", "2026-05-20", "PHQ-9", 11)])
    add(episode("E15", "CE15", "2.1", "2026-05-01"), [], [_a("E15", "2026-05-15", "PHQ-9", 11)])
    # E16: out of scope (3.5), a paired course that must not count
    ep, sess, scores = _course("E16", {"PHQ-9": 20}, {"PHQ-9": 2})
    ep["level_of_care"] = "3.5"
    add(ep, sess, scores)
    t["instruments"] = [WHO5]
    return t


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("outcomes")
    db = tmp / "o.duckdb"
    load(write_dataset(tmp / "data", dataset()), db)
    c = duckdb.connect(str(db), read_only=True)
    yield c
    c.close()


NONE_BUT_MEANS = {
    "case_at_start": None,
    "reliable_improvement": None,
    "reliable_deterioration": None,
    "not_case_at_end": None,
    "response": None,
    "response_rate": None,
    "remission": None,
    "remission_rate": None,
}
EXPECTED = {
    # ended: E01-E10, E17, E18 (E16 is out of scope, E11-E15 open or after as_of)
    "ended": 12,
    "courses": 11,  # not E08
    "paired": 9,  # E01-E07, E17, E18 (E09 BAM-use only, E10 WHO-5 only)
    "paired_rate": 9 / 11,
    "at_caseness": 8,  # all but E04
    "reliable_improvement": 5,  # E01, E02, E06, E07, E18
    "reliable_improvement_rate": 5 / 9,
    "reliable_deterioration": 1,  # E04
    "reliable_deterioration_rate": 1 / 9,
    "no_reliable_change": 3,  # E03, E05 (mixed), E17
    "recovery": 5,  # E02, E06, E07, E17, E18
    "recovery_rate": 5 / 8,
    "reliable_recovery": 4,  # E02, E06, E07, E18
    "reliable_recovery_rate": 4 / 8,
    "by_instrument": {
        "BAM-use": {"paired": 1, "mean_first": 30.0, "mean_last": 10.0, **NONE_BUT_MEANS},
        "GAD-7": {  # E02 8->4, E03 7->4, E05 6->10
            "paired": 3,
            "case_at_start": 1,
            "mean_first": 7.0,
            "mean_last": 6.0,
            "reliable_improvement": 1,
            "reliable_deterioration": 1,
            "not_case_at_end": 1,
            "response": 1,  # 4 <= 0.5 * 8
            "response_rate": 1.0,
            "remission": None,
            "remission_rate": None,
        },
        "PHQ-9": {  # E01 16->10, E03 15->10, E04 4->10, E05 20->12, E06 13->7, E07 18->4,
            # E17 11->8, E18 16->8
            "paired": 8,
            "case_at_start": 7,
            "mean_first": 113 / 8,
            "mean_last": 69 / 8,
            "reliable_improvement": 5,  # E01, E05, E06, E07, E18
            "reliable_deterioration": 1,  # E04
            "not_case_at_end": 4,  # E06, E07, E17, E18
            "response": 2,  # E07, E18
            "response_rate": 2 / 7,
            "remission": 1,  # E07 (18 -> 4)
            "remission_rate": 1 / 7,  # first >= 10: all but E04
        },
        "WHO-5": {  # 8 -> 15, higher is better: a case at start (<= 13), not at end
            "paired": 1,
            "case_at_start": 1,
            "mean_first": 8.0,
            "mean_last": 15.0,
            "reliable_improvement": 1,
            "reliable_deterioration": 0,
            "not_case_at_end": 1,
            "response": None,
            "response_rate": None,
            "remission": None,
            "remission_rate": None,
        },
    },
    "measured_at_intake": 1,  # E13 (day 13)
    "intake_eligible": 2,  # E13, E15 (E14's day 13 is after as_of)
    "measured_at_intake_rate": 0.5,
    "measured_last_30d": 2,  # E11, E15
    "open_30d": 3,  # E11, E12 (its discharge is after as_of), E15
    "measured_last_30d_rate": 2 / 3,
}


def _approx(d):
    if isinstance(d, dict):
        return {k: _approx(v) for k, v in d.items()}
    return pytest.approx(d, rel=1e-12) if isinstance(d, float) else d


def test_every_rule_gives_the_figures_written_out_by_hand(con):
    got = outcomes(con, Query.of(MAY))
    assert list(got) == list(EXPECTED)
    assert got == _approx(EXPECTED)
    assert document(con, Query.of(MAY))["outcomes"] == got


def test_detail_has_first_last_dates_and_flags(con):
    d = outcomes_detail(con, Query.of(MAY)).set_index(["episode_id", "instrument"])
    e06 = d.loc[("E06", "PHQ-9")]
    assert (e06["dates"], e06["scores"], e06["first_score"], e06["last_score"]) == (2, 4, 13, 7)
    assert e06["worse"] == -6 and e06["reliable_improvement"] and not e06["case_at_end"]
    e07 = d.loc[("E07", "PHQ-9")]
    assert (e07["first_on"], e07["last_on"]) == (pd_ts("2026-04-03"), pd_ts("2026-05-10"))
    assert bool(e07["remission"]) and bool(e07["response"])
    who = d.loc[("E10", "WHO-5")]
    assert who["worse"] == -7 and who["reliable_improvement"] and pd.isna(who["response"])
    unpaired = d.loc[("E10", "PHQ-9")]
    assert not unpaired["paired"] and pd.isna(unpaired["reliable_improvement"])
    assert "E08" not in d.index.get_level_values(0)  # not a course
    bam = d.loc[("E09", "BAM-use")]
    assert pd.isna(bam["case_at_start"]) and pd.isna(bam["reliable_improvement"])


def pd_ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


def test_per_course_rows_carry_the_combined_flags_for_the_site_comparison(con):
    c = outcome_courses(con, Query.of(MAY)).set_index("episode_id")
    assert len(c) == 11 and set(c["site"]) == {"main"}
    assert c.loc["E05", "classified"] and not c.loc["E05", "reliable_improvement"]
    assert not c.loc["E05", "reliable_deterioration"] and c.loc["E05", "at_caseness"]
    assert c.loc["E03", "paired_instruments"] == 2
    assert not c.loc["E10", "classified"] and pd.isna(c.loc["E10", "recovery"])
    assert int(c["reliable_recovery"].fillna(False).sum()) == 4


def test_a_later_as_of_lets_e14_reach_day_13_and_changes_nothing_else(con):
    # As of 06-30, E14 (admitted 05-20, scored on day 0) is eligible and measured; E12's
    # discharge on 06-10 is now known but is not in May, and it was still open at May's end.
    got = outcomes(con, Query.of(MAY, as_of=dt.date(2026, 6, 30)))
    want = {**EXPECTED, "measured_at_intake": 2, "intake_eligible": 3}
    assert got == _approx({**want, "measured_at_intake_rate": 2 / 3})


def test_data_arriving_after_as_of_changes_nothing(tmp_path, con):
    tables = dataset()
    tables["episodes"].append(episode("E19", "CE19", "2.1", "2026-06-02", "2026-06-20"))
    tables["clients"].append(client("CE19"))
    tables["sessions"] += [session("E19", "2026-06-03"), session("E19", "2026-06-04")]
    tables["assessments"] += [
        _a("E19", "2026-06-02", "PHQ-9", 20),
        _a("E19", "2026-06-19", "PHQ-9", 2),
        _a("E11", "2026-06-01", "PHQ-9", 3),  # E11 still open
    ]
    db = tmp_path / "later.duckdb"
    load(write_dataset(tmp_path / "later", tables), db)
    with duckdb.connect(str(db), read_only=True) as later:
        assert outcomes(later, Query.of(MAY)) == outcomes(con, Query.of(MAY))


def test_scope_filters_hold(con):
    got = outcomes(con, Query.of(MAY, scope=Scope(levels=("3.5",))))
    assert (got["ended"], got["courses"], got["paired"], got["reliable_improvement"]) == (
        1,
        1,
        1,
        1,
    )
    assert outcomes(con, Query.of(MAY, scope=Scope(site="north")))["ended"] == 0
    empty = outcomes(con, Query.of(MAY, scope=Scope(site="north")))
    assert empty["paired_rate"] is None and empty["by_instrument"] == {}


def test_row_order_does_not_change_the_figures(tmp_path, con):
    tables = dataset()
    rng = random.Random(7)
    shuffled = {k: rng.sample(v, len(v)) for k, v in tables.items()}
    db = tmp_path / "s.duckdb"
    load(write_dataset(tmp_path / "s", shuffled), db)
    with duckdb.connect(str(db), read_only=True) as other:
        assert outcomes(other, Query.of(MAY)) == outcomes(con, Query.of(MAY))


def test_suppression_hides_every_small_outcome_count_and_what_would_give_it_away(con):
    from iop_metrics.compute.formats import flatten
    from iop_metrics.disclosure.suppress import suppress_document

    doc = document(con, Query.of(MAY))
    shown, hidden, _ = suppress_document(doc, 11, derived={})
    o = shown["outcomes"]
    # no count of 1..10 is shown, nor a rate or a mean; ended (12) stays, and courses (11)
    # goes with the one ended episode that was not a course
    for key, value in flatten(o):
        if key.endswith(("_rate", "mean_first", "mean_last")):
            assert value is None, key
        assert not (isinstance(value, int) and 0 < value < 11), key
    assert o["ended"] == 12 and o["courses"] is None
    # and no hidden count of 1..10 can be worked out from what stays (the suite's auditor;
    # at k = 2 a "<2" label would itself say 1, so the audit is at 11)
    from registry_auditor import audit

    from iop_metrics.disclosure.suppress import external_document

    assert not audit(external_document(doc, 11, derived={})).small(11)
    # with k = 2, only the counts of 1 go, and the groups they belong to keep them hidden
    shown, hidden, _ = suppress_document(doc, 2, derived={})
    o = shown["outcomes"]
    assert o["reliable_deterioration"] is None  # 1
    assert o["no_reliable_change"] is None or o["reliable_improvement"] is None  # its group
    assert o["reliable_deterioration_rate"] is None
    gad = o["by_instrument"]["GAD-7"]
    assert gad["case_at_start"] is None and gad["response_rate"] is None
    assert "outcomes.by_instrument.WHO-5.paired" in hidden


def _boundary_tables() -> dict[str, list[dict]]:
    """Courses on the rules' edges, May 2026, as_of 05-31. Each ended course (admitted 04-01,
    discharged 05-20, two attended groups) is scored on its admission and its discharge day:
    B1 PHQ-9 4 -> 3, a non-case at both ends (no recovery: it was never at caseness);
    B2 PHQ-9 10 -> 9, a case at exactly 10, not at 9 (recovery, no reliable change);
    B3 GAD-7 8 -> 3 on 05-19 -> 8 on the discharge day, the last score (still a case).
    Cadence (open at May's end): O1 admitted 04-01, scored only on 05-01 = end - 30 (outside
    the last 30 days); O2 admitted and scored on 05-02 = end - 29 (inside; and at intake);
    O3 admitted 05-03, after end - 29 (not in open_30d; intake-eligible, unscored)."""
    eps, sess, scores = [], [], []
    for eid in ("B1", "B2", "B3"):
        eps.append(
            {"episode_id": eid, "client_id": f"C{eid}", "level_of_care": "2.1", "site": "main",
             "admit_date": "2026-04-01", "discharge_date": "2026-05-20",
             "discharge_reason": "completed"}
        )  # fmt: skip
        sess += [session(eid, "2026-04-06"), session(eid, "2026-04-07")]
    for eid, admit in (("O1", "2026-04-01"), ("O2", "2026-05-02"), ("O3", "2026-05-03")):
        eps.append(
            {"episode_id": eid, "client_id": f"C{eid}", "level_of_care": "2.1", "site": "main",
             "admit_date": admit}
        )  # fmt: skip
    rows = [
        ("B1", "2026-04-01", "PHQ-9", 4), ("B1", "2026-05-20", "PHQ-9", 3),
        ("B2", "2026-04-01", "PHQ-9", 10), ("B2", "2026-05-20", "PHQ-9", 9),
        ("B3", "2026-04-01", "GAD-7", 8), ("B3", "2026-05-19", "GAD-7", 3),
        ("B3", "2026-05-20", "GAD-7", 8),
        ("O1", "2026-05-01", "PHQ-9", 12), ("O2", "2026-05-02", "PHQ-9", 12),
    ]  # fmt: skip
    scores = [_a(*r) for r in rows]
    clients = [client(e["client_id"]) for e in eps]
    return {"clients": clients, "episodes": eps, "sessions": sess, "assessments": scores}


BOUNDARY = {
    "ended": 3,
    "courses": 3,
    "paired": 3,  # the admission-day and discharge-day scores both count
    "at_caseness": 2,  # B2 (10 is a case), B3 (8 is a case); not B1
    "reliable_improvement": 0,
    "reliable_deterioration": 0,
    "no_reliable_change": 3,
    "recovery": 1,  # B2 only: B1 was never a case, B3 ends a case on its discharge day
    "recovery_rate": 0.5,
    "reliable_recovery": 0,
    "measured_at_intake": 1,  # O2 (day 0)
    "intake_eligible": 2,  # O2, O3
    "measured_last_30d": 1,  # O2 (05-02); not O1 (05-01)
    "open_30d": 2,  # O1, O2; not O3 (admitted after end - 29)
}


def test_courses_on_the_boundaries_by_hand_the_long_way_and_from_the_derived_tables():
    from helpers import long_way, memory_db

    con = memory_db(_boundary_tables())
    for path in ("long way", "derived tables"):
        with long_way(con) if path == "long way" else contextlib.nullcontext():
            got = outcomes(con, Query.of(MAY))
        assert {k: got[k] for k in BOUNDARY} == BOUNDARY, path
        phq = got["by_instrument"]["PHQ-9"]
        # not_case_at_end counts the cases at start only: B2, not B1
        assert (phq["paired"], phq["case_at_start"], phq["not_case_at_end"]) == (2, 1, 1), path
        gad = got["by_instrument"]["GAD-7"]
        assert (gad["mean_first"], gad["mean_last"], gad["not_case_at_end"]) == (8, 8, 0), path
