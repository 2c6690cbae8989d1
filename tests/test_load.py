"""The loader: every contract rule, the identifier guard, atomic replacement, quarantine."""

from __future__ import annotations

import copy
import gzip
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from helpers import WHO5, client, episode, session, sha256, write_dataset

from iop_metrics.cli import main
from iop_metrics.ingest.load import load
from iop_metrics.ingest.sample import generate

BASE = {
    "clients": [client("C1"), client("C2", birth_year=2010, sex="F")],
    "episodes": [
        episode("E1", "C1", "3.5", "2026-04-01", "2026-05-02"),
        episode("E2", "C1", "2.1", "2026-05-01", "2026-05-29", track="adult-day"),
        episode("E3", "C2", "2.1", "2026-05-04", track="adolescent"),
    ],
    "sessions": [
        session("E2", "2026-05-04"),
        session("E3", "2026-05-05", status="no_show"),
    ],
    "assessments": [
        {"episode_id": "E2", "assessed_on": "2026-05-01", "instrument": "PHQ-9", "score": 12}
    ],
}


@pytest.fixture(scope="module")
def _good_db_file(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("good")
    db = root / "iop.duckdb"
    load(write_dataset(root / "good", BASE), db)
    return db


@pytest.fixture()
def good_db(tmp_path, _good_db_file) -> Path:
    """BASE loaded: a copy of one load per module (a load is ~0.1 s; 44 tests start from one)."""
    db = tmp_path / "iop.duckdb"
    shutil.copyfile(_good_db_file, db)
    return db


def _broken(tmp_path: Path, table: str, index: int, **changes) -> Path:
    tables = copy.deepcopy(BASE)
    if table == "instruments":
        tables[table] = [dict(WHO5)]
    if index >= len(tables[table]):
        tables[table].append(changes)
    else:
        tables[table][index].update(changes)
    return write_dataset(tmp_path / "bad", tables)


# (table, row index, changes, column, message fragment, value shown)
CASES = [
    ("clients", 0, {"birth_year": "19x0"}, "birth_year", "not a whole number", "19x0"),
    ("clients", 0, {"birth_year": "1850"}, "birth_year", "outside 1900..2026", "1850"),
    ("clients", 0, {"birth_year": "2031"}, "birth_year", "outside 1900..2026", "2031"),
    ("clients", 1, {"sex": "female"}, "sex", "not one of", "female"),
    ("clients", 1, {"payer": "cash"}, "payer", "not one of", "cash"),
    ("clients", 1, {"client_id": "C1"}, "client_id", "not unique", "C1"),
    ("clients", 1, {"client_id": ""}, "client_id", "required", None),
    ("episodes", 1, {"client_id": "C9"}, "client_id", "refers to no row of clients", "C9"),
    ("episodes", 1, {"level_of_care": "2.2"}, "level_of_care", "not a code", "2.2"),
    ("episodes", 1, {"admit_date": "2026/05/01"}, "admit_date", "not a date", "2026/05/01"),
    ("episodes", 1, {"admit_date": "2026-02-30"}, "admit_date", "not a date", "2026-02-30"),
    ("episodes", 1, {"discharge_date": "2026-04-30"}, "discharge_date", "before admit", None),
    ("episodes", 1, {"discharge_reason": ""}, "discharge_reason", "required when", None),
    ("episodes", 2, {"discharge_reason": "completed"}, "discharge_reason", "must be empty", None),
    ("episodes", 1, {"discharge_reason": "graduated"}, "discharge_reason", "not one of", None),
    (
        "episodes",
        3,
        dict(episode("E4", "C1", "2.1", "2026-05-29")),
        "admit_date",
        "overlapping episode",
        "2026-05-29; overlaps episode E2 on line 3",
    ),
    ("episodes", 1, {"episode_id": "E1"}, "episode_id", "not unique", "E1"),
    (
        "sessions",
        0,
        {"session_date": "2026-05-30"},
        "session_date",
        "outside its episode",
        "2026-05-30",
    ),
    ("sessions", 0, {"session_date": "2026-04-30"}, "session_date", "outside its episode", None),
    ("sessions", 0, {"scheduled_minutes": "0"}, "scheduled_minutes", "outside 1..720", "0"),
    ("sessions", 0, {"scheduled_minutes": "721"}, "scheduled_minutes", "outside 1..720", "721"),
    ("sessions", 0, {"scheduled_minutes": "1.5"}, "scheduled_minutes", "not a whole", "1.5"),
    ("sessions", 0, {"attended_minutes": "181"}, "attended_minutes", "0..scheduled", "181"),
    ("sessions", 1, {"attended_minutes": "30"}, "attended_minutes", "unless status", "30"),
    ("sessions", 0, {"status": "present"}, "status", "not one of", "present"),
    ("sessions", 0, {"service_type": "yoga"}, "service_type", "not one of", "yoga"),
    ("sessions", 0, {"telehealth": "maybe"}, "telehealth", "true or false", "maybe"),
    ("sessions", 0, {"episode_id": "E9"}, "episode_id", "refers to no row of episodes", "E9"),
    ("sessions", 0, {"session_id": ""}, "session_id", "required", None),
    ("assessments", 0, {"score": "30"}, "score", "outside the instrument", "30"),
    ("assessments", 0, {"instrument": "BDI"}, "instrument", "not a code of instruments", "BDI"),
    ("instruments", 0, {**WHO5, "max_score": "0"}, "max_score", "must be above min_score", "0"),
    ("instruments", 0, {**WHO5, "caseness": "26"}, "caseness", "outside min_score..", "26"),
    ("instruments", 0, {**WHO5, "reliable_change": "0"}, "reliable_change", "above 0", "0"),
    ("instruments", 0, {**WHO5, "reliable_change": "26"}, "reliable_change", "at most", "26"),
    ("instruments", 0, {**WHO5, "lower_is_better": "up"}, "lower_is_better", "true or", "up"),
    ("instruments", 0, {**WHO5, "min_score": "low"}, "min_score", "not a number", "low"),
    ("instruments", 0, {**WHO5, "max_score": ""}, "max_score", "required", None),
    ("instruments", 1, dict(WHO5), "code", "not unique", "WHO-5"),
    ("assessments", 0, {"episode_id": "E7"}, "episode_id", "refers to no row", "E7"),
]


@pytest.mark.parametrize(("table", "index", "changes", "column", "fragment", "value"), CASES)
def test_each_broken_rule_exits_2_naming_file_line_column_value(
    tmp_path, good_db, capsys, table, index, changes, column, fragment, value
):
    before = sha256(good_db)
    bad = _broken(tmp_path, table, index, **changes)
    assert main(["load", str(bad), "--db", str(good_db)]) == 2
    err = capsys.readouterr().err
    line = index + 2  # header is line 1
    assert f"{bad / (table + '.csv')}:{line}: {column}: " in err, err
    assert fragment in err
    if value is not None:
        assert f"({value}" in err
    assert sha256(good_db) == before
    errors_file = Path(f"{good_db}.errors.txt")
    assert f"{table}.csv:{line}: {column}:" in errors_file.read_text()


def test_the_optional_noms_table_is_always_created_with_the_contract_schema(good_db):
    """No noms.csv in BASE: the load still makes `noms`, empty, typed as recovery.md says."""
    with duckdb.connect(str(good_db), read_only=True) as con:
        cols = con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_name = 'noms' order by ordinal_position"
        ).fetchall()
        assert con.execute("select count(*) from noms").fetchone()[0] == 0
    assert cols == [
        ("episode_id", "VARCHAR"),
        ("time_point", "VARCHAR"),
        ("collected_on", "DATE"),
        ("contact", "VARCHAR"),
        ("use_frequency", "VARCHAR"),
        ("employment", "VARCHAR"),
        ("living", "VARCHAR"),
        ("arrests", "INTEGER"),
        ("self_help", "VARCHAR"),
    ]


