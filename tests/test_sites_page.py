"""The sites page and `iop-metrics sites` on the synthetic network of tests/network.py (15
sites, so the over-dispersion rule runs): drawn in headless Chromium offline, the planted
finding said in plain words, the external page with no count from 1 to 10, the CLI's JSON
and CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re

import pytest
from helpers import dom, once_per_session
from network import write as write_network
from test_run import _no_small_counts

from iop_metrics.cli import MEASURE_CHOICES, main
from iop_metrics.compute import comparison
from iop_metrics.ingest.load import load
from iop_metrics.periods import parse_period
from iop_metrics.report.sites import write_sites_page

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """The network loaded and its two pages written once per session (``once_per_session``):
    the module's tests land on both xdist workers, which built them each (6 s) before."""
    return once_per_session(tmp_path_factory, "test_sites_page", _pages)


def _pages(root):
    db = root / "net.duckdb"
    load(write_network(root / "data"), db)
    out = root / "2026-10"
    for name, k in (("sites.html", 0), ("sites-external.html", 11)):
        write_sites_page(
            db, parse_period("2026-10"), out / name, sites=(), levels=("2.1",), suppress=k
        )
    return {"db": db, "out": out}


def test_internal_page_draws_both_funnels_and_says_the_finding(pages):
    page = pages["out"] / "sites.html"
    figures = re.findall(r'<figure class="chart">(.*?)</figure>', dom(page), flags=re.S)
    # completion, retained 90 days, reliable improvement and recovery, adjusted and raw; every
    # session of the network is attended and no episode has a next one, so attendance and
    # step-down (every discharge: no next care) have one outcome and no chart
    assert len(figures) == 8
    for fig in figures:
        assert "<svg" in fig and "better" in fig and "court" in fig
    text = page.read_text()
    assert (
        "Outside the 99.8% limits, so differing by more than chance: "
        "better (completion rate, higher)" in text
    )
    assert re.search(
        r"Given the clients better served \(ages, sex, substances, payers, referral routes\), "
        r"\d+ of its 300 discharges were expected to complete; 225 did: \d+% more than expected, "
        r"higher than chance explains\.",
        text,
    )
    for title, unit, verb, n, did in (
        ("reliable improvement", "paired courses", "improve reliably", 249, 198),
        ("recovery", "paired courses that were a case at start", "recover", 206, 133),
    ):
        assert f"better ({title}, higher)" in text
        assert re.search(
            r"Given the clients better served \(ages, sex, substances, payers, referral routes\), "
            rf"\d+ of its {n} {unit} were expected to {verb}; {did} did: \d+% more than "
            r"expected, higher than chance explains\.",
            text,
        ), title
    assert "Merged into their factor's most common level" in text
    assert "primary substance: sedatives, payer: self pay" in text
    assert "phi = " in text and "over 14 sites" in text  # the over-dispersion rule ran
    assert "Case-mix adjustment accounts only for what was measured" in text
    assert "c-statistic (AUC) 0.6" in text and "Decile of predicted chance" in text
    for key in ("completion", "reliable_improvement", "recovery"):
        part = text.split(f'<section class="part" id="{key}">')[1].split("</section>")[0]
        row = re.search(r"<tr><td>court</td>(.*?)</tr>", part, flags=re.S).group(1)
        assert row.endswith(
            '<td class="left">as expected</td><td class="left">possibly higher</td>'
        ), key
    saved = json.loads((pages["out"] / "sites.json").read_text())
    assert list(saved["measures"]) == list(comparison.MEASURES)
    assert saved["measures"]["completion"]["dispersion"]["sites"] == 14
    recovery = saved["measures"]["recovery"]
    assert recovery["network"]["n"] == 2837 and recovery["model"]["merged"] == ["payer=self_pay"]
    assert not (pages["out"] / "sites-external.json").exists()


def test_external_page_shows_no_count_from_1_to_10(pages):
    html = (pages["out"] / "sites-external.html").read_text()
    assert "small-cell suppression on" in html
    _no_small_counts(html)
    completion = html.split("<h2>Completion rate</h2>")[1].split("<h2>")[0]
    table = completion.split("The period alone")[0]
    # small (15 discharges, 5 completed) is hidden and is never drawn
    assert re.search(r"<tr><td>small</td>.*?suppressed</td>", table, flags=re.S)
    assert ">small<" not in completion.split("<table")[0]
    assert "Decile of predicted chance" not in html
    figures = re.findall(
        r'<figure class="chart">(.*?)</figure>',
        dom(pages["out"] / "sites-external.html"),
        flags=re.S,
    )
    assert len(figures) == 8
    for fig in figures:  # small and the next smallest site (it would give small away) are not drawn
        drawn = re.findall(r'<text aria-label="[^"]*label: ([^"]*)" role="graphics-symbol"', fig)
        # sites at one point (the same n and rate) share a label: "s02, s09"
        named = [site for label in drawn for site in label.split(", ")]
        assert len(named) == 13 == len(set(named)) and "small" not in named
    assert "No chart: the program has no discharges with a known next step" in html


