"""The retention cohort printed to the nearest ten in external copies (issue 30, item 5): two
consecutive monthly reports' 12-month cohorts differ by one month's admissions in and one out,
so with the ledger, printing both exactly gave a hidden month away and the plan hid the cohort
(and with it the 30/60/90-day estimates) in four of six months. Printed "about 250", a reader
knows it only within its ten (``precision.coarse_interval``), and the model takes it so:
hand-made models with the expected plans written out, then the ledger's record of it.
"""

from __future__ import annotations

from dataclasses import replace

from iop_metrics.disclosure import ledger, linked
from iop_metrics.disclosure.model import Cells, protect

K = 11
COHORT = "retention.cohort_admissions"
QUERY = {"period": "2026-09", "as_of": "2026-09-30", "levels": ["2.1"], "window_days": 14}


def _months(last: int, each: int, cohort: str = COHORT) -> Cells:
    """A cohort of 12 months' admissions: 11 months of ``each`` and the twelfth ``last``."""
    values = {f"m{i:02d}": each for i in range(1, 12)} | {"m12": last}
    values[cohort] = sum(values.values())
    eq = {cohort: -1} | {m: 1 for m in values if m != cohort}
    return Cells(values, frozenset(values), (eq,))


def test_a_cohort_printed_to_the_ten_leaves_a_hidden_month_free():
    """11 months of 20 shown and the twelfth 5 ("<11"): the cohort 225 printed exactly gives
    the 5 (225 - 220), so another count is hidden; printed "about 230" it allows 225..234, and
    the month 5..14, of which 5..10 are under K: no more is hidden."""
    assert protect(_months(5, 20, "cohort"), K) == {"m01": "complementary", "m12": "small"}
    assert protect(_months(5, 20), K) == {"m12": "small"}


def test_a_cohort_at_the_end_of_its_ten_still_pins_and_another_count_is_hidden():
    """11 months of 23 (253) and the twelfth 1: the cohort 254 prints "about 250", 245..254,
    so the month is -8..1, and being hidden as "<11" it is 1: pinned through the printed ten,
    the model hides a month beside it (the cohort, a headline figure, last)."""
    hidden = protect(_months(1, 23), K)
    assert hidden == {"m01": "complementary", "m12": "small"}
    # a reader then allows m12 + m01 = 245..254 less the 10 months shown (230), m01 >= 11
    allowed = {m12 for m12 in range(1, K) for m01 in range(K, 60) if 245 <= 230 + m12 + m01 <= 254}
    assert allowed == set(range(1, K))


def test_a_count_hidden_for_the_cohorts_ten_is_not_shown_again():
    """t + a = S and cohort = a + u: with a shown, t = S - a is pinned; hidden, a is known only
    within the cohort's ten less u (45..54), so t is 3..12. ``_reveal`` shows again a hidden
    count the shown ones fix: the cohort printed to the ten is no shown one there, else a
    (cohort - u) would come back and give t away."""
    v = {"t": 5, "a": 52, "S": 57, COHORT: 252, "u": 200}
    eqs = ({"S": -1, "t": 1, "a": 1}, {COHORT: -1, "a": 1, "u": 1})
    assert protect(Cells(v, frozenset(v), eqs), K) == {"a": "complementary", "t": "small"}


def test_a_count_hidden_for_an_earlier_cohorts_ten_is_the_smallest_that_frees():
    """As above with the cohort printed by an earlier run (settled, never hidden now): a (52)
    frees t because the earlier cohort is no known count, so the smallest freeing cell is a,
    not S (57). Taken as known, the cohort and u would fix a, and only S would free t."""
    v = {"t": 5, "a": 52, "S": 57, f"2026-09/all:{COHORT}": 252, "u": 200}
    eqs = ({"S": -1, "t": 1, "a": 1}, {f"2026-09/all:{COHORT}": -1, "a": 1, "u": 1})
    got = protect(Cells(v, frozenset(v), eqs), K, fixed={f"2026-09/all:{COHORT}", "u"})
    assert got == {"a": "complementary", "t": "small"}


def test_an_earlier_cohort_printed_to_the_ten_is_known_within_it():
    """September printed its cohort "about 230" (225); October shows 11 of the 12 months and
    hides the twelfth (5): tied to September's cohort (the same records), it is known only
    within 225..234, so the month stays free and nothing more is hidden. Were September's
    cohort known exactly (225), the month would follow."""
    september = Cells({COHORT: 225}, frozenset({COHORT}), ())
    e = ledger.entry("all", september, {}, query=QUERY, k=K, snapshot="s")
    assert e["cells"] == {COHORT: 230}
    october = _months(5, 20, "x")
    october = Cells(
        {k: v for k, v in october.values.items() if k != "x"},
        frozenset(c for c in october.published if c != "x"),
        (),
    )
    tie = {f"2026-09/all:{COHORT}": -1} | {f"all:m{i:02d}": 1 for i in range(1, 13)}
    known = ledger.known([e], lambda _: september, K)
    assert known.changes == () and f"2026-09/all:{COHORT}" in known.fixed
    known = replace(known, cells=linked.merged(known.cells, Cells({}, frozenset(), (tie,))))
    alone = {"all": {"m12": "small"}}
    plan = linked.plan({"all": october}, k=K, alone=alone, known=known)
    assert plan == {"all": {"m12": "small"}}