def test_every_problem_is_reported_not_just_the_first(tmp_path, capsys):
    tables = copy.deepcopy(BASE)
    tables["clients"][0]["sex"] = "woman"
    tables["sessions"][1]["status"] = "gone"
    bad = write_dataset(tmp_path / "bad", tables)
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "clients.csv:2: sex:" in err and "sessions.csv:3: status:" in err


def test_levels_of_care_file_is_checked_and_used(tmp_path, capsys):
    tables = copy.deepcopy(BASE)
    tables["levels_of_care"] = [
        {"code": "3.5", "name": "Residential", "intensity": "3.5", "setting": "residential"},
        {"code": "2.1", "name": "IOP", "intensity": "high", "setting": "clinic"},
    ]
    bad = write_dataset(tmp_path / "bad", tables)
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "levels_of_care.csv:3: intensity: is not a number (high)" in err
    assert "levels_of_care.csv:3: setting: is not one of" in err
    tables["levels_of_care"][1].update(intensity="2.1", setting="ambulatory")
    good = write_dataset(tmp_path / "good", tables)
    db = tmp_path / "x.duckdb"
    load(good, db)
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select count(*) from levels_of_care").fetchone()[0] == 2


def test_instruments_file_adds_rows_replaces_a_builtin_and_checks_scores(tmp_path, capsys):
    tables = copy.deepcopy(BASE)
    tables["instruments"] = [
        dict(WHO5),
        {"code": "PHQ-9", "min_score": "0", "max_score": "27", "lower_is_better": "yes",
         "caseness": "10", "reliable_change": "5"},
    ]  # fmt: skip
    tables["assessments"] += [
        {"episode_id": "E2", "assessed_on": "2026-05-20", "instrument": "WHO-5", "score": 26},
        {"episode_id": "E2", "assessed_on": "2026-05-21", "instrument": "BDI", "score": 3},
    ]
    bad = write_dataset(tmp_path / "bad", tables)
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "assessments.csv:3: score: is outside the instrument's range" in err
    assert "(26 for WHO-5)" in err
    assert "assessments.csv:4: instrument: is not a code of instruments" in err
    assert "instruments.csv" not in err  # the built-in rows break no rule either
    tables["assessments"][1]["score"] = 25
    del tables["assessments"][2]
    db = tmp_path / "x.duckdb"
    summary = load(write_dataset(tmp_path / "good", tables), db)
    assert summary.rows_read["instruments"] == summary.rows_loaded["instruments"] == 2
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "select code, name, min_score, max_score, lower_is_better, caseness, "
            "reliable_change from instruments order by code"
        ).fetchall()
        assert con.execute("select count(*) from assessments").fetchone()[0] == 2
    assert rows == [
        ("BAM-use", rows[0][1], 0.0, 90.0, True, None, None),
        ("GAD-7", rows[1][1], 0.0, 21.0, True, 8.0, 4.0),
        ("PHQ-9", "PHQ-9", 0.0, 27.0, True, 10.0, 5.0),  # the file's row replaced the built-in
        ("WHO-5", "WHO-5 Well-Being Index", 0.0, 25.0, False, 13.0, 5.0),
    ]


