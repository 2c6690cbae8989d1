"""The report end to end: papermill, offline HTML in Chromium, PDF, suppression, failure."""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from helpers import axe, sha256
from helpers import dom as _dom
from registry_auditor import audit

from iop_metrics.cli import main
from iop_metrics.compute.query import Query, Scope
from iop_metrics.ingest.load import load
from iop_metrics.ingest.sample import generate
from iop_metrics.report.build import find_chromium
from iop_metrics.report.charts import COUNT_TITLES
from iop_metrics.report.request import Request, from_parameters

CHROMIUM = find_chromium()
# These tests share module-scoped report runs: under pytest-xdist (make test: --dist loadgroup)
# this mark asks for one worker, so that each run happens once. pytest 9.2 with xdist 3.8 does
# not honour group marks yet (loadgroup then acts as load, and a run may happen on both workers);
# still faster here than --dist loadscope, which puts the four hypothesis tests on one worker.
pytestmark = pytest.mark.xdist_group("report")


@pytest.fixture()
def browser() -> str:
    """Chromium and poppler are required, never skipped: `.ci/run` installs them."""
    assert CHROMIUM and shutil.which("pdfinfo"), "apt-get install -y chromium poppler-utils"
    return CHROMIUM


@pytest.fixture(scope="module")
def monthly(october_internal) -> Path:
    """`iop-metrics report --period 2026-10` of the sample, HTML and PDF (conftest)."""
    return october_internal


def test_report_writes_every_output_and_nothing_else(monthly):
    names = sorted(p.name for p in monthly.iterdir())
    assert names == [
        "metrics.json",
        "monthly_report.html",
        "monthly_report.ipynb",
        "monthly_report.pdf",
    ]
    assert not list(monthly.parent.glob(".tmp-*"))


def test_metrics_json_equals_the_cli_document(monthly, sample_db, capsys):
    assert main(["metrics", "--db", str(sample_db), "--period", "2026-10"]) == 0
    cli = json.loads(capsys.readouterr().out)
    written = json.loads((monthly / "metrics.json").read_text())
    assert written == cli
    assert json.dumps(written) == json.dumps(cli)  # same key order as the spec's document


def test_html_is_self_contained_and_shows_no_code(monthly):
    html = (monthly / "monthly_report.html").read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html, flags=re.I)
    assert not re.search(r"@import|url\(\s*['\"]?(https?:)?//", html, flags=re.I)
    assert "<script" not in html.lower()
    assert "from_parameters" not in html and "display(HTML" not in html  # no code cells
    for heading in (
        "Attendance",
        "Census and flow",
        "Retention",
        "Continuity of care",
        "Outcomes: did people get better?",
        "Data quality",
        "Definitions",
    ):
        assert f"<h2>{heading}" in html


def test_every_chart_draws_in_chromium_with_no_network(monthly, browser):
    html = monthly / "monthly_report.html"
    source_figures = html.read_text().count('<figure class="chart">')
    assert source_figures >= 15  # 8 sparklines and the section charts
    dom = _dom(html)
    figures = re.findall(r'<figure class="chart">(.*?)</figure>', dom, flags=re.S)
    assert len(figures) == source_figures
    for fig in figures:
        assert "<svg" in fig
        assert len(re.findall(r"<(path|rect|line|text)\b", fig)) > 3, "an empty chart"


def test_pdf_is_letter_by_default_with_the_expected_pages(monthly, browser):
    pdf = monthly / "monthly_report.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    pages = int(re.search(r"Pages:\s+(\d+)", info.stdout).group(1))
    assert 4 <= pages <= 17  # 16 on the sample since the two recovery sections (#29)
    assert "612 x 792 pts (letter)" in info.stdout  # US Letter, 8.5 x 11 in
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    for heading in ("IOP Monthly Report", "Attendance", "Retention", "Definitions"):
        assert heading in text


def test_header_without_a_program_name_says_how_to_give_one(monthly):
    html = (monthly / "monthly_report.html").read_text()
    assert '<tr><th>Program</th><td><span class="sup">not named' in html
    assert "<tr><th>Site</th><td>all sites</td></tr>" in html


