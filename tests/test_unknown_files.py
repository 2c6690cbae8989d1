"""A data file in a contract folder that is no contract table's is named, with a close match,
and refused (exit 2) unless the user names it with ``--ignore`` (``[data] ignore`` in a run):
a typo such as ``assesments.csv`` must never lose a program its outcomes in silence."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import client, episode, session, write_dataset

from iop_metrics.cli import main
from iop_metrics.contract import TABLES
from iop_metrics.errors import InputError
from iop_metrics.ingest.staging import find_sources


def _folder(root: Path) -> Path:
    data = write_dataset(
        root / "export",
        {
            "clients": [client("C1")],
            "episodes": [episode("E1", "C1", "2.1", "2026-03-02")],
            # a session on the month's last day: March is complete, not a partial period
            "sessions": [session("E1", "2026-03-03"), session("E1", "2026-03-31")],
        },
    )
    # the outcomes, under a misspelt name, and a table this version does not know
    (data / "assesments.csv").write_text("episode_id,assessed_on,instrument,score\n")
    (data / "referrals.csv").write_text("episode_id,referred_on\n")
    (data / "README.md").write_text("notes are not data files\n")
    (data / "import_report.json").write_text("{}\n")
    return data


def test_each_unknown_data_file_is_named_with_its_close_match(tmp_path):
    data = _folder(tmp_path)
    with pytest.raises(InputError) as exc:
        find_sources(data)
    lines = [str(v) for v in exc.value.violations]
    assert len(lines) == 2, lines
    assert lines[0].startswith(f"{data / 'assesments.csv'}: is not a contract table (did you")
    assert "did you mean assessments.csv?" in lines[0]
    assert f"the contract's tables are {', '.join(TABLES)}" in lines[1]
    assert lines[1].startswith(str(data / "referrals.csv"))
    assert "--ignore referrals.csv" in lines[1]
    found = find_sources(data, ignore={"assesments.csv", "referrals.csv"})
    assert sorted(found) == ["clients", "episodes", "sessions"]
    with pytest.raises(InputError, match="assesments.csv"):
        find_sources(data, ignore={"referrals.csv"})  # only what is named is ignored


def test_the_known_tables_come_from_the_contract(tmp_path, monkeypatch):
    from iop_metrics.contract import Column, Table

    data = _folder(tmp_path)
    (data / "assesments.csv").unlink()
    extra = Table("referrals", (Column("episode_id", "text", required=True),), required=False)
    monkeypatch.setitem(TABLES, "referrals", extra)
    assert "referrals" in find_sources(data)


@pytest.mark.parametrize("command", ["validate", "load", "metrics", "report"])
def test_every_command_reading_a_folder_refuses_then_takes_ignore(tmp_path, command, capsys):
    data = _folder(tmp_path)
    (data / "referrals.csv").unlink()
    db = tmp_path / "iop.duckdb"
    argv = {
        "validate": ["validate", str(data)],
        "load": ["load", str(data), "--db", str(db)],
        "metrics": ["metrics", "--data", str(data), "--period", "2026-03"],
        "report": ["report", "--data", str(data), "--period", "2026-03", "--out",
                   str(tmp_path / "r"), "--formats", "html"],
    }[command]  # fmt: skip
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "assesments.csv: is not a contract table (did you mean assessments.csv?)" in err
    assert not db.exists() and not (tmp_path / "r").exists()
    if command != "report":  # the report renders: tests/test_report.py covers that path
        assert main([*argv, "--ignore", "assesments.csv"]) == 0


def test_a_run_refuses_the_file_unless_its_config_ignores_it(tmp_path, capsys):
    data = _folder(tmp_path)
    (data / "referrals.csv").unlink()
    body = '[data]\nexport = "export"\ndb = "iop.duckdb"\n\n[reports]\nformats = ["html"]\n'
    cfg = tmp_path / "iop-metrics.toml"
    cfg.write_text(body)
    assert main(["run", str(cfg), "--period", "2026-03"]) == 2
    assert "did you mean assessments.csv?" in capsys.readouterr().err
    assert not (tmp_path / "iop.duckdb").exists()
    cfg.write_text(body.replace('db = "iop.duckdb"\n', 'db = "iop.duckdb"\nignore = [1]\n'))
    assert main(["run", str(cfg), "--dry-run"]) == 2
    assert "data.ignore: must be a list of file names" in capsys.readouterr().err
    from iop_metrics.run.config import read_config
    from iop_metrics.run.source import load_export

    cfg.write_text(
        body.replace('db = "iop.duckdb"\n', 'db = "iop.duckdb"\nignore = ["assesments.csv"]\n')
    )
    assert load_export(read_config(cfg)).rows_loaded["episodes"] == 1