def test_without_instruments_file_the_builtin_table_is_loaded(good_db):
    with duckdb.connect(str(good_db), read_only=True) as con:
        rows = con.execute(
            "select code, min_score, max_score, lower_is_better, caseness, reliable_change "
            "from instruments order by code"
        ).fetchall()
    assert rows == [
        ("BAM-use", 0.0, 90.0, True, None, None),
        ("GAD-7", 0.0, 21.0, True, 8.0, 4.0),
        ("PHQ-9", 0.0, 27.0, True, 10.0, 6.0),
    ]


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("jane.doe@example.com", "an e-mail address"),
        ("123-45-6789", "a social security number"),
        ("(555) 123-4567", "a phone or fax number"),
        ("555.123.4567", "a phone or fax number"),
        ("https://clinic.example.org/p/1", "a URL"),
        ("www.example.com", "a URL"),
        ("10.20.30.40", "an IP address"),
        ("12 Main Street", "a street address"),
        ("MRN-0045566", "a medical record number"),
        ("John Smith", "a person's name"),
        ("Smith, John", "a person's name"),
    ],
)
def test_identifier_guard_refuses_direct_identifiers(tmp_path, capsys, value, kind):
    tables = copy.deepcopy(BASE)
    tables["clients"][1]["client_id"] = value
    tables["episodes"][2]["client_id"] = value
    bad = write_dataset(tmp_path / "bad", tables)
    db = tmp_path / "x.duckdb"
    assert main(["load", str(bad), "--db", str(db)]) == 2
    err = capsys.readouterr().err
    assert f"clients.csv:3: client_id: looks like {kind}" in err
    assert value not in err  # the identifier itself is never echoed
    assert not db.exists()


