"""FHIR R4 import: hand-written exports with their rows written out, refusals, a real sample."""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from pathlib import Path

import duckdb
import pytest

from iop_metrics.cli import main
from iop_metrics.errors import InputError
from iop_metrics.ingest.fhir import import_fhir
from iop_metrics.ingest.fhir.config import parse_config
from iop_metrics.ingest.load import load_memory
from iop_metrics.ingest.pseudonym import keygen, pseudonym

FIX = Path(__file__).parent / "fixtures"
IOP = FIX / "fhir_iop"
DERIVE = FIX / "fhir_derive"
SMART = FIX / "fhir_smart_sample"
OUTCOMES = FIX / "fhir_outcomes"
EP5 = "7d1e2f30-4a5b-4c6d-8e9f-0a1b2c3d4e5f"  # EpisodeOfCare in a Bundle with no id: its fullUrl


def _fhir(toml: Path) -> dict:
    return tomllib.loads(toml.read_text())["fhir"]


def _rows(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple]:
    return con.execute(f"select * from {table} order by all").fetchall()


def _iop(key: bytes | None = None) -> tuple[duckdb.DuckDBPyConnection, dict]:
    con = duckdb.connect()
    report = import_fhir(con, IOP, _fhir(FIX / "fhir_iop.toml"), key=key)
    return con, report


D = dt.date
WHO5_DEFINED = {
    "code": "WHO-5",
    "name": "WHO-5 Well-Being Index",
    "min_score": 0,
    "max_score": 25,
    "lower_is_better": False,
    "caseness": 13,
    "reliable_change": 5,
}


def test_hand_written_export_gives_the_contract_rows():
    con, _ = _iop()
    assert _rows(con, "clients") == [
        ("p1", 1985, "F", None, "medicaid", None),  # SOPT 2
        ("p2", 1990, "M", None, "self_pay", None),  # SOPT 81, beneficiary by identifier
        ("p3", 1970, "X", None, None, None),  # from the Bundle; birthDate "1970-05"
    ]
    assert _rows(con, "episodes") == [
        (EP5, "p3", None, "2.1", None, D(2026, 2, 10), None, None),  # urn:uuid patient
        ("ep1", "p1", "north", "2.1", None, D(2026, 1, 5), D(2026, 2, 27), "completed"),
        ("ep2", "p2", "south", "2.1", None, D(2026, 2, 2), None, None),  # conditional org
        ("ep3", "p2", None, "2.5", None, D(2025, 12, 1), D(2026, 1, 20), "dropped_out"),
    ]
    assert _rows(con, "sessions") == [
        # no-show, patient's only episode on the date
        ("Appointment-a2", "ep1", D(2026, 1, 9), "group", 180, "no_show", 0, False),
        # cancelled, reason pat -> client; episode named in supportingInformation
        ("Appointment-a3", "ep2", D(2026, 2, 5), "group", 180, "cancelled_client", 0, False),
        # cancelled, reason prov-pers -> program; minutes from start/end
        ("Appointment-a4", "ep2", D(2026, 2, 6), "group", 180, "cancelled_program", 0, False),
        ("Appointment-a5", "ep3", D(2026, 1, 15), "group", 180, "no_show", 0, False),
        # joined to fulfilled Appointment a1: scheduled 180, attended 90 (period)
        ("Encounter-e1", "ep1", D(2026, 1, 5), "group", 180, "attended", 90, False),
        ("Encounter-e2", "ep1", D(2026, 1, 7), "individual", 60, "attended", None, True),  # VR
        ("Encounter-e4", "ep2", D(2026, 2, 3), "group", 180, "attended", None, False),
        ("Encounter-e5", "ep1", D(2026, 2, 27), "group", 120, "attended", None, False),
        ("Encounter-e6", EP5, D(2026, 2, 11), "individual", 60, "attended", None, False),
    ]
    assert _rows(con, "assessments") == [
        (EP5, D(2026, 2, 11), "PHQ-9", 7.0),  # 89204-2, by date
        ("ep1", D(2026, 1, 5), "PHQ-9", 18.0),  # via its encounter
        ("ep1", D(2026, 2, 27), "PHQ-9", 9.0),  # valueQuantity, by date
        ("ep2", D(2026, 2, 3), "GAD-7", 12.0),  # status amended
    ]


