"""The report's markup lives in templates: values reach every page escaped, no Python under
iop_metrics/report/ writes a tag, and every page a reader opens passes axe-core in Chromium."""

from __future__ import annotations

import csv
import re
import shutil
import tokenize
from pathlib import Path

import pytest
from conftest import ROOT, SAMPLE
from helpers import axe

from iop_metrics.cli import main
from iop_metrics.ingest.load import load
from iop_metrics.periods import parse_period
from iop_metrics.report.sites import write_sites_page
from iop_metrics.run.archive import write_index

# The pages (two reports, two sites pages, an index over a renamed sample) are built once, on
# one worker: a group of their own, not the report group, so that the groups balance.
pytestmark = pytest.mark.xdist_group("markup")

MARKUP = "<b>x</b>"
ESCAPED = "&lt;b&gt;x&lt;/b&gt;"
# An HTML element opening or closing in a string literal: `<span class="n">`, `</td>`, `<br>`
# (placeholders such as `<period>` in a docstring are not elements).
ELEMENTS = (
    "a abbr b body br caption code dd details div dl dt em figcaption figure footer h1 h2 h3 h4 "
    "head header hr html i img li link main meta nav ol p pre script section small span strong "
    "style sub summary sup svg table tbody td tfoot th thead title tr u ul"
)
TAG = re.compile(rf"</?({'|'.join(ELEMENTS.split())})(\s|/?>)", flags=re.I)


def _literals_with_tags(path: Path) -> list[str]:
    with tokenize.open(path) as f:
        return [
            f"{path}:{tok.start[0]}: {tok.string[:70]}"
            for tok in tokenize.generate_tokens(f.readline)
            if tok.type == tokenize.STRING and TAG.search(tok.string)
        ]


def test_no_python_under_report_builds_html_tags(tmp_path):
    found = [
        hit
        for p in sorted((ROOT / "iop_metrics" / "report").rglob("*.py"))
        for hit in _literals_with_tags(p)
    ]
    assert not found, "HTML built in Python (write it in a template):\n" + "\n".join(found)
    # the scan sees what it must: f-strings, plain and triple-quoted literals
    bad = tmp_path / "bad.py"
    bad.write_text(
        'a = f\'<span class="n">{n}</span>\'\nb = \'</td>\'\nc = """x<br>"""\nd = \'a < b\'\n'
    )
    assert len(_literals_with_tags(bad)) == 3


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> dict[str, Path]:
    """data/sample with the site north renamed, and its track set, to ``<b>x</b>``; the
    program's report (internal and external) under a program named so (a code that cannot name
    a folder has no report of its own: tests/test_folder_codes.py), the sites pages and an
    index over a scope folder ``<b>x``."""
    root = tmp_path_factory.mktemp("markup")
    data = root / "data"
    shutil.copytree(SAMPLE, data)
    episodes = data / "episodes.csv"
    with episodes.open(newline="") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        if r["site"] == "north":
            r.update(site=MARKUP, track=MARKUP)
    with episodes.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]), quoting=csv.QUOTE_NONNUMERIC)
        w.writeheader()
        w.writerows(rows)
    db = root / "iop.duckdb"
    load(data, db)
    out: dict[str, Path] = {}
    for audience, extra in (("internal", []), ("external", ["--suppress", "11"])):
        folder = root / audience
        args = ["report", "--db", str(db), "--period", "2026-10", "--out", str(folder)]
        args += ["--program-name", MARKUP, "--formats", "html", *extra]
        assert main(args) == 0
        [out[f"report {audience}"]] = folder.rglob("monthly_report.html")
    period = parse_period("2026-10")
    for name, k in (("sites", 0), ("sites-external", 11)):
        out[name] = root / "reports" / "2026-10" / f"{name}.html"
        write_sites_page(db, period, out[name], sites=("main", MARKUP), levels=("2.1",), suppress=k)
    scope = root / "reports" / "2026-10" / "<b>x" / "internal"
    scope.mkdir(parents=True)
    for f in out["report internal"].parent.iterdir():
        shutil.copy(f, scope / f.name)
    out["index"] = write_index(root / "reports")
    return out


def test_a_name_with_markup_reaches_every_page_escaped(pages):
    assert set(pages) == {"report internal", "report external", "sites", "sites-external", "index"}
    for kind, path in pages.items():
        html = path.read_text(encoding="utf-8")
        assert "<b>" not in html, kind
        assert ("&lt;b&gt;x" if kind == "index" else ESCAPED) in html, kind
    for kind in ("report internal", "report external"):
        html = pages[kind].read_text(encoding="utf-8")
        assert f"<td>{ESCAPED}</td>" in html  # the header's program


def test_every_page_kind_passes_axe_core(pages):
    """No serious or critical accessibility violation on any page a reader opens."""
    for kind, path in pages.items():
        violations = axe(path)
        bad = [
            (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
            for v in violations
            # and no empty header cell (a minor finding the sites pages' totals row once had)
            if v["impact"] in ("serious", "critical") or v["id"] == "empty-table-header"
        ]
        assert not bad, f"{kind}: {bad}"


def test_axe_core_finds_what_it_should_on_a_bad_page(tmp_path):
    """The check above can fail: on a page with an image lacking its alt text and a header
    cell left empty, axe-core reports both (and nothing is fetched: the image is a data URI)."""
    page = tmp_path / "bad.html"
    page.write_text(
        '<!doctype html><html lang="en"><head><title>t</title></head><body><main>'
        '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
        "<table><tr><th></th><th>n</th></tr><tr><td>a</td><td>1</td></tr></table>"
        "</main></body></html>",
        encoding="utf-8",
    )
    found = {v["id"]: v["impact"] for v in axe(page)}
    assert found.get("image-alt") == "critical"
    assert "empty-table-header" in found


def test_a_chart_layer_with_every_mark_hidden_is_no_unnamed_graphic(tmp_path):
    """A layer whose every value is missing (all of an external report's bars suppressed)
    draws no mark; Vega still calls its container a graphics-symbol, which axe-core reports as
    a serious svg-img-alt, so ``to_svg`` hides it from screen readers."""
    import altair as alt
    import pandas as pd
    import vl_convert as vlc

    from iop_metrics.report.charts import to_svg

    bars = alt.Chart(pd.DataFrame({"m": ["a", "b"], "n": [None, None]})).mark_bar()
    line = alt.Chart(pd.DataFrame({"m": ["a", "b"], "n": [3, 4]})).mark_line()
    chart = alt.layer(bars.encode(x="m:N", y="n:Q"), line.encode(x="m:N", y="n:Q"))
    found = {}
    for name, svg in (("raw", vlc.vegalite_to_svg(chart.to_json())), ("ours", to_svg(chart))):
        page = tmp_path / f"{name}.html"
        page.write_text(
            '<!doctype html><html lang="en"><head><title>t</title></head><body><main>'
            f"<figure>{svg}<figcaption>c</figcaption></figure></main></body></html>"
        )
        found[name] = {v["id"] for v in axe(page) if v["impact"] in ("serious", "critical")}
    assert found == {"raw": {"svg-img-alt"}, "ours": set()}
    assert 'class="mark-line role-mark' in to_svg(chart)  # the drawn layer keeps its role
