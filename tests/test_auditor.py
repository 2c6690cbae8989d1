"""The suite's auditor (tests/auditor.py, tests/auditor_pages.py), written apart from the model:
it reads only published files, knows only what a reader knows, and must find a leak where one
is. Hand-made published documents with a known pinned value, each found, and no longer found
once the one relation that carries it is taken from the reader; every relation it states
holds on the internal copies of the sample's run; and it attacks the sample's external
documents one at a time."""

from __future__ import annotations

import ast
import json
from fractions import Fraction
from pathlib import Path

import pytest
from auditor import SMALL, SUPPRESSED, Reading, eliminate, solve
from auditor_docs import Names, month_end, read_metrics
from auditor_pages import parse, read_report, read_run, read_sites, truth_of
from helpers import once_per_session

K = 11
HERE = Path(__file__).parent


def test_the_auditor_reads_nothing_of_the_package():
    """No import of iop_metrics (its registry, model matrix or identities) in the reader."""
    for name in ("auditor.py", "auditor_docs.py", "auditor_pages.py"):
        tree = ast.parse((HERE / name).read_text())
        for node in ast.walk(tree):
            mods = []
            if isinstance(node, ast.Import):
                mods = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                mods = [node.module or ""]
            for mod in mods:
                assert not mod.startswith("iop_metrics"), (name, mod)
        assert "iop_metrics" not in (HERE / name).read_text().replace("``iop_metrics``", ""), name


def _doc(k=K, hidden=None, period="2026-10", as_of=None, **sections):
    end = month_end(period).isoformat()
    return {
        "period": {"label": period, "start": f"{period}-01", "end": end, "as_of": as_of or end},
        "scope": {},
        **sections,
        "suppression": {"k": k, "hidden": hidden or {}},
    }


def _read(doc, html=None, scope="all"):
    r = Reading(doc["suppression"]["k"])
    n = read_metrics(r, doc, scope)
    if html is not None:
        page = parse_text(html)
        read_report(r, page, n)
    return r


def parse_text(html: str):
    from auditor_pages import Page

    p = Page()
    p.feed(html)
    return p


def _without(r: Reading, cell: str) -> Reading:
    """The reader less every relation that holds ``cell``."""
    return Reading(r.k, r.shown, r.hidden, [eq for eq in r.eqs if cell not in eq], r.rates)


CENSUS = {
    "active_at_start": 14,
    "admissions": 12,
    "discharges": None,
    "active_at_end": 18,
    "clients_served": 26,
}


def test_the_census_flow_pins_a_hidden_discharge_count():
    """14 at the start, 12 admitted, 18 at the end: the "<11" discharges are 8."""
    r = _read(_doc(census=CENSUS, hidden={"census.discharges": "small"}))
    assert solve(r).small(K) == {"all@2026-10:census.discharges": 8}
    assert solve(_without(r, "all@2026-10:census.active_at_end")).small(K) == {}


def test_a_rate_to_twelve_digits_pins_its_numerator():
    """369 scheduled, 44 no-shows, 11 client cancellations; attended (304..313) and the
    program's cancellations ("<11") hidden: the attendance rate 310/365 as the document prints
    it (a float) pins the cancellations at 4; without the rate, nothing."""
    att = {
        "scheduled": 369,
        "attended": None,
        "no_show": 44,
        "cancelled_client": 11,
        "cancelled_program": None,
        "attendance_rate": 310 / 365,
        "no_show_rate": None,
    }
    doc = _doc(
        attendance=att,
        hidden={"attendance.attended": SUPPRESSED, "attendance.cancelled_program": "small"},
    )
    assert solve(_read(doc)).small(K) == {"all@2026-10:attendance.cancelled_program": 4}
    r = _read(doc)
    r.rates = []
    assert "all@2026-10:attendance.cancelled_program" not in solve(r).pinned


