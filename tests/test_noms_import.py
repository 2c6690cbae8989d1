"""`tables.noms` of a mapping: a state-submission extract (one row per episode, TEDS-named
columns) becomes an admission and a discharge row with the contract's codes; its problems are
named with the extract's file and line."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from test_import import MAPPING, _small, _write

from iop_metrics.cli import main
from iop_metrics.ingest.importer import import_export
from iop_metrics.ingest.load import load
from iop_metrics.ingest.pseudonym import pseudonym

HEADER = ["Casefile ID", "Admit Date", "Discharge Date", "SUB1", "FREQ1", "FREQ1_D", "EMPLOY",
          "EMPLOY_D", "DETNLF", "DETNLF_D", "LIVARAG", "LIVARAG_D", "ARRESTS", "ARRESTS_D",
          "FREQ_ATND_SELF_HELP", "FREQ_ATND_SELF_HELP_D"]  # fmt: skip
# CF-1 discharged 02/20/2025 (the census says so too); CF-2 still in care.
STATE = [
    HEADER,
    ["CF-1", "01/06/2025", "02/20/2025", "5", "2", "1", "4", "1", "2", "-9", "1", "3", "2", "0",
     "1", "5"],
    ["CF-2", "01/13/2025", "", "7", "3", "-9", "4", "-9", "-9", "-9", "-9", "-9", "97", "-9",
     "-9", "-9"],
]  # fmt: skip
NOMS = """
[tables.noms]
file = "State.csv"
drop = ["SUB1"]
[tables.noms.teds]
admission_date = "Admit Date"
discharge_date = "Discharge Date"
[tables.noms.columns]
episode_id = "Casefile ID"
"""


def _export(tmp_path, state=STATE, mapping=MAPPING + NOMS):
    export, m = _small(tmp_path, mapping=mapping)
    _write(export / "State.csv", state)
    return export, m


def test_a_state_extract_row_becomes_an_admission_and_a_discharge_row(tmp_path):
    export, m = _export(tmp_path)
    report, written = import_export(export, m, tmp_path / "contract")
    assert written["noms"] == 3 and report["tables"]["noms"]["rows_read"] == 2
    codes = report["tables"]["noms"]["codes"]
    assert codes["FREQ1"] == {"2": {"to": "1_3_month", "rows": 1}, "3": {"to": "daily", "rows": 1}}
    assert codes["EMPLOY"] == {"4": {"to": "(by DETNLF)", "rows": 2}}
    assert codes["LIVARAG_D"] == {
        "-9": {"to": "", "rows": 1},
        "3": {"to": "independent", "rows": 1},
    }
    db = tmp_path / "x.duckdb"
    load(tmp_path / "contract", db)
    key = (tmp_path / "k").read_bytes()
    cf1, cf2 = pseudonym(key, "CF-1"), pseudonym(key, "CF-2")
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("select * from noms order by episode_id = $a desc, 2", {"a": cf1})
        got = rows.fetchall()
    d = dt.date
    assert got == [
        # FREQ1 2 -> 1_3_month; EMPLOY 4 + DETNLF 2 -> student; ARRESTS kept as a count
        (cf1, "admission", d(2025, 1, 6), None, "1_3_month", "student", "homeless", 2, "none"),
        # FREQ1_D 1 -> none; EMPLOY_D 1 -> full_time (DETNLF_D -9 unread); self-help 5 -> some
        (cf1, "discharge", d(2025, 2, 20), None, "none", "full_time", "independent", 0, "some"),
        # -9, and a raw submission's 97, are empty; EMPLOY 4 with DETNLF -9 too; no discharge date
        (cf2, "admission", d(2025, 1, 13), None, "daily", None, None, None, None),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("row", "column", "value", "shown"),
    [
        (1, "FREQ1", "4", "State.csv:2: FREQ1: is not a TEDS code of FREQ1"),
        (2, "LIVARAG_D", "0", "State.csv:3: LIVARAG_D: is not a TEDS code of LIVARAG"),
        (1, "EMPLOY", "9", "State.csv:2: EMPLOY: is not a TEDS code of EMPLOY"),
        (2, "FREQ_ATND_SELF_HELP_D", "6", "State.csv:3: FREQ_ATND_SELF_HELP_D: is not a TEDS"),
        (1, "Admit Date", "2025-01-06", "State.csv:2: Admit Date: is not a date in the format"),
        # the contract's rules, traced to the extract: the discharge half names its columns
        (1, "ARRESTS_D", "97.5", "State.csv (discharge columns):2: arrests: is not a whole"),
        (2, "ARRESTS", "120", "State.csv:3: arrests: is outside 0..96"),
        (
            1,
            "Discharge Date",
            "04/01/2025",
            "State.csv (discharge columns):2: collected_on: a discharge row is collected within 30",
        ),
        (
            2,
            "Discharge Date",
            "02/01/2025",
            "State.csv (discharge columns):3: time_point: needs an episode with a discharge_date",
        ),
        (2, "Admit Date", "03/01/2025", "State.csv:3: collected_on: an admission row is"),
    ],
)
def test_a_bad_value_of_the_extract_is_refused_with_its_file_and_line(
    tmp_path, capsys, row, column, value, shown
):
    state = [list(r) for r in STATE]
    state[row][HEADER.index(column)] = value
    export, m = _export(tmp_path, state=state)
    out = tmp_path / "out"
    assert main(["import", str(export), "--mapping", str(m), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert shown in err, err
    assert not out.exists()


def test_a_teds_layout_maps_only_episode_id_and_names_both_dates(tmp_path, capsys):
    bad = NOMS.replace('discharge_date = "Discharge Date"\n', "") + 'living = "LIVARAG"\n'
    export, m = _export(tmp_path, mapping=MAPPING + bad)
    assert main(["import", str(export), "--mapping", str(m), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "tables.noms.teds: needs `discharge_date`" in err, err
    assert "tables.noms.columns.living: is filled from the TEDS columns" in err
    (tmp_path / "2").mkdir()
    on_sessions = MAPPING.replace("[tables.sessions]\n", "[tables.sessions]\nteds = {}\n")
    export, m = _export(tmp_path / "2", mapping=on_sessions + NOMS)
    assert main(["import", str(export), "--mapping", str(m), "--out", str(tmp_path / "o")]) == 2
    assert "tables.sessions.teds: is a table that only `tables.noms` takes" in (
        capsys.readouterr().err
    )


def test_a_draft_writes_the_teds_layout_for_a_state_extract_and_it_imports(tmp_path):
    from iop_metrics.ingest.draft import draft

    export, _ = _export(tmp_path)
    text = draft(export)
    block = text[text.index("[tables.noms]") :]
    assert block.splitlines()[:2] == ["[tables.noms]", 'file = "State.csv"']
    assert '# not matched: keep or drop each of these: "SUB1"' in block
    assert block.splitlines()[-7:] == [
        "",
        "[tables.noms.teds]",
        'admission_date = "Admit Date"',
        'discharge_date = "Discharge Date"',
        "",
        "[tables.noms.columns]",
        'episode_id = "Casefile ID"',
    ]
    assert text.count("State.csv") == 1  # it feeds no other table
    decided = block.replace("# not matched: keep or drop each of these:", "drop = [") + "\n"
    decided = decided.replace('"SUB1"\n', '"SUB1"]\n', 1)
    m = tmp_path / "decided.toml"
    m.write_text(MAPPING.replace("KEY", str(tmp_path / "k")) + decided)
    _, written = import_export(export, m, tmp_path / "contract")
    assert written["noms"] == 3


CALLS = [
    ["Casefile ID", "Call Date", "Result", "Drinking", "Housing"],
    ["CF-1", "03/20/2025", "Reached", "No", "Own place"],
    ["CF-1", "03/19/2025", "No answer", "", ""],
    ["CF-1", "04/30/2025", "Refused", "", ""],
]
FOLLOW_UPS = """
[tables.noms]
file = "Calls.csv"
[tables.noms.columns]
episode_id = "Casefile ID"
time_point = { value = "follow_up" }
collected_on = "Call Date"
use_frequency = { column = "Drinking", codes = { No = "none", Daily = "daily" } }
living = { column = "Housing", codes = { "Own place" = "independent", Shelter = "homeless" } }
[tables.noms.columns.contact]
column = "Result"
codes = { Reached = "reached", "No answer" = "not_reached", Refused = "declined" }
"""


def test_a_follow_up_call_log_maps_through_the_ordinary_columns(tmp_path, capsys):
    export, m = _export(tmp_path, mapping=MAPPING + FOLLOW_UPS)
    _write(export / "Calls.csv", CALLS)
    (export / "State.csv").unlink()
    import_export(export, m, tmp_path / "contract")
    db = tmp_path / "x.duckdb"
    load(tmp_path / "contract", db)
    with duckdb.connect(str(db), read_only=True) as con:
        got = con.execute(
            "select collected_on, contact, use_frequency, living from noms"
        ).fetchall()
    d = dt.date
    assert got == [
        (d(2025, 3, 20), "reached", "none", "independent"),
        (d(2025, 3, 19), "not_reached", None, None),
        (d(2025, 4, 30), "declined", None, None),
    ]
    # a call logged on the discharge day is no follow-up: refused at the log's line
    _write(export / "Calls.csv", [*CALLS, ["CF-1", "02/20/2025", "No answer", "", ""]])
    assert main(["import", str(export), "--mapping", str(m), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "Calls.csv:5: collected_on: a follow_up contact is after the episode's" in err, err


def test_a_draft_maps_a_contract_shaped_noms_file_to_noms(tmp_path):
    from iop_metrics.ingest.draft import draft

    export, _ = _export(tmp_path)
    (export / "State.csv").unlink()
    _write(
        export / "FollowUp.csv",
        [["Casefile ID", "Time Point", "Contact Date", "Contact Result", "Living Situation"],
         ["CF-1", "Follow-up", "03/20/2025", "Not reached", ""]],
    )  # fmt: skip
    text = draft(export)
    block = text[text.index("[tables.noms]") :]
    for line in (
        'file = "FollowUp.csv"',
        'episode_id = "Casefile ID"',
        'collected_on = "Contact Date"',
        '"Follow-up" = "follow_up"   # 1 row(s)',
        '"Not reached" = "not_reached"   # 1 row(s)',
        "[tables.noms.columns.living]",
    ):
        assert line in block, block


# Both sources of noms: the state extract and the call log, each an element of [[tables.noms]].
BOTH = NOMS.replace("[tables.noms]\n", "[[tables.noms]]\n") + FOLLOW_UPS.replace(
    "[tables.noms]\n", "[[tables.noms]]\n"
)


def _both(tmp_path, state=STATE, calls=CALLS, mapping=MAPPING + BOTH):
    tmp_path.mkdir(exist_ok=True)
    export, m = _export(tmp_path, state=state, mapping=mapping)
    _write(export / "Calls.csv", calls)
    return export, m


def test_a_state_extract_and_a_call_log_feed_noms_together(tmp_path):
    export, m = _both(tmp_path)
    report, written = import_export(export, m, tmp_path / "contract")
    assert written["noms"] == 3 + 3
    noms = report["tables"]["noms"]
    assert (noms["files"], noms["rows_read"], noms["rows_written"]) == (
        ["State.csv", "Calls.csv"],
        2 + 3,
        3 + 3,
    )
    assert [s["rows_written"] for s in noms["sources"]] == [3, 3]
    assert noms["codes"]["contact"]["Refused"] == {"to": "declined", "rows": 1}
    assert noms["codes"]["FREQ1"]["3"] == {"to": "daily", "rows": 1}
    db = tmp_path / "x.duckdb"
    load(tmp_path / "contract", db)
    cf1 = pseudonym((tmp_path / "k").read_bytes(), "CF-1")
    with duckdb.connect(str(db), read_only=True) as con:
        got = con.execute(
            "select time_point, collected_on, contact, use_frequency, living from noms "
            "where episode_id = $a order by all",
            {"a": cf1},
        ).fetchall()
    d = dt.date
    assert got == [
        ("admission", d(2025, 1, 6), None, "1_3_month", "homeless"),
        ("discharge", d(2025, 2, 20), None, "none", "independent"),
        ("follow_up", d(2025, 3, 19), "not_reached", None, None),
        ("follow_up", d(2025, 3, 20), "reached", "none", "independent"),
        ("follow_up", d(2025, 4, 30), "declined", None, None),
    ]


def test_each_sources_problems_name_its_own_file_and_line(tmp_path, capsys):
    state = [list(r) for r in STATE]
    state[1][HEADER.index("FREQ1")] = "4"
    calls = [list(r) for r in CALLS]
    calls[2][2] = "Maybe"
    export, m = _both(tmp_path, state=state, calls=calls)
    assert main(["import", str(export), "--mapping", str(m), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "State.csv:2: FREQ1: is not a TEDS code of FREQ1" in err, err
    assert "Calls.csv:3: Result: has no entry in tables.noms[1].columns.contact.codes" in err, err
    # the contract's rules, after both are put together: each row at its own file and line
    state = [list(r) for r in STATE]
    state[2][HEADER.index("ARRESTS")] = "120"
    on_discharge_day = ["CF-1", "02/20/2025", "No answer", "", ""]
    export, m = _both(tmp_path / "2", state=state, calls=[*CALLS, on_discharge_day])
    assert main(["import", str(export), "--mapping", str(m), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "State.csv:3: arrests: is outside 0..96" in err, err
    assert "Calls.csv:5: collected_on: a follow_up contact is after the episode's" in err, err
    assert len(err.strip().splitlines()) == 2, err


def test_only_noms_takes_several_sources_and_each_is_checked_at_its_line(tmp_path, capsys):
    month = 'episode_id = { column = "Casefile ID", part = "month" }'
    calls = FOLLOW_UPS.replace('episode_id = "Casefile ID"', month)
    bad = (NOMS + calls).replace("[tables.noms]\n", "[[tables.noms]]\n")
    export, m = _both(tmp_path, mapping=MAPPING + bad)
    assert main(["import", str(export), "--mapping", str(m), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    line = (MAPPING + bad).splitlines().index(month) + 1
    assert f"m.toml:{line}: tables.noms[1].columns.episode_id: part 'month'" in err, err
    assert len(err.strip().splitlines()) == 1, err
    twice = MAPPING.replace("[tables.sessions]", "[[tables.sessions]]") + BOTH
    export, m = _both(tmp_path / "2", mapping=twice)
    assert main(["import", str(export), "--mapping", str(m), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "tables.sessions: is given more than once; only tables.noms takes a list" in err, err


def test_a_draft_writes_both_sources_of_noms_when_both_files_are_there(tmp_path):
    from iop_metrics.ingest.draft import draft

    export, _ = _both(tmp_path, calls=[["Casefile ID", "Call Date", "Call Result", "Drinking",
                                        "Housing"], *CALLS[1:]])  # fmt: skip
    text = draft(export)
    assert text.count("[[tables.noms]]") == 2 and "[tables.noms]\n" not in text
    teds, calls = text.split("[[tables.noms]]")[1:]
    assert 'file = "State.csv"' in teds and "[tables.noms.teds]" in teds
    for line in (
        'file = "Calls.csv"',
        'collected_on = "Call Date"',
        'time_point = { value = "follow_up" }   # no column: a follow-up call log',
        '"Refused" = "declined"   # 1 row(s)',
        '"No answer" = "not_reached"   # 1 row(s)',
    ):
        assert line in calls, calls
    decided = "[[tables.noms]]" + teds.replace(
        '# not matched: keep or drop each of these: "SUB1"', 'drop = ["SUB1"]'
    )
    decided += "[[tables.noms]]" + calls.replace(
        "# not matched: map, keep or drop each of these:", "drop = ["
    ).replace('"Drinking"\n', '"Drinking"]\n', 1)
    m = tmp_path / "decided.toml"
    m.write_text(MAPPING.replace("KEY", str(tmp_path / "k")) + decided)
    _, written = import_export(export, m, tmp_path / "contract")
    assert written["noms"] == 3 + 3
