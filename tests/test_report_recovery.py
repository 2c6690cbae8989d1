"""The report's recovery sections (recovery.md, issue 29 items 4, 5, 7): "Recovery: substance
use and life domains" and "After discharge" on the sample, drawn in headless Chromium offline;
the sentences that say what the figures mean and are not; the tiles a director asks for first;
a database without noms rows; the external copy (deaths internal only) read by the auditor;
the sites page's raw funnels of abstinent at discharge and the 3-month response."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from helpers import dom
from registry_auditor import audit, leaves

from iop_metrics.cli import main
from iop_metrics.compute import comparison as cmp
from iop_metrics.compute.metrics import document
from iop_metrics.compute.query import Query, Scope
from iop_metrics.compute.series import monthly as series
from iop_metrics.ingest.load import load
from iop_metrics.periods import parse_period
from iop_metrics.report.data import gather
from iop_metrics.report.pages import after_discharge, recovery

pytestmark = pytest.mark.xdist_group("report")
SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
OCTOBER = parse_period("2026-10")


@pytest.fixture(scope="module")
def reports(october_internal, october_external) -> dict[str, Path]:
    """The sample's 2026-10 report, internal and external (K = 11), rendered once per session
    for the tests that read them (conftest)."""
    return {"internal": october_internal, "external": october_external}


def _section(html: str, heading: str) -> str:
    start = html.index(f"<h2>{heading}")
    end = html.find("<h2>", start + 4)
    return html[start:end]


def _text(html: str) -> str:
    """The words of a page part: cells, paragraphs and headings apart, inline marks joined."""
    spaced = re.sub(r"</?(h2|p|td|th|tr|div|br)\b[^>]*>", " ", html)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", spaced)).replace("&#39;", "'").strip()


def _tooltips(fig: str) -> list[str]:
    return [
        re.search(r'aria-label="([^"]*)"', x).group(1)
        for x in re.findall(r"<path\b[^>]*>", fig)
        if 'aria-roledescription="point"' in x or 'aria-roledescription="circle"' in x
    ]


def test_sections_follow_the_outcome_measures_and_draw_offline(reports, sample_con):
    """The two sections come after the outcome measures, in that order; each chart draws in
    headless Chromium with no network, and the points carry the document's figures: the
    dumbbell each domain's shares, the windows chart each window's counts, the trend the
    monthly series' counts."""
    html = dom(reports["internal"] / "monthly_report.html")
    order = [html.index(f"<h2>{h}") for h in ("Outcomes: did", "Recovery: substance", "After")]
    assert order == sorted(order) and html.index("<h2>Data quality") > order[-1]
    doc = document(sample_con, Query.of(OCTOBER, scope=Scope(("2.1",))))
    rec = _section(html, "Recovery: substance use and life domains")
    [moves] = re.findall(r'<figure class="chart">(.*?)</figure>', rec, flags=re.S)
    labels = _tooltips(moves)
    assert labels and all("Source: This program" in x for x in labels)
    # No use: 2 of 11 paired at admission, 9 of 11 at discharge (the sample's October)
    assert any("No use of the primary substance" in x and "At admission: 18%" in x for x in labels)
    assert any("Housed (not homeless)" in x and "At discharge: 92%" in x for x in labels)
    after = _section(html, "After discharge")
    figures = re.findall(r'<figure class="chart">(.*?)</figure>', after, flags=re.S)
    assert len(figures) == 2
    for fig in figures:
        assert len(re.findall(r"<(path|rect|line|text)\b", fig)) > 3, "an empty chart"
    windows, trend = figures
    f3 = doc["follow_up"]["3m"]
    assert (f3["due"], f3["reached"], f3["abstinent"], f3["abstinent_known"]) == (241, 126, 70, 119)
    points = _tooltips(windows)
    assert len(points) == 12  # four windows x three lines
    three = [x for x in points if "Window: 3 months" in x]
    assert any("Rate: 52.3%" in x and "(numerator): 126" in x and ": 241" in x for x in three)
    assert any("Rate: 58.8%" in x and "(numerator): 70" in x and ": 119" in x for x in three)
    assert any("Rate: 29.0%" in x and "(numerator): 70" in x and ": 241" in x for x in three)
    rows = {r["month"]: r for r in series(sample_con, Query.of(OCTOBER, scope=Scope(("2.1",))))}
    drawn = set()
    for label in _tooltips(trend):
        month = re.search(r"Month: (\d{4}-\d\d)", label).group(1)
        measure = re.search(r"Measure: ([A-Za-z0-9 ]+);", label).group(1)
        num = int(re.search(r"\(numerator\): ([\d,]+)", label).group(1).replace(",", ""))
        den = int(re.search(r"\(denominator\): ([\d,]+)", label).group(1).replace(",", ""))
        r = rows[month]
        want = (
            (r["abstinent_at_discharge"], r["abstinent_paired"])
            if measure == "Abstinent at discharge"
            else (r["reached_3m"], r["due_3m"])
        )
        assert (num, den) == want, label
        drawn.add((month, measure))
    assert len(drawn) == 24
    assert (rows["2026-10"]["abstinent_paired"], rows["2026-10"]["due_3m"]) == (11, 241)


