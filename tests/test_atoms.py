"""Published counts as sums of atoms (issue 30, items 1-2): the leaks the issue found, each
as a hand-made case with its records written out, read by a reader written here (its own
identities and bounds, a brute-force count of the values a hidden cell may take), not by the
model; and the membership rules against the figures on the sample."""

from __future__ import annotations

import itertools

import pytest

from iop_metrics.disclosure.model import Cells, protect

K = 11


def _members(**rows: list[int]) -> dict[str, tuple[str, ...]]:
    return {c.replace("__", "."): tuple(f"e:{i}" for i in r) for c, r in rows.items()}


def _cells(values, members=None, exact=()):
    published = frozenset(c for c in values if not c.startswith("~"))
    return Cells(values, published, tuple(exact), (), members or {})


def _pinned_by_enumeration(values, hidden, labels, identities, k, cap=14):
    """The hidden counts of 1..k-1 that one value alone fits, by trying every whole value of
    the hidden cells (a "<k" cell 1..k-1, another hidden one 1..cap: zeros are printed) under
    ``identities`` (total, parts) among the cells: the reader of the issue, by brute force."""
    order = sorted(hidden)
    ranges = [range(1, k) if labels[c] == "small" else range(1, cap + 1) for c in order]
    seen: dict[str, set[int]] = {c: set() for c in order}
    for trial in itertools.product(*ranges):
        v = {**values, **dict(zip(order, trial, strict=True))}
        if all(v[t] == sum(v[p] for p in parts) for t, parts in identities):
            for c, x in zip(order, trial, strict=True):
                seen[c].add(x)
    return {c: values[c] for c in order if 0 < values[c] < k and len(seen[c]) == 1}


def test_a_cohort_is_its_twelve_months_admissions_without_anyone_declaring_it():
    """The retention cohort counts the admissions of the months the trend shows (here three
    months): with two months' admissions shown (33), the third's 1 follows from the cohort of
    34, even printed to the ten as an external copy prints it ("about 30": 25..34, so the
    third is -8..1, and hidden as "<11", 1). Declared identities had no such sum, so the 1
    alone was hidden; from the records, it is not alone."""
    values = {
        "retention.cohort_admissions": 34,
        "monthly[1].admissions": 15,
        "monthly[2].admissions": 1,
        "monthly[3].admissions": 18,
    }
    members = _members(
        retention__cohort_admissions=list(range(34)),
        **{
            "monthly[1]__admissions": list(range(15)),
            "monthly[2]__admissions": [15],
            "monthly[3]__admissions": list(range(16, 34)),
        },
    )
    reader = [("retention.cohort_admissions", [f"monthly[{m}].admissions" for m in (1, 2, 3)])]
    before = protect(_cells(values), K)
    assert set(before) == {"monthly[2].admissions"}  # a reader works it out: 34 - 15 - 18
    hidden = protect(_cells(values, members), K)
    assert hidden["monthly[2].admissions"] == "small" and len(hidden) == 2, hidden
    # even a reader who knew the cohort exactly allows the 1 every value from 1 to 10
    assert _pinned_by_enumeration(values, set(hidden), hidden, reader, K, cap=40) == {}


def test_residential_flow_rows_add_up_to_the_continuity_discharges():
    """The period's flow rows from residential levels count the discharges continuity counts
    (no deaths here): 3 stepped down from 3.5 follows from 38 - 15 - 20 unless one more row,
    or the 38, is hidden."""
    values = {
        "continuity.residential_discharges": 38,
        "flow[3.5>2.1].n": 3,
        "flow[3.5>no_next_care].n": 15,
        "flow[3.7>2.1].n": 20,
    }
    members = _members(
        continuity__residential_discharges=list(range(38)),
        **{
            "flow[3.5>2.1]__n": [0, 1, 2],
            "flow[3.5>no_next_care]__n": list(range(3, 18)),
            "flow[3.7>2.1]__n": list(range(18, 38)),
        },
    )
    reader = [("continuity.residential_discharges", [c for c in values if c.startswith("flow")])]
    assert set(protect(_cells(values), K)) == {"flow[3.5>2.1].n"}  # before: 3 = 38 - 15 - 20
    hidden = protect(_cells(values, members), K)
    assert len(hidden) == 2 and "continuity.residential_discharges" not in hidden, hidden
    assert _pinned_by_enumeration(values, set(hidden), hidden, reader, K, cap=40) == {}


def test_twelve_months_completion_n_less_step_down_n_is_not_the_pending():
    """The sites page's 12-month completion n (every discharge) less its step-down n (the
    determined ones) is the month's pending discharges, a count the report shows "<11": from
    the records the model sees it, and hides one of the three."""
    values = {
        "completion.12m[all].n": 249,
        "step_down.12m[all].n": 242,
        "transitions.pending": 7,
    }
    members = _members(
        **{
            "completion.12m[all]__n": list(range(249)),
            "step_down.12m[all]__n": list(range(242)),
        },
        transitions__pending=list(range(242, 249)),
    )
    reader = [("completion.12m[all].n", ["step_down.12m[all].n", "transitions.pending"])]
    assert set(protect(_cells(values), K)) == {"transitions.pending"}
    hidden = protect(_cells(values, members), K)
    assert len(hidden) == 2, hidden
    assert _pinned_by_enumeration(values, set(hidden), hidden, reader, K, cap=260) == {}


def test_hidden_bins_over_a_small_total_are_at_least_one_each():
    """Seed 11's case (north 2026-10, K = 5): four discharges, one in each of four LOS bins,
    the others printed 0. A bin hidden is at least 1 to a reader (zeros are printed), so
    four hidden bins under a total of at most 4 are 1 each, "<5" or "suppressed" alike: the
    totals must not be shown small, and the model, knowing this, leaves no bin pinned."""
    k = 5
    bins = [f"los[{b}].n" for b in "abcdef"]
    values = {"census.discharges": 4, "discharges.total": 4, **dict.fromkeys(bins, 0)}
    values.update(dict.fromkeys(bins[:4], 1))
    members = {
        "census.discharges": ("e:1", "e:2", "e:3", "e:4"),
        "discharges.total": ("e:1", "e:2", "e:3", "e:4"),
        **{b: (f"e:{i + 1}",) for i, b in enumerate(bins[:4])},
        **{b: () for b in bins[4:]},
    }
    reader = [("census.discharges", bins), ("discharges.total", bins)]
    hidden = protect(_cells(values, members), k)
    assert set(hidden) >= set(bins[:4]), hidden
    assert _pinned_by_enumeration(values, set(hidden), hidden, reader, k) == {}


def test_a_count_that_is_not_the_number_of_its_records_is_never_published():
    """A covered count whose rule disagrees with the figure (a bug in one or the other) stops
    the protection: nothing is published on a model that is not the data."""
    members = _members(census__admissions=[1, 2])
    with pytest.raises(ValueError, match="census.admissions = 3, 2 records"):
        protect(_cells({"census.admissions": 3}, members), K)


