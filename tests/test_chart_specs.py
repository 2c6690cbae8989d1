"""Every chart the package draws is valid Vega-Lite: the check a render leaves out.

``charts.base.spec`` writes a chart's Vega-Lite without altair's check of the whole spec
against the schema (~0.3 s of the ~2.5 s CPU a report spends drawing its charts; altair still
checks each part as it builds it); here every chart of the sample's report (the program's
internal copy and a site's external one, with its grey hidden slots) and the sites page's
funnels are checked against that schema, as a render once did.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from iop_metrics.report import pages, sections
from iop_metrics.report.charts import base, to_svg
from iop_metrics.report.charts.sites import chart
from iop_metrics.report.data import report_data
from iop_metrics.report.request import from_parameters

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
        data = report_data(from_parameters(
            period="2026-10", as_of="", db_path=str(sample_db), levels="2.1", site=site,
            track="", suppress=k, window_days=14, benchmark="", engine="duckdb", data_path="",
            today="",
        ))  # fmt: skip
        for section in SECTIONS:
            section(data)
    # 8 sparklines, the section charts and the recovery ones, in each copy
    assert len(checked) >= 2 * 20, len(checked)
    assert all(s["$schema"].startswith("https://vega.github.io/schema/vega-lite/") for s in checked)


def test_the_sites_pages_funnels_are_valid_vega_lite(checked):
    """The sites page draws every measure's funnels with ``report.charts.sites.chart``
    (adjusted on n*,
    raw on n): both, over each reading a site can have and a site hidden (no figures)."""
    nan = float("nan")
    df = pd.DataFrame(
        {
            "site": ["north", "main", "east", "west", "small"],
            "n": [120.0, 80.0, 60.0, 9.0, nan],
            "n_star": [110.0, 85.0, 58.0, 9.5, nan],
            "rate": [0.62, 0.48, 0.81, 0.3, nan],
            "adjusted_rate": [0.6, 0.5, 0.79, 0.33, nan],
            "reading": ["as expected", "possibly lower", "higher", "too few", "suppressed"],
        }
    )
    to_svg(chart(df, 0.6, x="n_star", y="adjusted_rate", tau2=0.004, title="Adjusted rate",
                 x_title="Case-mix-equivalent size (n*)"))  # fmt: skip
    to_svg(chart(df, 0.6, x="n", y="rate", tau2=0.0, title="Raw rate", x_title="Eligible (n)"))
    assert len(checked) == 2
    assert {s["layer"][-1]["mark"]["type"] for s in checked} == {"text"}  # the site labels