def test_a_suppressed_cell_where_zeros_are_printed_is_at_least_one():
    """4 discharges ("<5") over four length-of-stay bins each "<5" or "suppressed", the other
    bins 0: every bin is 1 (k = 5). Where zeros are not printed, "suppressed" may be 0."""
    doc = _doc(
        k=5,
        census={"active_at_start": 10, "admissions": 5, "discharges": None, "active_at_end": 11},
        discharges={"total": None},
        hidden={"census.discharges": "small", "discharges.total": "small"},
    )
    rows = "".join(
        f"<tr><td>{b}</td><td>{v}</td><td>x</td></tr>"
        for b, v in (
            ("1–7 days", "&lt;5"),
            ("8–14 days", "suppressed"),
            ("15–30 days", "&lt;5"),
            ("31–45 days", "suppressed"),
            ("46–60 days", "0"),
        )
    )
    html = f"<table><tr><th>Length of stay</th><th>Discharges</th><th>Share</th></tr>{rows}</table>"
    r = _read(doc, html)
    small = solve(r).small(5)
    assert small["all@2026-10:los[8–14 days].n"] == 1 and len(small) == 6, small
    r.zeros_printed = False
    assert "all@2026-10:los[8–14 days].n" not in solve(r).small(5)


def test_a_withheld_cell_may_be_zero_even_where_zeros_are_printed():
    """As above with two of the bins "withheld" (0 or more): the "<5" bins are 1 or 2 now, and
    no bin is pinned (the census gives the 4 as before); a withheld bin read again as
    "suppressed" elsewhere is at least 1 (the narrower mark holds)."""
    doc = _doc(
        k=5,
        census={"active_at_start": 10, "admissions": 5, "discharges": None, "active_at_end": 11},
        discharges={"total": None},
        hidden={"census.discharges": "small", "discharges.total": "small"},
    )
    marks = ("&lt;5", "withheld", "&lt;5", "withheld", "0")
    bins = ("1–7 days", "8–14 days", "15–30 days", "31–45 days", "46–60 days")
    rows = "".join(
        f"<tr><td>{b}</td><td>{v}</td><td>x</td></tr>" for b, v in zip(bins, marks, strict=True)
    )
    html = f"<table><tr><th>Length of stay</th><th>Discharges</th><th>Share</th></tr>{rows}</table>"
    r = _read(doc, html)
    census = {"all@2026-10:census.discharges", "all@2026-10:discharges.total"}  # 10 + 5 - 11
    assert set(solve(r).small(5)) == census
    r.show("all@2026-10:los[8–14 days].n", None, SUPPRESSED)
    r.show("all@2026-10:los[31–45 days].n", None, SUPPRESSED)
    assert r.hidden["all@2026-10:los[8–14 days].n"] == SUPPRESSED
    assert solve(r).small(5)["all@2026-10:los[8–14 days].n"] == 1


def _instrument(**figures):
    keys = (
        "paired",
        "case_at_start",
        "reliable_improvement",
        "reliable_deterioration",
        "not_case_at_end",
        "response",
        "response_rate",
        "remission",
        "remission_rate",
    )
    return {x: figures.get(x) for x in keys}


def test_a_figure_an_instrument_does_not_define_is_no_count():
    """k = 5, 3 paired courses ("<5"), each on PHQ-9 and GAD-7: GAD-7 defines no remission
    (outcomes.md: PHQ-9 only), so its null remission, which the suppression block does not
    name, is no count, and with none case at start on GAD-7 the figures still hold a value (a
    "suppressed" GAD-7 remission, at least 1 and at most its 0 cases at start, held none: the
    generated program's September 2026). PHQ-9's remission, hidden, is at most its 1 case at
    start and at least 1: pinned at 1."""
    zeros = dict.fromkeys(("reliable_improvement", "reliable_deterioration"), 0)
    zeros |= dict.fromkeys(("not_case_at_end", "response"), 0)
    doc = _doc(
        k=5,
        outcomes={
            "paired": None,
            "by_instrument": {
                "GAD-7": _instrument(case_at_start=0, **zeros),
                "PHQ-9": _instrument(case_at_start=1, **zeros),
            },
        },
        hidden={
            "outcomes.paired": "small",
            "outcomes.by_instrument.GAD-7.paired": "small",
            "outcomes.by_instrument.PHQ-9.paired": "small",
            "outcomes.by_instrument.PHQ-9.remission": "complementary",
        },
    )
    r = _read(doc)
    assert solve(r).small(5) == {"all@2026-10:outcomes.by_instrument.PHQ-9.remission": 1}
    gad = "all@2026-10:outcomes.by_instrument.GAD-7.remission"
    assert gad not in r.hidden and not any(gad in eq for eq in r.eqs)