def test_alike_sessions_are_one_record_that_counts_its_number():
    """Sessions alike in all that decides where they are counted (``session_groups.sql``) are
    one record keyed with their number: 12 attended Monday sessions and 3 on Tuesday make two
    atoms of 12 and 3, the 3 is hidden with one more count, and a count one off its records'
    weight stops the protection (here 14 attended for records of 12 and 3)."""
    from iop_metrics.disclosure.atoms import atoms

    monday, tuesday = "s:north|2026-10|Monday|group|attended*12", "s:north|2026-09|Tuesday|x|a*3"
    members = {
        "attendance.attended": (monday, tuesday),
        "weekday[Monday].attended": (monday,),
        "weekday[Tuesday].attended": (tuesday,),
    }
    values = {"attendance.attended": 15, "weekday[Monday].attended": 12}
    values["weekday[Tuesday].attended"] = 3
    assert atoms(members) == [
        (("attendance.attended", "weekday[Monday].attended"), 12),
        (("attendance.attended", "weekday[Tuesday].attended"), 3),
    ]
    hidden = protect(_cells(values, members), K)
    assert hidden["weekday[Tuesday].attended"] == "small" and len(hidden) == 2, hidden
    with pytest.raises(ValueError, match="attendance.attended = 14, 15 records"):
        protect(_cells({**values, "attendance.attended": 14}, members), K)


# The tests that read ``october`` go to one worker (--dist loadgroup), which builds it once
OCTOBER = pytest.mark.xdist_group("atoms-october")


@pytest.fixture(scope="module")
def october(sample_db, tmp_path_factory):
    """North's and main's October 2026 reports (level 2.1) as read for their external copies
    (with their records: ``conftest.exact_october``, read once per session), and the sites
    page's model."""
    import duckdb
    from conftest import exact_october

    from iop_metrics.compute.query import Query
    from iop_metrics.disclosure import linked
    from iop_metrics.periods import month

    north, main = (exact_october(sample_db, tmp_path_factory, s) for s in ("north", "main"))
    con = duckdb.connect(str(sample_db), read_only=True)
    try:
        return north, main, linked.sites_cells(con, Query.of(month(2026, 10)))
    finally:
        con.close()


def _weights(members):
    from iop_metrics.disclosure.atoms import weight

    return {c: (len(r), sum(map(weight, r))) for c, r in members.items()}


@OCTOBER
def test_every_session_count_of_the_sample_is_the_weight_of_its_groups(october):
    """North's October 2026 on the sample (level 2.1): each attendance count of the document,
    its weekday and service tables, its trends and the sites page is the weight of its session
    groups (``with_atoms`` checks every one), a few groups for hundreds of sessions (the first
    of a month apart: October 1 and May 1 make two more groups each); the sites
    page counts the very groups the reports count (the same keys: a site's period n is its
    report's client-scheduled sessions, the program's the sites' together), so the atoms
    join the outputs of one run."""
    from iop_metrics.disclosure.model import with_atoms

    north, main, page = october
    for cells in (north.cells(), main.cells(), page):
        with_atoms(cells)  # raises on a count that is not the weight of its records
    got = _weights(north.members)
    assert north.doc["attendance"]["attended"] == 310 and got["attendance.attended"] == (19, 310)
    assert got["~client_scheduled"] == (39, 365)
    assert got["weekday[Monday].no_show"] == (1, 11)
    assert got["service[group].scheduled"] == (3, 68)
    assert got["monthly[2026-05].client_scheduled"] == (32, 214)
    m = page.members
    assert m["attendance.period[north].n"] == north.members["~client_scheduled"]
    assert m["attendance.period[north].observed"] == north.members["attendance.attended"]
    both = sorted(north.members["~client_scheduled"] + main.members["~client_scheduled"])
    assert list(m["attendance.period[all].n"]) == both


@OCTOBER
def test_every_client_week_count_of_the_sample_is_the_weight_of_its_groups(october):
    """North's October 2026 (level 2.1): the dosage counts of the document, its hours table and
    its trends are the weight of their client-week groups (``client_week_groups.sql``: site,
    calendar month of the Sunday, threshold, whole-hour bin, meeting it): 59 client-weeks in
    10 groups, 38 meeting the threshold in 4; October's row of the trends counts the period's
    very groups."""
    north, _, _ = october
    got = _weights(north.members)
    assert north.doc["dosage"]["client_weeks"] == 59 and got["dosage.client_weeks"] == (10, 59)
    assert got["dosage.client_weeks_meeting_threshold"] == (4, 38)
    assert got["hours[9>10].client_weeks"] == (1, 22)
    assert got["hours[6>7].client_weeks"] == (1, 6)
    assert got["monthly[2026-05].client_weeks"] == (12, 49)
    assert got["monthly[2026-05].meeting"] == (4, 17)
    period = north.members["dosage.client_weeks"]
    assert north.members["monthly[2026-10].client_weeks"] == period
    assert all(r.startswith("w:north|2026-10|") for r in period)


def test_a_months_sessions_are_the_same_records_in_every_run_that_counts_them(sample_db):
    """The ledger joins an earlier month's document to a later run's trends by their records
    (``ledger.known``): north's February 2026 document counts its sessions and client-weeks
    (its last week ends on the 28th: settled) as the very records March's run counts in its
    trend row for February. Keyed by the run (in its period, in its 12 months:
    ``s:north|2026-08|1|1|...`` in August's run, ``|0|1|`` in September's), they were other
    records: August's hidden cancellations were then its published sessions less September's
    trend row for August, read through the rate that row prints, and no model saw it (a
    generated program's runs of 2026-08 and 2026-09 at K = 5, read together)."""
    import duckdb

    from iop_metrics.compute.query import Query, Scope
    from iop_metrics.periods import month
    from iop_metrics.report.figures import exact

    con = duckdb.connect(str(sample_db), read_only=True)
    try:
        february, march = (
            exact(con, Query.of(month(2026, m), scope=Scope(("2.1",), "north"))).members
            for m in (2, 3)
        )
    finally:
        con.close()
    for document, trend in (
        ("~client_scheduled", "client_scheduled"),
        ("attendance.attended", "attended"),
        ("attendance.no_show", "no_show"),
        ("dosage.client_weeks", "client_weeks"),
        ("dosage.client_weeks_meeting_threshold", "meeting"),
    ):
        assert february[document] == march[f"monthly[2026-02].{trend}"], document
        assert len(february[document]) > 1
    # the first of a month is a group of its own: a year's window may begin on the 2nd
    days = {r.split("|")[1] for r in march["monthly[2025-10].attended"]}
    assert days == {"2025-10", "2025-10-01"}


