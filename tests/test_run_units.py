"""`iop-metrics run` without rendering: the config file, the plan, the funnel figures, the index."""

from __future__ import annotations

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
from iop_metrics.errors import InputError
from iop_metrics.run import sites
from iop_metrics.run.archive import write_index
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
        ("suppress = 11", 'suppress = "11"', ":10: reports.suppress: must be a int"),
        ('sites = "each"', 'sites = "some"', ':8: reports.sites: must be "each"'),
        ('formats = ["html"]', 'formats = ["docx"]', ":11: reports.formats: must be a non-empty"),
        ('"external"]', '"public"]', ":9: reports.audiences: must be a non-empty list"),
        ('period = "last-month"', 'period = "Oct"', "period 'Oct' is not understood"),
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
    from iop_metrics.run.runner import load_export

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


TRANSITIONS = ("step_down", "step_up", "lateral", "no_next_care")


def _doc(att=(0, 0, 0), comp=(0, 0), ret=(0, None), sd=(0, 0, 0, 0)) -> dict:
    return {
        "attendance": {"attended": att[0], "no_show": att[1], "cancelled_client": att[2]},
        "discharges": {"total": comp[1], "by_reason": {"completed": comp[0]}},
        "retention": {"cohort_admissions": ret[0], "day_90": ret[1]},
        "transitions": dict(zip(TRANSITIONS, sd, strict=True)),
    }


def test_funnel_limits_by_hand():
    assert [round(x, 4) for x in sites.limits(0.8, 200, sites.Z998)] == [0.7126, 0.8874]
    assert [round(x, 4) for x in sites.limits(0.5, 100, sites.Z95)] == [0.402, 0.598]
    assert sites.limits(0.05, 10, sites.Z998) == (0.0, pytest.approx(0.2630, abs=1e-4))


def test_site_outside_the_998_limits_is_named_and_others_are_not():
    network = _doc(att=(640, 150, 10), comp=(40, 80), ret=(300, 0.6), sd=(20, 5, 5, 10))
    docs = {
        "east": _doc(att=(100, 90, 10), comp=(20, 40), ret=(150, 0.62), sd=(10, 3, 2, 5)),
        "west": _doc(att=(160, 38, 2), comp=(20, 40), ret=(150, 0.58), sd=(10, 2, 3, 5)),
    }
    df = sites.table(docs, network, 0)
    east = df[(df.site == "east") & (df.measure == "attendance")].iloc[0]
    assert (east.numerator, east.denominator, east.rate) == (100, 200, 0.5)
    assert round(east.lo998, 4) == 0.7126 and east.status == "outside 99.8% (below)"
    west = df[(df.site == "west") & (df.measure == "attendance")].iloc[0]
    assert west.rate == 0.8 and west.status == "within limits"
    step = df[(df.site == "east") & (df.measure == "step_down")].iloc[0]
    assert (step.numerator, step.denominator, step.rate) == (10, 20, 0.5)
    ret = df[(df.site == "east") & (df.measure == "retention")].iloc[0]
    assert pd_isna(ret.numerator) and ret.denominator == 150 and ret.rate == 0.62
    text = sites.sentence(df)
    assert text.startswith("Outside the 99.8% limits") and "east (attendance rate, below)" in text
    assert "west" not in text


def pd_isna(v) -> bool:
    return v is None or v != v


def test_external_hides_small_sites_and_one_more_so_none_can_be_worked_out():
    network = _doc(att=(500, 100, 0), comp=(45, 70), ret=(300, 0.6), sd=(20, 10, 5, 10))
    docs = {
        "a": _doc(att=(300, 60, 0), comp=(30, 45), ret=(200, 0.6), sd=(15, 5, 5, 5)),
        "b": _doc(att=(150, 30, 0), comp=(12, 17), ret=(95, 0.6), sd=(5, 4, 0, 4)),
        "c": _doc(att=(45, 15, 0), comp=(3, 8), ret=(5, 0.6), sd=(0, 1, 0, 1)),
    }
    df = sites.table(docs, network, 11)
    shown = df.set_index(["measure", "site"])
    # attendance: nobody small -> all shown
    assert shown.loc[("attendance", "c"), "denominator"] == 60
    # completion: c is small (3 of 8); alone it would be network minus the others, so the
    # smallest other site (b, 17) goes too
    for s in ("b", "c"):
        assert pd_isna(shown.loc[("completion", s), "numerator"])
        assert shown.loc[("completion", s), "status"] == "suppressed"
    assert shown.loc[("completion", "a"), "denominator"] == 45
    # step-down: b's complement (13 - 5 = 8) is small, c's denominator (2) too: both hidden
    assert pd_isna(shown.loc[("step_down", "b"), "rate"])
    assert pd_isna(shown.loc[("step_down", "c"), "rate"])
    # retention: cohort of 5 is small -> c hidden, b (95) goes with it
    assert pd_isna(shown.loc[("retention", "b"), "denominator"])
    assert shown.loc[("retention", "a"), "denominator"] == 200
    assert sites.network_row(network, "completion", 11)["denominator"] == 70


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
    assert 'href="2026-10/north/internal/monthly_report.html"' in part
    assert 'href="2026-10/sites.html">Sites compared (internal)' in part
    assert "program (single report)" in html and '<span class="n">99</span>' in html
    shutil.rmtree(out / "2026-09")
    html = write_index(out).read_text()
    assert "2026-09" not in html and "<script" not in html


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
    from iop_metrics.run.runner import make_plan

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


def test_funnel_chart_draws_limits_centre_and_a_red_point_for_the_outlier():
    from iop_metrics.report.charts import RED, to_svg

    network = _doc(att=(640, 150, 10), comp=(40, 80), ret=(300, 0.6), sd=(20, 5, 5, 10))
    docs = {
        "east": _doc(att=(100, 90, 10), comp=(20, 40), ret=(150, 0.62), sd=(10, 3, 2, 5)),
        "west": _doc(att=(160, 38, 2), comp=(20, 40), ret=(150, 0.58), sd=(10, 2, 3, 5)),
    }
    df = sites.table(docs, network, 0)
    svg = to_svg(sites.chart(df[df.measure == "attendance"], 0.8, "Attendance", n_min=1))
    points = re.findall(r'<path[^>]*aria-roledescription="point"[^>]*>', svg)
    assert len(points) == 2
    east = next(p for p in points if "Denominator: 200; rate: 50" in p)
    assert f'fill="{RED}"' in east and "reading: outside 99.8%" in east
    assert "Denominator: 1; p: 0.8" in svg  # the centre line starts at n_min