def test_identifier_guard_scans_site_and_track_but_allows_pseudonyms(tmp_path, capsys):
    tables = copy.deepcopy(BASE)
    tables["episodes"][0]["site"] = "call 555-123-4567"
    bad = write_dataset(tmp_path / "bad", tables)
    assert main(["validate", str(bad)]) == 2
    assert "episodes.csv:2: site: looks like a phone" in capsys.readouterr().err
    tables["episodes"][0]["site"] = "North Campus"  # a name pattern is only refused in ids
    tables["clients"][0]["client_id"] = "a7f3-19c2"
    tables["episodes"][0]["client_id"] = tables["episodes"][1]["client_id"] = "a7f3-19c2"
    assert main(["validate", str(write_dataset(tmp_path / "ok", tables))]) == 0


def test_no_message_prints_a_value_the_guard_withholds(tmp_path, capsys):
    """An SSN-shaped episode id that names no episode: the guard withholds it on its row, so the
    rows' "refers to no row of episodes" (sessions, assessments, noms) and a second use of the
    key or of a time point name the row but never print the value."""
    ssn = "123-45-6789"
    tables = copy.deepcopy(BASE)
    tables["sessions"][1]["episode_id"] = ssn
    tables["assessments"][0]["episode_id"] = ssn
    tables["noms"] = [
        {"episode_id": ssn, "time_point": "admission", "collected_on": "2026-05-04"},
        {"episode_id": "E3", "time_point": "admission", "collected_on": "2026-05-04"},
        {"episode_id": ssn, "time_point": "admission", "collected_on": "2026-05-05"},
    ]
    bad = write_dataset(tmp_path / "bad", tables)
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    refs = sorted(e.split("/")[-1] for e in err.splitlines() if "refers to no row" in e)
    assert refs == [
        "assessments.csv:2: episode_id: refers to no row of episodes ((value withheld))",
        "noms.csv:2: episode_id: refers to no row of episodes ((value withheld))",
        "noms.csv:4: episode_id: refers to no row of episodes ((value withheld))",
        "sessions.csv:3: episode_id: refers to no row of episodes ((value withheld))",
    ], err
    second = "noms.csv:4: time_point: a second admission row for this episode (at most one per "
    assert second + "episode) ((value withheld); first used on line 2)" in err, err
    assert ssn not in err and "45-6789" not in err
    # Quarantine: an episode id refused by the guard, used twice, and a session that refers to it.
    tables = copy.deepcopy(BASE)
    for row in (tables["episodes"][2], tables["sessions"][1]):
        row["episode_id"] = ssn
    tables["episodes"].append(episode(ssn, "C1", "3.5", "2026-06-01"))  # and a second use
    db = tmp_path / "q.duckdb"
    assert main(["load", str(write_dataset(tmp_path / "q", tables)), "--db", str(db),
                 "--quarantine"]) == 0  # fmt: skip
    with duckdb.connect(str(db), read_only=True) as con:
        rejected = con.execute(
            "select table_name, line, column_name, value from rejected_rows order by all"
        ).fetchall()
    assert rejected == [
        ("episodes", 4, "episode_id", None),  # the guard
        ("episodes", 5, "episode_id", "(value withheld)"),  # is not unique: first used on line 4
        ("episodes", 5, "episode_id", None),
        ("sessions", 3, "episode_id", None),
    ]


def test_unknown_and_missing_columns_and_files_are_refused(tmp_path, capsys):
    good = write_dataset(tmp_path / "d", BASE)
    text = (good / "clients.csv").read_text().splitlines()
    text[0] += ",last_name"
    text[1:] = [r + ",Smith" for r in text[1:]]
    (good / "clients.csv").write_text("\n".join(text) + "\n")
    assert main(["validate", str(good)]) == 2
    assert "clients.csv:1: last_name: column is not in the data contract" in capsys.readouterr().err
    good = write_dataset(tmp_path / "e", BASE)
    text = (good / "sessions.csv").read_text().replace("status,", "state,", 1)
    (good / "sessions.csv").write_text(text)
    assert main(["validate", str(good)]) == 2
    err = capsys.readouterr().err
    assert "sessions.csv:1: status: required column is missing" in err
    (good / "episodes.csv").unlink()
    assert main(["validate", str(good)]) == 2
    assert "required table episodes is missing" in capsys.readouterr().err


