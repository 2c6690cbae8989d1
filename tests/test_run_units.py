"""`iop-metrics run` without rendering: the config file, the plan, the funnel figures, the index."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import SAMPLE
from helpers import sha256

from iop_metrics.cli import main
from iop_metrics.compute import comparison as cmp
from iop_metrics.errors import InputError
from iop_metrics.report import sites
from iop_metrics.run.archive import site_names, write_index
from iop_metrics.run.config import read_config


def _config(folder: Path, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "export").mkdir(exist_ok=True)
    path = folder / "iop-metrics.toml"
    path.write_text(body)
    return path


GOOD = """# monthly run
[data]
export = "export"
db = "data/iop.duckdb"

[reports]
period = "last-month"
sites = "each"
audiences = ["internal", "external"]
suppress = 11
formats = ["html"]
"""


def test_paths_are_relative_to_the_config_file_and_defaults_fill_in(tmp_path, monkeypatch):
    cfg = _config(tmp_path / "cfg", GOOD)
    monkeypatch.chdir(tmp_path)
    c = read_config("cfg/iop-metrics.toml")
    assert c.export == tmp_path / "cfg" / "export"
    assert c.db == tmp_path / "cfg" / "data" / "iop.duckdb"
    assert c.out == tmp_path / "cfg" / "reports"
    assert (c.levels, c.sites, c.suppress, c.formats) == (("2.1",), "each", 11, ("html",))
    assert c.formats_given and c.mapping is None and c.benchmark is None
    assert c.sha256 == sha256(cfg)


def test_program_name_and_paper_come_from_the_config_and_the_command_line(
    tmp_path, sample_db, capsys
):
    """`program` names the program in every report's header, `paper` sizes the PDF (default
    letter, a4 allowed); `run --program-name` and `--paper` override them."""
    c = read_config(_config(tmp_path / "a", GOOD))
    assert (c.program, c.paper) == (None, "letter")
    body = GOOD + 'program = "Riverside Recovery IOP"\npaper = "A4"\n'
    cfg = _config(tmp_path / "b", body)
    c = read_config(cfg)
    assert (c.program, c.paper) == ("Riverside Recovery IOP", "a4")
    (tmp_path / "b" / "data").mkdir()
    shutil.copyfile(sample_db, tmp_path / "b" / "data" / "iop.duckdb")
    assert main(["run", str(cfg), "--period", "2026-10", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "  program Riverside Recovery IOP\n" in out and "; paper a4\n" in out
    argv = ["run", str(cfg), "--period", "2026-10", "--dry-run", "--program-name", "Lakeside"]
    assert main([*argv, "--paper", "letter"]) == 0
    out = capsys.readouterr().out
    assert "  program Lakeside\n" in out and "; paper letter\n" in out
    assert main([*argv, "--paper", "legal"]) == 2
    assert "invalid choice: 'legal'" in capsys.readouterr().err


def test_unknown_keys_are_refused_with_their_line(tmp_path, capsys):
    body = GOOD.replace('sites = "each"', 'site = "each"').replace(
        "[data]", "[data]\nquarantined = true"
    )
    cfg = _config(tmp_path, body + "\n[report]\nout = 'x'\n")
    assert main(["run", str(cfg), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert f"{cfg}:3: data.quarantined: unknown key" in err
    assert f"{cfg}:9: reports.site: unknown key" in err
    assert f"{cfg}:14: report: unknown table" in err
    assert not (tmp_path / "reports").exists()


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('export = "export"', 'export = "nowhere"', ":3: data.export: no such file or folder"),
        ("suppress = 11", "suppress = 1", ":10: reports.suppress: must be 2 or more"),
        ("suppress = 11", 'suppress = "11"', ":10: reports.suppress: must be an integer"),
        ('sites = "each"', 'sites = "some"', ':8: reports.sites: must be "each"'),
        ('formats = ["html"]', 'formats = ["docx"]', ":11: reports.formats: must be a non-empty"),
        ('"external"]', '"public"]', ":9: reports.audiences: must be a non-empty list"),
        ('period = "last-month"', 'period = "Oct"', "period 'Oct' is not understood"),
        ("suppress = 11", 'suppress = 11\npaper = "legal"', ":11: reports.paper: must be letter"),
        ("suppress = 11", 'suppress = 11\nprogram = " "', ":11: reports.program: must name"),
        ("suppress = 11", "suppress = 11\nprogram = 7", ":11: reports.program: must be a string"),
        ('db = "data/iop.duckdb"', "db = 1", ":4: data.db: must be a string ("),
    ],
)
def test_bad_values_exit_2_naming_line_and_key(tmp_path, sample_db, capsys, old, new, message):
    cfg = _config(tmp_path, GOOD.replace(old, new))
    (tmp_path / "data").mkdir()
    shutil.copyfile(sample_db, tmp_path / "data" / "iop.duckdb")
    assert main(["run", str(cfg), "--dry-run"]) == 2
    assert message in capsys.readouterr().err


def test_mapping_and_benchmark_keys_must_name_existing_files(tmp_path, capsys):
    cfg = _config(tmp_path, GOOD.replace("[reports]", 'mapping = "map.toml"\n[reports]'))
    assert main(["run", str(cfg), "--dry-run"]) == 2
    assert ":6: data.mapping: no such file or folder" in capsys.readouterr().err
    (tmp_path / "map.toml").write_text("")
    assert main(["run", str(cfg), "--dry-run"]) == 0
    cfg = _config(tmp_path, GOOD + 'benchmark = "b.json"\n')
    assert main(["run", str(cfg), "--dry-run"]) == 2
    assert "reports.benchmark: no such file or folder" in capsys.readouterr().err


def test_a_run_with_a_mapping_loads_the_export_through_it(tmp_path):
    from iop_metrics.ingest.pseudonym import keygen
    from iop_metrics.run.source import load_export

    example = Path(__file__).resolve().parents[1] / "data" / "examples" / "ehr"
    shutil.copy(example / "mapping.toml", tmp_path / "mapping.toml")
    keygen(tmp_path / "example.key")
    body = GOOD.replace('export = "export"', f'export = "{example / "export"}"')
    cfg = read_config(
        _config(tmp_path, body.replace("[reports]", 'mapping = "mapping.toml"\n[reports]'))
    )
    (tmp_path / "data").mkdir(exist_ok=True)
    summary = load_export(cfg)
    assert "sessions" in summary.describe()
    # the index names each site as the export does (the mapping's most used label for a code)
    assert site_names(cfg.db) == {"main": "Main Campus", "north": "North Campus"}
    con = duckdb.connect(str(cfg.db), read_only=True)
    try:
        logged = con.execute("select distinct mapping_sha256 from load_log").fetchall()
        sessions = con.execute("select count(*) from sessions").fetchone()
    finally:
        con.close()
    assert logged == [(sha256(tmp_path / "mapping.toml"),)]
    assert sessions == (21923,)


def test_dry_run_prints_the_plan_and_writes_nothing(tmp_path, sample_db, capsys):
    cfg = _config(tmp_path, GOOD.replace('export = "export"', f'export = "{SAMPLE}"'))
    (tmp_path / "data").mkdir()
    db = tmp_path / "data" / "iop.duckdb"
    shutil.copyfile(sample_db, db)
    before = sha256(db), sorted(os.listdir(tmp_path))
    assert main(["run", str(cfg), "--dry-run", "--period", "2026-10"]) == 0
    out = capsys.readouterr().out
    assert (sha256(db), sorted(os.listdir(tmp_path))) == before
    assert not (tmp_path / "reports").exists()
    for line in ("2026-10/all/internal", "2026-10/main/external", "2026-10/north/internal"):
        assert line in out
    assert "2026-10/sites.html" in out and "2026-10/sites-external.html" in out


def test_a_listed_site_that_is_not_in_the_data_is_bad_input(tmp_path, sample_db, capsys):
    cfg = _config(tmp_path, GOOD.replace('sites = "each"', 'sites = ["all", "south"]'))
    (tmp_path / "data").mkdir()
    shutil.copyfile(sample_db, tmp_path / "data" / "iop.duckdb")
    assert main(["run", str(cfg), "--dry-run", "--period", "2026-10"]) == 2
    assert "south not among the sites in the data (main, north)" in capsys.readouterr().err


# Funnel figures: hand-made documents with the figures written out.


def _raw(rows: list[tuple[str, int, int]]):
    """A raw funnel over (site, n, observed) rows: expected = n p at the rows' own rate."""
    import pandas as pd

    per_site = pd.DataFrame(rows, columns=["site", "n", "observed"])
    d = dt.date(2026, 10, 31)
    return cmp.funnel(per_site, measure="attendance", adjusted=False, start=d, end=d)