@pytest.mark.parametrize(
    ("first", "last"), [((2026, 9, 2), (2026, 9, 30)), ((2026, 9, 1), (2026, 9, 29))]
)
def test_records_are_not_grouped_over_a_period_of_part_months(sample_con, first, last):
    """The groups' keys hold a calendar month, not the run's period, which is right only for
    a period of whole months; another is refused rather than keyed by the run."""
    import datetime as dt

    from iop_metrics.compute.query import Query, Scope
    from iop_metrics.compute.series import trailing_months
    from iop_metrics.disclosure.atoms import _grouped
    from iop_metrics.periods import Period, month

    period = Period("part", dt.date(*first), dt.date(*last), "span")
    q = Query(period, period.end, Scope(("2.1",)), 14)
    with pytest.raises(ValueError, match="grouped by whole months"):
        _grouped(sample_con, q, trailing_months(month(2026, 9)), "session_cells", {})


def test_a_dosage_count_one_off_its_client_weeks_is_never_published():
    """A group of 22 client-weeks weighs 22: the 7 of the other bin is hidden with one more
    count, and a total of 30 over the two groups stops the protection (the hours table and the
    document disagree with the records)."""
    members = {
        "dosage.client_weeks": ("w:north|2026-10|1|9|10|1*22", "w:north|2026-10|1|9|4|0*7"),
        "hours[9>10].client_weeks": ("w:north|2026-10|1|9|10|1*22",),
        "hours[9>4].client_weeks": ("w:north|2026-10|1|9|4|0*7",),
    }
    values = {"dosage.client_weeks": 29, "hours[9>10].client_weeks": 22}
    values["hours[9>4].client_weeks"] = 7
    hidden = protect(_cells(values, members), K)
    assert hidden["hours[9>4].client_weeks"] == "small" and len(hidden) == 2, hidden
    with pytest.raises(ValueError, match="dosage.client_weeks = 30, 29 records"):
        protect(_cells({**values, "dosage.client_weeks": 30}, members), K)


def test_the_outcome_cohort_is_the_periods_discharges_without_anyone_declaring_it():
    """The outcome cohort (episodes ended in the period) is the period's discharges: the
    registry ties it only to its courses (the 4 ended with no course = ended - courses), so
    with the courses shown in the document and their month's row, the model hid the 30 ended
    and a reader who reads it off the 30 discharges had the 4. From the records (an ended
    episode is the episode the discharges count) the model sees it and hides the courses."""
    values = {
        "discharges.total": 30,
        "outcomes.ended": 30,
        "outcomes.courses": 26,
        "monthly[2026-10].courses": 26,
        "~not_course": 4,
    }
    exact = (
        {"~not_course": -1, "outcomes.ended": 1, "outcomes.courses": -1},
        {"outcomes.courses": -1, "monthly[2026-10].courses": 1},
    )
    ended = tuple(f"e:{i}" for i in range(30))
    courses = tuple(f"c:{i}" for i in range(26))
    members = {"discharges.total": ended, "outcomes.ended": ended}
    members |= {"outcomes.courses": courses, "monthly[2026-10].courses": courses}
    reader = [
        ("outcomes.ended", ["discharges.total"]),
        ("outcomes.ended", ["outcomes.courses", "~not_course"]),
        ("outcomes.courses", ["monthly[2026-10].courses"]),
    ]

    def worked_out(hidden):
        labels = {**hidden, "~not_course": "complementary"}
        return _pinned_by_enumeration(values, {*hidden, "~not_course"}, labels, reader, K, 40)

    before = protect(_cells(values, exact=exact), K)
    assert before == {"outcomes.ended": "complementary"}
    assert worked_out(before) == {"~not_course": 4}
    hidden = protect(_cells(values, members, exact), K)
    assert set(hidden) == {"outcomes.courses", "monthly[2026-10].courses"}, hidden
    assert worked_out(hidden) == {}


@OCTOBER
def test_every_outcome_count_of_the_sample_is_its_courses(october):
    """North's October 2026 (level 2.1): the combined outcome counts of the document and its
    October row are its courses' (``outcome_cells.sql``: 8 ended, 7 courses, 4 paired, 2
    improved reliably), the ended ones the very episodes of its discharges, and the sites
    page's reliable improvement and recovery n count the same courses as north's paired and
    at-caseness counts."""
    north, _, page = october
    got = _weights(north.members)
    assert north.doc["outcomes"]["courses"] == 7 and got["outcomes.courses"] == (7, 7)
    assert got["outcomes.ended"] == (8, 8) and got["outcomes.paired"] == (4, 4)
    assert got["outcomes.reliable_improvement"] == (2, 2)
    assert got["outcomes.no_reliable_change"] == (2, 2)
    assert north.members["outcomes.ended"] == north.members["census.discharges"]
    assert north.members["monthly[2026-10].paired"] == north.members["outcomes.paired"]
    m = page.members
    assert m["reliable_improvement.period[north].n"] == north.members["outcomes.paired"]
    assert m["recovery.period[north].n"] == north.members["outcomes.at_caseness"]
    assert m["recovery.period[north].observed"] == north.members["outcomes.recovery"]
    assert _weights(m)["reliable_improvement.12m[north].n"] == (75, 75)


@OCTOBER
def test_every_instrument_count_of_the_sample_is_its_courses_on_that_instrument(october):
    """North's October 2026 (level 2.1): each per-instrument count of the document, remission's
    base behind its rate and the PHQ-9 bands are the courses paired on that instrument
    (``instrument_cells.sql``): 4 on PHQ-9 and 4 on GAD-7, the same 4 episodes, each a record
    per instrument (``i:<code>|<id>``); GAD-7 has no remission (no cell, no record); the bands
    hold the PHQ-9 courses (2 + 1 + 1), remission's base is its cases at start (a first score of
    10, PHQ-9's caseness) and what the published sums said by hand the records now say."""
    north, _, _ = october
    got, m = _weights(north.members), north.members
    phq9, gad7 = "outcomes.by_instrument.PHQ-9.", "outcomes.by_instrument.GAD-7."
    assert got[phq9 + "paired"] == (4, 4) and got[gad7 + "paired"] == (4, 4)
    assert got[phq9 + "not_case_at_end"] == (2, 2) and got[gad7 + "not_case_at_end"] == (3, 3)
    assert got[phq9 + "remission"] == (2, 2) and gad7 + "remission" not in m
    assert got[gad7 + "reliable_improvement"] == (2, 2) and got[phq9 + "response"] == (2, 2)
    assert all(r.startswith("i:PHQ-9|") for r in m[phq9 + "paired"])
    assert {r.split("|")[1] for r in m[phq9 + "paired"]} == {
        r.split("|")[1] for r in m[gad7 + "paired"]
    }
    assert m["~PHQ-9:remission_base"] == m[phq9 + "case_at_start"]
    bands = {c: r for c, r in m.items() if c.startswith("bands[")}
    assert {c: len(r) for c, r in bands.items() if r} == {
        "bands[moderate>minimal].n": 2,
        "bands[moderately severe>moderate].n": 1,
        "bands[severe>severe].n": 1,
    }
    assert sorted(r for rs in bands.values() for r in rs) == list(m[phq9 + "paired"])
    below = ("minimal", "mild")
    recovered = [r for c, rs in bands.items() for r in rs if c[6:].split(">")[1][:-3] in below]
    assert sorted(recovered) == list(m[phq9 + "not_case_at_end"])
    assert set(m) <= set(north.cells().members)  # every cell with records is a covered one