def test_cli_prints_the_json_and_the_csv(pages, capsys):
    assert MEASURE_CHOICES == comparison.MEASURES
    db = str(pages["db"])
    assert main(["sites", "--db", db, "--period", "2026-10", "--measure", "completion"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert list(doc["measures"]) == ["completion"]
    saved = json.loads((pages["out"] / "sites.json").read_text())
    assert doc["measures"]["completion"] == saved["measures"]["completion"]
    assert main(["sites", "--db", db, "--period", "2026-10", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    better = next(r for r in rows if r["measure"] == "completion" and r["site"] == "better")
    assert better["reading"] == "higher" and better["n"] == "300" and better["observed"] == "225"
    # the network ships no noms rows: no episode is paired on abstinence, so no site has a
    # row of it (every discharge is still due a 3-month contact, never reached)
    assert {r["measure"] for r in rows} == set(comparison.MEASURES) - {"abstinent_discharge"}
    reached = [r for r in rows if r["measure"] == "response_3m"]
    assert reached and all(r["observed"] == "0" for r in reached)
    assert main(["sites", "--db", db, "--period", "2026-10", "--window", "period"]) == 0
    month = json.loads(capsys.readouterr().out)
    assert month["window"] == {"start": "2026-10-01", "end": "2026-10-31"}
    assert main(["sites", "--db", db, "--period", "2026-10", "--measure", "nonsense"]) == 2
    assert "invalid choice: 'nonsense'" in capsys.readouterr().err


def test_sites_at_one_point_of_a_funnel_are_named_together_not_over_each_other():
    """Two sites with the same n and rate are one point: its label names both, once."""
    import pandas as pd

    from iop_metrics.report.charts import to_svg
    from iop_metrics.report.charts.sites import chart

    df = pd.DataFrame(
        {
            "site": ["north", "main", "east"],
            "n": [40.0, 40.0, 90.0],
            "rate": [0.55, 0.55, 0.6],
            "reading": ["as expected", "as expected", "possibly higher"],
        }
    )
    svg = to_svg(chart(df, 0.58, x="n", y="rate", tau2=0.0, title="Raw rate", x_title="n"))
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert texts.count("main, north") == 1 and texts.count("east") == 1
    assert "main" not in texts and "north" not in texts


def test_the_comparisons_a_run_makes_once_are_those_its_sites_model_would_make(pages):
    """A run computes the sites comparisons once (its SITES model job) and hands them to the
    page model and to both pages: the period's raw funnel is the one the model would compute,
    the model's cells of each window are its funnel's (the period's, not the 12 months'), and
    the file the pages read back is refused for another query."""
    import duckdb

    from iop_metrics.compute.query import Query, Scope
    from iop_metrics.disclosure import linked
    from iop_metrics.periods import month
    from iop_metrics.report.sites import load_comparisons, save_comparisons

    q = Query.of(month(2026, 10), scope=Scope(("2.1",), None))
    con = duckdb.connect(str(pages["db"]), read_only=True)
    try:
        given = comparison.page_comparisons(con, q)
        cells = linked.sites_cells(con, q, given)
        own = {m: comparison.compare_sites(con, q, m, adjust=False, window="period") for m in given}
    finally:
        con.close()
    for m, got in given.items():
        assert got["raw"].start == got["adjusted"].start == dt.date(2025, 11, 1)
        assert got["month"].start == got["raw_period"].start == dt.date(2026, 10, 1)
        assert got["raw_period"].sites.equals(own[m].sites)
        for window, key in (("12m", "raw"), ("period", "raw_period")):
            for r in got[key].sites.to_dict("records"):
                assert cells.values[f"{m}.{window}[{r['site']}].n"] == r["n"], (m, window)
                assert cells.values[f"{m}.{window}[{r['site']}].observed"] == r["observed"]
    path = pages["out"].parent / "comparisons.pkl"
    save_comparisons(given, q, path)
    assert load_comparisons(path, q).keys() == given.keys()
    with pytest.raises(ValueError, match="not the comparisons of"):
        load_comparisons(path, Query.of(month(2026, 9), scope=Scope(("2.1",), None)))


def test_a_count_a_run_withholds_reads_withheld_and_the_header_says_what_it_means(pages, tmp_path):
    """A run's plan withholding s02's 12-month completion counts (``model.withhold``): its row
    is hidden, its n and completed read "withheld" (not "suppressed", which says 1 or more),
    and the header says the mark may stand for 0; the page without says nothing of it."""
    from iop_metrics.disclosure.model import WITHHELD

    path = tmp_path / "sites-external.html"
    hide = dict.fromkeys(("completion.12m[s02].n", "completion.12m[s02].observed"), WITHHELD)
    write_sites_page(
        pages["db"], parse_period("2026-10"), path, sites=(), levels=("2.1",), suppress=11,
        hide=hide,
    )  # fmt: skip
    html = path.read_text()
    assert "A count marked “withheld” is left out for the program and every site" in html
    completion = html.split("<h2>Completion rate</h2>")[1].split("The period alone")[0]
    row = re.search(r"<tr><td>s02</td>(.*?)</tr>", completion, flags=re.S)
    assert row is not None and row.group(1).count(">withheld<") == 2, row
    assert "withheld" not in (pages["out"] / "sites-external.html").read_text()