def test_funnel_limits_by_hand():
    # with tau2 = 0 the limits are the binomial funnel p +/- z sqrt(p (1 - p) / n)
    assert [round(x, 4) for x in cmp.limits(0.8, 160, 32, 0.0, cmp.Z998)] == [0.7126, 0.8874]
    assert [round(x, 4) for x in cmp.limits(0.5, 50, 25, 0.0, cmp.Z95)] == [0.402, 0.598]
    assert cmp.limits(0.05, 0.5, 0.475, 0.0, cmp.Z998) == (0.0, pytest.approx(0.2630, abs=1e-4))
    # tau2 widens them: 0.8 (1 +/- 3.090232 sqrt(0.00125 + 0.01))
    lo, hi = cmp.limits(0.8, 160, 32, 0.01, cmp.Z998)
    assert (round(lo, 4), round(hi, 4)) == (0.5378, 1.0)


def test_site_outside_the_998_limits_is_named_and_others_are_not():
    comp = _raw([("east", 200, 100), ("west", 200, 160), ("rest", 400, 380)])
    assert comp.rate == 0.8 and comp.dispersion.phi is None  # 3 sites: no over-dispersion
    rows = {r["site"]: r for r in comp.sites.to_dict("records")}
    east, west = rows["east"], rows["west"]
    assert (east["n"], east["observed"], east["rate"], east["expected"]) == (200, 100, 0.5, 160)
    assert round(east["lo998"], 4) == 0.7126 and east["reading"] == "lower"
    assert west["rate"] == 0.8 and west["reading"] == "as expected"
    assert rows["rest"]["reading"] == "higher"
    text = sites.sentence("attendance", "east", east, ())
    assert text == (
        "At the network's rate, of east's 200 client-scheduled sessions, 160 were expected to "
        "be attended; 100 were: 38% fewer than expected, lower than chance explains."
    )
    lead = sites.lead([{"title": "Attendance rate", "rows": comp.sites.to_dict("records")}])
    assert lead.startswith("Outside the 99.8% limits") and "east (attendance rate, lower)" in lead
    assert "west" not in lead