def _census_chart(rows):
    labels = "".join(
        f'<path aria-label="month: {m}; Episodes: {v}; what: {w}"></path>' for m, w, v in rows
    )
    return f"<figure><svg>{labels}</svg><figcaption>Admissions and discharges</figcaption></figure>"


def test_the_retention_cohort_is_the_twelve_months_admissions():
    """11 months' admissions shown (20 each) and a cohort of 229: the twelfth month's hidden
    admissions are 9; without that relation, nothing."""
    months = [f"2025-{m:02d}" for m in range(11, 13)] + [f"2026-{m:02d}" for m in range(1, 11)]
    doc = _doc(
        retention={
            "cohort_start": "2025-11-01",
            "cohort_end": "2026-10-31",
            "cohort_admissions": 229,
        },
        hidden={"monthly[2026-02].admissions": "small"},
    )
    rows = [(m, "Admissions", 20) for m in months if m != "2026-02"]
    r = _read(doc, _census_chart(rows))
    assert solve(r).small(K) == {"all:monthly[2026-02].admissions": 9}
    assert solve(_without(r, "all@2026-10:retention.cohort_admissions")).small(K) == {}


def _cohort_read(printed: int, first: int):
    """11 months' admissions shown (the first ``first``, the others 20), the twelfth hidden
    as "<11", and the cohort printed to the nearest ten (``suppression.rounded``)."""
    months = [f"2025-{m:02d}" for m in range(11, 13)] + [f"2026-{m:02d}" for m in range(1, 11)]
    doc = _doc(
        retention={"cohort_start": "2025-11-01", "cohort_end": "2026-10-31"}
        | {"cohort_admissions": printed},
        hidden={"monthly[2026-02].admissions": "small"},
    )
    doc["suppression"]["rounded"] = {"retention.cohort_admissions": 10}
    shown = [m for m in months if m != "2026-02"]
    return _read(
        doc, _census_chart([(m, "Admissions", first if m == shown[0] else 20) for m in shown])
    )


def test_a_cohort_printed_to_the_ten_is_an_interval():
    """ "about 230" is 225..234 to a reader: with the 11 months shown summing to 220 the
    twelfth is 5..14, of which 5..10 are under K: nothing pinned (printed exactly, 229 pins
    it, above). At the ends of the ten it still pins: 223 shown and "about 220" (215..224)
    leave -8..1, so 1; 215 shown and "about 230" leave 10..19, so 10."""
    assert solve(_cohort_read(230, 20)).small(K) == {}
    assert solve(_cohort_read(220, 23)).small(K) == {"all:monthly[2026-02].admissions": 1}
    assert solve(_cohort_read(230, 15)).small(K) == {"all:monthly[2026-02].admissions": 10}
    assert solve(_cohort_read(220, 19)).small(K) == {}  # 219 shown: 1..5


def test_the_twelve_month_flow_from_iop_is_the_twelve_months_discharges():
    """The 12-month flow's row from 2.1 (40 + 30 + a hidden cell) against 12 months of 6
    discharges: the hidden cell is 2."""
    months = [f"2025-{m:02d}" for m in range(11, 13)] + [f"2026-{m:02d}" for m in range(1, 11)]
    flows = "".join(
        f'<path aria-label="Went to: x; Discharged from: y; Discharges (n): {v}; '
        f'From (code): 2.1; To (code): {to}"></path>'
        for to, v in (("1.0", 40), ("no_next_care", 30), ("3.5", ""))
    )
    html = _census_chart([(m, "Discharges", 6) for m in months]) + (
        f"<figure><svg>{flows}</svg><figcaption>Level-of-care flow, trailing 12 months"
        "</figcaption></figure>"
    )
    r = _read(_doc(hidden={"flow_12m[2.1>3.5].n": "small"}), html)
    assert solve(r).small(K) == {"all@2026-10:flow_12m[2.1>3.5].n": 2}
    assert solve(_without(r, "all@2026-10:~discharges_12m")).small(K) == {}


