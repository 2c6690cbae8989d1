"""Every chart the package draws is valid Vega-Lite: the check a render leaves out.

``charts.base.spec`` writes a chart's Vega-Lite without altair's check against the schema (it
took ~40% of a report's chart drawing, for the package's own charts); here every chart of the
sample's report (the program's internal copy and a site's external one, with its grey hidden
slots) and of the sites page is checked against that schema, as the render once did each time.
"""

from __future__ import annotations

import json

import pytest

from iop_metrics.periods import parse_period
from iop_metrics.report import pages, sections
from iop_metrics.report.charts import base
from iop_metrics.report.data import from_parameters
from iop_metrics.run.sites import write_sites_page

SECTIONS = (
    pages.attendance,
    pages.census_and_flow,
    pages.retention,
    pages.continuity,
    pages.outcomes,
    pages.recovery,
    pages.after_discharge,
    pages.data_quality,
    sections.tiles,
)


@pytest.fixture()
def checked(monkeypatch) -> list[dict]:
    """Each spec the render writes, checked with altair's own validation (which raises
    ``SchemaValidationError`` naming the bad property) before it is drawn."""
    seen: list[dict] = []
    unchecked = base.spec

    def validated(chart) -> str:
        text = chart.to_json()  # validate=True: altair checks the whole spec against the schema
        assert text == unchecked(chart)  # the check changes nothing that is drawn
        seen.append(json.loads(text))
        return text

    monkeypatch.setattr(base, "spec", validated)
    return seen


def test_every_chart_of_the_report_is_valid_vega_lite(sample_db, checked):
    for site, k in (("", 0), ("north", 11)):
        data = from_parameters(
            period="2026-10", as_of="", db_path=str(sample_db), levels="2.1", site=site,
            track="", suppress=k, window_days=14, benchmark="", engine="duckdb", data_path="",
            today="", hide="", exact="",
        )  # fmt: skip
        for section in SECTIONS:
            section(data)
    # 8 sparklines, the section charts and the recovery ones, in each copy
    assert len(checked) >= 2 * 20, len(checked)
    assert all(s["$schema"].startswith("https://vega.github.io/schema/vega-lite/") for s in checked)


def test_every_chart_of_the_sites_page_is_valid_vega_lite(sample_db, checked, tmp_path):
    page = tmp_path / "sites.html"
    period = parse_period("2026-10")
    write_sites_page(sample_db, period, page, sites=("main", "north"), levels=("2.1",), suppress=11)
    assert len(checked) == 13  # the funnels: 5 adjusted and 8 raw