def test_possibly_and_adjusted_sentences_follow_the_spec_wording():
    row = {"n": 64, "observed": 52, "expected": 41.2, "reading": "possibly higher"}
    assert sites.sentence("completion", "North", row, ("ages", "payers")) == (
        "Given the clients North served (ages, payers), 41 of its 64 discharges were expected "
        "to complete; 52 did: 26% more than expected, possibly higher than chance explains; "
        "worth a look."
    )


def test_external_hides_small_sites_and_one_more_so_none_can_be_worked_out():
    comp = _raw([("a", 45, 30), ("b", 17, 12), ("c", 8, 3), ("d", 60, 45)])
    shown = sites.suppress_sites(comp.sites, 11).set_index("site")
    # c is small (3 of 8); alone it would be the program minus the others, so the smallest
    # other site (b, 17) goes too; every figure of both is hidden
    for s in ("b", "c"):
        assert shown.loc[s].drop("reading").isna().all() and shown.loc[s, "reading"] == "suppressed"
    assert shown.loc["a", "n"] == 45 and shown.loc["d", "observed"] == 45
    # a complement (n - observed = 8) and an expected count under 11 hide a site too
    comp = _raw([("a", 300, 290), ("b", 13, 5), ("c", 200, 100), ("e", 100, 60)])
    assert set(sites.hidden_sites([comp.sites], 11)) == {"a", "b"}
    assert sites.hidden_sites([comp.sites], 0) == set()


