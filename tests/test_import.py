"""Import of EHR exports through a mapping file: round trip, pseudonyms and every refusal.

Real files throughout: an xlsx census, BOM/CRLF CSVs, a real key made by keygen,
real DuckDB loads; the round trip compares the metrics with those of data/sample.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import re
import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import ROOT, SAMPLE
from helpers import once_per_session

from iop_metrics.cli import main
from iop_metrics.compute.metrics import document
from iop_metrics.compute.query import Query
from iop_metrics.compute.slices import slices
from iop_metrics.ingest.ehr_example import make_export
from iop_metrics.ingest.importer import import_export
from iop_metrics.ingest.load import load
from iop_metrics.ingest.pseudonym import keygen, pseudonym
from iop_metrics.ingest.readers import xlsx_rows
from iop_metrics.periods import parse_period

EXAMPLE = ROOT / "data" / "examples" / "ehr"
TODAY = dt.date(2026, 11, 1)
# The phone numbers as the exports write them ("(555) 012-3456", "555-012-3456"), not a bare
# "555": a pseudonym is 16 hex digits under a fresh key, and one in 300 or so holds "555"
IDENTIFIERS = ("0100234", "0100235", "0100236", "Testperson", "Sampleton", "Fakename", "012-3456")


def _example(tmp_path: Path) -> tuple[Path, Path]:
    """The committed example export and its mapping, with a fresh key beside the mapping."""
    shutil.copy(EXAMPLE / "mapping.toml", tmp_path / "mapping.toml")
    keygen(tmp_path / "example.key")
    return EXAMPLE / "export", tmp_path / "mapping.toml"


def _imported(tmp: Path) -> tuple[Path, Path, dict]:
    export, mapping = _example(tmp)
    report, _ = import_export(export, mapping, tmp / "contract")
    db = tmp / "imported.duckdb"
    load(tmp / "contract", db)
    return tmp, db, report


@pytest.fixture(scope="session")
def imported(tmp_path_factory) -> tuple[Path, Path, dict]:
    """The example export imported into a contract folder and that folder loaded, once per
    session (``once_per_session``: not once per xdist worker); the tests only read them."""
    return once_per_session(tmp_path_factory, "test-import-imported", _imported)


def _mapped(tmp: Path) -> tuple[Path, Path]:
    export, mapping = _example(tmp)
    db = tmp / "ehr.duckdb"
    assert main(["load", str(export), "--mapping", str(mapping), "--db", str(db)]) == 0
    return db, mapping


@pytest.fixture(scope="session")
def mapped(tmp_path_factory) -> tuple[Path, Path]:
    """``iop-metrics load EXPORT --mapping M`` of the example export (the database and M), once
    per session for the tests that read such a database (the report's data quality section and
    header); they only read it."""
    return once_per_session(tmp_path_factory, "test-import-mapped", _mapped)


def test_the_example_export_imports_to_exactly_the_metrics_of_the_sample(imported, sample_db):
    _, db, _ = imported
    ours = duckdb.connect(str(db), read_only=True)
    theirs = duckdb.connect(str(sample_db), read_only=True)
    try:
        for label in ("2026-09", "2026-Q3", "2025"):
            q = Query.of(parse_period(label, today=TODAY))
            assert document(ours, q) == document(theirs, q), label
        q = Query.of(parse_period("2026-Q3", today=TODAY))
        for by in ("sex", "payer", "primary_substance", "referral_source", "age_band"):
            assert slices(ours, q, by=by).equals(slices(theirs, q, by=by)), by
        counts = "select (select count(*) from clients), (select count(*) from episodes), "
        counts += "(select count(*) from sessions), (select count(*) from assessments), "
        counts += "(select count(*) from noms)"
        assert ours.execute(counts).fetchone() == theirs.execute(counts).fetchone()
        assert ours.execute(counts).fetchone() == (700, 1345, 21923, 3188, 3084)
        # the document's noms and follow_up keys are equal as a whole: noms reads only TEDS's
        # three use levels (abstinent, reduced), and the call log carries every follow-up item
        doc = document(ours, Query.of(parse_period("2025", today=TODAY)))
        assert doc["noms"]["ended"] > 0 and doc["follow_up"]["3m"]["reached"] > 0
    finally:
        ours.close()
        theirs.close()


# The sample's admission and discharge NOMS rows in TEDS's three use levels: what a state
# submission carries (follow-up contacts are no part of it), each with its episode's dates.
NOMS_ROWS = """
    select time_point, collected_on, case when use_frequency in ('1_3_month', '1_2_week',
        '3_6_week') then 'some' else use_frequency end, employment, living, arrests, self_help,
        admit_date, discharge_date
    from noms join episodes using (episode_id) where time_point <> 'follow_up' order by all