def test_the_data_quality_rows_read_are_loaded_and_set_aside():
    html = (
        "<table><tr><th>Table</th><th>Rows read</th><th>Rows loaded</th><th>Rows set aside</th>"
        "</tr><tr><td>sessions</td><td>21,926</td><td>21,923</td><td>&lt;11</td></tr></table>"
    )
    r = _read(_doc(), html)
    assert solve(r).small(K) == {"2026-10:dq[sessions].set_aside": 3}
    assert solve(_without(r, "2026-10:dq[sessions].read")).small(K) == {}


def _sites_page(rows12_completion, rows12_step):
    def table(heading, rows):
        body = "".join(f"<tr><td>{s}</td><td>{n}</td><td>{o}</td></tr>" for s, n, o in rows)
        head = "<tr><th>Site</th><th>n</th><th>Observed</th></tr>"
        return f"<h2>{heading}</h2><table>{head}{body}</table>"

    return table("Completion rate", rows12_completion) + table("Step-down rate", rows12_step)


def test_a_closed_month_has_no_pending_discharge():
    """The sites page: main's 12-month completion n (249: every discharge) less its step-down
    n (242: the determined ones) is this month's pending discharges, 7: every earlier month's
    14-day window has closed. The program's 12 months are the sites' sum."""
    page = _sites_page(
        [("main", 249, 120), ("north", 200, 90), ("Program", 449, 210)],
        [("main", 242, 60), ("north", 200, 50), ("Program", 442, 110)],
    )
    r = Reading(K)
    r.show("main@2026-10:transitions.pending", None, SMALL)
    sites = read_sites(r, parse_text(page), "2026-10")
    assert sites == ["main", "north"]
    assert solve(r).small(K) == {"main@2026-10:transitions.pending": 7}
    step = "sites@2026-10:Step-down rate.12m[main].n"
    assert solve(_without(r, step)).small(K) == {}


def test_the_solver_pins_only_what_one_value_fits():
    """2 = a + b with a, b "<11": both 1; 3 = a + b leaves each 1 or 2; a lattice from a rate
    (x/n = 1/3 exactly, n in 3..5) pins n = 3 and x = 1 only through whole numbers (the MIP)."""
    for total, pinned in ((2, {"a": 1, "b": 1}), (3, {})):
        r = Reading(K, {"t": total}, {"a": SMALL, "b": SMALL}, [{"t": -1, "a": 1, "b": 1}])
        assert solve(r).small(K) == pinned
    r = Reading(K, {"m": 5}, {"x": SMALL, "n": SUPPRESSED}, [])
    r.rate("x", "n", 1 / 3)
    r.at_most("n", "m")
    assert solve(r, lp=False).small(K) == {}  # the intervals alone do not
    assert solve(r).small(K) == {"x": 1, "n": 3}


def test_gauss_jordan_reduces_exactly():
    """t = a + b, s = a + c with t, s, c known (rows with constants): a and b follow."""
    rows = [
        {"": Fraction(-10), "a": Fraction(1), "b": Fraction(1)},
        {"": Fraction(-7), "a": Fraction(1)},
    ]
    reduced = {tuple(sorted(c for c in row if c)): -row[""] for row in eliminate(rows)}
    assert reduced == {("a",): 7, ("b",): 3}
    halves = [
        {"": Fraction(0), "b": Fraction(1), "a": Fraction(-2)},
        {"": Fraction(-3), "a": Fraction(2)},
    ]
    reduced = {tuple(sorted(c for c in row if c)): -row[""] for row in eliminate(halves)}
    assert reduced == {("a",): Fraction(3, 2), ("b",): 3}


def _two_runs_folder(tmp_path_factory) -> Path:
    from test_run import _two_runs

    return once_per_session(tmp_path_factory, "test_run", _two_runs)["out"] / "2026-10"