@OCTOBER
def test_every_cadence_count_of_the_sample_is_its_episodes(october):
    """North's October 2026 (level 2.1): the measurement-based care counts are episodes
    (``cadence_cells.sql``, keyed as the census keys them): its 6 admissions eligible for an
    intake score (admitted by October 18, 13 days before the as-of date) all measured, 7 of the
    9 episodes open 30 days at the end measured in the last 30; the eligible are among October's
    admissions and the open ones among those active at its end."""
    north, _, _ = october
    got, m = _weights(north.members), north.members
    assert north.doc["outcomes"]["intake_eligible"] == 6 and got["outcomes.intake_eligible"] == (
        6,
        6,
    )
    assert got["outcomes.measured_at_intake"] == (6, 6)
    assert got["outcomes.open_30d"] == (9, 9) and got["outcomes.measured_last_30d"] == (7, 7)
    assert set(m["outcomes.intake_eligible"]) < set(m["census.admissions"])
    assert set(m["outcomes.open_30d"]) < set(m["census.active_at_end"])
    assert set(m["outcomes.measured_last_30d"]) < set(m["outcomes.open_30d"])


def test_the_bands_add_up_to_the_phq9_courses_without_anyone_declaring_it():
    """The bands hold the PHQ-9 paired courses (no identity declares it since the atoms came):
    with 14 paired shown and 11 in one band, the 3 of the other follows unless one more cell is
    hidden; from the courses' records the model sees it."""
    values = {
        "outcomes.by_instrument.PHQ-9.paired": 14,
        "bands[moderate>minimal].n": 11,
        "bands[severe>mild].n": 3,
    }
    courses = [f"i:PHQ-9|{i}" for i in range(14)]
    members = {
        "outcomes.by_instrument.PHQ-9.paired": tuple(courses),
        "bands[moderate>minimal].n": tuple(courses[:11]),
        "bands[severe>mild].n": tuple(courses[11:]),
    }
    reader = [
        (
            "outcomes.by_instrument.PHQ-9.paired",
            ["bands[moderate>minimal].n", "bands[severe>mild].n"],
        )
    ]
    assert set(protect(_cells(values), K)) == {"bands[severe>mild].n"}  # 14 - 11
    hidden = protect(_cells(values, members), K)
    assert len(hidden) == 2 and hidden["bands[severe>mild].n"] == "small", hidden
    assert _pinned_by_enumeration(values, set(hidden), hidden, reader, K, cap=20) == {}


def test_the_intake_eligible_are_the_admissions_without_anyone_declaring_it():
    """Once 13 days have passed, every admission of the period is eligible for an intake score:
    the eligible are its admissions. With 3 discharges to protect in the census (20 at the
    start, 31 at the end), hiding the 14 admitted frees them, but the 14 eligible gave them
    back; from the records (``cadence_cells.sql`` keys the episodes) the model sees it and
    hides the 20 at the start instead."""
    values = {
        "census.active_at_start": 20,
        "census.admissions": 14,
        "census.discharges": 3,
        "census.active_at_end": 31,
        "outcomes.intake_eligible": 14,
    }
    e = [f"e:{i}" for i in range(34)]
    members = {
        "census.active_at_start": tuple(e[:20]),
        "census.admissions": tuple(e[20:]),
        "census.discharges": tuple(e[:3]),
        "census.active_at_end": tuple(e[3:]),
    }
    # ~stayed: the 17 at the start still there at the end, a reader's unknown
    reader = [
        ("census.active_at_start", ["census.discharges", "~stayed"]),
        ("census.active_at_end", ["~stayed", "census.admissions"]),
        ("outcomes.intake_eligible", ["census.admissions"]),
    ]

    def worked_out(hidden):
        labels = {**hidden, "~stayed": "complementary"}
        return _pinned_by_enumeration(
            {**values, "~stayed": 17}, {*hidden, "~stayed"}, labels, reader, K, 40
        )

    before = protect(_cells(values, members), K)  # the eligible without records, as before
    assert before == {"census.admissions": "complementary", "census.discharges": "small"}
    assert worked_out(before) == {"census.discharges": 3}
    members["outcomes.intake_eligible"] = tuple(e[20:])
    hidden = protect(_cells(values, members), K)
    assert hidden == {"census.active_at_start": "complementary", "census.discharges": "small"}
    assert worked_out(hidden) == {}


def test_the_edges_of_the_rules_a_first_score_of_ten_and_an_unmeasured_admission(sample_db):
    """North's January 2026 (level 2.1), where the edges of the rules show: a PHQ-9 course
    starting at exactly 10 is in remission's base (5 = its cases at start; 3 remitted), and one
    of the 7 admissions eligible for an intake score was not measured (6), as with_atoms checks
    against the document's figures; the bands hold the 7 PHQ-9 courses in 6 cells."""
    import duckdb

    from iop_metrics.compute.query import Query, Scope
    from iop_metrics.disclosure.model import with_atoms
    from iop_metrics.periods import month
    from iop_metrics.report.figures import exact

    con = duckdb.connect(str(sample_db), read_only=True)
    try:
        x = exact(con, Query.of(month(2026, 1), scope=Scope(("2.1",), "north")))
    finally:
        con.close()
    with_atoms(x.cells())  # raises on a count that is not the weight of its records
    got = _weights(x.members)
    assert got["~PHQ-9:remission_base"] == (5, 5) and got[
        "outcomes.by_instrument.PHQ-9.remission"
    ] == (3, 3)
    assert got["outcomes.intake_eligible"] == (7, 7) and got["outcomes.measured_at_intake"] == (
        6,
        6,
    )
    bands = [n for c, (n, _) in got.items() if c.startswith("bands[") and n]
    assert sorted(bands) == [1, 1, 1, 1, 1, 2]