"""
# Its follow-up contacts, every column as given: what the call log carries.
FOLLOW_UP_ROWS = """
    select collected_on, contact, use_frequency, employment, living, arrests, self_help,
        admit_date, discharge_date
    from noms join episodes using (episode_id) where time_point = 'follow_up' order by all
"""


def test_the_state_submission_imports_to_the_samples_admission_and_discharge_rows(
    imported, sample_db
):
    _, db, report = imported
    with duckdb.connect(str(db), read_only=True) as ours:
        got = ours.execute(NOMS_ROWS).fetchall()
        episodes = ours.execute(
            "select count(distinct n.episode_id), count(*) filter (where e.level_of_care <> '2.1')"
            " from noms n join episodes e using (episode_id) where time_point <> 'follow_up'"
        ).fetchone()
    with duckdb.connect(str(sample_db), read_only=True) as theirs:
        want = theirs.execute(NOMS_ROWS).fetchall()
    assert got == want
    times = [r[0] for r in got]
    assert (times.count("admission"), times.count("discharge")) == (512, 347)
    assert episodes == (512, 0)  # one source row per episode, each an IOP episode
    teds = report["tables"]["noms"]["sources"][0]
    assert (teds["files"], teds["rows_read"], teds["rows_written"]) == (
        ["TEDS_Submission.csv"],
        512,
        859,
    )


def test_the_call_log_imports_to_exactly_the_samples_follow_up_contacts(imported, sample_db):
    _, db, report = imported
    with duckdb.connect(str(db), read_only=True) as ours:
        got = ours.execute(FOLLOW_UP_ROWS).fetchall()
    with duckdb.connect(str(sample_db), read_only=True) as theirs:
        want = theirs.execute(FOLLOW_UP_ROWS).fetchall()
    assert got == want
    assert len(got) == 2225 and {r[1] for r in got} == {
        "reached",
        "not_reached",
        "declined",
        "deceased",
    }
    assert {r[2] for r in got} == {None, "none", "1_3_month", "1_2_week", "3_6_week", "daily"}
    noms = report["tables"]["noms"]
    calls = noms["sources"][1]
    assert (calls["files"], calls["rows_read"], calls["rows_written"]) == (
        ["FollowUp_Calls.csv"],
        2225,
        2225,
    )
    assert (noms["files"], noms["rows_read"], noms["rows_written"]) == (
        ["TEDS_Submission.csv", "FollowUp_Calls.csv"],
        512 + 2225,
        859 + 2225,
    )
    assert noms["codes"]["contact"]["Deceased"]["to"] == "deceased"
    assert noms["codes"]["FREQ1"] == noms["sources"][0]["codes"]["FREQ1"]


def test_the_import_report_accounts_for_skips_collapses_and_codes(imported):
    tmp, _, report = imported
    on_disk = json.loads((tmp / "contract" / "import_report.json").read_text())
    assert on_disk == report
    census = report["tables"]["episodes"]
    # 16 clients without an episode and 8 others have one cancelled admission each.
    assert census["rows_read"] == 1345 + 24
    assert census["rows_skipped"] == {"Status": {"Cancelled": 24}}
    assert report["tables"]["clients"]["rows_collapsed"] == 1369 - 700
    status = report["tables"]["sessions"]["codes"]["status"]
    assert sum(v["rows"] for v in status.values()) == 21923
    assert status["No Show"]["to"] == "no_show"
    # 53 of the census's 1,369 rows say Tricare (counted with openpyxl); no entry, so `other`.
    assert report["tables"]["clients"]["codes"]["payer"]["Tricare"] == {
        "to": "other",
        "rows": 53,
        "other": True,
    }
    assert report["tables"]["sessions"]["dropped"] == ["MR #", "Rendering Clinician"]
    text = (tmp / "contract" / "import_report.json").read_text()
    assert "0100007" not in text and "(555)" not in text


def test_no_identifier_reaches_the_contract_folder(imported):
    tmp, _, _ = imported
    export = EXAMPLE / "export"
    mrns = {r[0] for r in xlsx_rows(export / "Census.xlsx")[1]}
    written = "".join(p.read_text() for p in (tmp / "contract").glob("*.csv"))
    assert "(555)" not in written and "Testperson" not in written
    fields = set(written.replace("\n", ",").split(","))
    assert len(mrns) == 700 and not mrns & fields


def test_the_generator_rebuilds_the_committed_example(tmp_path):
    out = make_export(SAMPLE, tmp_path / "export")
    for f in sorted((EXAMPLE / "export").glob("*.csv")):
        assert (out / f.name).read_bytes() == f.read_bytes(), f.name
    assert xlsx_rows(out / "Census.xlsx") == xlsx_rows(EXAMPLE / "export" / "Census.xlsx")
    assert (out / "Measures.csv").read_bytes()[:3] == b"\xef\xbb\xbf"
    assert b"\r\n" in (out / "Measures.csv").read_bytes()


# A small hand-made export: three admissions (one cancelled), a few appointments.
CENSUS = [
    ["MR #", "Patient Name", "Gender", "Casefile ID", "Level of Care", "Admission Date",
     "Discharge Date", "Discharge Type", "Status"],
    ["0100234", "Testperson, Avery", "Female", "CF-1", "IOP", "01/06/2025", "02/20/2025",
     "Successful Completion", "Discharged"],
    ["0100235", "Sampleton, Riley", "Male", "CF-2", "IOP", "01/13/2025", "", "", "Active"],
    ["0100236", "Fakename, Quinn", "Male", "CF-3", "IOP", "01/20/2025", "", "", "Cancelled"],
]  # fmt: skip
APPTS = [
    ["Appt ID", "Casefile ID", "Appt Date", "Service", "Minutes", "Appt Status", "Clinician"],
    ["A1", "CF-1", "01/07/2025", "Group Therapy", "180", "Show", "Lee Demo"],
    ["A2", "CF-1", "01/08/2025", "Group Therapy", "180", "No Show", "Lee Demo"],
    ["A3", "CF-2", "01/14/2025", "Group Therapy", "180", "Show", "Lee Demo"],
    ["A4", "CF-2", "01/15/2025", "Group Therapy", "180", "Show", "Lee Demo"],
]
MAPPING = """
[source]
date_format = "%m/%d/%Y"
[pseudonymize]
key_file = "KEY"
columns = ["client_id", "episode_id", "session_id"]
[tables.clients]
file = "Census.csv"
drop = ["Patient Name"]
[tables.clients.columns]
client_id = "MR #"
sex = { column = "Gender", codes = { Female = "F", Male = "M" } }
[tables.episodes]
file = "Census.csv"
keep = { Status = ["Active", "Discharged"] }
[tables.episodes.columns]
episode_id = "Casefile ID"
client_id = "MR #"
level_of_care = { column = "Level of Care", codes = { IOP = "2.1" } }
admit_date = "Admission Date"
discharge_date = "Discharge Date"
discharge_reason = { column = "Discharge Type", codes = { "Successful Completion" = "completed" } }
[tables.sessions]
file = "Appointments*.csv"
drop = ["Clinician"]
[tables.sessions.columns]
session_id = "Appt ID"
episode_id = "Casefile ID"
session_date = "Appt Date"
service_type = { column = "Service", codes = { "Group Therapy" = "group" } }
scheduled_minutes = "Minutes"
status = { column = "Appt Status", codes = { Show = "attended", "No Show" = "no_show" } }
"""


def _write(path: Path, rows: list[list[str]]) -> None:
    with open(path, "w", newline="", encoding="utf-8-sig") as fh:
        csv.writer(fh, lineterminator="\r\n").writerows(rows)


def _small(tmp_path: Path, *, census=CENSUS, appts=APPTS, mapping=MAPPING, key=True) -> tuple:
    export = tmp_path / "export"
    export.mkdir()
    _write(export / "Census.csv", census)
    _write(export / "Appointments.csv", appts)
    if key:
        keygen(tmp_path / "k")
    m = tmp_path / "m.toml"
    m.write_text(mapping.replace("KEY", str(tmp_path / "k")))
    return export, m


def test_pseudonyms_are_the_keyed_hmac_and_stable_across_imports(tmp_path):
    export, m = _small(tmp_path)
    import_export(export, m, tmp_path / "a")
    import_export(export, m, tmp_path / "b")
    a = (tmp_path / "a" / "clients.csv").read_text()
    assert a == (tmp_path / "b" / "clients.csv").read_text()
    key = (tmp_path / "k").read_bytes()
    assert a.splitlines()[1:] == [
        f"{pseudonym(key, '0100234')},F",
        f"{pseudonym(key, '0100235')},M",
        f"{pseudonym(key, '0100236')},M",
    ]
    episodes = (tmp_path / "a" / "episodes.csv").read_text()
    assert f"{pseudonym(key, 'CF-1')},{pseudonym(key, '0100234')},2.1,2025-01-06" in episodes
    # another key, other pseudonyms for the same people
    (tmp_path / "k").unlink()
    keygen(tmp_path / "k")
    import_export(export, m, tmp_path / "c")
    c = (tmp_path / "c" / "clients.csv").read_text()
    assert set(c.splitlines()[1:]).isdisjoint(a.splitlines()[1:])


def _refused(tmp_path, capsys, **kw) -> str:
    export, m = _small(tmp_path, **kw)
    out = tmp_path / "out"
    assert main(["import", str(export), "--mapping", str(m), "--out", str(out)]) == 2
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    err = capsys.readouterr().err
    assert not any(x in err for x in IDENTIFIERS), err
    return err


def test_an_unmapped_code_is_listed_once_with_its_count_and_first_line(tmp_path, capsys):
    appts = [*APPTS, ["A5", "CF-2", "01/16/2025", "Walk-in", "60", "Show", "x"]]
    appts += [["A6", "CF-2", "01/17/2025", "Walk-in", "60", "Show", "x"]]
    err = _refused(tmp_path, capsys, appts=appts)
    lines = [ln for ln in err.splitlines() if "Walk-in" in ln]
    assert len(lines) == 1
    assert lines[0].startswith("error: Appointments.csv:6: Service: has no entry in ")
    assert "2 row(s)" in lines[0] and lines[0].endswith("(Walk-in)")


def test_an_unknown_column_is_refused_by_name(tmp_path, capsys):
    census = [[*CENSUS[0], "Notes"]] + [[*r, ""] for r in CENSUS[1:]]
    err = _refused(tmp_path, capsys, census=census)
    assert "Census.csv:1: Notes: is not mapped, used by keep or listed in drop" in err


def test_a_bad_date_names_file_line_and_column(tmp_path, capsys):
    appts = [*APPTS[:2], [*APPTS[2][:2], "2025-01-08", *APPTS[2][3:]], *APPTS[3:]]
    err = _refused(tmp_path, capsys, appts=appts)
    assert "Appointments.csv:3: Appt Date: is not a date in the format %m/%d/%Y" in err


def test_a_two_digit_year_is_a_date_format_error_not_the_year_26(tmp_path, capsys):
    appts = [*APPTS[:3], [*APPTS[3][:2], "01/14/25", *APPTS[3][3:]], *APPTS[4:]]
    census = [*CENSUS[:2], [*CENSUS[2][:5], "1/13/25", *CENSUS[2][6:]], *CENSUS[3:]]
    four = "is not a date in the format %m/%d/%Y (with a four-digit year)"
    (tmp_path / "a").mkdir()
    err = _refused(tmp_path / "a", capsys, appts=appts)
    assert f"Appointments.csv:4: Appt Date: {four} (01/14/25)" in err
    (tmp_path / "c").mkdir()
    err = _refused(tmp_path / "c", capsys, census=census)
    assert f"Census.csv:3: Admission Date: {four} (1/13/25)" in err


def test_an_excel_date_cell_is_a_date_whatever_the_text_format_says(tmp_path):
    import datetime as dt

    from openpyxl import Workbook

    export, m = _small(tmp_path)
    wb = Workbook()
    sheet = wb.active
    for row in CENSUS:  # admission and discharge dates as real date cells, one left as text
        sheet.append([dt.datetime.strptime(v, "%m/%d/%Y") if "/" in v else v for v in row])
    sheet.cell(row=3, column=6).value = "01/13/2025"  # a text cell: read with date_format
    sheet.cell(row=2, column=7).value = dt.datetime(2025, 2, 20, 16, 45)  # a date and a time
    wb.save(export / "Census.xlsx")
    (export / "Census.csv").unlink()
    m.write_text(m.read_text().replace('"Census.csv"', '"Census.xlsx"'))
    import_export(export, m, tmp_path / "out")
    rows = (tmp_path / "out" / "episodes.csv").read_text().splitlines()
    assert [r.split(",")[3:5] for r in rows[1:]] == [
        ["2025-01-06", "2025-02-20"],
        ["2025-01-13", ""],
    ]
    # the draft guesses the text dates' format, not "?" for the mix of cells and text
    from iop_metrics.ingest.draft import draft

    assert (
        'date_format = "%m/%d/%Y"   # guessed from the text dates\' values; .xlsx date cells are '
        "dates anyway"
    ) in draft(export)


def test_a_missing_key_stops_before_anything_is_written(tmp_path, capsys):
    err = _refused(tmp_path, capsys, key=False)
    assert "pseudonymization key file not found" in err


def test_conflicting_client_rows_name_both_lines(tmp_path, capsys):
    census = [*CENSUS, ["0100234", "Testperson, Avery", "Male", "CF-4", "IOP", "03/01/2025",
                        "", "", "Active"]]  # fmt: skip
    err = _refused(tmp_path, capsys, census=census)
    assert "Census.csv:5: client_id: a second row for the client of Census.csv:2" in err


def test_an_identifier_column_must_be_dropped_not_mapped(tmp_path, capsys):
    mapping = MAPPING.replace('drop = ["Patient Name"]\n', "").replace(
        'client_id = "MR #"\nsex', 'client_id = "MR #"\nreferral_source = "Patient Name"\nsex'
    )
    err = _refused(tmp_path, capsys, mapping=mapping)
    assert "Census.csv:1: Patient Name: looks like an identifier column" in err


def test_an_identifier_value_in_an_innocent_column_is_refused_at_its_source_line(tmp_path, capsys):
    census = [[*CENSUS[0], "Program"]] + [[*r, "day"] for r in CENSUS[1:]]
    census[2][-1] = "call (555) 012-3456"
    mapping = MAPPING.replace(
        'client_id = "MR #"\nlevel', 'client_id = "MR #"\ntrack = "Program"\nlevel'
    )
    err = _refused(tmp_path, capsys, census=census, mapping=mapping)
    assert "Census.csv:3: track: looks like a phone or fax number" in err


def test_load_with_a_mapping_records_its_sha256_and_report(tmp_path, capsys):
    export, m = _small(tmp_path)
    db = tmp_path / "iop.duckdb"
    assert main(["load", str(export), "--mapping", str(m), "--db", str(db)]) == 0
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute("select distinct mapping_sha256, import_report from load_log").fetchall()
        assert con.execute("select count(*) from sessions").fetchone() == (4,)
    finally:
        con.close()
    assert len(rows) == 1
    assert rows[0][0] == hashlib.sha256(m.read_bytes()).hexdigest()
    assert json.loads(rows[0][1])["tables"]["episodes"]["rows_skipped"] == {
        "Status": {"Cancelled": 1}
    }
    # a refused load leaves the database as it was
    before = db.read_bytes()
    (tmp_path / "k").unlink()
    assert main(["load", str(export), "--mapping", str(m), "--db", str(db)]) == 2
    assert db.read_bytes() == before


def test_a_draft_lists_every_column_and_code_and_once_decided_imports_like_the_hand_mapping(
    tmp_path, imported
):
    from iop_metrics.errors import InputError
    from iop_metrics.ingest.draft import draft
    from iop_metrics.ingest.mapping import read_mapping

    text = draft(EXAMPLE / "export")
    assert "Testperson" not in text and "(555)" not in text and "0100007" not in text
    assert 'drop = ["Patient Name", "Phone"]' in text
    assert 'file = "Appointments_*.csv"' in text
    assert '"No Show" = "no_show"   # 2,629 row(s)' in text
    assert '"Tricare" = "?"' in text  # not guessed
    # site and track labels are listed with suggested codes, like every coded column
    assert '"Main Campus" = "main"   # 700 row(s)' in text
    assert '"North Campus" = "north"   # 669 row(s)' in text
    assert '"IOP Evening" = "iop-evening"   # 206 row(s)' in text
    # a clinician's name is a person's name: dropped like the client's own
    assert 'drop = ["MR #", "Rendering Clinician"]   # identifier-looking: dropped' in text
    # the admission's Status is left to the episodes (keep some values, or drop it), named
    # there as not matched and not under clients, which read the same file first
    clients, episodes = (text.split(f"[tables.{t}]\n")[1].split("\n\n")[0] for t in
                         ("clients", "episodes"))  # fmt: skip
    assert '# not matched: map, keep or drop each of these: "Status"' in episodes
    assert "Status" not in clients
    (tmp_path / "draft.toml").write_text(text)
    with pytest.raises(InputError) as exc:
        read_mapping(tmp_path / "draft.toml")
    assert "'Tricare' maps to '?'" in str(exc.value)
    hand = imported[0] / "contract"
    decided = (
        text.replace('key_file = "?"', f'key_file = "{imported[0] / "example.key"}"')
        .replace('"Other Drug" = "?"', '"Other Drug" = "other"')
        .replace('"Tricare" = "?"', '"Tricare" = "other"')
        .replace('# keep = { "Status" = [...] }', 'keep = { "Status" = ["Active", "Discharged"] }')
        .replace('"IOP Day" = "iop-day"', '"IOP Day" = "adult-day"')
        .replace('"IOP Evening" = "iop-evening"', '"IOP Evening" = "adult-evening"')
        .replace('"Adolescent IOP" = "adolescent-iop"', '"Adolescent IOP" = "adolescent"')
        .replace('drop = ["MR #"]   # identifier-looking: dropped\n# not matched: keep or drop '
                 'each of these: "SERVICES", "SERVICES_D"',
                 'drop = ["MR #", "SERVICES", "SERVICES_D"]')
        .replace('drop = ["MR #"]   # identifier-looking: dropped\n# not matched: map, keep '
                 'or drop each of these: "Caller"', 'drop = ["MR #", "Caller"]')
    )  # fmt: skip
    (tmp_path / "draft.toml").write_text(decided)
    report, _ = import_export(EXAMPLE / "export", tmp_path / "draft.toml", tmp_path / "out")
    for name in ("clients", "episodes", "sessions", "assessments", "noms"):  # same key, codes
        ours = (tmp_path / "out" / f"{name}.csv").read_text()
        assert ours == (hand / f"{name}.csv").read_text(), name
    assert report["tables"]["episodes"]["rows_written"] == 1345


def test_the_reports_data_quality_section_summarizes_the_import(mapped, sample_db):
    from iop_metrics.report.data import gather
    from iop_metrics.report.pages import data_quality

    db, mapping = mapped
    q = Query.of(parse_period("2026-09", today=TODAY))
    sha = hashlib.sha256(mapping.read_bytes()).hexdigest()
    for path, expected in ((db, True), (sample_db, False)):
        con = duckdb.connect(str(path), read_only=True)
        try:
            page = data_quality(gather(con, q))
        finally:
            con.close()
        assert (f"mapping.toml (sha256 {sha[:12]}" in page) is expected
        cells = re.sub(r"</?span[^>]*>", "", page)
        row = "<td>episodes</td><td>Census.xlsx</td><td>1,369</td><td>24</td><td>0</td>"
        assert (row in cells) is expected
        row = "<td>clients</td><td>Census.xlsx</td><td>1,369</td><td>0</td><td>669</td><td>700</td>"
        assert (row in cells) is expected


def test_the_imports_counts_are_records_of_the_load_and_of_the_import(mapped):
    """The example export through its mapping: every count of the import's table is the
    weight of its records (nothing raises), the rows written are the load's (episodes 1,345
    of 1,369 read, 24 kept out; clients 700 of 1,369, 669 identical rows collapsed), so read
    = skipped + collapsed + written is found for both, as the model's atoms say."""
    from iop_metrics.disclosure.atoms import atoms, weight
    from iop_metrics.disclosure.model import with_atoms
    from iop_metrics.report.figures import exact

    db, _ = mapped
    con = duckdb.connect(str(db), read_only=True)
    try:
        x = exact(con, Query.of(parse_period("2026-09", today=TODAY)))
    finally:
        con.close()
    with_atoms(x.cells())  # raises on a count that is not the weight of its records
    m = x.members
    for t, read, skipped, collapsed, written in (
        ("episodes", 1369, 24, 0, 1345),
        ("clients", 1369, 0, 669, 700),
    ):
        c = f"quality[imported>{t}>]."
        assert m[c + "written"] == m[f"quality[loaded>{t}>].rows_read"]
        assert sum(map(weight, m[c + "written"])) == written
        assert sum(map(weight, m[c + "import_read"])) == read
        mine = {k: v for k, v in m.items() if k.startswith(c)}
        parts = [(("skipped",), skipped), (("collapsed",), collapsed), (("written",), written)]
        assert atoms(mine) == sorted(
            (tuple(sorted((c + "import_read", c + p[0]))), n) for p, n in parts if n
        ), t