# The tests that read test_run's runs go to test_run's worker (its group), not to the other
# worker, which would wait there while they are built
RUN = pytest.mark.xdist_group("run")


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    """The sample's run of 2026-10 (every scope, both audiences, the sites pages): the one
    test_run renders, shared through ``once_per_session``."""
    return _two_runs_folder(tmp_path_factory)


@RUN
def test_every_relation_the_reader_states_holds_on_the_internal_copies(run_folder):
    """Each relation whose cells the internal copies all print holds on them, one with a
    single cell not printed leaves it whole and non-negative; and many are checked."""
    r = Reading(K)
    read_run(r, run_folder)
    truth = truth_of(run_folder)
    checked = 0
    for eq in r.eqs:
        missing = [c for c in eq if c not in truth]
        if not missing:
            checked += 1
            assert sum(a * truth[c] for c, a in eq.items()) == 0, eq
        elif len(missing) == 1:
            (c,) = missing
            v = Fraction(-sum(a * truth[x] for x, a in eq.items() if x != c), eq[c])
            assert v >= 0 and v.denominator == 1, (eq, v)
    assert checked > 250, checked
    for num, den, lo, hi in r.rates:
        if truth.get(den):
            assert lo <= Fraction(truth[num], truth[den]) <= hi, (num, den)


@RUN
@pytest.mark.parametrize("scope", ["all", "main", "north"])
def test_one_external_document_alone_gives_no_small_count_away(run_folder, scope):
    """The sample's external report of 2026-10 (metrics.json and its HTML), read alone."""
    ext = run_folder / scope / "external"
    r = Reading(K)
    n = read_metrics(r, json.loads((ext / "metrics.json").read_text()), scope)
    read_report(r, parse(ext / "monthly_report.html"), n)
    assert len(r.hidden) > 100 and len(r.shown) > 50
    assert isinstance(n, Names)
    found = solve(r)
    assert not found.small(K), found.small(K)


def test_a_rate_with_its_denominator_bounds_its_numerator_without_a_programme():
    """10 of 365 printed as a float (0.0273972602739726): the interval it stands for holds one
    whole numerator, 10, found by interval propagation alone; to 1 decimal (2.7%, read as
    2.55..2.85%: a printed value may stand a unit off its plain rounding), 9.3..10.4
    sessions: still 10; to 0 decimals (3%), 7.3..14.2: not pinned (the "suppressed" cell is
    not bounded by K)."""
    for value, digits, pinned in ((10 / 365, None, {"x": 10}), (0.027, 3, {"x": 10}),
                                  (0.03, 2, {})):  # fmt: skip
        r = Reading(K, {"n": 365}, {"x": SUPPRESSED})
        r.rate("x", "n", value, digits)
        assert solve(r, lp=False).small(K) == pinned, value


def test_the_linear_programme_pins_what_one_value_fits():
    """The programmes alone (no elimination before them): 2 = a + b with a, b "<11" pins
    both at 1, 3 = a + b neither."""
    from auditor import _programmes

    for total, pinned in ((2, {"a": 1, "b": 1}), (3, {"a": None, "b": None})):
        r = Reading(K, {"t": total}, {"a": SMALL, "b": SMALL}, [{"t": -1, "a": 1, "b": 1}])
        lo = {"a": Fraction(1), "b": Fraction(1)}
        hi = {"a": Fraction(K - 1), "b": Fraction(K - 1)}
        assert _programmes(r, {"t": Fraction(total)}, lo, hi, ["a", "b"]) == pinned


def test_a_death_count_hidden_as_internal_may_be_zero_and_is_found_when_left_to_a_sum():
    """Deaths after discharge are internal only ("internal" in the document: 0 or more, not
    the "suppressed" >= 1 of a printed table): due 40 less the other four (20 + 12 + 2 + 6)
    gives 0 deaths, and 3 when not attempted is 3; hiding not_reached too frees them."""
    window = {"due": 40, "reached": 20, "not_reached": 12, "declined": 2, "deceased": None,
              "not_attempted": 6}  # fmt: skip
    hidden = {"follow_up.3m.deceased": "internal"}
    deaths = "all@2026-10:follow_up.3m.deceased"
    assert solve(_read(_doc(follow_up={"3m": window}, hidden=hidden))).pinned[deaths] == 0
    window["not_attempted"] = 3
    assert solve(_read(_doc(follow_up={"3m": window}, hidden=hidden))).pinned[deaths] == 3
    window["not_reached"] = None
    hidden["follow_up.3m.not_reached"] = "complementary"
    assert deaths not in solve(_read(_doc(follow_up={"3m": window}, hidden=hidden))).pinned