@pytest.mark.parametrize(
    ("values", "rows", "reader"),
    [
        # recovery.md: at_discharge = at_admission + gained - lost (30 at admission, 3 of them
        # lost, 12 gained: 39 at discharge); the paired episodes' records; a reader's 27 kept
        (
            {"at_admission": 30, "lost": 3, "gained": 12, "at_discharge": 39, "paired": 50},
            {
                "at_admission": range(30),
                "lost": range(27, 30),
                "gained": range(30, 42),
                "at_discharge": [*range(27), *range(30, 42)],
                "paired": range(50),
            },
            [("at_admission", ["~kept", "lost"]), ("at_discharge", ["~kept", "gained"])],
        ),
        # the five contact categories sum to due (40 due: 25 reached, 12 declined, 3 never
        # tried, none not reached or deceased); the due episode-windows' records
        (
            {"due": 40, "reached": 25, "declined": 12, "not_attempted": 3},
            {
                "due": range(40),
                "reached": range(25),
                "declined": range(25, 37),
                "not_attempted": range(37, 40),
            },
            [("due", ["reached", "declined", "not_attempted"])],
        ),
    ],
    ids=["noms", "follow_up"],
)
def test_the_recovery_identities_follow_from_the_records(values, rows, reader):
    """recovery.md's identities are not declared to the model here: without records the small
    count alone is hidden, and a reader who knows the identity has it back; with the records
    (as ``noms_cells.sql`` and ``follow_up_cells.sql`` key them) the model finds the identity
    and hides one more count, so that nothing of 1..10 is pinned."""
    members = {c: tuple(f"n:{i}" for i in r) for c, r in rows.items()}
    small = next(c for c, v in values.items() if 0 < v < K)
    kept = {"~kept": 27} if any("~kept" in parts for _, parts in reader) else {}

    def pinned(hidden):
        labels = {**hidden, **dict.fromkeys(kept, "complementary")}
        return _pinned_by_enumeration({**values, **kept}, set(labels), labels, reader, K, 45)

    before = protect(_cells(values), K)
    assert before == {small: "small"}
    assert pinned(before) == {small: values[small]}
    hidden = protect(_cells(values, members), K)
    assert hidden[small] == "small" and len(hidden) == 2, hidden
    assert pinned(hidden) == {}


@OCTOBER
def test_every_recovery_count_of_the_sample_is_its_records(october):
    """North's October 2026 (level 2.1): the ``noms`` counts of the document and its October
    row are its ended episodes' (``noms_cells.sql``: 8 ended, the very episodes of its
    discharges; 5 paired on abstinence, 3 abstinent at discharge, all 3 gained), so at
    discharge = at admission + gained - lost holds of each domain's records (one record per
    episode and domain, ``n:<domain>:<id>``; the paired have an admission row, which the model
    is told as a declared inequality); the ``follow_up`` counts are its due episode-windows'
    (``follow_up_cells.sql``: 122 due at 3 months in 123 records, one of them the window's
    weightless record of deaths none found, the five categories a partition of them, a
    domain's known among the reached, its positive among its known), the October row's
    rolling 3-month due the same windows; and the sites page counts the same records as
    north's report."""
    north, _, page = october
    got, m = _weights(north.members), north.members

    def ids(records):  # the episodes records stand for (a domain's records are its own)
        return {r.split(":")[-1] for r in records}

    assert set(m) <= set(north.cells().members)  # every cell its rules count is in the model
    assert north.doc["noms"]["ended"] == 8 and got["noms.ended"] == (8, 8)
    assert m["noms.ended"] == m["census.discharges"]
    assert got["noms.abstinent.paired"] == (5, 5) and got["noms.abstinent.at_discharge"] == (3, 3)
    assert got["noms.abstinent.gained"] == (3, 3) and got["noms.abstinent.reduced"] == (4, 4)
    assert got["noms.with_admission"] == (8, 8) and got["noms.with_discharge"] == (7, 7)
    for d in ("abstinent", "employed_or_student", "housed", "no_arrests", "self_help"):
        part = {x: set(m.get(f"noms.{d}.{x}", ())) for x in ("at_admission", "gained", "lost")}
        kept = part["at_admission"] - part["lost"]
        assert set(m.get(f"noms.{d}.at_discharge", ())) == kept | part["gained"], d
        assert all(r.startswith(f"n:{d}:") for r in m[f"noms.{d}.paired"]), d  # per domain
        assert {r.split(":")[-1] for r in m[f"noms.{d}.paired"]} <= ids(m["noms.with_admission"])
    assert m["monthly[2026-10].abstinent_paired"] == m["noms.abstinent.paired"]
    assert m["monthly[2026-10].abstinent_at_discharge"] == m["noms.abstinent.at_discharge"]
    assert north.doc["follow_up"]["3m"]["due"] == 122 and got["follow_up.3m.due"] == (123, 122)
    assert got["follow_up.3m.reached"] == (68, 68) and got["follow_up.3m.abstinent"] == (39, 39)
    parts = ("reached", "not_reached", "declined", "deceased", "not_attempted")
    every = [r for p in parts for r in m.get(f"follow_up.3m.{p}", ())]
    assert sorted(every) == list(m["follow_up.3m.due"])  # each due window in one category
    for d in ("abstinent", "employed_or_student", "housed", "no_arrests"):
        assert set(m[f"follow_up.3m.{d}"]) <= set(m[f"follow_up.3m.{d}_known"])
        assert ids(m[f"follow_up.3m.{d}_known"]) <= ids(m["follow_up.3m.reached"])
    due = tuple(r for r in m["follow_up.3m.due"] if r != "f:3m:deceased*0")
    assert m["monthly[2026-10].due_3m"] == due
    assert got["monthly[2026-05].due_3m"] == (130, 130)
    p = page.members
    assert p["abstinent_discharge.period[north].n"] == m["noms.abstinent.paired"]
    assert p["abstinent_discharge.period[north].observed"] == m["noms.abstinent.at_discharge"]
    assert _weights(p)["abstinent_discharge.12m[north].n"] == (72, 72)
    assert p["response_3m.period[north].n"] == due
    assert p["response_3m.12m[north].observed"] == m["follow_up.3m.reached"]


def _set_aside() -> dict[str, list[dict]]:
    """Clients 2, episodes 3, sessions 5 of which lines 4 (a bad status), 5 (a bad date and a
    bad status) and 6 (bad minutes) are set aside by a load with quarantine."""
    from helpers import client, episode, session

    return {
        "clients": [client("C1"), client("C2")],
        "episodes": [
            episode("E1", "C1", "2.1", "2026-04-01", "2026-05-01"),
            episode("E2", "C1", "2.1", "2026-05-10"),
            episode("E3", "C2", "2.1", "2026-05-04"),
        ],
        "sessions": [
            session("E2", "2026-05-11"),
            session("E3", "2026-05-05", status="no_show"),
            session("E3", "2026-05-06", status="maybe"),
            session("E3", "not a date", status="maybe"),
            session("E3", "2026-05-07", minutes="lots"),
        ],
    }