# The archive index, from a hand-made folder.


def _metrics(folder: Path, census: int, k: int = 0) -> None:
    folder.mkdir(parents=True)
    doc = {
        "census": {"active_at_end": census},
        "attendance": {"attendance_rate": 0.8},
        "discharges": {"completion_rate": None if k else 0.5},
        "retention": {"day_90": 0.61},
    }
    if k:
        doc["suppression"] = {"k": k, "hidden": ["discharges.completion_rate"]}
    (folder / "metrics.json").write_text(json.dumps(doc))
    (folder / "monthly_report.html").write_text("<html></html>")


def test_index_lists_latest_first_with_figures_and_follows_the_disk(tmp_path):
    out = tmp_path / "reports"
    _metrics(out / "2026-09" / "all" / "internal", 40)
    _metrics(out / "2026-10" / "all" / "external", 42, k=11)
    _metrics(out / "2026-10" / "north" / "internal", 17)
    _metrics(out / "2026-Q3", 99)  # `iop-metrics report` alone
    (out / "2026-10" / "sites.html").write_text("x")
    (out / "notes").mkdir()
    html = write_index(out).read_text()
    order = [html.index(f'id="p-{p}"') for p in ("2026-10", "2026-09", "2026-Q3")]
    assert order == sorted(order)
    assert "notes" not in html
    part = html[html.index('id="p-2026-10"') : html.index('id="p-2026-09"')]
    assert '<span class="n">42</span>' in part and '<span class="r sup">suppressed</span>' in part
    # 0.61 of the external copy is a Kaplan-Meier estimate to the whole percent: "61%", not
    # "61.0%"; north's internal copy prints it to one decimal, as every rate
    rows = re.findall(r"<tr><td>(.*?)</tr>", part, flags=re.S)
    assert [re.findall(r'<span class="r">([^<]*)</span>', r) for r in rows] == [
        ["80.0%", "61%"],
        ["80.0%", "50.0%", "61.0%"],
    ]
    assert 'href="2026-10/north/internal/monthly_report.html"' in part
    assert 'href="2026-10/sites.html">Sites compared (internal)' in part
    assert "program (single report)" in html and '<span class="n">99</span>' in html
    shutil.rmtree(out / "2026-09")
    html = write_index(out).read_text()
    assert "2026-09" not in html and "<script" not in html