def _hours_chart(bars):
    title = "Hours attended in the week (one bar per hour; the last is 20 or more)"
    labels = "".join(
        f'<path aria-label="{title}: {h} – {h + 1}; Client-weeks: {v}; group: Adults (9 h)"></path>'
        for h, v in bars
    )
    return f"<figure><svg>{labels}</svg><figcaption>Hours</figcaption></figure>"


def test_the_hours_bars_are_the_client_weeks_and_those_from_the_threshold_meet_it():
    """Adults' bars 6-7 (12), 9-10 (20) and 10-11 hidden "<11"; 35 client-weeks of which 23
    meet the 9-hour threshold: the hidden bar is 3 (from either total); without the bars'
    relations, nothing."""
    doc = _doc(
        dosage={"client_weeks": 35, "client_weeks_meeting_threshold": None},
        hidden={"hours[9>10].client_weeks": "small",
                "dosage.client_weeks_meeting_threshold": "complementary"},
    )  # fmt: skip
    r = _read(doc, _hours_chart([(6, 12), (9, 20)]))
    assert solve(r).small(K) == {"all@2026-10:hours[9>10].client_weeks": 3}
    assert solve(_without(r, "all@2026-10:hours[9>10].client_weeks")).small(K) == {}
    doc["dosage"]["client_weeks"] = None
    doc["dosage"]["client_weeks_meeting_threshold"] = 23
    doc["suppression"]["hidden"] = {"hours[9>10].client_weeks": "small",
                                    "dosage.client_weeks": "complementary"}  # fmt: skip
    r = _read(doc, _hours_chart([(6, 12), (9, 20)]))
    assert solve(r).small(K) == {"all@2026-10:hours[9>10].client_weeks": 3}


def test_the_program_is_the_sum_of_its_sites():
    """The program discharged 20 (16 completed), main 12 (10): north's hidden "<11"
    discharges are 8 and its completions 6; clients served are not summed (a client may be
    served at both sites)."""
    from auditor_pages import sites_add_up

    r = Reading(K)
    for scope, total, completed, hidden in (("all", 20, 16, {}), ("main", 12, 10, {}),
        ("north", None, None, {"discharges.total": "small",
                               "discharges.by_reason.completed": "small"})):  # fmt: skip
        doc = _doc(discharges={"total": total, "by_reason": {"completed": completed}},
                   census={"clients_served": None}, hidden=hidden)  # fmt: skip
        read_metrics(r, doc, scope)
    sites_add_up(r, "2026-10", ["main", "north"])
    assert solve(r).small(K) == {
        "north@2026-10:discharges.total": 8,
        "north@2026-10:discharges.by_reason.completed": 6,
    }
    served = ("all@2026-10:census.clients_served", "main@2026-10:census.clients_served")
    assert not [eq for eq in r.eqs if all(c in eq for c in served)]


