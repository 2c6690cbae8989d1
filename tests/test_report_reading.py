"""What the director reads (issue #20, items 11-14): the report's sections built from the sample
(no papermill: ``gather`` and the section functions the notebook calls), read as text and SVG."""

from __future__ import annotations

import html as htmllib
import re

import pytest

from iop_metrics.report import pages
from iop_metrics.report.data import report_data
from iop_metrics.report.request import from_parameters


def _data(sample_db, period: str, suppress: int = 0):
    return report_data(
        from_parameters(
            period=period,
            as_of="",
            db_path=str(sample_db),
            levels="2.1",
            site="",
            track="",
            suppress=suppress,
            window_days=14,
        )
    )


# The tests that read ``october`` go to one worker (--dist loadgroup), which builds it once
OCTOBER = pytest.mark.xdist_group("reading-october")


@pytest.fixture(scope="module")
def october(sample_db, tmp_path_factory):
    """``_data(sample_db, "2026-10")``: the program's figures read once per session
    (``conftest.exact_october``; ``report_data`` gathers them and ``gather`` is ``assemble`` of
    them), assembled here at K 0."""
    from conftest import exact_october

    from iop_metrics.compute.query import Query
    from iop_metrics.report.data import assemble

    d = assemble(exact_october(sample_db, tmp_path_factory, None))
    assert (d.query, d.k) == (Query.of("2026-10", scope=None), 0)
    return d


def _text(page: str) -> str:
    """The words of a page: inline tags dropped, the others read as a space, entities read."""
    inline = re.sub(r"</?(span|em|strong|small|code|a|abbr)\b[^>]*>", "", page)
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", inline)).split())


def _headers(page: str, first: str) -> list[str]:
    """The column headings of the table whose first heading is ``first``."""
    for thead in re.findall(r"<thead>(.*?)</thead>", page, flags=re.S):
        cells = [_text(c) for c in re.findall(r"<th>(.*?)</th>", thead, flags=re.S)]
        if cells and cells[0] == first:
            return cells
    raise AssertionError(f"no table headed {first!r}")