def test_sentences_say_what_the_figures_mean_and_what_they_are_not(reports):
    html = (reports["internal"] / "monthly_report.html").read_text()
    rec = _text(_section(html, "Recovery: substance use and life domains"))
    # completeness first, then the shares, then those using at admission (Wilson 2/11, 9/11,
    # 8/9 written out: 5%-48%, 52%-95%, 57%-98%)
    assert (
        "Of the 16 episodes that ended this period, 15 have the TEDS items recorded at admission "
        "and 14 at discharge; use of the primary substance is known at both for 11 (68.8%, data "
        "completeness), and only those count. Of them, 18.2% reported no use in the 30 days "
        "before admission and 81.8% in the 30 days before discharge (+64 pts). Of the 9 who "
        "were using at admission, 88.9% (57% – 98%) used less often at discharge or stopped."
    ) in rec
    assert "No use of the primary substance 11 68.8% 18.2% 5% – 48% 81.8% 52% – 95% +64 pts" in rec
    assert "self-reported" in rec and "There is no comparison group" in rec
    assert "not an effect of treatment" in rec
    after = _text(_section(html, "After discharge"))
    assert (
        "At 3 months, 126 of the 241 due were reached (52.3%). Of those reached who answered, "
        "58.8% reported no use in the past 30 days; counting everyone not reached as using, "
        "29.0% of all those due did."
    ) in after
    assert "self-reported" in after and "rarely like those who do not" in after
    assert "no comparison group, so neither is an effect of treatment" in after
    # the split of those not reached, and the deaths follow-up found (internal only)
    assert "3 months (60–134) 241 126 52.3% 46% – 59% 19 78 1 17 58.8% of 119" in after
    assert "Internal only: follow-up found 1 death among those due at 1 month" in after


def test_the_first_page_tiles_lead_with_the_outcomes(reports):
    html = (reports["internal"] / "monthly_report.html").read_text()
    tiles = re.findall(r'<div class="tile"><div class="label">([^<]*)</div>', html)
    assert tiles == [
        "Reliable improvement",
        "Recovery (PHQ-9/GAD-7)",
        "Abstinent at discharge",
        "Reached at 3 months",
        "Active census",
        "Admissions",
        "Discharges",
        "Attendance rate",
        "Client-weeks at ASAM hours",
        "Completion rate",
        "Estimated 90-day retention",
        "Step-down rate",
    ]
    three = html.split("Reached at 3 months</div>")[1].split('<div class="tile">')[0]
    assert '<span class="r">52.3%</span>' in three
    # abstinence at 3 months never without the response and the everyone-counted figure
    assert _text(three).startswith("52.3%") and (
        "no use: 58.8% of those reached, 29.0% of all due (not reached = using)" in _text(three)
    )


def test_the_external_copy_shows_no_death_and_the_auditor_recovers_nothing(
    reports, october_gathered
):
    """External: no deaths (each window's deceased and not_reached hidden, their sum shown), no
    count of 1 to 10; the auditor, with recovery.md's identities read from the spec, pins no
    hidden small count and no death from the metrics.json, nor from it with the frames the
    report publishes beside it (the monthly series' new columns included)."""
    html = (reports["external"] / "monthly_report.html").read_text()
    after = _section(html, "After discharge")
    assert "Died" not in after and "Internal only" not in after and " deaths" not in after
    assert "Not reached (tried, or died)" in after
    doc = json.loads((reports["external"] / "metrics.json").read_text())
    hidden = doc["suppression"]["hidden"]
    for w in ("1m", "3m", "6m", "12m"):
        assert (
            doc["follow_up"][w]["deceased"] is None and doc["follow_up"][w]["not_reached"] is None
        )
        assert hidden[f"follow_up.{w}.deceased"] == "internal"
    truth = leaves(json.loads((reports["internal"] / "metrics.json").read_text()))
    found = audit(doc)
    assert not found.small(11, truth) and not found.deaths(truth)
    d = october_gathered  # gather(sample_con, the program's 2026-10, suppress=11), read once
    labels = {c: r for c, r in d.reasons.items() if "[" in c}
    found = audit(doc, tables=d.published(), context=d.context(), labels=labels)
    assert not found.small(11) and not found.deaths()
    assert "monthly[2026-10].abstinent_at_discharge" in d.reasons  # 9: small, hidden