def test_interval_propagation_bounds_each_cell_by_the_others():
    """30 = a + b with b "<11" (1..10) and a unbounded above: a is 20..29, b stays 1..10; with
    both unbounded above, neither gets a lower bound past its own."""
    from auditor import _bound

    row = {"": Fraction(-30), "a": Fraction(1), "b": Fraction(1)}
    lo, hi = {"a": Fraction(1), "b": Fraction(1)}, {"a": None, "b": Fraction(10)}
    _bound(row, lo, hi)
    assert (lo, hi) == ({"a": 20, "b": 1}, {"a": 29, "b": 10})
    lo, hi = {"a": Fraction(1), "b": Fraction(1)}, {"a": None, "b": None}
    _bound(row, lo, hi)
    assert (lo, hi) == ({"a": 1, "b": 1}, {"a": 29, "b": 29})
    # a term of another coefficient is rounded inward at both ends: 7 = 2a + b with b in
    # 1..7/2 gives 2a in 7/2..6, so a in 2..3 (the ceiling of 7/4, not its floor)
    row = {"": Fraction(-7), "a": Fraction(2), "b": Fraction(1)}
    lo, hi = {"a": Fraction(1), "b": Fraction(1)}, {"a": None, "b": Fraction(7, 2)}
    _bound(row, lo, hi)
    assert (lo, hi) == ({"a": 2, "b": 1}, {"a": 3, "b": Fraction(7, 2)})
    # a row an elimination left with fractions: a = 1/2 + b/3 with b 1..4 pins a to 1 (5/6..11/6)
    row = {"": Fraction(-1, 2), "a": Fraction(1), "b": Fraction(-1, 3)}
    lo, hi = {"a": Fraction(0), "b": Fraction(1)}, {"a": None, "b": Fraction(4)}
    _bound(row, lo, hi)
    assert (lo, hi) == ({"a": 1, "b": 1}, {"a": 1, "b": 4})


def test_the_registry_auditors_elimination_is_exact():
    """3x + y = 9, x - y = -1 and w = x + z with z shown as 5: Gauss-Jordan over the rationals
    (the first pivot row is x + y/3 - 3, the second -4/3 y + 4 before it is divided) leaves
    x = 2, y = 3, w = 7, each a Fraction."""
    from registry_auditor import _eliminate

    known = {"nine": Fraction(9), "one": Fraction(1), "z": Fraction(5)}
    rows = [
        {"x": Fraction(3), "y": Fraction(1), "nine": Fraction(-1)},
        {"x": Fraction(1), "y": Fraction(-1), "one": Fraction(1)},
        {"x": Fraction(1), "z": Fraction(1), "w": Fraction(-1)},
    ]
    out = _eliminate(rows, known)
    assert all(type(a) is Fraction for row in out for a in row.values())
    solved = {c: -row[1] / a for row in out for c, a in row.items() if c != 1}
    assert solved == {"x": 2, "y": 3, "w": 7} and all(len(row) == 2 for row in out)


def _september(as_of=None):
    """September's report: 14 discharges, every one still pending as of 2026-09-30 (each
    within 14 days of it), so none determined yet."""
    transitions = {"window_days": 14, "step_down": 0, "step_up": 0, "lateral": 0,
                   "no_next_care": 0, "pending": 14}  # fmt: skip
    census = {"active_at_start": 30, "admissions": 12, "discharges": 14, "active_at_end": 28}
    return _doc(period="2026-09", as_of=as_of, census=census, discharges={"total": 14},
                transitions=transitions)  # fmt: skip


def test_a_months_determined_discharges_are_not_tied_across_as_of_dates_before_they_settle():
    """September's report as of 2026-09-30 determines none of its 14 discharges; October's
    (as of 2026-10-31, every window closed) hides September's determined "<11" and its
    discharges as complementary. The discharges are final at the month's end: tied, 14. The
    determined grow as windows close: tied by name they would be 0 against "<11" (the
    contradiction a generated program raised); a reader ties nothing, and pins nothing small.
    September re-run as of 2026-10-20 (its windows closed) is tied with October: 0 there is
    the same figure, and the contradiction is the reader's to report."""
    october = _doc(hidden={"monthly[2026-09].determined": "small",
                           "monthly[2026-09].discharges": "complementary"})  # fmt: skip
    r = _read(_september()).merged(_read(october))
    found = solve(r)
    assert found.pinned == {"all:monthly[2026-09].discharges": 14}
    assert found.bounds["all:monthly[2026-09].determined"] == (1, 10)
    late = _read(_september(as_of="2026-10-20")).merged(_read(october))
    with pytest.raises(AssertionError, match="determined would be 0, outside what its mark"):
        solve(late)


