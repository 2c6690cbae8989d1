"""`iop-metrics run` end to end over data/sample: two runs of one config share this module.

The first run has one report forced to fail (a file stands where its folder must go); the
second, after the obstacle is gone, writes everything. Real load, papermill, Chromium.
"""

from __future__ import annotations

import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest
from conftest import SAMPLE
from helpers import axe, once_per_session, sha256
from helpers import dom as _dom

from iop_metrics.cli import main
from iop_metrics.report.request import Request

SCOPES = ("all", "main", "north")


def _tree(root: Path) -> list[str]:
    return sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )


# The two runs are the expensive part: all of this module on one worker, and built once per
# session even so (``once_per_session``), since every test here only reads what they wrote.
pytestmark = pytest.mark.xdist_group("run")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    return once_per_session(tmp_path_factory, "test_run", _two_runs)


def _two_runs(root: Path) -> dict:
    cfg = root / "conf" / "iop-metrics.toml"
    cfg.parent.mkdir()
    export = os.path.relpath(SAMPLE, cfg.parent)
    cfg.write_text(
        f"""[data]
export = "{export}"
db = "../data/iop.duckdb"

[reports]
period = "2026-10"
out = "../reports"
sites = "each"
audiences = ["internal", "external"]
suppress = 11
formats = ["html", "pdf"]
program = "Riverside Recovery IOP"
paper = "a4"
"""
    )
    out = root / "reports"
    blocker = out / "2026-10" / "north" / "external"
    blocker.parent.mkdir(parents=True)
    blocker.write_text("a file where the report's folder must go\n")
    first = main(["run", str(cfg)])
    after_first = _tree(out)
    metrics_first = {p: sha256(out / p) for p in after_first if p.endswith("metrics.json")}
    blocker.unlink()
    second = main(["run", str(cfg)])
    return {
        "cfg": cfg,
        "out": out,
        "db": root / "data" / "iop.duckdb",
        "codes": (first, second),
        "after_first": after_first,
        "metrics_first": metrics_first,
    }


def test_a_failing_report_is_isolated_and_the_run_exits_1(runs):
    assert runs["codes"] == (1, 0)
    first = runs["after_first"]
    assert not any(p.startswith("2026-10/north/external/") for p in first)
    for scope in SCOPES:
        for audience in ("internal", "external"):
            if (scope, audience) != ("north", "external"):
                assert f"2026-10/{scope}/{audience}/monthly_report.pdf" in first
    assert {"index.html", "runs.jsonl", "2026-10/sites.html"} <= set(first)
    lines = [json.loads(x) for x in (runs["out"] / "runs.jsonl").read_text().splitlines()]
    assert [x["status"] for x in lines] == ["failed", "ok"]
    failed = [r for r in lines[0]["reports"] if r["status"] != "ok"]
    assert [r["path"] for r in failed] == ["2026-10/north/external/"]
    assert "FileExistsError" in failed[0]["error"]
    for entry in lines:
        assert entry["period"] == "2026-10" and entry["config_sha256"] == sha256(runs["cfg"])
        assert re.fullmatch(r"[0-9a-f]{64}", entry["snapshot"])
        assert entry["start"] <= entry["end"]
        assert len(entry["reports"]) == 8  # 3 scopes x 2 audiences + 2 site pages