def test_a_latin1_export_is_refused_at_its_real_line_or_read_with_its_encoding(tmp_path, capsys):
    census = [r[:] for r in CENSUS]
    census[3][1] = "Fakename, Zoë"  # a dropped column; line 4 of the file
    export, m = _small(tmp_path, census=census)
    raw = (export / "Census.csv").read_text(encoding="utf-8-sig")
    (export / "Census.csv").write_bytes(raw.encode("cp1252"))
    out = tmp_path / "out"
    assert main(["import", str(export), "--mapping", str(m), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "Census.csv:4: is not UTF-8 text" in err and not out.exists()
    m.write_text(m.read_text().replace("[source]\n", '[source]\nencoding = "cp1252"\n'))
    report, written = import_export(export, m, out)
    assert written == {"clients": 3, "episodes": 2, "sessions": 4}
    assert report["tables"]["clients"]["rows_read"] == 3


def test_a_contract_rule_broken_by_the_export_is_traced_to_its_source_lines(tmp_path, capsys):
    appts = [*APPTS, ["A2", "CF-2", "01/16/2025", "Group Therapy", "180", "Show", "x"]]
    err = _refused(tmp_path, capsys, appts=appts)
    assert "Appointments.csv:6: session_id: is not unique: first used on Appointments.csv:3" in err


def test_an_unmapped_value_that_looks_like_an_identifier_is_withheld(tmp_path, capsys):
    appts = [*APPTS, ["A5", "CF-2", "01/16/2025", "call 555-012-3456", "60", "Show", "x"]]
    err = _refused(tmp_path, capsys, appts=appts)
    assert "Appointments.csv:6: Service: has no entry in " in err and "012-3456" not in err


def test_a_mapping_is_checked_whole_before_any_data_is_read(tmp_path):
    from iop_metrics.errors import InputError
    from iop_metrics.ingest.mapping import read_mapping

    m = tmp_path / "m.toml"
    m.write_text(
        '[fhir.codes]\nanything = "goes"\n'  # the FHIR importer's table: kept, not checked here
        '[tables.clients]\nfile = "c.csv"\n'
        '[tables.clients.columns]\nclient_id = "MR #"\n'
        'sex = { column = "Gender", codes = { Female = "female" }, colour = "red" }\n'
        '[tables.episodes]\nfile = "e.csv"\n'
        '[tables.episodes.columns]\nepisode_id = "Casefile ID"\nward = "Unit"\n'
        '[tables.visits]\nfile = "v.csv"\n'
    )
    with pytest.raises(InputError) as exc:
        read_mapping(m)
    got = {(v.column, v.message.split(" (")[0]) for v in exc.value.violations}
    assert got == {
        ("tables.clients.columns.sex", "unknown key 'colour'"),
        ("tables.clients.columns.sex", "'Female' maps to 'female', not one of F, M, X, U"),
        ("tables.episodes.columns.ward", "is not a column of episodes"),
        ("tables.episodes.columns", "required column client_id is not mapped"),
        ("tables.episodes.columns", "required column level_of_care is not mapped"),
        ("tables.episodes.columns", "required column admit_date is not mapped"),
        ("tables.visits", "is not a table of the data contract"),
    }
    m.write_text(m.read_text().split("[tables.episodes]")[0].replace(', colour = "red"', ""))
    m.write_text(m.read_text().replace('"female"', '"F"'))
    mapping = read_mapping(m)
    assert mapping.fhir == {"codes": {"anything": "goes"}}
    assert mapping.tables["clients"][0].columns["sex"].codes == {"Female": "F"}


def test_a_monthly_reimport_replaces_the_folder_but_never_a_folder_of_other_files(tmp_path):
    from iop_metrics.errors import InputError

    export, m = _small(tmp_path)
    out = tmp_path / "contract"
    import_export(export, m, out)
    first = (out / "sessions.csv").read_text()
    import_export(export, m, out, fmt="parquet")  # replaced whole: no csv left beside parquet
    assert sorted(p.name for p in out.iterdir()) == [
        "clients.parquet", "episodes.parquet", "import_report.json", "sessions.parquet",
    ]  # fmt: skip
    assert first.count("\n") == 5
    other = tmp_path / "mine"
    other.mkdir()
    (other / "notes.txt").write_text("keep me")
    with pytest.raises(InputError, match="holds other files"):
        import_export(export, m, other)
    assert (other / "notes.txt").read_text() == "keep me" and len(list(other.iterdir())) == 1


MEASURES = [
    ["Casefile ID", "Date Given", "Measure", "Score"],
    ["CF-1", "01/07/2025", "PHQ9 Total", "14"],
    ["CF-1", "01/07/2025", "Wellbeing", "9"],
    ["CF-2", "01/14/2025", "Wellbeing", "20"],
]
INSTRUMENTS = [
    ["Code", "Label", "Min Score", "Max Score", "Lower Is Better", "Caseness", "RCI"],
    ["WHO-5", "WHO-5 Well-Being Index", "0", "25", "no", "13", "5"],
]
MAPPING_SCORES = """
[tables.assessments]
file = "Measures.csv"
[tables.assessments.columns]
episode_id = "Casefile ID"
assessed_on = "Date Given"
instrument = { column = "Measure", codes = { "PHQ9 Total" = "PHQ-9", Wellbeing = "WHO-5" } }
score = "Score"
[tables.instruments]
file = "Instruments.csv"
[tables.instruments.columns]
code = "Code"
name = "Label"
min_score = "Min Score"
max_score = "Max Score"
lower_is_better = "Lower Is Better"
caseness = "Caseness"
reliable_change = "RCI"
"""


def test_a_mapping_imports_instruments_and_the_scores_of_them(tmp_path, capsys):
    export, m = _small(
        tmp_path,
        mapping=MAPPING.replace('"episode_id", "session_id"', '"session_id"') + MAPPING_SCORES,
    )
    _write(export / "Measures.csv", MEASURES)
    _write(export / "Instruments.csv", INSTRUMENTS)
    import_export(export, m, tmp_path / "contract")
    assert (tmp_path / "contract" / "instruments.csv").read_text().splitlines() == [
        "code,name,min_score,max_score,lower_is_better,caseness,reliable_change",
        "WHO-5,WHO-5 Well-Being Index,0,25,no,13,5",
    ]
    db = tmp_path / "x.duckdb"
    load(tmp_path / "contract", db)
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select code from instruments order by code").fetchall() == [
            ("BAM-use",),
            ("GAD-7",),
            ("PHQ-9",),
            ("WHO-5",),
        ]
        assert con.execute(
            "select instrument, score from assessments order by score"
        ).fetchall() == [("WHO-5", 9.0), ("PHQ-9", 14.0), ("WHO-5", 20.0)]
    # a score outside the program's own range, traced to its source line
    _write(export / "Measures.csv", [*MEASURES, ["CF-2", "01/15/2025", "Wellbeing", "26"]])
    out = tmp_path / "out"
    assert main(["import", str(export), "--mapping", str(m), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "Measures.csv:5: score: is outside the instrument's range" in err, err
    assert "(26 for WHO-5)" in err and not out.exists()


def test_a_draft_maps_an_instruments_file_to_the_instruments_table(tmp_path):
    from iop_metrics.ingest.draft import draft

    export = tmp_path / "export"
    export.mkdir()
    _write(export / "Instruments.csv", INSTRUMENTS)
    text = draft(export)
    assert '[tables.instruments]\nfile = "Instruments.csv"' in text
    for line in ('code = "Code"', 'min_score = "Min Score"', 'max_score = "Max Score"',
                 'lower_is_better = "Lower Is Better"', 'caseness = "Caseness"',
                 'reliable_change = "RCI"'):  # fmt: skip
        assert line in text


def test_a_wrong_date_format_is_one_line_per_column_with_its_count_and_the_guessed_format(
    tmp_path, capsys
):
    appts = [*APPTS, *[[f"A{i}", "CF-2", f"01/{i}/2025", *APPTS[4][3:]] for i in range(16, 26)]]
    mapping = MAPPING.replace('date_format = "%m/%d/%Y"', 'date_format = "%Y-%m-%d"')
    err = _refused(tmp_path, capsys, mapping=mapping, appts=appts)
    lines = [ln for ln in err.splitlines() if "is not a date" in ln]
    fmt = "is not a date in the format %Y-%m-%d (with a four-digit year)"
    guess = (
        "; they read as %m/%d/%Y (the format `mapping draft` guesses): "
        'date_format = "%m/%d/%Y" in [source] or on this column'
    )
    assert lines == [
        f"error: Appointments.csv:2: Appt Date: {fmt}, first of 14 row(s){guess} (01/07/2025)",
        f"Census.csv:2: Admission Date: {fmt}, first of 2 row(s){guess} (01/06/2025)",
        f"Census.csv:2: Discharge Date: {fmt}{guess} (02/20/2025)",
    ], err


def test_the_header_names_a_site_as_the_index_does(mapped, imported):
    """The export's label for a site code ("North Campus" for north) reaches the report's
    header as the index names the scope; a database loaded without a mapping keeps the code."""

    from iop_metrics.compute.query import Scope
    from iop_metrics.report.data import gather
    from iop_metrics.report.sections import header
    from iop_metrics.run.archive import scope_name, site_names

    db, _ = mapped  # loaded through the mapping (load --mapping: importer.load_mapped)
    con = duckdb.connect(str(db), read_only=True)
    try:
        q = Query.of(parse_period("2026-09", today=TODAY), scope=Scope(site="north"))
        html = header(gather(con, q), title="t", generated_at=dt.datetime(2026, 10, 2))
    finally:
        con.close()
    assert "<tr><th>Site</th><td>North Campus (site north)</td></tr>" in html
    assert scope_name("north", site_names(db)) == "North Campus (site north)"
    con = duckdb.connect(str(imported[1]), read_only=True)  # loaded from the contract folder
    try:
        html = header(gather(con, q), title="t", generated_at=dt.datetime(2026, 10, 2))
    finally:
        con.close()
    assert "<tr><th>Site</th><td>north</td></tr>" in html