def test_paper_a4_and_program_name_on_the_command_line(sample_db, tmp_path, browser):
    """`--paper a4` prints an A4 PDF (A4 is 210 x 297 mm = 595 x 842 pt), `--program-name` puts
    the name in the header, of the PDF too; neither changes a figure of metrics.json."""
    argv = ["report", "--db", str(sample_db), "--period", "2026-10", "--out", str(tmp_path)]
    name = "Riverside Recovery IOP"
    assert main([*argv, "--paper", "a4", "--program-name", name, "--formats", "pdf"]) == 0
    pdf = tmp_path / "2026-10" / "monthly_report.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    assert "594.96 x 841.92 pts (A4)" in info.stdout
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert f"Program {name}" in " ".join(text.split())
    assert not (tmp_path / "2026-10" / "monthly_report.html").exists()


def test_a_paper_size_other_than_letter_or_a4_is_bad_input(sample_db, tmp_path, capsys):
    argv = ["report", "--db", str(sample_db), "--period", "2026-10", "--out", str(tmp_path)]
    assert main([*argv, "--paper", "legal"]) == 2
    assert "--paper: invalid choice: 'legal'" in capsys.readouterr().err
    assert not (tmp_path / "2026-10").exists()


def test_executed_notebook_is_kept_with_its_parameters(monthly):
    nb = json.loads((monthly / "monthly_report.ipynb").read_text())
    tags = [t for c in nb["cells"] for t in c.get("metadata", {}).get("tags", [])]
    assert "injected-parameters" in tags
    injected = next(c for c in nb["cells"] if "injected-parameters" in c["metadata"]["tags"])
    [line] = "".join(injected["source"]).splitlines()[1:]  # one parameter: the whole request
    name, _, value = line.partition(" = ")
    assert (
        name == "request" and Request.from_json(ast.literal_eval(value)).period.label == "2026-10"
    )