def test_malformed_csv_lines_are_reported_with_their_line(tmp_path, capsys):
    good = write_dataset(tmp_path / "d", BASE)
    with open(good / "sessions.csv", "a") as fh:
        fh.write("S99,E2,2026-05-06\n")
    assert main(["validate", str(good)]) == 2
    assert "sessions.csv:4: malformed CSV line" in capsys.readouterr().err


def test_quarantine_sets_aside_bad_rows_and_their_dependents(tmp_path):
    tables = copy.deepcopy(BASE)
    tables["clients"][1]["sex"] = "woman"  # C2 bad -> E3 -> its session
    tables["sessions"].append(session("E2", "2026-05-06", status="lost"))
    db = tmp_path / "q.duckdb"
    summary = load(write_dataset(tmp_path / "d", tables), db, quarantine=True)
    assert summary.rows_loaded == {
        "levels_of_care": 18,
        "instruments": 3,
        "clients": 1,
        "episodes": 2,
        "sessions": 1,
        "assessments": 1,
        "noms": 0,
    }
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "select table_name, line, column_name from rejected_rows order by all"
        ).fetchall()
        assert rows == [
            ("clients", 3, "sex"),
            ("episodes", 4, "client_id"),
            ("sessions", 3, "episode_id"),
            ("sessions", 4, "status"),
        ]
        assert con.execute("select episode_id from episodes order by 1").fetchall() == [
            ("E1",),
            ("E2",),
        ]


def test_csv_gz_and_parquet_load_the_same_tables(tmp_path):
    src = generate(tmp_path / "csv", clients=60, seed=5).out_dir
    pq_dir = generate(tmp_path / "pq", clients=60, seed=5, fmt="parquet").out_dir
    gz = tmp_path / "gz"
    gz.mkdir()
    for f in src.glob("*.csv"):
        with open(f, "rb") as a, gzip.open(gz / (f.name + ".gz"), "wb") as b:
            shutil.copyfileobj(a, b)
    dumps = []
    for d in (src, gz, pq_dir):
        load(d, tmp_path / f"{d.name}.duckdb")
        with duckdb.connect(str(tmp_path / f"{d.name}.duckdb"), read_only=True) as con:
            dumps.append(
                {
                    t: con.execute(f"select * from {t}").fetchall()
                    for t in ("clients", "episodes", "sessions", "assessments", "noms")
                }
            )
    assert dumps[0] == dumps[1] == dumps[2]
    assert len(dumps[0]["sessions"]) > 500


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_generator_output_always_passes_validation(tmp_path, seed):
    out = generate(tmp_path / "s", clients=150, sites=seed % 4 + 1, seed=seed).out_dir
    assert main(["validate", str(out)]) == 0


def test_generator_is_deterministic_and_loading_twice_gives_identical_tables(tmp_path):
    a = generate(tmp_path / "a", clients=80, seed=9).out_dir
    b = generate(tmp_path / "b", clients=80, seed=9).out_dir
    for f in a.iterdir():
        assert f.read_bytes() == (b / f.name).read_bytes()
    tables = []
    for i in range(2):
        load(a, tmp_path / f"{i}.duckdb")
        with duckdb.connect(str(tmp_path / f"{i}.duckdb"), read_only=True) as con:
            tables.append(
                {
                    t: con.execute(f"select * from {t}").fetchall()
                    for t in ("clients", "episodes", "sessions", "assessments", "noms")
                }
            )
    assert tables[0] == tables[1]


