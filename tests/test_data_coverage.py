"""A period the data does not cover, and a scope it does not know (issue 32, items 1-3).

The worked example of metrics.md begins 2026-02-02 (C's admission) and ends 2026-06-03 (C's
next admission, a Wednesday); its levels table holds ASAM's codes, its only site is main and
its tracks adult-day and adult-evening. The sample's data ends 2026-10-31.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import duckdb
import pytest

import iop_metrics as im
from iop_metrics.cli import main
from iop_metrics.ingest.sample import write_worked_example


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> tuple[Path, Path]:
    """The worked example as a contract folder, and loaded (no export date recorded)."""
    folder = write_worked_example(tmp_path_factory.mktemp("example") / "data")
    db = folder.parent / "iop.duckdb"
    im.load(folder, db)
    return folder, db


def _err(capsys) -> str:
    return " ".join(capsys.readouterr().err.split())


# 1. a period or as-of date past the end of the data


def test_a_period_past_the_last_activity_is_exit_2_naming_the_date(example, capsys):
    _, db = example
    assert main(["metrics", "--db", str(db), "--period", "2026-06"]) == 2
    err = _err(capsys)
    assert "period 2026-06 (2026-06-01 – 2026-06-30) reaches past the end of the data" in err
    assert "its last activity date is 2026-06-03" in err and "--allow-partial" in err
    assert main(["metrics", "--db", str(db), "--period", "2026-06", "--allow-partial"]) == 0
    capsys.readouterr()


def test_a_gap_of_4_days_with_no_activity_is_allowed_not_5(example, capsys):
    _, db = example
    cmd = ["metrics", "--db", str(db), "--period", "2026-05", "--as-of"]
    assert main([*cmd, "2026-06-07"]) == 0  # the last activity, Wednesday 06-03, + 4 days
    capsys.readouterr()
    assert main([*cmd, "2026-06-08"]) == 2
    assert "as-of date 2026-06-08 of period 2026-05 reaches past the end" in _err(capsys)


def test_the_export_date_recorded_at_load_is_where_the_data_ends(example, tmp_path, capsys):
    folder, _ = example
    db = tmp_path / "iop.duckdb"
    load = ["load", str(folder), "--db", str(db), "--export-date"]
    assert main([*load, "2026-06-02"]) == 2  # before the data's last activity: a typo
    assert "export date 2026-06-02 is before the data's last activity date 2026-06-03" in _err(
        capsys
    )
    assert not db.exists()
    assert main([*load, "2026-07-01"]) == 0
    assert "export taken on 2026-07-01" in capsys.readouterr().out
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("select distinct export_date from load_log").fetchall() == [
        (dt.date(2026, 7, 1),)
    ]
    end = im.data_end(con)
    con.close()
    assert (end.last, end.taken, end.limit) == (dt.date(2026, 7, 1), True, dt.date(2026, 7, 1))
    # a month with no activity after its 3rd is complete: the export was taken after it
    assert main(["metrics", "--db", str(db), "--period", "2026-06"]) == 0
    capsys.readouterr()
    assert main(["metrics", "--db", str(db), "--period", "2026-06", "--as-of", "2026-07-02"]) == 2
    assert "the export was taken on 2026-07-01" in _err(capsys)


def test_the_mapping_says_when_the_export_was_taken(tmp_path):
    from test_import import _small

    from iop_metrics.ingest.importer import load_mapped

    export, mapping = _small(tmp_path)
    text = mapping.read_text().replace("[source]\n", '[source]\nexport_date = "modified"\n')
    mapping.write_text(text)
    stamp = dt.datetime(2025, 2, 21, 12, 0).timestamp()  # the data ends 2025-02-20
    for f in export.iterdir():
        os.utime(f, (stamp, stamp))
    load_mapped(export, tmp_path / "a.duckdb", mapping)
    mapping.write_text(text.replace('"modified"', "2025-02-28"))
    load_mapped(export, tmp_path / "b.duckdb", mapping)
    got = []
    for name in ("a", "b"):
        con = duckdb.connect(str(tmp_path / f"{name}.duckdb"), read_only=True)
        got.append(con.execute("select max(export_date) from load_log").fetchone()[0])
        con.close()
    assert got == [dt.date(2025, 2, 21), dt.date(2025, 2, 28)]
    mapping.write_text(text.replace('"modified"', '"yesterday"'))
    with pytest.raises(im.InputError, match='source.export_date: must be "modified"'):
        load_mapped(export, tmp_path / "c.duckdb", mapping)


def test_a_partial_report_says_where_the_data_ends_in_its_header_and_data_quality(
    example, tmp_path, capsys
):
    _, db = example
    out = tmp_path / "r"
    cmd = ["report", "--db", str(db), "--out", str(out), "--formats", "html"]
    assert main([*cmd, "--period", "2026-06"]) == 2
    assert not out.exists()
    assert main([*cmd, "--period", "2026-06", "--allow-partial"]) == 0
    assert main([*cmd, "--period", "2026-05"]) == 0
    capsys.readouterr()
    partial = (out / "2026-06" / "monthly_report.html").read_text()
    said = (
        "The data ends on 2026-06-03 (its last activity is on that date), before the as-of "
        "date 2026-06-30: what happened after it is missing"
    )
    header, quality = partial.split("<h2>Data quality</h2>")[0], partial.split("Data quality")[-1]
    assert "<th>Data ends</th>" in header and said in header
    assert "retention reads high" in header
    assert "Partial data: " + said in quality
    complete = (out / "2026-05" / "monthly_report.html").read_text()
    assert "Data ends" not in complete and "Partial data" not in complete


# 2. a period before the data begins


@pytest.mark.parametrize("extra", [[], ["--suppress", "11"], ["--allow-empty"]])
def test_a_period_before_the_data_begins_is_exit_2_naming_the_first_date(
    example, tmp_path, capsys, extra
):
    _, db = example
    out = tmp_path / "r"
    cmd = ["report", "--db", str(db), "--period", "2019-01", "--out", str(out), *extra]
    assert main(cmd) == 2
    err = _err(capsys)
    assert "period 2019-01 (2019-01-01 – 2019-01-31) ends before the data in" in err
    assert "its first activity date is 2026-02-02" in err and not out.exists()
    # the month the data begins in is reported
    assert main(["metrics", "--db", str(db), "--period", "2026-02"]) == 0
    capsys.readouterr()


# 3. an unknown level of care, site or track


def test_an_unknown_level_is_exit_2_with_the_known_codes_and_a_close_match(example, capsys):
    _, db = example
    assert main(["report", "--db", str(db), "--period", "2026-05", "--level", "2.2"]) == 2
    err = _err(capsys)
    assert f"--level '2.2' is not a level of care in {db} (known: 0.5, 1-WM, 1.0" in err
    assert "did you mean" in err
    assert main(["metrics", "--db", str(db), "--period", "2026-05", "--level", "3.7-wm"]) == 2
    assert "did you mean '3.7-WM'?" in _err(capsys)
    assert main(["sites", "--db", str(db), "--period", "2026-05", "--level", "21"]) == 2
    assert "--level '21' is not a level of care" in _err(capsys)
    # a known level with no episode is a scope of no one, not a misspelling
    assert main(["metrics", "--db", str(db), "--period", "2026-05", "--level", "2.5"]) == 0
    capsys.readouterr()


def test_the_api_refuses_an_unknown_level_site_or_track_with_a_value_error():
    con = im.example_connection()
    assert im.Scope(levels="2.1").levels == ("2.1",)  # not ('2', '.', '1')
    assert im.Scope(levels=["2.1", "3.5"]).levels == ("2.1", "3.5")
    with pytest.raises(ValueError, match="levels must be level codes"):
        im.Scope(levels=[2.1])
    q = im.Query.of("2026-05", scope=im.Scope(site="Main"))
    with pytest.raises(ValueError, match=r"site 'Main' is not a site in the data \(known: main\)"):
        im.document(con, q)
    with pytest.raises(ValueError, match="did you mean 'adult-day'"):
        im.document(con, im.Query.of("2026-05", scope=im.Scope(track="adult_day")))
    with pytest.raises(ValueError, match="level '2.2' is not a level of care"):
        im.site_comparison(con, im.Query.of("2026-05", scope=im.Scope(levels="2.2")), "completion")
    doc = im.document(con, im.Query.of("2026-05", scope=im.Scope(levels="2.1", site="main")))
    assert doc["census"]["admissions"] == 2


def test_query_of_takes_a_period_label_and_an_iso_date():
    q = im.Query.of("2026-10", as_of="2026-11-15")
    assert (q.period.label, q.period.start, q.as_of) == (
        "2026-10",
        dt.date(2026, 10, 1),
        dt.date(2026, 11, 15),
    )
    assert im.Query.of("2026-Q4").as_of == dt.date(2026, 12, 31)