@pytest.fixture(scope="module")
def small_site(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("small")
    data = generate(root / "data", clients=140, sites=2, seed=11).out_dir
    db = root / "iop.duckdb"
    load(data, db)
    out = root / "reports"
    assert (
        main(
            [
                "report",
                "--db",
                str(db),
                "--period",
                "2026-09",
                "--site",
                "north",
                "--suppress",
                "11",
                "--out",
                str(out),
                "--formats",
                "html",
            ]
        )
        == 0
    )
    return out / "2026-09" / "north", db  # a site's report has its own folder


def _small(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 10


def test_suppressed_report_shows_no_count_of_1_to_10(small_site):
    folder, _ = small_site
    html = (folder / "monthly_report.html").read_text()
    assert "small-cell suppression on" in html
    shown = re.findall(r'<span class="n( sup)?">([^<]*)</span>', html)
    assert shown and any(sup for sup, _ in shown), "nothing was suppressed on a small site"
    for _, text in shown:
        if text.startswith("&lt;") or text in ("—", "0", "suppressed"):
            continue
        assert int(text.replace(",", "")) >= 11, text
    # Chart data: the aria descriptions of marks carry the values drawn.
    for title in COUNT_TITLES:
        for value in re.findall(rf"(?<![\w-]){re.escape(title)}: ([0-9.,]+)", html):
            v = float(value.replace(",", ""))
            assert v == 0 or v >= 11, f"{title}: {value}"
    # Sentences: "N of M" and counts spelled out through the same spans only.
    assert not re.search(r"\b(admitted|discharged) ([1-9]|10)\b", html)


def test_suppressed_metrics_json_cannot_be_recomputed(small_site):
    folder, _ = small_site
    doc = json.loads((folder / "metrics.json").read_text())
    hidden = set(doc["suppression"]["hidden"])
    assert doc["suppression"]["k"] == 11 and hidden

    def walk(node, path=""):
        for key, v in node.items():
            if isinstance(v, dict):
                yield from walk(v, f"{path}{key}.")
            else:
                yield f"{path}{key}", v

    for key, v in walk({k: v for k, v in doc.items() if k != "suppression"}):
        assert not _small(v), f"{key} = {v}"
    # A reader with a pencil (tests/auditor.py, its own solver over the registry's
    # identities, integer bounds and the labels) works out no hidden count of 1 to 10.
    assert not audit(doc).small(11)


def test_missing_database_is_bad_input_exit_2(tmp_path, capsys):
    assert (
        main(
            [
                "report",
                "--db",
                str(tmp_path / "nope.duckdb"),
                "--period",
                "2026-10",
                "--out",
                str(tmp_path / "r"),
            ]
        )
        == 2
    )
    assert "no database here" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_a_failing_run_exits_1_keeps_the_notebook_and_writes_no_report(tmp_path, capsys, monthly):
    broken = tmp_path / "broken.duckdb"
    broken.write_bytes(b"this is not a duckdb database\n" * 100)
    out = tmp_path / "r"
    (out / "2026-10").mkdir(parents=True)
    (out / "2026-10" / "metrics.json").write_text("{}\n")  # a previous run's output stays
    before = sha256(out / "2026-10" / "metrics.json")
    assert main(["report", "--db", str(broken), "--period", "2026-10", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "The 2026-10 report failed:" in err and "gather" in err
    assert "failed-monthly_report.ipynb" in err
    names = sorted(p.name for p in (out / "2026-10").iterdir())
    assert names == ["failed-monthly_report.ipynb", "metrics.json"]
    assert sha256(out / "2026-10" / "metrics.json") == before
    assert not list(out.glob(".tmp-*"))


def test_backfill_range_beside_a_reader_and_the_quarterly_variant(sample_db, tmp_path, capsys):
    import subprocess as sp
    import sys

    reader = sp.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys\n"
            f"con = duckdb.connect({str(sample_db)!r}, read_only=True)\n"
            "con.execute('select count(*) from sessions').fetchall()\n"
            "print('open', flush=True)\nsys.stdin.readline()\n",
        ],
        stdin=sp.PIPE,
        stdout=sp.PIPE,
        text=True,
    )
    assert reader.stdout.readline().strip() == "open"
    try:
        assert (
            main(
                [
                    "report",
                    "--db",
                    str(sample_db),
                    "--period",
                    "2026-08",
                    "--through",
                    "2026-09",
                    "--out",
                    str(tmp_path),
                    "--formats",
                    "html",
                ]
            )
            == 0
        )
    finally:
        reader.communicate("done\n", timeout=30)
    err = capsys.readouterr().err
    assert "1/2 2026-08" in err and "2/2 2026-09" in err
    for label in ("2026-08", "2026-09"):
        assert sorted(p.name for p in (tmp_path / label).iterdir()) == [
            "metrics.json",
            "monthly_report.html",
            "monthly_report.ipynb",
        ]
    assert (
        main(
            [
                "report",
                "--db",
                str(sample_db),
                "--period",
                "2026-07",
                "--through",
                "2026-Q3",
                "--out",
                str(tmp_path),
            ]
        )
        == 2
    )
    assert "is not a month" in capsys.readouterr().err


def test_without_chromium_the_html_is_still_written_with_a_clear_message(
    sample_db, tmp_path, capsys, monkeypatch
):
    import iop_metrics.report.build as report

    monkeypatch.setattr(report, "find_chromium", lambda: None)
    assert (
        main(["report", "--db", str(sample_db), "--period", "2026-Q3", "--out", str(tmp_path)]) == 0
    )
    assert "no Chromium found, so no PDF" in capsys.readouterr().err
    names = sorted(p.name for p in (tmp_path / "2026-Q3").iterdir())
    assert names == ["metrics.json", "quarterly_report.html", "quarterly_report.ipynb"]
    html = (tmp_path / "2026-Q3" / "quarterly_report.html").read_text()
    assert "IOP Quarterly Report" in html and "2026-07-01" in html
    # Asked for explicitly, a PDF that cannot be made is a failure.
    assert (
        main(
            [
                "report",
                "--db",
                str(sample_db),
                "--period",
                "2026-Q3",
                "--out",
                str(tmp_path / "x"),
                "--formats",
                "html,pdf",
            ]
        )
        == 1
    )
    assert "no Chromium found" in capsys.readouterr().err


def test_suppressed_chart_slots_are_marked_and_explained(small_site):
    """A hidden bar keeps its slot as a grey band (named "suppressed" in its legend), carrying
    the slot's name and no figure, and a sentence says how many."""
    from iop_metrics.report.charts.base import HIDDEN_FILL

    folder, _ = small_site
    html = (folder / "monthly_report.html").read_text()
    marks = re.findall(rf'<path aria-label="([^"]*)"[^>]*fill="{HIDDEN_FILL}"', html)
    assert marks, "no chart marks a hidden bar"
    assert not any(re.search(r"(?<![\w-])(n|value|no_show_rate|client_weeks): ", m) for m in marks)
    notes = re.findall(r"(\d+) of (\d+) ([a-z ]+) are hidden \(grey, “suppressed”\)", html)
    assert notes and all(int(a) > 0 for a, _, _ in notes)
    # a chart is drawn only with something in it: all slots hidden is a note, not a frame
    assert all(int(a) < int(b) for a, b, _ in notes), notes
    assert {what for _, _, what in notes} & {"monthly bars", "months", "bars", "cells"}
    # every chart whose slots are all hidden says so instead of drawing an empty frame
    for title in ("No-show rate by weekday", "No-show rate by service type"):
        assert title in html
    captions = re.findall(r"<figcaption>([^<]*)</figcaption>", html)
    undrawn = re.findall(r'<p class="note">([^<]*?) is not drawn', html)
    assert undrawn, "the small site has no chart whose every slot is hidden"
    for title in undrawn:
        assert not any(c.startswith(title) for c in captions), title


def test_a_small_sites_external_report_passes_axe_core(small_site):
    """A site's external report with most slots hidden (2026-09, as north's was when a layer
    with every bar hidden left an unnamed graphics-symbol): no serious or critical finding."""
    folder, _ = small_site
    found = axe(folder / "monthly_report.html")
    assert not [(v["id"], v["impact"]) for v in found if v["impact"] in ("serious", "critical")]


def test_hidden_counts_read_small_or_suppressed_as_they_are(small_site):
    """A count hidden because it is small reads "<11"; one hidden only to protect another
    reads "suppressed" (never "<11", which would be false): on tiles, sentences, tables."""
    folder, _ = small_site
    html = (folder / "monthly_report.html").read_text()
    doc = json.loads((folder / "metrics.json").read_text())
    why = doc["suppression"]["hidden"]
    marks = re.findall(r'<span class="n sup">([^<]*)</span>', html)
    assert "&lt;11" in marks and "suppressed" in marks, set(marks)
    assert set(marks) <= {"&lt;11", "suppressed"}
    assert "small" in why.values() and "complementary" in why.values()
    for label, key in (
        ("Active census", "census.active_at_end"),
        ("Admissions", "census.admissions"),
        ("Discharges", "census.discharges"),
    ):
        tile = re.search(rf'<div class="label">{label}</div><div class="value">(.*?)</div>', html)
        assert tile, label
        if why.get(key) == "small":
            assert ">&lt;11<" in tile.group(1), (label, tile.group(1))
        elif why.get(key) == "complementary":
            assert ">suppressed<" in tile.group(1), (label, tile.group(1))
        else:
            assert "sup" not in tile.group(1), (label, tile.group(1))


def test_pdf_last_page_is_not_nearly_empty(monthly, browser, tmp_path):
    """The definitions appendix prints in two columns of smaller type, so that the sample's
    report does not end on a page holding one entry (it took 12 pages, the last ~12% full)."""
    from PIL import Image

    pdf = monthly / "monthly_report.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    n = int(re.search(r"Pages:\s+(\d+)", info.stdout).group(1))
    last = tmp_path / "last"
    subprocess.run(["pdftoppm", "-f", str(n), "-l", str(n), "-r", "30", "-gray", "-png",
                    "-singlefile", str(pdf), str(last)], check=True)  # fmt: skip
    page = Image.open(f"{last}.png").convert("L")
    width, height = page.size
    px = page.load()
    inked = [y for y in range(height) if any(px[x, y] < 160 for x in range(width))]
    assert inked and inked[-1] / height > 0.3, (n, inked[-1] / height if inked else 0)


def test_pdf_keeps_tables_and_headings_with_their_content(monthly, browser):
    """No short table is split over two pages, and no section heading ends a page."""
    pdf = monthly / "monthly_report.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    n = int(re.search(r"Pages:\s+(\d+)", info.stdout).group(1))
    pages = [
        subprocess.run(
            ["pdftotext", "-f", str(i), "-l", str(i), "-layout", str(pdf), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for i in range(1, n + 1)
    ]
    [rates] = [p for p in pages if "Every rate with its numerator" in p]
    assert "Attendance rate" in rates and "90-day retention" in rates
    # a split table repeats its header on the next page
    for header in ("Service type", "Reason (TEDS-D)", "Length of stay ", "Rows read"):
        assert sum(header in p for p in pages) == 1, header
    for heading in ("Attendance", "Census and flow", "Retention", "Data quality"):
        for p in pages:
            lines = [x.strip() for x in p.strip().splitlines() if x.strip()]
            assert lines[-1] != heading, f"{heading} ends a page"


OUTCOMES_H2 = "<h2>Outcomes: did people get better?"
TREND_CAPTION = "Reliable improvement (of the courses with a first and a last score)"


def _outcome_section(html: str) -> str:
    start = html.index(OUTCOMES_H2)
    return html[start : html.index("</section>", start)]


def _counts_in_tooltips(text: str) -> list[tuple[str, float]]:
    return [
        (title, float(v.replace(",", "")))
        for title in COUNT_TITLES
        for v in re.findall(rf"(?<![\w-]){re.escape(title)}: ([0-9.,]+)", text)
    ]


def test_outcome_section_charts_draw_in_chromium_offline(monthly, sample_con, browser):
    """The outcome section's charts (how scores moved, the PHQ-9 band grid, the 12-month trend)
    are drawn in headless Chromium with no network, each SVG with marks; the trend's points carry
    the months' numerators and denominators of the series."""

    from iop_metrics.compute.series import monthly as series
    from iop_metrics.periods import parse_period

    section = _outcome_section(_dom(monthly / "monthly_report.html"))
    figures = re.findall(r'<figure class="chart">(.*?)</figure>', section, flags=re.S)
    captions = [
        re.search(r"<figcaption>(.*?)</figcaption>", f, flags=re.S).group(1) for f in figures
    ]
    assert len(figures) == 3, captions
    assert [c.split(" ")[0] for c in captions] == ["How", "PHQ-9", "Reliable"]
    for fig in figures:
        assert "<svg" in fig
        assert len(re.findall(r"<(path|rect|line|text)\b", fig)) > 3, "an empty chart"
    trend = figures[2]
    marks = re.findall(r"<path\b[^>]*>", trend)
    points = [
        re.search(r'aria-label="([^"]*)"', x).group(1)
        for x in marks
        if 'aria-roledescription="point"' in x and "Month the course ended" in x
    ]
    rows = {r["month"]: r for r in series(sample_con, Query.of(parse_period("2026-10")))}
    drawn = set()
    for label in points:
        month = re.search(r"Month: (\d{4}-\d\d)", label).group(1)
        measure = re.search(r"Measure: ([A-Za-z ]+);", label).group(1)
        num, den = (v for _, v in _counts_in_tooltips(label))
        r = rows[month]
        want = (
            (r["reliable_improvement"], r["paired"])
            if measure == "Reliable improvement"
            else (r["recovery"], r["at_caseness"])
        )
        assert (num, den) == want, label
        drawn.add((month, measure))
    assert len(drawn) == 24  # 12 months x 2 measures, every month has paired courses


def test_suppressed_outcome_section_shows_no_count_of_1_to_10(small_site):
    folder, _ = small_site
    section = _outcome_section((folder / "monthly_report.html").read_text())
    shown = re.findall(r'<span class="n( sup)?">([^<]*)</span>', section)
    assert any(sup for sup, _ in shown), "nothing was suppressed in the outcome section"
    for _, text in shown:
        if text.startswith("&lt;") or text in ("—", "0"):
            continue
        assert int(text.replace(",", "")) >= 11, text
    for title, v in _counts_in_tooltips(section):
        assert v == 0 or v >= 11, f"{title}: {v}"
    for a, b in re.findall(r"\b([\d,]+) of ([\d,]+)\.", re.sub(r"<[^>]+>", "", section)):
        assert all(int(x.replace(",", "")) >= 11 for x in (a, b)), f"{a} of {b}"
    # the small site's months are each too small: the trend says it is not drawn
    assert TREND_CAPTION not in section
    assert "The 12-month trend of reliable improvement and recovery is not drawn" in section


def test_suppressed_outcome_trend_hides_small_months_and_marks_them(october_gathered):
    """The whole sample at K = 11: every monthly point of 24 rests somewhere on 1 to 10 records
    (its courses, those who improved or recovered, or those who did not; 2026-07: 11 of 17
    improved, 6 did not), so nothing is left to draw a trend:
    the section says so and no figure in it carries a count of 1 to 10. Drawn, a trend's hidden
    months are grey slots (tests/test_hidden_drawing.py)."""
    from iop_metrics.report.pages import outcomes

    d = october_gathered  # gather(sample_con, the program's 2026-10, suppress=11), read once
    section = outcomes(d)
    assert TREND_CAPTION not in section
    assert (
        "The 12-month trend of reliable improvement and recovery is not drawn: small-cell "
        "suppression hides every figure in it" in section
    )
    counts = _counts_in_tooltips(section)
    assert all(v == 0 or v >= 11 for _, v in counts), counts


@pytest.mark.parametrize("k", [0, 11])
def test_a_report_from_figures_read_once_equals_one_read_itself(
    sample_db, tmp_path, tmp_path_factory, k
):
    """A run reads each scope's figures once and renders its internal and external report
    from them (``exact``): what those give is what reading the database gives. The figures
    read once are north's ``exact(con, q)`` (``conftest.exact_october``, read once per
    session); ``gather`` reads the database itself."""
    import duckdb
    import pandas as pd
    from conftest import exact_october

    from iop_metrics.periods import month
    from iop_metrics.report.data import assemble, gather, metrics_json, report_data
    from iop_metrics.report.figures import load_exact, save_exact

    q = Query.of(month(2026, 10), scope=Scope(("2.1",), "north"))
    con = duckdb.connect(str(sample_db), read_only=True)
    try:
        direct = gather(con, q, suppress=k)
    finally:
        con.close()
    save_exact(exact_october(sample_db, tmp_path_factory, "north"), tmp_path / "x.pkl")
    kept = assemble(load_exact(tmp_path / "x.pkl", q), suppress=k)
    params = dict(period="2026-10", as_of="", db_path=str(tmp_path / "absent.duckdb"),
                  levels="2.1", site="north", track="", suppress=k, window_days=14)  # fmt: skip
    req = from_parameters(**params).replace(exact=str(tmp_path / "x.pkl"))
    via = report_data(req)  # the database unread
    for d in (kept, via):
        assert metrics_json(d) == metrics_json(direct)
        assert d.reasons == direct.reasons and d.previous == direct.previous
        for name in ("monthly", "weekday", "service", "hours", "flow", "curve", "rates"):
            pd.testing.assert_frame_equal(getattr(d, name), getattr(direct, name))
    other = Query.of(month(2026, 9), scope=q.scope)
    with pytest.raises(ValueError, match="not the figures of 2026-09"):
        load_exact(tmp_path / "x.pkl", other)