def _svg_texts(page: str) -> list[str]:
    return [htmllib.unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", page)]


@OCTOBER
def test_service_table_headings_are_distinct(october):
    heads = _headers(pages.attendance(october), "Service type")
    assert len(heads) == len(set(heads)), heads
    assert {"No-shows", "No-show rate", "Attendance rate"} <= set(heads)


@OCTOBER
def test_discharge_reasons_show_our_own_share_beside_the_reference(october):
    """October 2026: 16 discharges, 8 completed, 2 dropped out: shares 50.0% and 12.5%."""
    page = pages.retention(october)
    heads = _headers(page, "Reason (TEDS-D)")
    assert heads[:3] == ["Reason (TEDS-D)", "Discharges", "Share (this period)"]
    rows = [
        [_text(c) for c in re.findall(r"<td>(.*?)</td>", r, flags=re.S)]
        for r in re.findall(r"<tr>(.*?)</tr>", page.split("Reason (TEDS-D)", 1)[1], flags=re.S)
    ]
    shares = {r[0]: r[1:3] for r in rows[:7] if r}
    assert shares["Completed treatment"] == ["8", "50.0%"]
    assert shares["Dropped out"] == ["2", "12.5%"]


@OCTOBER
def test_continuity_says_each_rate_is_over_its_own_closed_windows(october):
    """17 discharges: 7 of 13 whose 7 days had passed, 5 of 7 whose 14 days had passed (4 and
    10 still open): the denominators are written out, and why the 14-day figures are smaller."""
    text = _text(pages.continuity(october))
    assert "7 of 13 (53.8%) were followed up within 7 days" in text
    assert "5 of 7 (71.4%) within 14 days" in text
    assert "leaves out the 10 discharged later, even those already followed up within 7" in text
    assert "the 7-day rate leaves out 4" in text
    assert "Within 7 days 2026-10-01 – 2026-10-24 13 7 53.8% 29.1% – 76.8% 4" in text
    assert "Within 14 days 2026-10-01 – 2026-10-17 7 5 71.4% 35.9% – 91.8% 10" in text


@OCTOBER
def test_census_chart_legend_names_the_census_line(october):
    texts = _svg_texts(pages.census_and_flow(october))
    assert {"Admissions", "Discharges", "Active census (end of month)"} <= set(texts)


@OCTOBER
def test_hours_chart_draws_the_asam_lines_on_an_hours_axis_with_no_gaps(october):
    page = pages.attendance(october)
    start = page.index("Hours attended in the week")
    svg = page[page.rindex("<svg", 0, start) : page.index("</svg>", start)]
    texts = _svg_texts(svg)
    assert "ASAM 9-hour line" in texts and "ASAM 6-hour line" in texts
    title = next(i for i, t in enumerate(texts) if t.startswith("Hours attended in the week"))
    hours = [*(str(h) for h in range(20)), "20+"]
    assert texts[title - 21 : title] == hours  # the x axis: every hour 0..19 and 20+, in order
    assert "(20 = 20+)" not in svg


def test_an_empty_month_in_an_internal_report_says_no_data_not_suppressed(sample_db):
    """November 2026 is after the sample's last day: its points are missing, not hidden."""
    d = _data(sample_db, "2026-11")
    page = pages.attendance(d) + pages.census_and_flow(d) + pages.continuity(d)
    assert "no data" in _svg_texts(page)
    assert "suppressed" not in page.lower()


def test_an_external_report_still_marks_hidden_slots_suppressed(sample_db):
    d = _data(sample_db, "2026-11", suppress=11)
    assert "suppressed" in _svg_texts(pages.attendance(d))


CODES = ("case_management", "peer_support", "dropped_out", "no_next_care", "3.7-WM", "pending")


@OCTOBER
def test_tables_charts_and_sentences_use_names_and_keep_codes_in_tooltips(october):
    """Item 11: a reader sees "Case management", "Dropped out", "No next care" and the level's
    name from levels_of_care; the codes stay in the tooltips (title attributes, chart aria)."""
    page = pages.attendance(october) + pages.census_and_flow(october) + pages.retention(october)
    visible = _text(re.sub(r"<svg.*?</svg>", " ", page, flags=re.S)) + " ".join(_svg_texts(page))
    for code in CODES:
        assert code not in visible, code
    for name in (
        "Case management",
        "Peer support",
        "Dropped out",
        "Terminated by the program",
        "No next care",
        "Medically monitored inpatient withdrawal management",  # 3.7-WM in levels_of_care
        "Intensive outpatient",
    ):
        assert name in visible, name
    assert '<span title="case_management">Case management</span>' in page
    assert '<span title="dropped_out">Dropped out</span>' in page
    aria = " ".join(re.findall(r'aria-label="([^"]*)"', page))
    assert "To (code): no_next_care" in aria and "From (code): 3.7-WM" in aria
    assert "Code: case_management" in aria and "Code (TEDS-D): dropped_out" in aria


@OCTOBER
def test_header_names_the_levels_of_care_in_scope(october):
    import datetime as dt

    from iop_metrics.report.sections import header

    page = header(october, title="IOP Monthly Report", generated_at=dt.datetime(2026, 11, 1))
    assert "levels of care Intensive outpatient (2.1)" in _text(page)


NOTATION = re.compile(
    r"`|<=|>=|\+/-|\b[a-z]+_[a-z0-9_]+\b|\b[A-Z]\([A-Za-z]+\)|\bP\.(start|end)\b|\bas_of\b"
    r"|\b\w+ = |~|\b\d\.\.\d"
)


def test_the_definitions_appendix_is_plain_language_for_every_figure():
    """Item 12: every figure of the metric dictionary is defined in words in the report, with no
    code names, backticks or formulas (docs/metrics.md keeps the formal rules)."""
    from iop_metrics.dictionary import ENTRIES, RECOVERY, markdown
    from iop_metrics.report import glossary
    from iop_metrics.report.sections import definitions

    assert set(glossary.PLAIN) == {e.key for e in (*ENTRIES, *RECOVERY)}
    assert set(glossary.SOURCES) <= set(glossary.PLAIN)
    text = _text(definitions())
    assert not NOTATION.findall(text), NOTATION.findall(text)
    for e in (*ENTRIES, *RECOVERY):  # the recovery sections' figures too
        assert f"{e.name} {glossary.PLAIN[e.key]}" in text
    assert "docs/metrics.md" in text
    # the formal rules are where the appendix says they are, and they are the formal ones
    formal = markdown()
    assert "R(N) = product over event times" in formal and "`as_of`" in formal
    assert NOTATION.search("R(N) = product") and NOTATION.search("dropped_out, terminated")
