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


def test_a_site_report_gets_its_own_folder(sample_db, tmp_path):
    import os
    import subprocess
    import sys

    out = tmp_path / "reports"
    cmd = ["report", "--db", str(sample_db), "--period", "2026-09", "--through", "2026-10"]
    cmd += ["--out", str(out), "--site", "north", "--formats", "html"]
    proc = subprocess.run(
        [sys.executable, "-m", "iop_metrics.cli", *cmd],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,  # one stream, as a log file shows them
        env={k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"},  # as under cron
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(("[#", "wrote "))]
    assert [ln.split(" in ")[0] for ln in lines] == [  # each month's bar, then its wrote-line
        "[##########          ] 1/2 2026-09 ...",
        f"wrote {out / '2026-09' / 'north'}/",
        "[####################] 2/2 2026-10 ...",
        f"wrote {out / '2026-10' / 'north'}/",
    ]
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
    from iop_metrics.run.plan import make_plan

    cfg = _config(tmp_path, "2026-10")
    (tmp_path / "mapping.toml").write_text("")
    cfg.write_text(cfg.read_text().replace("[reports]", 'mapping = "mapping.toml"\n[reports]'))
    c = read_config(cfg)
    with pytest.raises(InputError) as exc:
        make_plan(c, parse_period("2026-10"), ("Main Campus",))
    assert f"give each site a code in {tmp_path / 'mapping.toml'}" in str(exc.value)
    assert "tables.episodes.columns.site.codes" in str(exc.value)


# The guidance a new user needs on the EHR path (issue 20, item 9).

EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "examples" / "ehr"


def _example_mapping(tmp_path: Path, text: str | None = None) -> Path:
    from iop_metrics.ingest.pseudonym import keygen

    mapping = tmp_path / "mapping.toml"
    mapping.write_text(text or (EXAMPLE / "mapping.toml").read_text())
    if not (tmp_path / "example.key").exists():
        keygen(tmp_path / "example.key")
    return mapping


def test_loading_an_export_without_its_mapping_says_it_needs_one(tmp_path, capsys):
    export = EXAMPLE / "export"
    assert main(["load", str(export), "--db", str(tmp_path / "iop.duckdb")]) == 2
    err = capsys.readouterr().err
    assert "required table clients is missing" in err
    assert f"{export}: holds no contract table but 7 export file(s) (Appointments_2024.csv" in err
    assert "add --mapping MAPPING (`iop-metrics mapping draft" in err
    assert (tmp_path / "iop.duckdb.errors.txt").is_file() and not (tmp_path / "iop.duckdb").exists()


def test_a_misspelt_column_suggests_the_close_one_and_nothing_unrelated(tmp_path, capsys):
    text = (EXAMPLE / "mapping.toml").read_text()
    mapping = _example_mapping(tmp_path, text.replace('"Admission Date"', '"Admision Date"', 1))
    db = tmp_path / "ehr.duckdb"
    assert main(["load", str(EXAMPLE / "export"), "--mapping", str(mapping), "--db", str(db)]) == 2
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "error: Census.xlsx:1: Admision Date: is named in tables.episodes of the mapping but is "
        "not in the file; did you mean 'Admission Date'?"
    ]
    # load --mapping keeps every problem in <db>.errors.txt, as a load does
    assert "did you mean 'Admission Date'?" in (tmp_path / "ehr.duckdb.errors.txt").read_text()
    assert not db.exists()


def test_mapping_errors_name_the_line_of_the_mapping_file(tmp_path, capsys):
    text = (EXAMPLE / "mapping.toml").read_text()
    bad = text.replace("[tables.sessions]\n", '[tables.sessions]\ncolour = "red"\n')
    bad = bad.replace('key_file = "example.key"', 'key_file = "?"')
    mapping = _example_mapping(tmp_path, bad)
    out = tmp_path / "out"
    assert (
        main(["import", str(EXAMPLE / "export"), "--mapping", str(mapping), "--out", str(out)]) == 2
    )
    err = capsys.readouterr().err
    lines = bad.splitlines()
    colour = lines.index('colour = "red"') + 1
    key = next(i for i, ln in enumerate(lines, 1) if ln.startswith('key_file = "?"'))
    assert f"{mapping}:{colour}: tables.sessions: unknown key 'colour'" in err
    assert f'{mapping}:{key}: pseudonymize.key_file: is still "?" from the draft' in err


def test_keygen_creates_the_keys_folder_private(tmp_path):
    from iop_metrics.ingest.pseudonym import keygen

    (tmp_path / "etc").mkdir(mode=0o755)
    key = keygen(tmp_path / "etc" / "iop-metrics" / "keys" / "key")
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    for folder in (tmp_path / "etc" / "iop-metrics", key.parent):
        assert oct(folder.stat().st_mode & 0o777) == "0o700", folder
    assert oct((tmp_path / "etc").stat().st_mode & 0o777) == "0o755"  # existing: untouched


def test_load_with_a_mapping_names_the_exports_files(tmp_path, capsys):
    mapping = _example_mapping(tmp_path)
    db = tmp_path / "ehr.duckdb"
    assert main(["load", str(EXAMPLE / "export"), "--mapping", str(mapping), "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "(Census.xlsx, 1,345 read)" in out
    assert "(Appointments_2024.csv, Appointments_2025.csv, Appointments_2026.csv," in out
    assert "clients.csv" not in out


def test_a_bad_period_in_the_config_names_file_and_line(tmp_path, capsys):
    cfg = _config(tmp_path, "2026-13")
    assert main(["run", str(cfg), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert f"{cfg}:6: reports.period: period '2026-13': month must be 01..12" in err