def test_index_names_scopes_says_why_a_figure_is_missing_and_notes_its_source(tmp_path):
    """Issue #20 item 16: scopes by name, never a bare dash (suppressed, undefined for want of
    episodes, or not rendered), and the note on where figures come from is a plain note, not
    the red line the reports keep for their distribution warning."""
    out = tmp_path / "reports"
    _metrics(out / "2026-10" / "all" / "internal", 42)
    _metrics(out / "2026-10" / "north" / "external", 17, k=11)
    (out / "2026-10" / "main" / "internal").mkdir(parents=True)  # a report that failed
    empty = out / "2026-11" / "all" / "internal"
    empty.mkdir(parents=True)
    (empty / "metrics.json").write_text(
        json.dumps(
            {
                "census": {"active_at_end": 0},
                "attendance": {"attendance_rate": None},
                "discharges": {"completion_rate": None},
                "retention": {"day_90": None},
            }
        )
    )
    html = write_index(out, program="Riverside IOP", sites={"north": "North Campus"}).read_text()
    assert "<h1>Riverside IOP: IOP reports</h1>" in html
    header = html[html.index("<header") : html.index("</header>")]
    assert 'class="report"' in header and "internal" not in header and "Figures" not in header
    assert '<p class="note">Figures: from each report' in html
    rows = {
        re.sub(r"<[^>]+>", "", r.split("</td>")[0]): r
        for r in re.findall(r"<tr><td>(.*?)</tr>", html, flags=re.S)
    }
    assert set(rows) == {"Whole program (all sites)", "North Campus (site north)", "Site main"}
    assert html.count('<span class="why">not rendered</span>') == 4  # main: no metrics.json
    assert '<span class="r sup">suppressed</span>' in rows["North Campus (site north)"]
    nov = html[html.index('id="p-2026-11"') : html.index('id="p-2026-10"')]
    for reason in ("no sessions", "no discharges", "no estimate (too few admissions)"):
        assert f'<span class="why">{reason}</span>' in nov
    assert '<span class="n">0</span>' in nov
    assert "—" not in html


def test_the_readme_config_uses_only_known_keys():
    import re
    import tomllib

    from conftest import ROOT

    from iop_metrics.run.config import KEYS

    readme = (ROOT / "README.md").read_text()
    block = re.search(r"```toml\n(.*?)```", readme, flags=re.S).group(1)
    doc = tomllib.loads(block)
    assert set(doc) == set(KEYS)
    for table, body in doc.items():
        assert set(body) <= set(KEYS[table]), table
    assert "iop-metrics run iop-metrics.toml" in readme


def test_plan_scopes_and_site_codes_that_cannot_name_a_folder(tmp_path):
    from iop_metrics.periods import parse_period
    from iop_metrics.run.plan import make_plan

    c = read_config(_config(tmp_path, GOOD))
    plan = make_plan(c, parse_period("2026-10"), ("east", "west"))
    assert [(j.scope, j.audience) for j in plan.jobs][:3] == [
        ("all", "internal"),
        ("all", "external"),
        ("east", "internal"),
    ]
    assert plan.jobs[-1].folder == c.out / "2026-10" / "west" / "external"
    assert plan.sites == ("east", "west")
    for bad in (("all", "west"), ("North Campus",)):
        with pytest.raises(InputError, match="cannot name a report folder"):
            make_plan(c, parse_period("2026-10"), bad)