def test_the_loads_rows_are_their_records(tmp_path):
    """A load with rows set aside (quarantine): sessions read 5, loaded 2, set aside lines 4
    (a bad status), 5 (a bad date and a bad status) and 6 (bad minutes). Rows read are the
    loaded rows (one record of 2) and the three lines; each reason counts its lines, so the
    status's 2 and the date's 1 share line 5 and add up to more than the set aside."""
    import duckdb
    from helpers import write_dataset

    from iop_metrics.compute.query import Query
    from iop_metrics.disclosure.model import with_atoms
    from iop_metrics.ingest.load import load
    from iop_metrics.periods import month
    from iop_metrics.report.figures import exact

    db = tmp_path / "iop.duckdb"
    load(write_dataset(tmp_path / "d", _set_aside()), db, quarantine=True)
    with duckdb.connect(str(db), read_only=True) as con:
        x = exact(con, Query.of(month(2026, 5)))
    with_atoms(x.cells())  # raises on a count that is not the weight of its records
    m = x.members
    assert set(m) <= set(x.cells().members)  # every cell its rules count is in the model
    status = "quality[rejected>sessions>is not one of attended, no_show, cancelled_client, "
    status += "cancelled_program].n"
    assert m["quality[loaded>sessions>].rows_read"] == (
        "q:sessions|4", "q:sessions|5", "q:sessions|6", "q:sessions|loaded*2"
    )  # fmt: skip
    assert m["quality[loaded>sessions>].rows_loaded"] == ("q:sessions|loaded*2",)
    assert m[status] == ("q:sessions|4", "q:sessions|5")
    assert m["quality[rejected>sessions>is not a date (YYYY-MM-DD)].n"] == ("q:sessions|5",)
    assert m["quality[rejected>sessions>is not a whole number].n"] == ("q:sessions|6",)
    assert m["quality[loaded>clients>].rows_read"] == ("q:clients|loaded*2",)


def _import(name: str, read: int, written: int, collapsed: int = 0, **skipped: dict) -> dict:
    """One table of an import report as ``importer._table`` writes it (the counts only)."""
    return {name: {"files": [f"{name}.csv"], "rows_read": read, "rows_skipped": skipped,
                   "rows_collapsed": collapsed, "rows_written": written, "codes": {}}}  # fmt: skip


def test_the_imports_rows_are_the_loads_rows_and_records_of_its_own(tmp_path):
    """An import's report, loaded with the folder it wrote (``_set_aside``): clients read 7,
    written 2 (the load read them), collapsed 1 (an identical row), kept out 4 = 7 - 1 - 2,
    skipped 5 by the keep rules (status 4, program 1: one row failed both, so 5 skips of 4
    rows); sessions read 5, written 5 (the load's 2 loaded and lines 4, 5, 6 set aside),
    skipped 0; episodes read 3, written 3. Rows read = skipped + collapsed + written holds for
    sessions and episodes and not for clients, and written = the load's rows read for all
    three: the atoms say which, nobody declares it."""
    import json

    import duckdb
    from helpers import write_dataset

    from iop_metrics.compute.query import Query
    from iop_metrics.disclosure.atoms import atoms
    from iop_metrics.disclosure.model import with_atoms
    from iop_metrics.ingest.load import load
    from iop_metrics.periods import month
    from iop_metrics.report.figures import exact

    report = {
        "mapping": {"file": "m.toml", "sha256": "0" * 64},
        "tables": {
            **_import("clients", 7, 2, 1, status={"test": 3, "": 1}, program={"X": 1}),
            **_import("episodes", 3, 3),
            **_import("sessions", 5, 5),
        },
    }
    db = tmp_path / "iop.duckdb"
    folder = write_dataset(tmp_path / "d", _set_aside())
    load(folder, db, quarantine=True, imported=("0" * 64, json.dumps(report)))
    with duckdb.connect(str(db), read_only=True) as con:
        x = exact(con, Query.of(month(2026, 5)))
    cells = with_atoms(x.cells())  # raises on a count that is not the weight of its records
    m = x.members
    c = "quality[imported>clients>]."
    assert m[c + "written"] == m["quality[loaded>clients>].rows_read"] == ("q:clients|loaded*2",)
    assert m[c + "import_read"] == (
        "q:clients|collapsed*1", "q:clients|kept out*4", "q:clients|loaded*2"
    )  # fmt: skip
    assert m[c + "collapsed"] == ("q:clients|collapsed*1",)
    assert m[c + "skipped"] == ("q:clients|kept out*4", "q:clients|skipped again*1")
    s = "quality[imported>sessions>]."
    assert m[s + "written"] == (
        "q:sessions|4",
        "q:sessions|5",
        "q:sessions|6",
        "q:sessions|loaded*2",
    )
    assert m[s + "import_read"] == m[s + "written"]
    assert s + "skipped" not in m and s + "collapsed" not in m  # no record: 0
    q = {k: v for k, v in m.items() if k.startswith(("quality[imported>clients", c[:-1]))}
    q |= {k: v for k, v in m.items() if k.startswith("quality[loaded>clients")}
    load = ("quality[loaded>clients>].rows_loaded", "quality[loaded>clients>].rows_read")
    assert atoms(q) == [
        ((c + "collapsed", c + "import_read"), 1),
        ((c + "import_read", c + "skipped"), 4),
        ((c + "import_read", c + "written", *load), 2),
        ((c + "skipped",), 1),
    ]
    e = "quality[imported>episodes>]."
    parts = ("skipped", "collapsed", "written")
    for t, holds in (("clients", False), ("episodes", True), ("sessions", True)):
        i = f"quality[imported>{t}>]."  # read = skipped + collapsed + written, found or not
        assert _follows(cells.exact, {i + "import_read": -1, **{i + p: 1 for p in parts}}) is holds
        assert _follows(cells.exact, {f"quality[loaded>{t}>].rows_read": -1, i + "written": 1})
    assert _follows(cells.exact, {e + "import_read": -1, e + "written": 1})
    assert not _follows(cells.exact, {c + "import_read": -1, c + "written": 1})


def _follows(equations, eq: dict[str, int]) -> bool:
    """True when ``eq`` (cell -> coefficient, = 0) is a combination of ``equations`` over
    the cells (an equation whose cells are all 0 in a layout counts as none).

    Only the equations joined to ``eq``'s cells through shared cells can make it (the others
    hold cells none of these hold), so the ranks are taken over those alone: over the whole
    layout, the two SVDs of each call took 11 CPU s of this file."""
    import numpy as np

    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = x = parent[parent[x]]
        return x

    for e in equations:
        for c in e:
            parent[find(c)] = find(next(iter(e)))
    joined = {find(c) for c in eq}
    linked = [e for e in equations if e and find(next(iter(e))) in joined]
    names = sorted({c for e in (*linked, eq) for c in e})
    rows = np.array([[e.get(c, 0) for c in names] for e in linked], dtype=float)
    rows = rows.reshape(len(linked), len(names))  # none linked: no row, rank 0
    both = np.vstack([rows, [eq.get(c, 0) for c in names]])
    return bool(np.linalg.matrix_rank(rows) == np.linalg.matrix_rank(both))