def test_report_counts_what_was_skipped_and_unassigned():
    _, r = _iop()
    assert r["resources_read"] == {
        "Patient": 4,
        "Coverage": 2,
        "EpisodeOfCare": 5,
        "Encounter": 7,
        "Appointment": 8,
        "Observation": 6,  # the heart rate (8867-4) is not an instrument, never staged
    }
    sk = r["skipped"]
    assert sk["EpisodeOfCare"] == {
        "status entered-in-error": {"count": 1, "first": "EpisodeOfCare.ndjson:4"}
    }
    assert sk["Encounter"]["status entered-in-error"]["count"] == 1
    assert sk["Encounter"]["no episodeOfCare reference"] == {
        "count": 1,
        "first": "Encounter.ndjson.gz:6",
    }
    assert sk["Appointment"]["status entered-in-error"]["count"] == 1
    assert sk["Appointment"]["status booked"]["count"] == 1
    assert sk["Appointment"]["became an Encounter session"]["count"] == 1
    assert sk["Observation"]["status entered-in-error"]["count"] == 1
    assert r["unassigned"] == {  # patient with no episode
        "Appointment": {"count": 1, "places": ["Appointment.ndjson:6"], "ids": ["Appointment-a6"]},
        "Observation": {"count": 1, "places": ["Observation.ndjson:6"], "ids": ["Observation-o7"]},
    }
    assert r["codes"]["cancellation"] == {
        "http://terminology.hl7.org/CodeSystem/appointment-cancellation-reason|pat": {
            "cancelled_client": 1
        },
        "http://terminology.hl7.org/CodeSystem/appointment-cancellation-reason|prov-pers": {
            "cancelled_program": 1
        },
    }
    assert r["codes"]["discharge_reason"] == {"01": {"completed": 1}, "03": {"dropped_out": 1}}
    assert r["tables"] == {
        "clients": {"rows_written": 3},
        "episodes": {"rows_written": 4},
        "sessions": {"rows_written": 9},
        "assessments": {"rows_written": 4},
    }
    assert r["pseudonymized"] is False and r["episodes_from"] == "EpisodeOfCare"


def test_a_key_pseudonymizes_every_id_as_type_slash_id(tmp_path):
    key_path = keygen(tmp_path / "key")
    key = key_path.read_bytes()
    con, report = _iop(key)
    assert report["pseudonymized"] is True
    clients = {r[0] for r in _rows(con, "clients")}
    assert clients == {pseudonym(key, f"Patient/{p}") for p in ("p1", "p2", "p3")}
    eps = dict(con.execute("select episode_id, admit_date from episodes").fetchall())
    assert eps[pseudonym(key, "EpisodeOfCare/ep1")] == D(2026, 1, 5)
    sessions = {r[0] for r in _rows(con, "sessions")}
    assert pseudonym(key, "Encounter/e1") in sessions
    assert pseudonym(key, "Appointment/a2") in sessions
    assert report["unassigned"]["Appointment"]["ids"] == [pseudonym(key, "Appointment/a6")]
    text = json.dumps([_rows(con, t) for t in ("clients", "episodes", "sessions")], default=str)
    for raw in ('"p1"', '"ep1"', "Encounter-e1", "X-0002"):
        assert raw not in text