def test_the_auditor_would_find_deaths_left_to_a_sum():
    """The control: with only the deaths hidden (not_reached shown), due less the other four
    gives them back; with not_reached hidden too, nothing pins them."""
    window = {
        "due": 40, "reached": 20, "not_reached": 12, "declined": None, "deceased": None,
        "not_attempted": 3, "response_rate": 0.5,
    }  # fmt: skip
    doc = {
        "follow_up": {"3m": dict(window, declined=2)},
        "suppression": {"k": 11, "hidden": {"follow_up.3m.deceased": "internal"}},
    }
    doc["follow_up"]["3m"]["declined"] = None
    doc["suppression"]["hidden"]["follow_up.3m.declined"] = "small"
    assert audit(doc).deaths() == {}  # declined + deceased = 5: neither pinned
    doc["follow_up"]["3m"]["declined"] = 2
    del doc["suppression"]["hidden"]["follow_up.3m.declined"]
    assert audit(doc).deaths() == {"follow_up.3m.deceased": 3}
    doc["follow_up"]["3m"]["not_reached"] = None
    doc["suppression"]["hidden"]["follow_up.3m.not_reached"] = "complementary"
    assert audit(doc).deaths() == {}


@pytest.mark.parametrize("noms", ["absent", "header only"])
def test_a_database_without_noms_rows_renders_and_says_the_table_was_not_shipped(tmp_path, noms):
    data = tmp_path / "data"
    data.mkdir()
    for f in SAMPLE.glob("*.csv"):
        if f.name != "noms.csv":
            shutil.copy(f, data / f.name)
    if noms == "header only":
        header = (SAMPLE / "noms.csv").read_text().splitlines()[0]
        (data / "noms.csv").write_text(header + "\n")
    db = tmp_path / "iop.duckdb"
    load(data, db)
    out = tmp_path / "reports"
    args = ["report", "--db", str(db), "--period", "2026-10", "--formats", "html"]
    assert main([*args, "--out", str(out)]) == 0
    html = (out / "2026-10" / "monthly_report.html").read_text()
    rec = _text(_section(html, "Recovery: substance use and life domains"))
    assert rec.startswith("Recovery: substance use and life domains No noms table was shipped")
    after = _text(_section(html, "After discharge"))
    assert "No noms table was shipped, so there are no follow-up contacts to count." in after
    assert "<figure" not in _section(html, "Recovery: substance use and life domains")
    tile = html.split("Abstinent at discharge</div>")[1].split("</div></div>")[0]
    assert "no noms table shipped" in tile


def test_the_benchmark_s_move_is_beside_the_program_s(sample_con, tmp_path):
    """With a TEDS-D benchmark carrying the discharge twins (test_teds_recovery's hand-built
    2019 file, Texas as the program's state), each domain's table rows and dumbbell set the
    state's and the nation's paired figures beside the program's; a domain under 30 paired
    says withheld."""
    from test_teds_recovery import _twin_file

    bench = tmp_path / "teds.json"
    args = ["benchmark", "teds-d", str(_twin_file(tmp_path)), "--state", "48", "--out"]
    assert main([*args, str(bench)]) == 0
    d = gather(sample_con, Query.of(OCTOBER, scope=Scope(("2.1",))), benchmark=str(bench))
    html = recovery(d)
    text = _text(html)
    # the nation: no use 10 -> 49 of 69 paired (14.5% -> 71.0%, +57 points); Texas withheld
    assert "TEDS-D 2019, United States 69 14.5% 71.0% +57 pts" in text
    assert "TEDS-D 2019, Texas withheld (fewer than 30 discharges known at both)" in text
    # Texas, employed or student: 0 -> 5 of 30 (0.0% -> 16.7%)
    assert "TEDS-D 2019, Texas 30 0.0% 16.7% +17 pts" in text
    [moves] = re.findall(r'<figure class="chart">(.*?)</figure>', html, flags=re.S)
    assert "beside TEDS-D 2019, Texas and TEDS-D 2019, United States" in moves
    sources = {
        re.search(r"Source: ([^;]*);", x).group(1) for x in _tooltips(dom_of(moves, tmp_path))
    }
    assert sources == {"This program", "TEDS-D 2019, Texas", "TEDS-D 2019, United States"}


