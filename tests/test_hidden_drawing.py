"""How an external report draws what it hides (issue 32, item 8): a hidden slot or cell looks
hidden (grey, named "suppressed" once in its chart's legend), a zero reads 0, and a chart with
almost nothing left is not drawn but said in words. Read from the charts' SVG, the section
pages' text on the sample, and the sample's external report in headless Chromium."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from helpers import dom

from iop_metrics.report import charts
from iop_metrics.report.charts.base import HIDDEN_FILL

K = 11
SERVICES = ["Assessment", "Case management", "Family therapy", "Group therapy"]


def _grey_rects(svg: str) -> list[float]:
    """The x of each grey rect an SVG draws (a hidden slot or cell), legend swatches left out."""
    xs = []
    for m in re.finditer(r'<path ([^>]*?)d="M([\d.-]+),([\d.-]+)h[^"]*"([^>]*)>', svg):
        attrs = m.group(1) + m.group(4)
        if f'fill="{HIDDEN_FILL}"' in attrs and 'aria-roledescription="rect mark"' in attrs:
            xs.append(float(m.group(2)))
    return xs


def _texts(svg: str) -> list[str]:
    return re.findall(r"<text[^>]*>([^<]*)</text>", svg)


def _mark_texts(svg: str) -> list[str]:
    """The text marks drawn in the plot (cell labels), axes and legends left out."""
    groups = re.findall(r'<g class="mark-text role-mark[^"]*"[^>]*>(.*?)</g>', svg, flags=re.S)
    return [t for g in groups for t in _texts(g)]


def test_almost_nothing_is_fewer_than_two_slots_or_a_quarter():
    """The rule for a chart not drawn (``charts.too_little``), on both of its arms."""
    assert charts.too_little(1, 4, K) and charts.too_little(0, 3, K)  # fewer than 2
    assert charts.too_little(2, 9, K) and not charts.too_little(3, 12, K)  # a quarter
    assert not charts.too_little(2, 4, K) and not charts.too_little(1, 4, 0)


def test_hidden_bars_are_grey_slots_named_once_each_in_its_own_place():
    """Two of four service types hidden: each keeps its slot as a grey band (at two different
    places, not stacked on the first: the slots are named by a ``label`` column, which the
    hidden layer must not overwrite), and "suppressed" is written once, in the legend."""
    df = pd.DataFrame(
        {
            "key": ["assessment", "case_management", "family_therapy", "group"],
            "label": SERVICES,
            "no_show_rate": [0.2, None, 0.1, None],
        }
    )
    svg = charts.to_svg(
        charts.bar_rate(df, "key", "no_show_rate", "No-show rate", label="label", sort=SERVICES)
    )
    xs = _grey_rects(svg)
    assert len(xs) == 2 and len(set(xs)) == 2, xs
    # the slots are 4 equal bands in the given order: the hidden ones are the 2nd and 4th
    step = (xs[1] - xs[0]) / 2
    assert step > 20 and xs[0] == pytest.approx(step, abs=2), xs
    assert _texts(svg).count("suppressed") == 1
    assert "no data" not in _texts(svg)


def test_a_trends_hidden_month_is_a_grey_slot():
    """An outcome trend drawn with a month hidden: that month is one grey slot, named once."""
    months = ["2026-07", "2026-08", "2026-09", "2026-10"]
    df = pd.DataFrame(
        {
            "month": months * 2,
            "measure": ["Reliable improvement"] * 4 + ["Recovery"] * 4,
            "rate": [0.5, None, 0.4, 0.6, 0.3, None, 0.5, 0.2],
            "numerator": [20, None, 16, 30, 12, None, 20, 11],
            "denominator": [40, None, 40, 50, 40, None, 40, 55],
        }
    )
    svg = charts.to_svg(charts.outcomes.outcome_trend(df, months, ["2026-08"]))
    assert len(_grey_rects(svg)) == 1
    assert _texts(svg).count("suppressed") == 1


def test_an_internal_charts_empty_slot_still_reads_no_data():
    """An internal report hides nothing: a slot with no figure keeps its "no data" words and
    no grey band (its charts are unchanged)."""
    df = pd.DataFrame({"key": ["a", "b", "c"], "no_show_rate": [0.2, None, 0.1]})
    svg = charts.to_svg(
        charts.bar_rate(df, "key", "no_show_rate", "No-show rate", missing="no data")
    )
    assert _grey_rects(svg) == []
    assert _texts(svg).count("no data") == 1 and "suppressed" not in _texts(svg)


def test_a_heat_maps_hidden_cell_is_grey_and_its_zero_reads_0():
    """The PHQ-9 band grid in an external report: a hidden cell is grey with no mark of its
    own ("suppressed" once, in the legend), a cell of no courses reads "0", a cell with
    courses its number."""
    from iop_metrics.report.data import _band_labels

    bands = pd.DataFrame(
        {
            "start": ["mild", "mild", "severe", "severe"],
            "end": ["mild", "severe", "mild", "severe"],
            "band_order": ["mild", "mild", "severe", "severe"],
            "n": [12, 0, None, 30],
        }
    )
    svg = charts.to_svg(charts.outcomes.band_shift(_band_labels(bands, K)))
    texts = _texts(svg)
    assert len(_grey_rects(svg)) == 1
    assert texts.count("suppressed") == 1 and "–" not in texts
    assert sorted(t for t in _mark_texts(svg) if t) == ["0", "12", "30"]
    internal = _band_labels(bands.assign(n=[12, 0, 4, 30]), 0)
    assert internal["label"].tolist() == ["12", "", "4", "30"]  # internal: as before


# The tests that read ``external`` go to one worker (--dist loadgroup), which builds it once
EXTERNAL = pytest.mark.xdist_group("hidden-drawing-external")


@pytest.fixture(scope="module")
def external(sample_db, tmp_path_factory):
    """``gather`` of the program's October 2026 at K, read once per session
    (``conftest.gathered_october``)."""
    from conftest import gathered_october

    assert K == 11  # the K it is read at
    return gathered_october(sample_db, tmp_path_factory)


@EXTERNAL
def test_a_chart_with_almost_nothing_left_says_so_in_words(external):
    """The sample program's external report, 2026-10: no-shows by weekday keep 1 rate of 6
    and by service type none of 8 (sessions are sums of atoms, issue 30), the PHQ-9 band grid
    only zeros beside 7 hidden cells, the outcome trend none of its 24, the completion and
    step-down sparklines 2 and 0 months of 12 (and the three outcome tiles' too): none is
    drawn, each is said in words with what is left."""
    from iop_metrics.report import pages
    from iop_metrics.report.sections import tiles

    attendance = pages.attendance(external)
    assert (
        "small-cell suppression hides 5 of its 6 weekdays (each rests on 1 to 10 records, or "
        "would let one be worked out), which leaves too little to draw; the one shown: "
        "Wednesday 12.5%." in attendance
    )
    assert (
        "No-show rate by service type is not drawn: the rate of every one of the 8 service "
        "types is hidden by small-cell suppression." in attendance
    )
    assert attendance.count("<svg") == 2  # the control chart and the hours: 4 of 14 bars shown
    outcomes = pages.outcomes(external)
    assert "<svg" not in outcomes
    assert (
        "The chart of PHQ-9 severity bands at the first and last score is not drawn: small-cell "
        "suppression hides 7 of its 25 cells (each rests on 1 to 10 records, or would let one "
        "be worked out) and the other 18 are 0, which leaves nothing to draw." in outcomes
    )
    assert (
        "The 12-month trend of reliable improvement and recovery is not drawn: small-cell "
        "suppression hides every figure in it (each rests on 1 to 10 records, or would let one "
        "be worked out)." in outcomes
    )
    page = tiles(external)
    # twelve tiles: reliable improvement, recovery, abstinent at discharge, completion and
    # step-down keep too few months to draw; the other seven draw their sparklines
    assert page.count("<svg") == 7
    assert page.count("months suppressed (too few left to draw)") == 5


@pytest.mark.slow
def test_the_external_report_draws_each_hidden_mark_once_in_chromium(october_external):
    """The sample's external report (`iop-metrics report --suppress 11`, conftest) as a reader
    opens it (headless Chromium, no network): every drawn chart with hidden slots names
    "suppressed" once, in its legend, and has grey slots; no chart writes a dash or a
    "suppressed" per slot."""
    assert json.loads((october_external / "metrics.json").read_text())["suppression"]["k"] == K
    html = dom(october_external / "monthly_report.html")
    figures = re.findall(r'<figure class="chart">(.*?)</figure>', html, flags=re.S)
    with_hidden = [f for f in figures if _grey_rects(f)]
    assert len(with_hidden) == 2, len(with_hidden)  # the hours and the 12-month flow
    for fig in figures:
        svg = fig.split("<figcaption>")[0]
        assert _texts(svg).count("suppressed") == (1 if _grey_rects(svg) else 0), fig[-300:]
        assert "–" not in _texts(svg)
    assert "not drawn: small-cell suppression hides 5 of its 6 weekdays" in html
    # the grey slots' legend is the chart's own: the others are not repeated beside it
    [hours] = [f for f in with_hidden if "Hours attended" in f]
    assert _texts(hours).count("Adults (9 h)") == 1
    assert Path(october_external / "monthly_report.html").stat().st_size > 0