def test_every_report_names_the_program_and_prints_on_the_configured_paper(runs):
    """The config's `program` is in each report's header; its `paper` (a4 here) sizes each PDF."""
    import subprocess

    for scope in SCOPES:
        for audience in ("internal", "external"):
            folder = runs["out"] / "2026-10" / scope / audience
            html = (folder / "monthly_report.html").read_text()
            assert "<tr><th>Program</th><td>Riverside Recovery IOP</td></tr>" in html
            site = "all sites" if scope == "all" else scope
            assert f"<tr><th>Site</th><td>{site}</td></tr>" in html
            info = subprocess.run(
                ["pdfinfo", str(folder / "monthly_report.pdf")],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            assert "594.96 x 841.92 pts (A4)" in info
    for name in ("sites.html", "sites-external.html"):
        page = (runs["out"] / "2026-10" / name).read_text()
        assert "<h1>Riverside Recovery IOP: sites compared, 2026-10</h1>" in page
        assert "levels of care Intensive outpatient (2.1); every site" in page


def test_layout_of_a_complete_run(runs):
    files = _tree(runs["out"])
    expected = ["index.html", "runs.jsonl", "2026-10/sites.html", "2026-10/sites-external.html"]
    expected.append("2026-10/sites.json")
    for scope in SCOPES:
        for audience in ("internal", "external"):
            for name in ("metrics.json", "monthly_report.html", "monthly_report.ipynb"):
                expected.append(f"2026-10/{scope}/{audience}/{name}")
            expected.append(f"2026-10/{scope}/{audience}/monthly_report.pdf")
    assert files == sorted(expected)
    assert not list(runs["out"].glob(".run-*")), "the pinned snapshot is removed"
    doc = json.loads((runs["out"] / "2026-10/north/internal/metrics.json").read_text())
    assert doc["scope"]["site"] == "north" and doc["scope"]["levels_of_care"] == ["2.1"]
    ext = json.loads((runs["out"] / "2026-10/all/external/metrics.json").read_text())
    assert ext["suppression"]["k"] == 11


def test_every_page_of_the_run_passes_axe_core(runs):
    """Every page a reader of the run opens, each scope internal and external, the sites pages
    and the index: no serious or critical accessibility violation (the run's own renders)."""
    pages = sorted(runs["out"].rglob("*.html"))
    assert len(pages) == 2 * len(SCOPES) + 3, pages
    bad = {
        p.relative_to(runs["out"]).as_posix(): [(v["id"], v["impact"]) for v in found]
        for p in pages
        if (found := [v for v in axe(p) if v["impact"] in ("serious", "critical")])
    }
    assert not bad, bad


def test_sites_page_reads_in_words_keeps_labels_apart_and_does_not_adjust_attendance(runs):
    html = (runs["out"] / "2026-10" / "sites.html").read_text()
    merged = re.findall(
        r"Merged into their factor's most common level \([^)]*\): ([^<]*?)\.(?=\n|</p>)", html
    )
    assert merged, "the sample's models merge levels"
    assert all("=" not in m and "_" not in m for m in merged), merged
    assert "sex: unknown" in " ".join(merged)  # sex=U, age_band=unknown read as words
    sections = dict(re.findall(r'<section class="part" id="([a-z_0-9]+)">(.*?)</section>', html,
                               flags=re.S))  # fmt: skip
    assert "Adjusted rate</th>" in sections["completion"]
    assert "Adjusted rate" not in sections["attendance"]  # a raw rate: not adjusted
    # no two site labels of one funnel are drawn over each other (11px text, ~6.5px a letter)
    for fig in re.findall(r"<svg.*?</svg>", html, flags=re.S):
        labels = [
            (float(x), float(y), len(name))
            for x, y, name in re.findall(
                r'<text aria-label="[^"]*label: [^"]*"[^>]*translate\(([\d.]+),([\d.]+)\)[^>]*>'
                r"([^<]+)</text>",
                fig,
            )
        ]
        for i, (x1, y1, n1) in enumerate(labels):
            for x2, y2, n2 in labels[i + 1 :]:
                apart = x1 + 6.5 * n1 <= x2 or x2 + 6.5 * n2 <= x1 or abs(y1 - y2) >= 12.9
                assert apart, (labels, fig[:200])


def test_funnel_labels_move_down_a_line_only_where_they_would_overlap():
    import pandas as pd

    from iop_metrics.report.charts.sites import spread_labels

    # north and main 8.9 px apart on a 230 px chart: main goes exactly one line (13 px) below
    df = pd.DataFrame({"x": [93.0, 95.0, 10.0], "y": [0.6559139784946236, 0.6210526315789474,
                       0.62], "label": ["north", "main", "far"]})  # fmt: skip
    out = spread_labels(df, x_span=109.25, y_span=0.9)
    px = [(1 - y / 0.9) * 230 for y in out["label_y"]]
    assert round(px[1] - px[0], 6) == 13.0
    assert list(out["label_y"][[0, 2]]) == [0.6559139784946236, 0.62]  # not in the way: kept


def test_rerun_writes_byte_identical_metrics(runs):
    assert len(runs["metrics_first"]) == 5
    for path, digest in runs["metrics_first"].items():
        assert sha256(runs["out"] / path) == digest, path


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.hrefs += [v for k, v in attrs if k in ("href", "src") and v]


def test_index_links_every_file_and_every_link_resolves(runs):
    out = runs["out"]
    html = (out / "index.html").read_text()
    parser = _Links()
    parser.feed(html)
    targets = {unquote(h) for h in parser.hrefs}
    for h in targets:
        assert not re.match(r"^[a-z]+:|^/", h), h
        assert (out / h).is_file(), h
    assert targets == set(_tree(out)) - {"index.html", "runs.jsonl"}
    assert "<script" not in html.lower()
    assert "Last run" in html and "every report written" in html


def test_the_two_90_day_figures_are_named_apart_wherever_a_reader_sees_them(runs):
    """The report's and the index's Kaplan-Meier estimate (everyone admitted in 12 months,
    followed as long as they have been) and the sites page's yes/no over the admissions whose
    90 days have passed are different figures: the first reads "Estimated 90-day retention"
    everywhere, the second "Not disengaged within 90 days", and the sites page says why it
    differs from the report's. No page calls either by a bare or the other's name."""
    from html import unescape

    out = runs["out"]
    index = unescape((out / "index.html").read_text())
    sites = unescape((out / "2026-10" / "sites.html").read_text())
    reports = [
        unescape((out / f"2026-10/{scope}/{audience}/monthly_report.html").read_text())
        for scope in SCOPES
        for audience in ("internal", "external")
    ]
    assert "<th>Estimated 90-day retention</th>" in index
    for html in reports:
        assert '<div class="label">Estimated 90-day retention</div>' in html
        assert "<td>Estimated 90-day retention</td>" in html  # the rates table
        assert "<dt>Estimated 30/60/90-day retention</dt>" in html  # the definitions
    part = sites.split('id="retained_90d"')[1].split("</section>")[0]
    assert "<h2>Not disengaged within 90 days</h2>" in part
    assert "not the monthly report's estimated 90-day retention and differs from it" in part
    assert "Kaplan–Meier estimate that also counts the people admitted less than 90" in part
    for html in (index, sites, *reports):
        assert "Retained 90 days" not in html
        bare = re.findall(r"(?i)(?<!estimated )(?<!estimated 30/60/)\b90-day retention", html)
        assert not bare, bare


def test_sites_page_draws_an_adjusted_and_a_raw_funnel_per_measure_offline(runs, capsys):
    page = runs["out"] / "2026-10" / "sites.html"
    dom = _dom(page)
    figures = re.findall(r'<figure class="chart">(.*?)</figure>', dom, flags=re.S)
    # completion, retained 90 days, step-down, reliable improvement, recovery: adjusted and
    # raw; attendance, abstinent at discharge and the 3-month response raw
    assert len(figures) == 13
    for fig in figures:
        assert "<svg" in fig and len(re.findall(r"<path\b", fig)) > 10, "an empty funnel"
        assert "main" in fig and "north" in fig  # the site labels
    text = page.read_text()
    assert "No site is outside the 99.8% limits" in text
    assert "Case-mix adjustment accounts only for what was measured" in text
    assert "Adjusted for: age band, sex, primary substance, payer, referral source." in text
    assert "Model quality" in text and "fewer than 8, so the between-site spread" in text
    # Each site's attendance in the period, read from its own metrics.json.
    attendance = text.split('id="attendance"')[1].split("The period alone")[1]
    for site in ("main", "north"):
        doc = json.loads((runs["out"] / f"2026-10/{site}/internal/metrics.json").read_text())
        a = doc["attendance"]
        row = re.search(rf"<tr><td>{site}</td><td>(.*?)</tr>", attendance, flags=re.S).group(1)
        assert f'<span class="n">{a["attended"]:,}</span>' in row
        den = a["attended"] + a["no_show"] + a["cancelled_client"]
        assert f'<span class="n">{den:,}</span>' in row
    # The 3-month response (raw, recovery.md): each site's period row is its document's
    # follow_up.3m (the windows closed in the 12 months to the period's end).
    response = text.split('id="response_3m"')[1].split("The period alone")[1]
    for site in ("main", "north"):
        doc = json.loads((runs["out"] / f"2026-10/{site}/internal/metrics.json").read_text())
        f = doc["follow_up"]["3m"]
        row = re.search(rf"<tr><td>{site}</td><td>(.*?)</tr>", response, flags=re.S).group(1)
        assert f'<span class="n">{f["due"]:,}</span>' in row
        assert f'<span class="n">{f["reached"]:,}</span>' in row
    assert "<h2>Abstinent at discharge</h2>" in text and "<h2>Reached at 3 months</h2>" in text
    # sites.json beside the page is what `iop-metrics sites` prints for the same data
    saved = json.loads((runs["out"] / "2026-10" / "sites.json").read_text())
    capsys.readouterr()
    assert main(["sites", "--db", str(runs["db"]), "--period", "2026-10"]) == 0
    assert json.loads(capsys.readouterr().out) == saved
    assert saved["measures"]["completion"]["network"]["n"] == 244


def _no_small_counts(html: str) -> None:
    spans = re.findall(r'<span class="n( sup)?">([^<]*)</span>', html)
    assert spans
    for _, text in spans:
        if text.startswith("&lt;") or text in ("—", "0", "suppressed"):
            continue
        assert int(text.replace(",", "")) >= 11, text
    for label in re.findall(r'aria-label="([^"]*)"', html):
        axes = r"Denominator|n|Eligible \([^)]*\)|Case-mix-equivalent size \(n\*\)"
        for title, value in re.findall(rf"(?<![\w-])({axes}): ([0-9.,]+)", label):
            v = float(value.replace(",", ""))
            assert v == 0 or v >= 11, f"{title}: {value}"


def _section(page: str, title: str) -> str:
    return page.split(f"<h2>{title}</h2>")[1].split("<h2>")[0]


def _twelve_month_n(page: str, title: str) -> dict[str, str]:
    """The n column of a measure's 12-month table on the sites page, by row (site, Program)."""
    table = _section(page, title).split("<table")[1].split("</table>")[0]
    rows = re.findall(
        r'<tr[^>]*><(?:td|th scope="row")>([^<]+)</t[dh]><td><span class="n[^"]*">([^<]*)</span>',
        table,
    )
    return dict(rows)


def test_external_copies_show_no_count_of_1_to_10(runs):
    out = runs["out"]
    sites_page = (out / "2026-10" / "sites-external.html").read_text()
    assert "small-cell suppression on" in sites_page
    assert '<span class="n sup">&lt;11</span>' in sites_page, "the sample's sites have small cells"
    assert "are not plotted" in sites_page
    _no_small_counts(sites_page)
    # Completion: each site has 8 discharges in 2026-10, so the period's counts are hidden.
    completion = _section(sites_page, "Completion rate")
    month = completion.split("The period alone")[1]
    assert month.count('<span class="n sup">&lt;11</span>') == 4
    # The 12 months' discharges (completion's n) less the determined ones (step-down's n) are
    # this month's pending discharges (the program 9, main 3, north 6: every earlier month's
    # 14-day window has closed), so no row shows both (issue 30's pattern). The run keeps
    # completion's, whose funnels (adjusted and raw) are drawn for both sites, and hides
    # step-down's in every row (#30 item 5: it hid the program's and main's completion n too,
    # with the retention cohort); the 90-day measure, with no such tie, is drawn as well.
    twelve = {m: _twelve_month_n(sites_page, m) for m in ("Completion rate", "Step-down rate")}
    assert twelve["Completion rate"] == {"main": "122", "north": "122", "Program": "244"}
    assert set(twelve["Step-down rate"].values()) == {"suppressed"}
    for row, n in twelve["Completion rate"].items():
        assert "suppressed" in (n, twelve["Step-down rate"][row]), (row, n)
    drawn = {
        m: _section(sites_page, m).count('aria-roledescription="point"')
        for m in ("Completion rate", "Step-down rate", "Not disengaged within 90 days")
    }
    assert drawn == {"Completion rate": 4, "Step-down rate": 0, "Not disengaged within 90 days": 4}
    for scope in SCOPES:
        folder = out / "2026-10" / scope / "external"
        _no_small_counts((folder / "monthly_report.html").read_text())
        doc = json.loads((folder / "metrics.json").read_text())

        def walk(node):
            for v in node.values():
                if isinstance(v, dict):
                    yield from walk(v)
                else:
                    yield v

        body = {k: v for k, v in doc.items() if k != "suppression"}
        assert not [v for v in walk(body) if type(v) is int and 1 <= v <= 10]


def test_a_run_keeps_the_retention_a_director_needs_in_its_external_reports(runs):
    """#30 item 5: read together with its sites and the sites page, the program's external
    report shows its retention cohort and the 30/60/90-day estimates over it at the whole
    percent (the run hid all four: the cohort was cut to protect main's 7 determined March
    discharges before a trend cell that does the same); main's 90-day estimate stands for 1
    disengagement since day 60 among 58 at risk, which the whole percent pins: hidden."""
    ext = {
        s: json.loads((runs["out"] / "2026-10" / s / "external" / "metrics.json").read_text())
        for s in SCOPES
    }
    days = ("cohort_admissions", "day_30", "day_60", "day_90")
    shown = {s: tuple(ext[s]["retention"][d] for d in days) for s in SCOPES}
    assert shown == {  # the cohorts of 252, 125 and 127, printed to the nearest ten
        "all": (250, 0.71, 0.66, 0.65),
        "main": (130, 0.7, 0.67, None),
        "north": (130, 0.71, 0.66, 0.65),
    }
    assert ext["main"]["suppression"]["hidden"]["retention.day_90"] == "estimate"


def test_the_external_reports_read_together_leak_nothing(runs):
    """The run protects the program's and its sites' external reports as one model
    (``disclosure.linked``): each external notebook was given its share of that plan (its
    request's ``hide``), and
    the three metrics.json read together, the program's counts as the sums of the sites'
    wherever the exact figures add up, give away no count of 1 to 10."""
    from registry_auditor import Source, audit_many, leaves

    from iop_metrics.disclosure import relations as ids

    out = runs["out"] / "2026-10"
    shares = {}
    for scope in SCOPES:
        for audience in ("internal", "external"):
            nb = json.loads((out / scope / audience / "monthly_report.ipynb").read_text())
            injected = next(
                "".join(c["source"])
                for c in nb["cells"]
                if "injected-parameters" in c["metadata"].get("tags", [])
            )
            found = re.search(r"^request = (.*)$", injected, re.M)
            assert found, scope  # one parameter, the report's request
            share = Request.from_json(json.loads(found.group(1))).hide
            if audience == "internal":
                assert share == {}, scope
            elif share:
                shares[scope] = share
    assert shares.get("main") or shares.get("north"), shares
    ext = {s: json.loads((out / s / "external" / "metrics.json").read_text()) for s in SCOPES}
    exact = {
        s: leaves(json.loads((out / s / "internal" / "metrics.json").read_text())) for s in SCOPES
    }
    for s in SCOPES:
        assert set(ext[s]["suppression"]["hidden"]) >= set(shares.get(s, {})), s
    sites = [s for s in SCOPES if s != "all"]
    truth = {f"{s}:{c}": v for s in SCOPES for c, v in exact[s].items() if type(v) is int}
    extra = tuple(
        ids.Sum(f"all:{c}", tuple(f"{s}:{c}" for s in sites))
        for c, v in exact["all"].items()
        if type(v) is int
        and v
        and all(type(exact[s].get(c)) is int for s in sites)
        and sum(exact[s][c] for s in sites) == v
    )
    found = audit_many([Source(f"{s}:", ext[s]) for s in SCOPES], 11, extra=extra)
    assert not found.small(11, truth)


def test_dry_run_after_a_run_changes_nothing(runs, capsys):
    out = runs["out"]
    before = {p: sha256(out / p) for p in _tree(out)}, sha256(runs["db"])
    assert main(["run", str(runs["cfg"]), "--period", "2026-09", "--dry-run"]) == 0
    printed = capsys.readouterr().out
    assert "2026-09/north/external" in printed and "dry run" in printed
    assert ({p: sha256(out / p) for p in _tree(out)}, sha256(runs["db"])) == before
    assert not (out / "2026-09").exists()