def test_a_months_figure_is_one_name_once_it_has_settled_by_the_as_of_date():
    """A month's admissions settle at its end; its step-downs and determined discharges W
    days after it (metrics.md: pending until D + W <= as_of; W from the document,
    ``window_days``); its NOMS pairs 30 days after it (a discharge row is collected up to
    discharge_date + 30); a figure the reader has no rule for (the 90-day retention) never.
    Before that, each as-of date names its own."""
    late = Names("all", "2026-11")  # as of 2026-11-30: everything of September has settled
    for column, settled, before in (
        ("admissions", "2026-09-30", None),
        ("determined", "2026-10-14", "2026-10-13"),
        ("step_down", "2026-10-14", "2026-10-13"),
        ("abstinent_paired", "2026-10-30", "2026-10-29"),
        ("abstinent_at_discharge", "2026-10-30", "2026-10-29"),
    ):
        name = late.month("2026-09", column)
        assert name == f"all:monthly[2026-09].{column}"
        assert Names("all", "2026-10", settled).month("2026-09", column) == name
        if before:
            own = Names("all", "2026-10", before).month("2026-09", column)
            assert own == f"{name}@{before}"
    assert late.month("2026-09", "day_90") == "all:monthly[2026-09].day_90@2026-11-30"
    week = _september(as_of="2026-10-07")
    week["transitions"]["window_days"] = 7
    n = read_metrics(Reading(K), week, "all")
    assert n.month("2026-09", "determined") == "all:monthly[2026-09].determined"
    n = read_metrics(Reading(K), _september(as_of="2026-10-07"), "all")  # 14 days
    assert n.month("2026-09", "determined") == "all:monthly[2026-09].determined@2026-10-07"


def test_the_sites_add_up_to_the_program_in_a_month_not_yet_settled():
    """The program's determined discharges of a month still open are its sites', under the
    names of that as-of date."""
    from auditor_pages import sites_add_up

    r = Reading(K)
    cell = "monthly[2026-10].determined@2026-10-31"
    r.show(f"all:{cell}", None, SMALL)
    sites_add_up(r, "2026-10", ["main", "north"])
    assert {f"all:{cell}": -1, f"main:{cell}": 1, f"north:{cell}": 1} in r.eqs


def test_not_reached_or_died_suppressed_in_a_table_of_zeros_may_be_zero():
    """The external follow-up table hides "Not reached (tried, or died)" whatever its size
    (it holds the deaths): 3 due, none not reached (the document prints 0), reached and
    declined "<11", deaths internal. Read as at least 1, it would pin reached, declined and
    the deaths at 1 each; it may be 0 (reached 2, declined 1, no death): nothing is pinned."""
    window = {"due": 3, "reached": None, "not_reached": 0, "declined": None, "deceased": None,
              "not_attempted": 0}  # fmt: skip
    hidden = {"follow_up.1m.reached": "small", "follow_up.1m.declined": "small",
              "follow_up.1m.deceased": "internal"}  # fmt: skip
    head = ["Window (days after discharge)", "Due", "Reached", "Declined",
            "Not reached (tried, or died)", "Not attempted"]  # fmt: skip
    row = ["1 month (15–59)", "3", "&lt;11", "&lt;11", "suppressed", "0"]
    html = (
        "<table>"
        + "".join(
            "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>" for cells in (head, row)
        )
        + "</table>"
    )
    r = _read(_doc(follow_up={"1m": window}, hidden=hidden), html)
    assert "all@2026-10:follow_up.1m.not_reached_or_died" in r.hidden
    assert solve(r).small(K) == {}


def test_the_sites_page_names_its_months_as_of_its_runs_date():
    """The sites page's period step-down n is the month's determined discharges as of the
    run's date: September's page of a run as of 2026-10-20 (every window closed) names it as
    every later report does; as of 2026-09-30, a name of that date."""
    rows = [("main", 20, 8), ("north", 30, 9), ("Program", 50, 17)]
    page = parse_text(_sites_page(rows, rows) + _sites_page(rows, rows).split("</table>", 1)[1])
    for as_of, name in (
        ("2026-10-20", "main:monthly[2026-09].determined"),
        ("2026-09-30", "main:monthly[2026-09].determined@2026-09-30"),
    ):
        r = Reading(K)
        read_sites(r, page, "2026-09", names=Names("all", "2026-09", as_of))
        cell = "sites@2026-09:Step-down rate.period[main].n"
        assert {cell: -1, name: 1} in r.eqs, as_of
