"""Sentences that say their denominators (issue 32, item 13), on the sample's 2026-10: 24
admissions in scope, 13 of them with their first 14 days passed by 2026-10-31, all 13 scored;
18 people in care 30 days or more at the month's end, 14 scored in its last 30 days. Continuity:
the 7-day rate counts the discharges of 10-01 .. 10-24 (13, 7 followed up, 4 still open), the
14-day rate those of 10-01 .. 10-17 (7, 5 followed up, 10 still open)."""

from __future__ import annotations

import re

import pytest

from iop_metrics.compute.query import Query
from iop_metrics.periods import parse_period
from iop_metrics.report import pages
from iop_metrics.report.data import assemble, gather


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


# The tests that read ``october`` go to one worker (--dist loadgroup), which builds it once
OCTOBER = pytest.mark.xdist_group("denominators-october")


@pytest.fixture(scope="module")
def october(sample_db, tmp_path_factory):
    """``gather(con, Query.of(parse_period("2026-10")))``: the program's figures read once per
    session (``conftest.exact_october``; ``gather`` is ``assemble`` of them), assembled here."""
    from conftest import exact_october

    d = assemble(exact_october(sample_db, tmp_path_factory, None))
    assert (d.query, d.k) == (Query.of(parse_period("2026-10")), 0)
    return d


@OCTOBER
def test_measurement_based_care_says_its_denominators(october):
    text = _text(pages.outcomes(october))
    assert (
        "Measurement-based care: of the 13 admissions of this period whose first 14 days had "
        "passed by the as-of date (of 24 admissions in all), 13 ( 100.0% ) were scored on a "
        "standardized instrument in those 14 days; and of the 18 people in care for 30 days or "
        "more at the end of the period, 14 ( 77.8% ) were scored in its last 30 days"
    ) in text


@OCTOBER
def test_continuity_names_the_discharges_each_window_counts(october):
    text = _text(pages.continuity(october))
    assert (
        "the 7-day rate counts those discharged 2026-10-01 – 2026-10-24 (their 7 days had "
        "passed), the 14-day rate those discharged 2026-10-01 – 2026-10-17 (their 14 days had "
        "passed). The 14-day rate leaves out the 10 discharged later, even those already "
        "followed up within 7 days, until their 14 days pass; the 7-day rate leaves out 4 ."
    ) in text
    assert "Within 7 days 2026-10-01 – 2026-10-24 13 7 53.8%" in text
    assert "Within 14 days 2026-10-01 – 2026-10-17 7 5 71.4%" in text


def test_measurement_based_care_when_not_every_admission_was_scored(sample_db):
    import duckdb

    con = duckdb.connect(str(sample_db), read_only=True)
    try:
        text = _text(pages.outcomes(gather(con, Query.of(parse_period("2026-08")))))
    finally:
        con.close()
    assert (
        "of the 10 admissions of this period whose first 14 days had passed by the as-of date "
        "(of 17 admissions in all), 9 ( 90.0% ) were scored"
    ) in text
    said = "of the 13 people in care for 30 days or more at the end of the period, 11 ( 84.6% )"
    assert said in text
