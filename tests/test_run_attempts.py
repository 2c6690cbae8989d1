"""A scheduled run that stops before it renders leaves a trace; --resume reads the period asked
(issue 32, items 3, 9 and 10). Over the worked example of metrics.md (2026-02-02 .. 2026-06-03,
one site), one internal HTML report per run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from iop_metrics.cli import main
from iop_metrics.ingest.sample import write_worked_example


def _config(tmp_path: Path, levels: str = '["2.1"]') -> Path:
    export = write_worked_example(tmp_path / "export")
    cfg = tmp_path / "run.toml"
    cfg.write_text(
        f'[data]\nexport = "{export}"\ndb = "iop.duckdb"\n'
        f'[reports]\nout = "reports"\nsites = "all"\nlevels = {levels}\n'
        'audiences = ["internal"]\nformats = ["html"]\n'
    )
    return cfg


def _lines(tmp_path: Path) -> list[dict]:
    text = (tmp_path / "reports" / "runs.jsonl").read_text()
    return [json.loads(x) for x in text.splitlines()]


def _index(tmp_path: Path) -> str:
    return " ".join((tmp_path / "reports" / "index.html").read_text().split())


def test_a_bad_period_is_refused_before_the_database_is_reloaded_and_recorded(tmp_path, capsys):
    cfg = _config(tmp_path)
    assert main(["load", str(tmp_path / "export"), "--db", str(tmp_path / "iop.duckdb")]) == 0
    before = (tmp_path / "iop.duckdb").stat().st_ino
    assert main(["run", str(cfg), "--period", "2026-13"]) == 2
    assert "period '2026-13': month must be 01..12" in capsys.readouterr().err
    assert (tmp_path / "iop.duckdb").stat().st_ino == before  # not reloaded (a load replaces it)
    [line] = _lines(tmp_path)
    assert (line["status"], line["stage"], line["period"], line["reports"]) == (
        "refused",
        "period",
        None,
        [],
    )
    assert "2026-13" in line["error"] and line["config"] == str(cfg.resolve())
    index = _index(tmp_path)
    assert "Runs that wrote no report" in index
    assert "(no period): Last run" in index and "was refused (exit 2) before writing any" in index


def test_a_stale_period_stops_the_run_with_exit_2_and_the_index_shows_the_attempt(tmp_path, capsys):
    cfg = _config(tmp_path)
    assert main(["run", str(cfg), "--period", "2026-08"]) == 2
    assert "begins after the last activity" in capsys.readouterr().err
    [line] = _lines(tmp_path)
    assert (line["status"], line["stage"], line["period"]) == ("refused", "plan", "2026-08")
    assert line["snapshot"] and "the export ends 2026-06-03" in line["error"]
    index = _index(tmp_path)
    assert "2026-08: Last run" in index and "period 2026-08 (2026-08-01 – 2026-08-31)" in index
    assert not (tmp_path / "reports" / "2026-08").exists()


def test_an_unknown_level_in_the_config_is_refused_by_the_dry_run_and_the_run(tmp_path, capsys):
    cfg = _config(tmp_path, levels='["2.2"]')
    assert main(["load", str(tmp_path / "export"), "--db", str(tmp_path / "iop.duckdb")]) == 0
    capsys.readouterr()
    assert main(["run", str(cfg), "--period", "2026-05", "--dry-run"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert f"{cfg.resolve()}: reports.levels: level '2.2' is not a level of care in" in err
    assert "(known: 0.5, 1-WM" in err and "did you mean" in err
    assert main(["run", str(cfg), "--period", "2026-05"]) == 2
    [line] = _lines(tmp_path)
    assert (line["status"], line["stage"]) == ("refused", "plan")


def test_a_failure_before_rendering_is_a_failed_line_and_an_index_note(tmp_path):
    from iop_metrics.run.config import read_config
    from iop_metrics.run.runner import stopped

    config = read_config(_config(tmp_path))
    config.out.mkdir()  # a run holds its lock there
    record = {"start": "2026-12-06T03:00:00+00:00", "period": "2026-05", "snapshot": "abc"}
    stopped(config, record, "render", RuntimeError("the suppression plan found no solution"))
    [line] = _lines(tmp_path)
    assert (line["status"], line["stage"], line["error"]) == (
        "failed",
        "render",
        "the suppression plan found no solution",
    )
    assert "2026-05: Last run" in _index(tmp_path)
    assert "failed before writing any report: the suppression plan found no solution" in _index(
        tmp_path
    )


@pytest.mark.parametrize("asked", ["2026-04", None])
def test_resume_reads_the_line_of_the_period_it_is_asked_for(tmp_path, capsys, asked):
    cfg = _config(tmp_path)
    from iop_metrics.ingest.load import load
    from iop_metrics.run.config import read_config

    sha = read_config(cfg).sha256
    snapshot = load(tmp_path / "export", tmp_path / "other.duckdb").snapshot  # what it reloads
    out = tmp_path / "reports"
    out.mkdir()
    common = {"config": str(cfg.resolve()), "config_sha256": sha, "snapshot": snapshot}
    failed = {"start": "2026-12-01T06:00:00+00:00", "period": "2026-04", "status": "failed"}
    failed["reports"] = [{"path": "2026-04/all/internal/", "status": "failed", "error": "x"}]
    ok = {"start": "2026-12-02T06:00:00+00:00", "period": "2026-05", "status": "ok"}
    ok["reports"] = [{"path": "2026-05/all/internal/", "status": "ok"}]
    (out / "runs.jsonl").write_text(
        "".join(json.dumps({**common, **x}) + "\n" for x in (failed, ok))
    )
    if asked is None:  # the last run of the config (2026-05) wrote everything
        assert main(["run", str(cfg), "--period", "2026-05", "--resume"]) == 0
        assert "nothing to resume" in capsys.readouterr().out
        return
    assert main(["run", str(cfg), "--period", asked, "--resume"]) == 0
    said = capsys.readouterr().out
    assert "nothing to resume" not in said
    assert "resuming the run of 2026-12-01T06:00:00+00:00" in said
    last = _lines(tmp_path)[-1]
    assert (last["period"], last["status"]) == ("2026-04", "ok")
    assert last["resumed"]["start"] == failed["start"]
    assert (out / "2026-04" / "all" / "internal" / "metrics.json").is_file()


def test_a_partial_period_is_refused_unless_allowed_and_then_every_page_says_so(tmp_path, capsys):
    cfg = _config(tmp_path)
    cfg.write_text(cfg.read_text().replace('sites = "all"', 'sites = "each"'))
    assert main(["run", str(cfg), "--period", "2026-06"]) == 2
    assert "its last activity date is 2026-06-03" in capsys.readouterr().err
    assert main(["run", str(cfg), "--period", "2026-06", "--allow-partial"]) == 0
    capsys.readouterr()
    refused, done = _lines(tmp_path)
    assert (refused["status"], done["status"], done["data_ends"]) == ("refused", "ok", "2026-06-03")
    assert "data_ends" not in refused
    said = "The data ends on 2026-06-03 (its last activity is on that date)"
    out = tmp_path / "reports" / "2026-06"
    for page in ("all/internal/monthly_report.html", "main/internal/monthly_report.html"):
        html = (out / page).read_text()
        assert said in html.split("</header>")[0] and "Partial data: " + said in html, page
    assert said in (out / "sites.html").read_text().split("</header>")[0]
    index = _index(tmp_path).replace("&#39;", "'")
    assert "Partial data: the data ends on 2026-06-03, before the period's end." in index


def test_the_run_config_can_take_the_export_date_from_the_files(tmp_path, capsys):
    import datetime as dt
    import os

    import duckdb

    from iop_metrics.run.config import read_config
    from iop_metrics.run.source import check_run_coverage, load_export

    cfg = _config(tmp_path)
    text = cfg.read_text()
    db = 'db = "iop.duckdb"'
    cfg.write_text(text.replace(db, db + '\nexport_date = "2026-07-01"'))
    assert main(["run", str(cfg), "--dry-run"]) == 2
    assert 'run.toml:4: data.export_date: "modified" is the one value' in capsys.readouterr().err
    cfg.write_text(text.replace(db, db + '\nexport_date = "modified"'))
    stamp = dt.datetime(2026, 7, 1, 9, 0).timestamp()
    for f in (tmp_path / "export").iterdir():
        os.utime(f, (stamp, stamp))
    config = read_config(cfg)
    load_export(config)
    con = duckdb.connect(str(config.db), read_only=True)
    assert con.execute("select distinct export_date from load_log").fetchall() == [
        (dt.date(2026, 7, 1),)
    ]
    con.close()
    from iop_metrics.periods import parse_period

    # June is complete: the export was taken on 07-01 (its last activity is 06-03)
    assert check_run_coverage(config.db, parse_period("2026-06"), config, allow_empty=False) is None


def test_an_export_refused_at_load_leaves_a_refused_line(tmp_path, capsys):
    cfg = _config(tmp_path)
    (tmp_path / "export" / "sessions.csv").write_text("session_id\n")  # a broken table
    assert main(["run", str(cfg), "--period", "2026-05"]) == 2
    assert "sessions.csv" in capsys.readouterr().err
    [line] = _lines(tmp_path)
    assert (line["status"], line["stage"], line["period"]) == ("refused", "load", "2026-05")
    assert "sessions.csv" in line["error"] and not (tmp_path / "iop.duckdb").exists()
    assert "2026-05: Last run" in _index(tmp_path)