def test_a_run_hands_each_report_its_request_with_exactly_its_share_of_the_plan(tmp_path):
    """Each report starts with the request its plan built (scope, audience K, program, paper,
    formats, the run's snapshot) and, once the joint plan is known, with its own share of it
    and its own figures' file; the internal reports and the sites page get nothing of another's."""
    from iop_metrics.compute.query import Scope
    from iop_metrics.periods import parse_period
    from iop_metrics.run.plan import make_plan
    from iop_metrics.run.schedule import _release, handed, plan_tasks

    c = read_config(_config(tmp_path, GOOD + 'program = "Riverside"\npaper = "a4"\n'))
    plan = make_plan(c, parse_period("2026-10"), ("east", "west"))
    snapshot = tmp_path / "snapshot.duckdb"
    tasks = plan_tasks(c, plan, snapshot)
    paths = [t[0]["path"] for t in tasks]
    assert paths[:3] == [
        "2026-10/sites.html",
        "2026-10/sites-external.html",
        "2026-10/all/internal/",
    ]
    shares = {
        "all": {"census.admissions": "complementary"},
        "east": {"census.discharges": "small"},
        "west": {"retention.cohort_admissions": "complementary"},
        "sites": {"completion.12m[east].n": "small"},
    }
    got = {s: {"status": "ok", "exact": f"exact-{s}.pkl"} for s in ("all", "east", "west", "sites")}
    started: list[tuple] = []

    def start(task, **added):
        started.append((task[0], *handed(task, **added)))

    for task in tasks:
        if task[0]["audience"] == "external":
            _release(task, shares, got, start)
        elif task[0]["kind"] == "report":
            start(task, exact=got[task[0]["scope"]]["exact"])
        else:
            start(task)
    assert len(started) == len(tasks) == 8
    for rec, args, kw in started:
        if rec["kind"] == "sites":
            external = rec["audience"] == "external"
            # the external page: its share and the comparisons the SITES model job kept
            assert kw == ({"hide": shares["sites"], "exact": "exact-sites.pkl"} if external else {})
            continue
        req, folder, pdf_required = args
        scope, k = rec["scope"], 11 if rec["audience"] == "external" else 0
        assert folder == c.out / "2026-10" / scope / rec["audience"] and not pdf_required
        assert req.hide == (shares[scope] if k else {}), rec
        assert req.exact == f"exact-{scope}.pkl" and req.suppress == k and kw == {}
        assert req.scope == Scope(("2.1",), None if scope == "all" else scope)
        assert (req.period.label, req.db_path, req.program, req.paper, req.formats) == (
            "2026-10", str(snapshot), "Riverside", "a4", ("html",)
        )  # fmt: skip
    # no plan (a model failed): no external output starts, each names why
    rec = {**tasks[-1][0]}
    _release((rec, *tasks[-1][1:]), {}, {"east": {"error": "MemoryError()"}}, start)
    assert rec["status"] == "failed" and "MemoryError" in rec["error"]
    assert len(started) == 8


def test_funnel_chart_draws_limits_centre_and_a_red_point_for_the_outlier():
    from iop_metrics.report.charts import RED, to_svg
    from iop_metrics.report.charts.sites import chart as funnel

    comp = _raw([("east", 200, 100), ("west", 200, 160), ("rest", 400, 380)])
    fig = funnel(comp.sites, 0.8, x="n", y="rate", tau2=0.0, title="Raw rate",
                      x_title="n")  # fmt: skip
    svg = to_svg(fig)
    points = re.findall(r'<path[^>]*aria-roledescription="point"[^>]*>', svg)
    assert len(points) == 3
    east = next(p for p in points if "n: 200; Raw rate: 50" in p)
    assert f'fill="{RED}"' in east and "reading: outside 99.8%" in east
    assert "p: 0.8" in svg  # the centre line
    # the bands as drawn: each area's path runs along its lower edge (larger pixel y) and back
    # along its upper edge; at every x, lo99.8 < lo95 < p < hi95 < hi99.8 (pixel y reversed),
    # and the 99.8% band is drawn first, under the 95% one
    marks = re.findall(
        r'<path aria-label="([^"]*)"[^>]*aria-roledescription="(area|line) mark" d="([^"]*)"', svg
    )
    edges = {}
    for label, _, d in marks:
        xy = [tuple(map(float, pt.split(","))) for pt in re.split("[ML]", d.rstrip("Z")) if pt]
        name = "998" if "hi998" in label else "95" if "hi95" in label else "p"
        edges[name] = xy
    assert [m[0].split("; ")[-1].split(":")[0] for m in marks] == ["hi998", "hi95", "p"]
    assert len(edges["p"]) == 121 and len(edges["998"]) == len(edges["95"]) == 242
    for i, (x, centre) in enumerate(edges["p"]):
        (x1, lo998), (x2, lo95) = edges["998"][i], edges["95"][i]
        (x3, hi998), (x4, hi95) = edges["998"][-1 - i], edges["95"][-1 - i]
        assert x == x1 == x2 == x3 == x4
        assert lo998 > lo95 > centre > hi95 > hi998, (i, lo998, lo95, centre, hi95, hi998)