def test_cli_writes_a_folder_that_loads(tmp_path, capsys):
    out = tmp_path / "contract"
    rc = main(
        ["import", "fhir", str(IOP), "--mapping", str(FIX / "fhir_iop.toml"), "--out", str(out)]
    )
    assert rc == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "assessments.csv",
        "clients.csv",
        "episodes.csv",
        "import_report.json",
        "sessions.csv",
    ]
    con = load_memory(out)
    assert con.execute("select count(*), sum(attended_minutes) from sessions").fetchall() == [
        (9, 510)
    ]
    report = json.loads((out / "import_report.json").read_text())
    assert report["mapping"]["sha256"] and report["unassigned"]["Appointment"]["count"] == 1
    # A rerun replaces an earlier import's output.
    assert (
        main(
            [
                "import",
                "fhir",
                str(IOP),
                "--mapping",
                str(FIX / "fhir_iop.toml"),
                "--out",
                str(out),
                "--format",
                "parquet",
            ]
        )
        == 0
    )
    assert (out / "sessions.parquet").is_file() and not (out / "sessions.csv").exists()


def test_unmapped_codes_exit_2_listing_each_once_and_write_nothing(tmp_path, capsys):
    out = tmp_path / "contract"
    assert main(["import", "fhir", str(IOP), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "code 'http://example.org/service|GRP' has no entry in [fhir.service_type]" in err
    assert "(7 resource(s))" in err
    assert "code 'http://example.org/program|PHP' has no entry in [fhir.level_of_care]" in err
    assert "2 closed episode(s) have no discharge reason" in err
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_output_breaking_the_contract_goes_nowhere(tmp_path, capsys):
    mapping = tmp_path / "m.toml"
    text = (FIX / "fhir_iop.toml").read_text().replace('"PHP" = "2.5"', '"PHP" = "9.9"')
    mapping.write_text(text)
    out = tmp_path / "contract"
    assert main(["import", "fhir", str(IOP), "--mapping", str(mapping), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "(imported) episodes.csv:4: level_of_care: is not a code of levels_of_care (9.9)" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.toml"]


def test_refuses_to_overwrite_a_folder_that_is_not_an_import(tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep")
    assert (
        main(
            ["import", "fhir", str(IOP), "--mapping", str(FIX / "fhir_iop.toml"), "--out", str(out)]
        )
        == 2
    )
    assert "refusing to replace it" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


def test_missing_key_file_exits_2(tmp_path, capsys):
    mapping = tmp_path / "m.toml"
    mapping.write_text('[pseudonymize]\nkey_file = "nokey"\n' + (FIX / "fhir_iop.toml").read_text())
    assert (
        main(["import", "fhir", str(IOP), "--mapping", str(mapping), "--out", str(tmp_path / "o")])
        == 2
    )
    assert "key file not found" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ({"colour": 1}, '[fhir]: unknown key "colour"'),
        (
            {"service_type": {"codes": {}, "others": "other"}},
            '[fhir.service_type]: unknown key "others"',
        ),
        ({"service_type": {"codes": {"GRP": "groups"}}}, "'groups' is not one of group"),
        ({"derive_episodes": {"codes": ["X"]}}, "gap_days: must be a whole number"),
        ({"discharge_reason": {"source": "extension"}}, "give url exactly when"),
        # an instrument the mapping names must be built in or defined by it
        (
            {"instruments": {"codes": {"WHO5": "WHO-5"}}},
            "[fhir.instruments] codes.WHO5: 'WHO-5' is not one of BAM-use, GAD-7, PHQ-9",
        ),
        ({"instruments": {"codes": {}, "others": 1}}, '[fhir.instruments]: unknown key "others"'),
        (
            {"instruments": {"define": [{"code": "X", "name": "x", "min_score": 0}]}},
            "[[fhir.instruments.define]] #1: max_score is required",
        ),
        (
            {"instruments": {"define": [{**WHO5_DEFINED, "caseness": 26}]}},
            "#1 caseness: must be within 0.0 .. 25.0, not 26.0",
        ),
        (
            {"instruments": {"define": [{**WHO5_DEFINED, "lower_is_better": "no"}]}},
            "#1 lower_is_better: must be true or false, not 'no'",
        ),
        (
            {"instruments": {"define": [WHO5_DEFINED, WHO5_DEFINED]}},
            "instrument 'WHO-5' is defined twice",
        ),
        ({"track": {"codes": {"ADOL": ""}}}, "[fhir.track] codes.ADOL: must be a non-empty"),
    ],
)
def test_config_refuses_unknown_keys_and_values_by_name(raw, says):
    with pytest.raises(InputError) as info:
        parse_config(raw)
    assert says in str(info.value)


def test_no_episodeofcare_and_no_rule_stops(tmp_path, capsys):
    assert main(["import", "fhir", str(DERIVE), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "no EpisodeOfCare resources" in err and "[fhir.derive_episodes]" in err
    assert not (tmp_path / "o").exists()


def test_derived_episodes_split_at_the_gap():
    con = duckdb.connect()
    report = import_fhir(con, DERIVE, _fhir(FIX / "fhir_derive.toml"))
    assert _rows(con, "episodes") == [
        # last IOP visit 2026-01-09, 52 days before the next: closed; its disposition aadvice
        ("derived-d1", "s1", None, "2.1", None, D(2026, 1, 5), D(2026, 1, 9), "dropped_out"),
        # last visit 2026-03-04 + 14 days >= as_of 2026-03-10: still open
        ("derived-d4", "s1", None, "2.1", None, D(2026, 3, 2), None, None),
    ]
    assert [r[:2] + r[5:6] for r in _rows(con, "sessions")] == [
        ("Appointment-n1", "derived-d1", "no_show"),
        ("Encounter-d1", "derived-d1", "attended"),
        ("Encounter-d2", "derived-d1", "attended"),
        ("Encounter-d3", "derived-d1", "attended"),
        ("Encounter-d4", "derived-d4", "attended"),
        ("Encounter-d5", "derived-d4", "attended"),
    ]
    assert _rows(con, "assessments") == [("derived-d4", D(2026, 3, 2), "PHQ-9", 6.0)]  # 89204-2
    assert _rows(con, "clients") == [("s1", 1980, "M", None, "medicaid", None)]  # payor display
    assert report["episodes_from"] == "derived from encounters"
    assert report["skipped"]["Encounter"] == {
        "not an IOP encounter ([fhir.derive_episodes] codes)": {
            "count": 1,
            "first": "Encounter.ndjson:6",
        }
    }


def test_public_sample_without_rule_stops_and_with_rule_says_what_it_could_not_map(
    tmp_path, capsys
):
    # Synthea bulk export (SMART sample, CC0): no EpisodeOfCare, conditional references.
    assert main(["import", "fhir", str(SMART), "--out", str(tmp_path / "a")]) == 2
    assert "no EpisodeOfCare" in capsys.readouterr().err
    rule = tmp_path / "rule.toml"
    rule.write_text(
        '[fhir.derive_episodes]\ncodes = ["http://terminology.hl7.org/CodeSystem/v3-ActCode|AMB"]\n'
        "gap_days = 30\n"
    )
    assert (
        main(["import", "fhir", str(SMART), "--mapping", str(rule), "--out", str(tmp_path / "b")])
        == 2
    )
    err = capsys.readouterr().err
    assert "code 'http://snomed.info/sct|185347001' has no entry in [fhir.service_type]" in err
    assert "Traceback" not in err
    out = tmp_path / "c"
    rc = main(
        [
            "import",
            "fhir",
            str(SMART),
            "--mapping",
            str(FIX / "fhir_smart_derive.toml"),
            "--out",
            str(out),
        ]
    )
    assert rc == 0
    report = json.loads((out / "import_report.json").read_text())
    assert (
        report["resources_read"]["Encounter"] == 300 and report["resources_read"]["Patient"] == 13
    )
    assert (
        report["skipped"]["Encounter"]["not an IOP encounter ([fhir.derive_episodes] codes)"][
            "count"
        ]
        == 13
    )
    assert report["mapped_only_by_other"]["service_type"]["http://snomed.info/sct|185347001"] == 129
    assert report["resource_types_not_used"] == ["(not a FHIR resource)", "Organization"]
    con = load_memory(out)
    assert con.execute("select count(*) from clients").fetchall() == [(13,)]
    assert con.execute("select count(*) from sessions").fetchall() == [(287,)]


def test_malformed_json_names_the_file(tmp_path, capsys):
    export = tmp_path / "export"
    export.mkdir()
    (export / "Patient.ndjson").write_text(
        '{"resourceType":"Patient","id":"x"}\n{"resourceType": \n'
    )
    assert main(["import", "fhir", str(export), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "Patient.ndjson: cannot be read as JSON" in err and "Traceback" not in err


def test_gzipped_bundle_and_ndjson_give_the_same_rows(tmp_path):
    import gzip
    import shutil

    export = tmp_path / "export"
    shutil.copytree(IOP, export)
    bundle = export / "bundle-p3.json"
    (export / "bundle-p3.json.gz").write_bytes(gzip.compress(bundle.read_bytes()))
    bundle.unlink()
    con = duckdb.connect()
    import_fhir(con, export, _fhir(FIX / "fhir_iop.toml"))
    expected, _ = _iop()
    for table in ("clients", "episodes", "sessions", "assessments"):
        assert _rows(con, table) == _rows(expected, table)
    assert (EP5, D(2026, 2, 11), "PHQ-9", 7.0) in _rows(con, "assessments")


def test_the_older_flat_instruments_table_still_reads_as_loinc_codes():
    cfg = parse_config({"instruments": {"44261-6": "PHQ-9", "http://x.org|G7": "GAD-7"}})
    assert cfg.instruments == {"http://loinc.org|44261-6": "PHQ-9", "http://x.org|G7": "GAD-7"}
    # the code map form keeps the LOINC defaults and adds to them
    cfg = parse_config({"instruments": {"codes": {"BAM": "BAM-use"}}})
    assert cfg.instruments == {
        "http://loinc.org|44261-6": "PHQ-9",
        "http://loinc.org|70274-6": "GAD-7",
        "http://loinc.org|89204-2": "PHQ-9",
        "BAM": "BAM-use",
    }


def test_instruments_and_tracks_give_the_contract_rows():
    """Observations of every instrument the mapping names (LOINC defaults, a program code
    system, a bare code, an instrument the mapping defines) and EpisodeOfCare.type codings to
    the track, from NDJSON files and a Bundle, written out by hand."""
    con = duckdb.connect()
    report = import_fhir(con, OUTCOMES, _fhir(FIX / "fhir_outcomes.toml"))
    assert _rows(con, "episodes") == [
        # type codings: level IOP, track ADOL, discharge type C (each read by its own map)
        ("t1", "q1", None, "2.1", "adolescent", D(2026, 3, 2), D(2026, 4, 24), "completed"),
        # one CodeableConcept with the level and the track (bare code EVE)
        ("t2", "q2", None, "2.1", "adult-evening", D(2026, 3, 9), None, None),
        # level and discharge type only: no track
        ("t3", "q3", None, "2.1", None, D(2026, 2, 2), D(2026, 3, 13), "dropped_out"),
    ]
    assert _rows(con, "assessments") == [
        ("t1", D(2026, 3, 2), "PHQ-9", 17.0),  # LOINC 44261-6, via its encounter
        ("t1", D(2026, 3, 2), "WHO-5", 9.0),  # the program's forms|WHO5, valueQuantity
        ("t1", D(2026, 4, 24), "PHQ-9", 8.0),  # by date: q1's only episode
        ("t2", D(2026, 3, 10), "PHQ-9", 14.0),  # LOINC 89204-2 in the Bundle
        ("t2", D(2026, 3, 10), "WHO-5", 12.0),  # Bundle entry without id (its fullUrl)
        ("t2", D(2026, 5, 1), "WHO-5", 19.0),  # open episode: any date from its start
        ("t3", D(2026, 2, 2), "BAM-use", 21.0),  # bare code BAM-USE, any system
        ("t3", D(2026, 3, 13), "GAD-7", 6.0),  # LOINC 70274-6
    ]
    # WHO-5 as the mapping defines it, for the contract table instruments
    assert _rows(con, "instruments") == [
        ("WHO-5", "WHO-5 Well-Being Index", 0.0, 25.0, False, 13.0, 5.0, "program's own reading")
    ]
    # the heart rate (LOINC 8867-4) is no instrument: never staged; WHO-5 30 is out of 0..25
    assert report["skipped"] == {
        "Observation": {
            "score outside the instrument's range": {"count": 1, "first": "Observation.ndjson:4"}
        }
    }
    assert report["resources_read"]["Observation"] == 9
    assert report["codes"]["track"] == {
        "(none)": {"(unmapped)": 1},
        "http://example.org/track|ADOL": {"adolescent": 1},
        "http://example.org/track|EVE": {"adult-evening": 1},
    }
    assert report["codes"]["instrument"]["http://example.org/local-forms|BAM-USE"] == {"BAM-use": 1}
    assert (
        "1 EpisodeOfCare have no track: no type coding beyond their level of care"
        in (report["notes"])
    )
    assert report["tables"]["instruments"] == {"rows_written": 1}


def test_outcomes_export_writes_a_folder_that_loads_with_its_instruments(tmp_path, capsys):
    out = tmp_path / "contract"
    mapping = str(FIX / "fhir_outcomes.toml")
    assert main(["import", "fhir", str(OUTCOMES), "--mapping", mapping, "--out", str(out)]) == 0
    assert "instruments.csv" in {p.name for p in out.iterdir()}
    con = load_memory(out)
    tracks = "select episode_id, track from episodes order by episode_id"
    assert con.execute(tracks).fetchall() == [
        ("t1", "adolescent"),
        ("t2", "adult-evening"),
        ("t3", None),
    ]
    who5 = "select count(*), min(score), max(score) from assessments where instrument = 'WHO-5'"
    assert con.execute(who5).fetchall() == [(3, 9.0, 19.0)]
    row = "select lower_is_better, caseness from instruments where code = 'WHO-5'"
    assert con.execute(row).fetchall() == [(False, 13.0)]


def test_a_track_coding_no_map_names_is_an_error_listing_it():
    cfg = _fhir(FIX / "fhir_outcomes.toml")
    cfg["track"] = {"codes": {"http://example.org/track|ADOL": "adolescent"}}
    with pytest.raises(InputError) as info:
        import_fhir(duckdb.connect(), OUTCOMES, cfg)
    text = str(info.value)
    assert "code 'http://example.org/track|EVE' has no entry in [fhir.track]" in text
    assert "(1 resource(s))" in text and "program|IOP" not in text  # the level's coding
    # with other, the rest is that track; a constant track applies to every episode
    cfg["track"]["other"] = "adult-day"
    con = duckdb.connect()
    import_fhir(con, OUTCOMES, cfg)
    assert con.execute("select track from episodes order by episode_id").fetchall() == [
        ("adolescent",),
        ("adult-day",),
        (None,),  # no coding beyond level and discharge type: other does not apply
    ]
    cfg["track"] = {"value": "adult-day"}
    import_fhir(con, OUTCOMES, cfg)
    assert {r[0] for r in con.execute("select track from episodes").fetchall()} == {"adult-day"}


def test_derived_episodes_take_a_constant_track():
    cfg = {**_fhir(FIX / "fhir_derive.toml"), "track": {"value": "adolescent"}}
    con = duckdb.connect()
    import_fhir(con, DERIVE, cfg)
    assert con.execute("select episode_id, track from episodes order by all").fetchall() == [
        ("derived-d1", "adolescent"),
        ("derived-d4", "adolescent"),
    ]