def test_an_earlier_cohort_whose_ten_changed_is_named_and_left_unknown():
    """Today's data gives September's cohort 262 ("about 260"), its ledger "about 230": the
    change is named, and today's figure is no known count (the earlier ten bounds the earlier
    records, not today's); one still in its ten (234) is no change."""
    september = Cells({COHORT: 225}, frozenset({COHORT}), ())
    e = ledger.entry("all", september, {}, query=QUERY, k=K, snapshot="s")
    now = Cells({COHORT: 262}, frozenset({COHORT}), ())
    known = ledger.known([e], lambda _: now, K)
    [change] = known.changes
    assert change.shown == (COHORT,)
    assert f"2026-09/all:{COHORT}" not in known.fixed | known.cells.published
    same = ledger.known([e], lambda _: Cells({COHORT: 234}, frozenset({COHORT}), ()), K)
    assert same.changes == () and f"2026-09/all:{COHORT}" in same.fixed


def test_the_rates_table_says_about_only_beside_a_cohort_it_prints(sample_con, october_gathered):
    """The sample's October, external: the 30/60/90-day rows print their cohort "about 250"
    (252); with the cohort hidden (forced here as internal-only: hidden only to protect
    another, it would be shown again, since the 12 months' admissions shown give it), they
    print "suppressed", with no "about"."""
    import iop_metrics as im
    from iop_metrics.report.data import gather
    from iop_metrics.report.sections import rate_rows, rates_table

    q = im.Query.of(im.parse_period("2026-10"))
    shown = october_gathered  # gather(sample_con, q, suppress=K), read once per session
    hidden = gather(sample_con, q, suppress=K, hide={COHORT: "internal"})
    for d, about, n in ((shown, True, 250), (hidden, False, None)):
        km = [
            r for r in rate_rows(d.rates, d.km_places) if r["figure"].startswith("retention.day_")
        ]
        assert [r["about"] for r in km] == [about] * 3
        assert all(
            (r["denominator"] == n) if n else r["denominator"] != r["denominator"] for r in km
        )
    assert rates_table(shown).count("about ") == 3 and "about " not in rates_table(hidden)


def test_the_registry_auditor_reads_a_rounded_cohort_as_its_ten():
    """The suite's other reader (``tests/registry_auditor.py``) takes a count the suppression
    block names ``rounded`` as its ten, not as printed: the trends' hidden October cohort,
    the document's "about 250", is 245..254, not 250."""
    import pandas as pd
    from registry_auditor import audit

    from iop_metrics.disclosure import published as pub

    doc = {
        "period": {"label": "2026-10", "start": "2026-10-01", "end": "2026-10-31"},
        "retention": {"cohort_admissions": 250},
        "suppression": {"k": K, "hidden": {}, "rounded": {COHORT: 10}},
    }
    frame = pd.DataFrame({"month": ["2026-10"], "cohort": [float("nan")]})
    found = audit(doc, tables={"monthly": frame}, context=pub.Context(period_months=("2026-10",)))
    cell = "monthly[2026-10].cohort"
    assert cell not in found.recovered and found.bounds[cell] == (245, 254)


def test_an_earlier_cohort_printed_exactly_by_an_earlier_version_stays_known_exactly():
    """An entry written before cohorts were printed to the ten has no ``rounded`` list: its
    225 was printed as 225, and a reader knows it so. October's twelfth month (5, hidden as
    "<11") then follows from it and the 11 months shown, so another month is hidden, as with
    a cohort printed exactly in the same run. The entries written now list the cohort."""
    september = Cells({COHORT: 225}, frozenset({COHORT}), ())
    e = ledger.entry("all", september, {}, query=QUERY, k=K, snapshot="s")
    assert e["rounded"] == [COHORT] and e["cells"] == {COHORT: 230}
    older = {**e, "cells": {COHORT: 225}}
    del older["rounded"]
    months = {f"m{i:02d}": 20 for i in range(1, 12)} | {"m12": 5}
    october = Cells(months, frozenset(months), ())
    tie = {f"2026-09/all:{COHORT}": -1} | {f"all:{m}": 1 for m in months}
    known = ledger.known([older], lambda _: september, K)
    assert known.changes == ()
    known = replace(known, cells=linked.merged(known.cells, Cells({}, frozenset(), (tie,))))
    plan = linked.plan({"all": october}, k=K, alone={"all": {"m12": "small"}}, known=known)
    assert plan == {"all": {"m01": "complementary", "m12": "small"}}
    # today's figure differing from the exact one is a changed past, as for any count
    changed = ledger.known([older], lambda _: Cells({COHORT: 226}, frozenset({COHORT}), ()), K)
    assert [c.shown for c in changed.changes] == [(COHORT,)]
