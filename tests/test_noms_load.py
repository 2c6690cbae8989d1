"""The contract table `noms` (spec/recovery.md): each rule refused with file, line, column and
value (exit 2), the boundaries of each window accepted, quarantine, the identifier guard and a
clean load that keeps every row as given."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

import duckdb
import pytest
from helpers import client, episode, sha256, write_dataset

from iop_metrics.cli import main
from iop_metrics.ingest.export import export
from iop_metrics.ingest.load import load

# E1 admitted 2026-03-01, discharged 2026-04-15; E2 admitted 2026-04-01, still open.
BASE: dict[str, list[dict]] = {
    "clients": [client("C1"), client("C2")],
    "episodes": [
        episode("E1", "C1", "2.1", "2026-03-01", "2026-04-15"),
        episode("E2", "C2", "2.1", "2026-04-01"),
    ],
    "sessions": [],
    "noms": [
        {"episode_id": "E1", "time_point": "admission", "collected_on": "2026-03-01",
         "use_frequency": "3_6_week", "employment": "unemployed", "living": "dependent",
         "arrests": "1", "self_help": "none"},
        {"episode_id": "E1", "time_point": "discharge", "collected_on": "2026-04-15",
         "use_frequency": "none", "employment": "part_time", "living": "independent",
         "arrests": "0", "self_help": "1_3"},
        {"episode_id": "E1", "time_point": "follow_up", "collected_on": "2026-05-20",
         "contact": "reached", "use_frequency": "1_3_month", "living": "independent"},
        {"episode_id": "E1", "time_point": "follow_up", "collected_on": "2026-06-20",
         "contact": "not_reached"},
        {"episode_id": "E2", "time_point": "admission", "collected_on": "2026-04-02",
         "use_frequency": "daily", "employment": "student", "arrests": "96"},
    ],
}  # fmt: skip
ADMISSION, DISCHARGE, REACHED, NOT_REACHED, E2_ADMISSION = range(5)
NEW = 5  # an index past the rows: the changes are a new row appended


def _dataset(tmp_path: Path, index: int, changes: dict) -> Path:
    tables = copy.deepcopy(BASE)
    if index >= len(tables["noms"]):
        tables["noms"].append(changes)
    else:
        tables["noms"][index].update(changes)
    return write_dataset(tmp_path / "d", tables)


@pytest.fixture(scope="module")
def _clean_db(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("noms")
    db = root / "iop.duckdb"
    load(write_dataset(root / "clean", BASE), db)
    return db


def _follow(date: str, contact: str, **items) -> dict:
    return {"episode_id": "E1", "time_point": "follow_up", "collected_on": date,
            "contact": contact, **items}  # fmt: skip


# (row index, changes, column, message fragment, value shown)
CASES = [
    (ADMISSION, {"episode_id": ""}, "episode_id", "is required", None),
    (ADMISSION, {"episode_id": "E9"}, "episode_id", "refers to no row of episodes", "E9"),
    (ADMISSION, {"time_point": ""}, "time_point", "is required", None),
    (ADMISSION, {"time_point": "intake"}, "time_point", "is not one of admission", "intake"),
    (ADMISSION, {"collected_on": ""}, "collected_on", "is required", None),
    (ADMISSION, {"collected_on": "2026-02-30"}, "collected_on", "not a date", "2026-02-30"),
    (ADMISSION, {"use_frequency": "weekly"}, "use_frequency", "is not one of none", "weekly"),
    (ADMISSION, {"employment": "employed"}, "employment", "not one of full_time", "employed"),
    (ADMISSION, {"living": "shelter"}, "living", "is not one of homeless", "shelter"),
    (ADMISSION, {"self_help": "often"}, "self_help", "is not one of none", "often"),
    (ADMISSION, {"arrests": "-1"}, "arrests", "is outside 0..96", "-1"),
    (ADMISSION, {"arrests": "97"}, "arrests", "is outside 0..96", "97"),
    (ADMISSION, {"arrests": "1.5"}, "arrests", "is not a whole number", "1.5"),
    (REACHED, {"contact": "maybe"}, "contact", "is not one of reached", "maybe"),
    # the windows: admission admit_date +-30, discharge discharge_date +-30, follow_up after it
    (ADMISSION, {"collected_on": "2026-01-29"}, "collected_on", "within 30 days of admit_date",
     "2026-01-29; admitted 2026-03-01"),
    (ADMISSION, {"collected_on": "2026-04-01"}, "collected_on", "within 30 days of admit_date",
     "2026-04-01; admitted 2026-03-01"),
    (DISCHARGE, {"collected_on": "2026-03-15"}, "collected_on",
     "within 30 days of discharge_date", "2026-03-15; discharged 2026-04-15"),
    (DISCHARGE, {"collected_on": "2026-05-16"}, "collected_on",
     "within 30 days of discharge_date", "2026-05-16; discharged 2026-04-15"),
    (REACHED, {"collected_on": "2026-04-15"}, "collected_on", "after the episode's discharge",
     "2026-04-15; discharged 2026-04-15"),
    (NEW, {"episode_id": "E2", "time_point": "discharge", "collected_on": "2026-04-20"},
     "time_point", "needs an episode with a discharge_date", "discharge of episode E2"),
    (NEW, {"episode_id": "E2", "time_point": "follow_up", "collected_on": "2026-05-20",
           "contact": "declined"},
     "time_point", "needs an episode with a discharge_date", "follow_up of episode E2"),
    # contact: required for follow_up, empty otherwise
    (REACHED, {"contact": ""}, "contact", "is required when time_point is follow_up", None),
    (ADMISSION, {"contact": "reached"}, "contact", "must be empty unless", "reached"),
    (DISCHARGE, {"contact": "declined"}, "contact", "must be empty unless", "declined"),
    # a contact that is not `reached` carries no item
    (NOT_REACHED, {"use_frequency": "none"}, "use_frequency", "must be empty when the follow_up",
     "none with contact not_reached"),
    (NOT_REACHED, {"contact": "declined", "employment": "student"}, "employment",
     "must be empty when", "student with contact declined"),
    (NOT_REACHED, {"contact": "deceased", "living": "homeless"}, "living", "must be empty when",
     "homeless with contact deceased"),
    (NOT_REACHED, {"arrests": "0"}, "arrests", "must be empty when", "0 with contact"),
    (NOT_REACHED, {"self_help": "none"}, "self_help", "must be empty when", "none with contact"),
    # one admission and one discharge row per episode; one reached contact a day
    (NEW, {"episode_id": "E1", "time_point": "admission", "collected_on": "2026-03-02"},
     "time_point", "a second admission row", "E1; first used on line 2"),
    (NEW, {"episode_id": "E1", "time_point": "discharge", "collected_on": "2026-04-16"},
     "time_point", "a second discharge row", "E1; first used on line 3"),
    (NEW, _follow("2026-05-20", "reached", use_frequency="none"), "collected_on",
     "a second reached contact of this episode on this date", "2026-05-20; first used on line 4"),
]  # fmt: skip


@pytest.mark.parametrize(("index", "changes", "column", "fragment", "value"), CASES)
def test_each_broken_noms_rule_exits_2_naming_file_line_column_value(
    tmp_path, _clean_db, capsys, index, changes, column, fragment, value
):
    before = sha256(_clean_db)
    bad = _dataset(tmp_path, index, changes)
    assert main(["load", str(bad), "--db", str(_clean_db)]) == 2
    err = capsys.readouterr().err
    line = index + 2  # the header is line 1
    where = f"{bad / 'noms.csv'}:{line}: {column}: "
    found = [e for e in err.splitlines() if where in e]
    assert found, err
    assert fragment in found[0], found
    if value is not None:
        assert f"({value}" in found[0], found
    assert sha256(_clean_db) == before
    # exactly the rows broken are named: nothing else in the file is
    assert all(f"noms.csv:{line}:" in e for e in err.splitlines() if "noms.csv:" in e), err


# Rows on each boundary, and what several contacts may do: each loads.
ACCEPTED = [
    (ADMISSION, {"collected_on": "2026-01-30"}),  # admit_date - 30
    (ADMISSION, {"collected_on": "2026-03-31"}),  # admit_date + 30
    (DISCHARGE, {"collected_on": "2026-03-16"}),  # discharge_date - 30
    (DISCHARGE, {"collected_on": "2026-05-15"}),  # discharge_date + 30
    (REACHED, {"collected_on": "2026-04-16"}),  # the day after discharge
    (NOT_REACHED, {"collected_on": "2026-05-20"}),  # not reached, then reached the same day
    (NEW, _follow("2026-06-20", "not_reached")),  # two attempts that failed on one day
    (NEW, _follow("2026-05-21", "reached", arrests="96")),  # reached again the next day
    (NEW, _follow("2026-05-19", "reached")),  # and the day before, on a later line
    (NEW, _follow("2027-09-01", "deceased")),  # any time after discharge
    (REACHED, {"use_frequency": "", "living": ""}),  # a reached contact with no item
    (ADMISSION, {"arrests": "0"}),
]


@pytest.mark.parametrize(("index", "changes"), ACCEPTED)
def test_rows_on_the_boundaries_load(tmp_path, capsys, index, changes):
    good = _dataset(tmp_path, index, changes)
    assert main(["validate", str(good)]) == 0, capsys.readouterr().err


def test_a_clean_load_keeps_every_noms_row_as_given_and_export_writes_it(_clean_db, tmp_path):
    with duckdb.connect(str(_clean_db), read_only=True) as con:
        rows = con.execute("select * from noms").fetchall()
        logged = con.execute(
            "select rows_read, rows_loaded from load_log where table_name = 'noms'"
        ).fetchall()
    d = dt.date
    assert rows == [
        ("E1", "admission", d(2026, 3, 1), None, "3_6_week", "unemployed", "dependent", 1, "none"),
        ("E1", "discharge", d(2026, 4, 15), None, "none", "part_time", "independent", 0, "1_3"),
        ("E1", "follow_up", d(2026, 5, 20), "reached", "1_3_month", None, "independent", None,
         None),
        ("E1", "follow_up", d(2026, 6, 20), "not_reached", None, None, None, None, None),
        ("E2", "admission", d(2026, 4, 2), None, "daily", "student", None, 96, None),
    ]  # fmt: skip
    assert logged == [(5, 5)]
    written = export(_clean_db, tmp_path / "out")
    assert written["noms"] == 5
    exported = duckdb.sql(f"select * from read_parquet('{tmp_path}/out/noms/*.parquet')")
    assert exported.fetchall() == rows
    assert exported.columns[-2:] == ["arrests", "self_help"]


def test_quarantine_sets_aside_bad_noms_rows_and_those_of_a_rejected_episode(tmp_path):
    tables = copy.deepcopy(BASE)
    tables["clients"][1]["sex"] = "woman"  # C2 bad -> E2 -> its admission row
    tables["noms"][NOT_REACHED]["use_frequency"] = "none"  # an item on a contact not reached
    db = tmp_path / "q.duckdb"
    summary = load(write_dataset(tmp_path / "d", tables), db, quarantine=True)
    assert summary.rows_read["noms"] == 5 and summary.rows_loaded["noms"] == 3
    with duckdb.connect(str(db), read_only=True) as con:
        rejected = con.execute(
            "select line, column_name, reason from rejected_rows where table_name = 'noms' "
            "order by line"
        ).fetchall()
        kept = con.execute("select time_point, contact from noms").fetchall()
    assert rejected == [
        (5, "use_frequency", "must be empty when the follow_up contact is not reached"),
        (6, "episode_id", "set aside with the rejected episodes row it refers to"),
    ]
    assert kept == [("admission", None), ("discharge", None), ("follow_up", "reached")]


def test_the_identifier_guard_scans_the_episode_id_of_noms(tmp_path, capsys):
    bad = _dataset(tmp_path, ADMISSION, {"episode_id": "123-45-6789"})
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    guard = [e for e in err.splitlines() if "noms.csv:2: episode_id: looks like" in e]
    assert guard and "a social security number" in guard[0], err
    assert "123-45-6789" not in guard[0]
