"""What a new user meets first: a stale export, a misspelt site, a site report's folder, the first
dry run (issue 20). The sample's data ends 2026-10-31; its sites are main and north."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from conftest import SAMPLE

from iop_metrics.cli import main

STALE = "begins after the last activity in"
ENDS = "the export ends 2026-10-31; is it stale?"


def test_metrics_for_a_period_after_the_data_ends_is_an_error_naming_the_date(sample_db, capsys):
    assert main(["metrics", "--db", str(sample_db), "--period", "2026-11"]) == 2
    err = capsys.readouterr().err
    assert "period 2026-11 (2026-11-01 – 2026-11-30) " + STALE in err
    assert ENDS in err and "--allow-empty" in err
    # the month the data ends in is not stale; an empty month on purpose is allowed
    assert main(["metrics", "--db", str(sample_db), "--period", "2026-10"]) == 0
    capsys.readouterr()
    cmd = ["metrics", "--db", str(sample_db), "--period", "2026-11", "--allow-empty"]
    assert main(cmd) == 0
    assert json.loads(capsys.readouterr().out)["census"]["admissions"] == 0


def test_report_for_a_stale_period_exits_2_and_renders_nothing(sample_db, tmp_path, capsys):
    out = tmp_path / "reports"
    cmd = ["report", "--db", str(sample_db), "--out", str(out), "--formats", "html"]
    assert main([*cmd, "--period", "2026-12"]) == 2
    assert ENDS in capsys.readouterr().err
    # a range that runs past the data is refused before its first month is rendered
    assert main([*cmd, "--period", "2026-10", "--through", "2026-11"]) == 2
    assert "period 2026-11 " in capsys.readouterr().err
    assert not out.exists()


def test_an_unknown_site_or_track_exits_2_naming_the_known_ones(sample_db, tmp_path, capsys):
    db = str(sample_db)
    assert main(["metrics", "--db", db, "--period", "2026-10", "--site", "mian"]) == 2
    err = capsys.readouterr().err
    assert f"--site 'mian' is not a site in {db} (known: main, north); did you mean 'main'?" in err
    assert main(["metrics", "--db", db, "--period", "2026-10", "--track", "evening"]) == 2
    err = capsys.readouterr().err
    assert "--track 'evening' is not a track in" in err
    assert "(known: adolescent, adult-day, adult-evening)" in err
    out = tmp_path / "reports"
    cmd = ["report", "--db", db, "--period", "2026-10", "--site", "South", "--out", str(out)]
    assert main(cmd) == 2
    assert "(known: main, north)" in capsys.readouterr().err and not out.exists()
    assert main(["metrics", "--db", db, "--period", "2026-10", "--site", "north"]) == 0


def test_a_site_report_gets_its_own_folder(sample_db, tmp_path, capsys):
    out = tmp_path / "reports"
    cmd = ["report", "--db", str(sample_db), "--period", "2026-10", "--out", str(out)]
    assert main([*cmd, "--site", "north", "--formats", "html"]) == 0
    assert f"wrote {out / '2026-10' / 'north'}/ in" in capsys.readouterr().out
    north = json.loads((out / "2026-10" / "north" / "metrics.json").read_text())
    assert north["scope"]["site"] == "north"
    assert (out / "2026-10" / "north" / "monthly_report.html").is_file()
    assert sorted(p.name for p in (out / "2026-10").iterdir()) == ["north"]  # no program files


RUN = """[data]
export = "{export}"
db = "data/iop.duckdb"

[reports]
period = "{period}"
sites = "each"
audiences = ["internal"]
formats = ["html"]
"""


def _config(folder: Path, period: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "iop-metrics.toml"
    path.write_text(RUN.format(export=SAMPLE, period=period))
    return path


def test_a_run_over_a_stale_export_exits_2_and_records_no_ok_run(tmp_path, capsys):
    cfg = _config(tmp_path, "2026-11")
    (tmp_path / "data").mkdir()
    assert main(["run", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert f"begins after the last activity in {SAMPLE}: {ENDS}" in err
    runs = tmp_path / "reports" / "runs.jsonl"
    ok = [json.loads(x) for x in runs.read_text().splitlines()] if runs.exists() else []
    assert not [r for r in ok if r["status"] == "ok"]
    assert not list((tmp_path / "reports").glob("2026-11/**/*.html"))


def test_a_dry_run_says_the_database_ends_before_the_period(tmp_path, sample_db, capsys):
    cfg = _config(tmp_path, "2026-11")
    (tmp_path / "data").mkdir()
    shutil.copyfile(sample_db, tmp_path / "data" / "iop.duckdb")
    assert main(["run", str(cfg), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "2026-11/all/internal" in out
    assert "ends 2026-10-31, before period 2026-11 begins" in out and "Is the export stale?" in out
    assert main(["run", str(cfg), "--dry-run", "--period", "2026-10"]) == 0
    assert "stale" not in capsys.readouterr().out


def test_the_first_dry_run_shows_what_is_known_before_any_database(tmp_path, capsys):
    cfg = _config(tmp_path, "2026-10")
    assert main(["run", str(cfg), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "does not exist yet" in out
    assert "period 2026-10 (2026-10-01 – 2026-10-31)" in out
    assert str(tmp_path / "reports" / "2026-10" / "all" / "internal") in out
    assert "planned after the load, from the sites in the export" in out
    assert not (tmp_path / "reports").exists() and not (tmp_path / "data").exists()
    # no period in the config: the latest complete month comes after the load too
    cfg.write_text(cfg.read_text().replace('period = "2026-10"', 'period = ""'))
    assert main(["run", str(cfg), "--dry-run"]) == 0
    assert (
        "the latest complete month in the export, known after the load" in capsys.readouterr().out
    )


def test_a_site_label_that_cannot_name_a_folder_points_to_the_mapping(tmp_path):
    import pytest

    from iop_metrics.errors import InputError
    from iop_metrics.periods import parse_period
    from iop_metrics.run.config import read_config
    from iop_metrics.run.runner import make_plan

    cfg = _config(tmp_path, "2026-10")
    (tmp_path / "mapping.toml").write_text("")
    cfg.write_text(cfg.read_text().replace("[reports]", 'mapping = "mapping.toml"\n[reports]'))
    c = read_config(cfg)
    with pytest.raises(InputError) as exc:
        make_plan(c, parse_period("2026-10"), ("Main Campus",))
    assert f"give each site a code in {tmp_path / 'mapping.toml'}" in str(exc.value)
    assert "tables.episodes.columns.site.codes" in str(exc.value)