def dom_of(fragment: str, tmp_path: Path) -> str:
    page = tmp_path / "fragment.html"
    page.write_text(f"<html><body>{fragment}</body></html>")
    return dom(page)


def test_recovery_sections_without_ended_episodes_or_due_windows(sample_con):
    """A month before the sample's records (noms rows were shipped, but nothing ended and
    nobody is due): each section says so, with no chart."""
    d = gather(sample_con, Query.of(parse_period("2020-01"), scope=Scope(("2.1",))))
    assert d.doc["noms"]["ended"] == 0 and d.doc["follow_up"]["3m"]["due"] == 0
    rec, after = recovery(d), after_discharge(d)
    assert "No episode ended this period, so there is no admission-to-discharge figure." in rec
    assert "No one's follow-up window closed in the 12 months" in after
    assert "<figure" not in rec + after


def test_sites_compare_abstinent_at_discharge_and_the_3_month_response_raw(sample_con):
    """The raw funnels' counts are each site's document figures: abstinent at discharge over
    the paired episodes ended in the window, the 3-month response over the due (a rolling
    cohort: the windows closed in the 12 months, the month's document's); no case-mix model."""
    q = Query.of(OCTOBER, scope=Scope(("2.1",)))
    for site in ("main", "north"):
        mine = document(sample_con, Query.of(OCTOBER, scope=Scope(("2.1",), site)))
        month = cmp.compare_sites(
            sample_con, q, "abstinent_discharge", adjust=False, window="period"
        )
        [row] = month.sites[month.sites["site"] == site].to_dict("records")
        a = mine["noms"]["abstinent"]
        assert (row["n"], row["observed"]) == (a["paired"], a["at_discharge"])
        for window in ("period", "12m"):
            c = cmp.compare_sites(sample_con, q, "response_3m", adjust=False, window=window)
            [row] = c.sites[c.sites["site"] == site].to_dict("records")
            f = mine["follow_up"]["3m"]
            assert (row["n"], row["observed"]) == (f["due"], f["reached"])
    year = cmp.compare_sites(sample_con, q, "abstinent_discharge", adjust=False)
    assert (year.n, year.observed) == (137, 93) and not year.adjusted
    with pytest.raises(ValueError, match="no case-mix model"):
        cmp.compare_sites(sample_con, q, "response_3m")


def test_each_section_renders_alone_for_the_sample(october_gathered):
    d = october_gathered  # gather(sample_con, the program's 2026-10, suppress=11), read once
    text = _text(recovery(d) + after_discharge(d))
    assert "suppressed" in text and "Internal only" not in text


@pytest.mark.parametrize("period", ["2026-10", "2026-Q3", "2025-12"])
def test_the_recovery_identities_hold_and_their_rests_are_counts(sample_con, period):
    """Every equation of a report's one model (document and published frames) holds on the
    exact figures, the new ones included (the ended episodes are the discharges; a month's
    rolling 3-month follow-up is the period's; the months' paired episodes sum to it), and
    every count it derives for the recovery figures (unpaired, admission only, kept, stayed
    negative, unknown, negative) is a count: none is below 0."""
    from iop_metrics.report.figures import exact

    for scope in (Scope(("2.1",)), Scope(None, "north")):
        cells = exact(sample_con, Query.of(parse_period(period), scope=scope)).cells()
        v = cells.values
        for eq in cells.exact:
            assert sum(a * v[c] for c, a in eq.items()) == 0, eq
        rec = {c: x for c, x in v.items() if "noms" in c or "follow_up" in c or "_3m" in c}
        assert len(rec) > 150 and min(rec.values()) >= 0, min(rec.items(), key=lambda t: t[1])
        names = {c for eq in cells.exact for c in eq}
        assert {"noms.ended", "discharges.total", "~noms:housed:stayed_negative"} <= names
        # the rolling identity: the period's last month's row is the period's own figure
        last = {"2026-10": "2026-10", "2026-Q3": "2026-09", "2025-12": "2025-12"}[period]
        assert {"follow_up.3m.due": -1, f"monthly[{last}].due_3m": 1} in cells.exact


def test_abstinence_among_those_reached_is_never_shown_alone():
    """recovery.md: the report never shows abstinence among those reached without the response
    rate and abstinence counting everyone not reached beside it; a copy where suppression hid
    one of those (the due, say) leaves it out too."""
    from iop_metrics.report.recovery import beside

    shown = {"response_rate": 0.5, "abstinent_rate_all": 0.3, "abstinent_rate_responders": 0.6}
    assert beside(shown) == shown
    for gone in ("response_rate", "abstinent_rate_all"):
        assert beside({**shown, gone: None})["abstinent_rate_responders"] is None