def test_a_hand_made_import_report_that_does_not_add_up_is_never_published(tmp_path):
    """Skipped 1 of clients read 5, written 3, collapsed 0: 2 rows kept out by one skip cannot
    be, so the records do not make the published counts and nothing is published."""
    import json

    import duckdb
    from helpers import client, write_dataset

    from iop_metrics.compute.query import Query
    from iop_metrics.disclosure.model import with_atoms
    from iop_metrics.ingest.load import load
    from iop_metrics.periods import month
    from iop_metrics.report.figures import exact

    tables = {"clients": [client("C1"), client("C2"), client("C3")], "episodes": [], "sessions": []}
    clients = _import("clients", 5, 3, status={"x": 1})
    report = {"mapping": {"file": "m", "sha256": "0"}, "tables": clients}
    db = tmp_path / "iop.duckdb"
    load(write_dataset(tmp_path / "d", tables), db, imported=("0", json.dumps(report)))
    with duckdb.connect(str(db), read_only=True) as con:
        x = exact(con, Query.of(month(2026, 5)))
    with pytest.raises(ValueError, match=r"quality\[imported>clients>\]\.skipped = 1, 2 records"):
        with_atoms(x.cells())


def test_a_teds_files_rows_read_are_not_the_rows_it_wrote():
    """A TEDS file writes an admission and a discharge row from one row read: noms read 4,
    skipped 1 (one row kept out), written 5 (3 admissions, 2 discharges), which the load read
    (its records ``q:noms|loaded*5``): read and skipped are records of their own, tied to no
    written row; when the load read another number of rows (6), the written are one record
    of their own too."""
    from iop_metrics.disclosure.atoms import import_members

    t = _import("noms", 4, 5, status={"x": 1})
    t["noms"]["layout"] = "teds"
    into = {"quality[loaded>noms>].rows_read": {"q:noms|loaded*5"}}
    import_members({"tables": t}, into)
    c = "quality[imported>noms>]."
    assert into == {
        "quality[loaded>noms>].rows_read": {"q:noms|loaded*5"},
        c + "written": {"q:noms|loaded*5"},
        c + "import_read": {"q:noms|read*4"},
        c + "skipped": {"q:noms|skipped*1"},
    }
    into = {"quality[loaded>noms>].rows_read": {"q:noms|loaded*6"}}
    summed = {**t["noms"], "layout": None, "sources": [t["noms"]]}  # several sources
    import_members({"tables": {"noms": summed}}, into)
    assert into[c + "written"] == {"q:noms|written*5"}
    assert into[c + "import_read"] == {"q:noms|read*4"}


def checks_dataset() -> dict[str, list[dict]]:
    """May 2026 as of its end, for the data-quality checks: E1 (admitted in March), E5
    (admitted in April, last seen May 1st, outside the 30 days May 2-31) and E7 (admitted May
    1st, 30 days before the 31st, never seen) are open without a session in 30 days; E2
    (admitted in April) and E3 (admitted May 10th, not 30 days ago) are seen on Memorial Day
    (Monday May 25th, a closed day: E2 attended, E3 no-show), E2 again on Tuesday the 26th;
    E4 was discharged on May 15th; E6 (admitted May 2nd) was never seen; E8 (admitted in April)
    was seen on May 2nd, the first of the 30 days."""
    from helpers import client, episode, session

    return {
        "clients": [client(f"C{i}") for i in range(1, 9)],
        "episodes": [
            episode("E1", "C1", "2.1", "2026-03-01"),
            episode("E2", "C2", "2.1", "2026-04-01"),
            episode("E3", "C3", "2.1", "2026-05-10"),
            episode("E4", "C4", "2.1", "2026-03-01", "2026-05-15"),
            episode("E5", "C5", "2.1", "2026-04-01"),
            episode("E6", "C6", "2.1", "2026-05-02"),
            episode("E7", "C7", "2.1", "2026-05-01"),
            episode("E8", "C8", "2.1", "2026-04-01"),
        ],
        "sessions": [
            session("E5", "2026-05-01"),
            session("E2", "2026-05-25"),
            session("E3", "2026-05-25", status="no_show"),
            session("E2", "2026-05-26"),
            session("E8", "2026-05-02"),
        ],
    }


def test_the_data_quality_checks_are_episodes_and_sessions(tmp_path):
    """``checks_dataset``: open without a session in 30 days = 3 (E1, E5, E7, keyed as the
    census keys them: E1 and E5 were active at May's start and end, E7 at its end), sessions
    on closed days = 2 (the two Memorial Day sessions, each its group of alike sessions). So
    the first check is among the active at the end (3 of 7) and the second among the period's
    Monday sessions (2 of 2) and its scheduled (2 of 5), as the atoms' weights say."""
    import duckdb
    from helpers import write_dataset

    from iop_metrics.compute.query import Query
    from iop_metrics.disclosure.atoms import atoms
    from iop_metrics.disclosure.model import with_atoms
    from iop_metrics.disclosure.published import CHECKS
    from iop_metrics.ingest.load import load
    from iop_metrics.periods import month
    from iop_metrics.report.figures import exact

    db = tmp_path / "iop.duckdb"
    load(write_dataset(tmp_path / "d", checks_dataset()), db)
    with duckdb.connect(str(db), read_only=True) as con:
        x = exact(con, Query.of(month(2026, 5)))
    with_atoms(x.cells())  # raises on a count that is not the weight of its records
    assert (x.quality["open_without_session_30d"], x.quality["sessions_on_closed_days"]) == (3, 2)
    m = x.members
    stale, closed = (f"quality[checks>{c}>].n" for c in CHECKS)
    assert {stale, closed} <= set(x.cells().members)  # in the model, not only read
    assert m[stale] == ("e:E1", "e:E5", "e:E7")
    assert m[closed] == (
        "s:main|2026-05|Monday|group|attended|closed*1",
        "s:main|2026-05|Monday|group|no_show|closed*1",
    )
    end, start = "census.active_at_end", "census.active_at_start"
    assert atoms({c: m[c] for c in (stale, end, start)}) == [
        ((end,), 2),  # E3, E6
        ((end, start), 2),  # E2, E8
        ((end, start, stale), 2),  # E1, E5
        ((end, stale), 1),  # E7
        ((start,), 1),  # E4
    ]
    monday, scheduled = "weekday[Monday].scheduled", "attendance.scheduled"
    assert atoms({c: m[c] for c in (closed, monday, scheduled)}) == [
        ((scheduled,), 3),  # May 1st, 2nd and 26th
        ((scheduled, closed, monday), 2),
    ]