def test_sessions_are_stored_by_date_then_line(tmp_path):
    """The sessions table holds its rows by session_date, then file line (so a period's
    queries skip other dates' row groups), loaded clean or with rows set aside; the other
    tables keep the file's order."""
    tables = copy.deepcopy(BASE)
    tables["sessions"] = [
        session("E3", "2026-05-20", session_id="S-a"),
        session("E2", "2026-05-06", session_id="S-b"),
        session("E3", "2026-05-06", session_id="S-c"),
        session("E2", "2026-05-06", session_id="S-d"),
        session("E2", "2026-05-04", session_id="S-e"),
    ]
    tables["clients"] = tables["clients"][::-1]
    expected = ["S-e", "S-b", "S-c", "S-d", "S-a"]
    clean = write_dataset(tmp_path / "clean", tables)
    tables["sessions"].insert(2, session("E2", "2026-05-05", status="gone", session_id="S-x"))
    dirty = write_dataset(tmp_path / "dirty", tables)
    for folder, quarantine in ((clean, False), (dirty, True)):
        db = tmp_path / f"{folder.name}.duckdb"
        load(folder, db, quarantine=quarantine)
        with duckdb.connect(str(db), read_only=True) as con:
            assert [r[0] for r in con.execute("select session_id from sessions").fetchall()] == (
                expected
            ), folder.name
            clients = con.execute("select client_id from clients").fetchall()
            assert [r[0] for r in clients] == ["C2", "C1"]


def test_load_replaces_while_a_reader_holds_the_old_snapshot(tmp_path, good_db):
    reader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys\n"
            f"con = duckdb.connect({str(good_db)!r}, read_only=True)\n"
            "print(con.execute('select count(*) from clients').fetchone()[0], flush=True)\n"
            "sys.stdin.readline()\n"
            "print(con.execute('select count(*) from clients').fetchone()[0], flush=True)\n",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert reader.stdout.readline().strip() == "2"
    bigger = generate(tmp_path / "s", clients=30, seed=2).out_dir
    load(bigger, good_db)
    out, _ = reader.communicate("go\n", timeout=60)
    assert out.strip() == "2"  # the reader kept its snapshot
    with duckdb.connect(str(good_db), read_only=True) as con:
        assert con.execute("select count(*) from clients").fetchone()[0] == 30


def test_a_killed_load_leaves_the_old_database_intact(tmp_path, good_db):
    before = sha256(good_db)
    big = generate(tmp_path / "big", clients=20_000, seed=4).out_dir
    proc = subprocess.Popen(
        [sys.executable, "-m", "iop_metrics.cli", "load", str(big), "--db", str(good_db)]
    )
    deadline = time.time() + 120
    while not list(good_db.parent.glob(".iop.duckdb.*.tmp")) and time.time() < deadline:
        assert proc.poll() is None, "the load finished before it could be interrupted"
        time.sleep(0.01)
    proc.kill()
    proc.wait()
    assert sha256(good_db) == before
    with duckdb.connect(str(good_db), read_only=True) as con:
        assert con.execute("select count(*) from clients").fetchone()[0] == 2
    assert list(good_db.parent.glob(".iop.duckdb.*"))  # the killed load's scratch files
    # the next load, of any folder, clears them (its lock file stays, naming no holder); the
    # small BASE, not the 20,000 clients again (~5 s of CPU)
    load(write_dataset(tmp_path / "small", BASE), good_db)
    assert [p.name for p in good_db.parent.glob(".iop.duckdb.*")] == [".iop.duckdb.lock"]
    assert (good_db.parent / ".iop.duckdb.lock").read_text() == ""


def test_load_log_records_provenance(good_db):
    with duckdb.connect(str(good_db), read_only=True) as con:
        rows = con.execute(
            "select table_name, file, length(sha256), rows_loaded, package_version, snapshot "
            "from load_log order by 1"
        ).fetchall()
    assert [r[0] for r in rows] == ["assessments", "clients", "episodes", "sessions"]
    assert all(r[2] == 64 and r[4] == "0.1.0" for r in rows)
    assert len({r[5] for r in rows}) == 1
    assert dict((r[0], r[3]) for r in rows)["sessions"] == 2


def test_too_many_fields_is_malformed_and_later_lines_keep_their_numbers(tmp_path, capsys):
    good = write_dataset(tmp_path / "d", BASE)
    lines = (good / "clients.csv").read_text().splitlines()
    lines.insert(2, "C7,1990,M,alcohol,medicaid,self,surplus")
    lines.append("C8,1990,female,alcohol,medicaid,self")
    (good / "clients.csv").write_text("\n".join(lines) + "\n")
    assert main(["validate", str(good)]) == 2
    err = capsys.readouterr().err
    assert "clients.csv:3: malformed CSV line" in err
    assert "clients.csv:5: sex: is not one of F, M, X, U (female)" in err