@OCTOBER
def test_the_samples_checks_are_no_records_and_no_import(october):
    """The sample's October (north, main): no open episode without a session in 30 days and no
    session on a closed day (the generator schedules none), so both checks are 0 with no
    record, in the model all the same; the sample is loaded from its folder, so it has no import
    counts (the example export through its mapping: test_import)."""
    from iop_metrics.disclosure.published import CHECKS

    for x in october[:2]:
        model = x.cells().members
        for c in CHECKS:
            assert x.quality[c] == 0 and model[f"quality[checks>{c}>].n"] == ()
        assert x.quality["imported"] is None
        assert not [c for c in model if c.startswith("quality[imported")]


def test_a_client_served_is_its_first_episode_active_in_the_period(tmp_path):
    """May 2026 (every level), six clients at two sites: C1 was in care at the start (E2,
    discharged on May's first day) and came back (E1, admitted on the 10th); C2 was admitted
    (E3); C3 left north in April (E4) and came to main (E5); C4 was admitted at both sites on
    the same day (E6 north at 2.1, E7 main at 2.5); C5 was admitted on May's last day (E8),
    C6 on June's first (E9). Clients served: the program 5, north 3, main 3, each client keyed
    as its first episode active in May (by admission date, then id: E2 before E1, E6 before
    E7), by the rule of census.sql (``client_cells.sql``). So the served are among the active
    at the start and the admissions (5 = 1 + 6 less C1's and C4's second episodes), and the
    program's among its sites' (5 = 3 + 3 less C4 at main), as the atoms' weights say."""
    import duckdb
    from helpers import client, episode, write_dataset

    from iop_metrics.compute.query import Query, Scope
    from iop_metrics.disclosure.atoms import atoms
    from iop_metrics.disclosure.model import with_atoms
    from iop_metrics.ingest.load import load
    from iop_metrics.periods import month
    from iop_metrics.report.figures import exact

    north, main = {"site": "north"}, {"site": "main"}
    tables = {
        "clients": [client(f"C{i}") for i in range(1, 7)],
        "episodes": [
            episode("E2", "C1", "2.1", "2026-04-01", "2026-05-01", **north),
            episode("E1", "C1", "2.1", "2026-05-10", **north),
            episode("E3", "C2", "2.1", "2026-05-04", **north),
            episode("E4", "C3", "2.1", "2026-03-01", "2026-04-30", **north),
            episode("E5", "C3", "2.1", "2026-05-20", **main),
            episode("E6", "C4", "2.1", "2026-05-02", **north),
            episode("E7", "C4", "2.5", "2026-05-02", **main),
            episode("E8", "C5", "2.1", "2026-05-31", **main),
            episode("E9", "C6", "2.1", "2026-06-01", **main),
        ],
        "sessions": [],
    }
    db = tmp_path / "iop.duckdb"
    load(write_dataset(tmp_path / "d", tables), db)
    xs = {}
    with duckdb.connect(str(db), read_only=True) as con:
        for scope in ("all", "north", "main"):
            site = None if scope == "all" else scope
            xs[scope] = exact(con, Query.of(month(2026, 5), scope=Scope(None, site)))
    for x in xs.values():
        with_atoms(x.cells())  # raises on a count that is not the weight of its records
    served = "census.clients_served"
    assert {s: x.doc["census"][served.split(".")[1]] for s, x in xs.items()} == {
        "all": 5, "north": 3, "main": 3
    }  # fmt: skip
    assert served in xs["all"].cells().members  # in the model, not only read
    assert {s: x.members[served] for s, x in xs.items()} == {
        "all": ("e:E2", "e:E3", "e:E5", "e:E6", "e:E8"),
        "north": ("e:E2", "e:E3", "e:E6"),
        "main": ("e:E5", "e:E7", "e:E8"),
    }
    m = xs["all"].members
    census = ("active_at_start", "admissions", "discharges", "active_at_end", "clients_served")
    assert atoms({f"census.{c}": m[f"census.{c}"] for c in census}) == [
        (("census.active_at_end", "census.admissions"), 2),  # E1, E7: second episodes
        (("census.active_at_end", "census.admissions", served), 4),
        (("census.active_at_start", served, "census.discharges"), 1),  # E2
    ]
    assert atoms({f"{s}:{served}": x.members[served] for s, x in xs.items()}) == [
        ((f"all:{served}", f"main:{served}"), 2),  # C3, C5
        ((f"all:{served}", f"north:{served}"), 3),  # C1, C2, C4
        ((f"main:{served}",), 1),  # C4 at main
    ]


@OCTOBER
def test_every_clients_served_count_of_the_sample_is_its_clients(october):
    """October 2026 on the sample (level 2.1): no client had two episodes active in the month,
    so each site's clients served are, record for record, its active at the start and its
    admissions (north 26 = 14 + 12, main 29 = 17 + 12): an identity a reader assumes, which
    the model now reads from the records instead of declaring it."""
    north, main, _ = october
    for x, served, start, admitted in ((north, 26, 14, 12), (main, 29, 17, 12)):
        got, m = _weights(x.members), x.members
        assert x.doc["census"]["clients_served"] == served
        assert got["census.clients_served"] == (served, served)
        assert got["census.active_at_start"] == (start, start)
        assert got["census.admissions"] == (admitted, admitted)
        both = m["census.active_at_start"] + m["census.admissions"]
        assert m["census.clients_served"] == tuple(sorted(both))


def test_identities_from_atoms_are_the_full_eliminations_when_cells_repeat():
    """``with_atoms`` eliminates only the first of each set of cells that count the same
    records (a year of ledger prints most months' counts in several reports) and writes the
    others' rows from it: the identities are those of eliminating every cell's row, row for
    row, whether the first one's row is a pivot (the two equal) or left (its row again)."""
    import random

    from iop_metrics.disclosure.atoms import ATOM
    from iop_metrics.disclosure.model import _reduce, _whole, with_atoms

    checked = set()
    for seed in range(60):
        rng = random.Random(seed)
        records = [f"e:{i}" for i in range(rng.randint(3, 9))]
        firsts = {
            f"c{i}": tuple(sorted(rng.sample(records, rng.randint(1, len(records)))))
            for i in range(rng.randint(2, 8))
        }
        members = dict(firsts)
        for i in range(rng.randint(1, 6)):  # the same records under another name
            members[f"r{i}"] = members[rng.choice(sorted(firsts))]
        values = {c: len(m) for c, m in members.items()}
        w = with_atoms(Cells(values, frozenset(values), (), members=members))
        names = [f"{ATOM}{i}" for i in range(sum(c.startswith(ATOM) for c in w.values))]
        _, rest = _reduce(w.inner, names, known=True)
        assert w.exact == tuple(_whole(r) for r in rest)
        for c, m in members.items():
            first = min(x for x, y in members.items() if y == m)
            if first != c:
                checked.add("pivot" if {c: -1, first: 1} in w.exact else "left")
    assert checked == {"pivot", "left"}
