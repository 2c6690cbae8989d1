"""`iop-metrics metrics`: the JSON document, formats, defaults and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import SAMPLE

from iop_metrics.cli import main

KEYS = {
    "period": ["label", "start", "end", "as_of"],
    "scope": ["levels_of_care", "site", "track"],
    "census": ["active_at_start", "admissions", "discharges", "active_at_end", "clients_served"],
    "attendance": [
        "scheduled",
        "attended",
        "no_show",
        "cancelled_client",
        "cancelled_program",
        "attendance_rate",
        "no_show_rate",
    ],
    "dosage": [
        "client_weeks",
        "client_weeks_meeting_threshold",
        "share_meeting_threshold",
        "median_hours_per_client_week",
    ],
    "discharges": ["total", "by_reason", "completion_rate", "median_length_of_stay_days"],
    "retention": [
        "cohort_start",
        "cohort_end",
        "cohort_admissions",
        "day_30",
        "day_60",
        "day_90",
        "initiated_14d",
        "engaged_34d",
    ],
    "transitions": [
        "window_days",
        "step_down",
        "step_up",
        "lateral",
        "no_next_care",
        "pending",
        "by_next_level",
        "median_gap_days_step_down",
    ],
    "inflow": ["stepped_down_into", "stepped_up_into", "lateral_into", "direct"],
    "continuity": [
        "residential_discharges",
        "followed_up_7d",
        "followed_up_14d",
        "pending_7d",
        "pending_14d",
        "rate_7d",
        "rate_14d",
    ],
    # spec outcomes.md, Figures
    "outcomes": [
        "ended",
        "courses",
        "paired",
        "paired_rate",
        "at_caseness",
        "reliable_improvement",
        "reliable_improvement_rate",
        "reliable_deterioration",
        "reliable_deterioration_rate",
        "no_reliable_change",
        "recovery",
        "recovery_rate",
        "reliable_recovery",
        "reliable_recovery_rate",
        "by_instrument",
        "measured_at_intake",
        "intake_eligible",
        "measured_at_intake_rate",
        "measured_last_30d",
        "open_30d",
        "measured_last_30d_rate",
    ],
    # spec recovery.md: admission to discharge, after discharge
    "noms": [
        "ended",
        "with_admission",
        "with_discharge",
        "abstinent",
        "employed_or_student",
        "housed",
        "no_arrests",
        "self_help",
    ],
    "follow_up": ["1m", "3m", "6m", "12m"],
}


def _json(capsys, *args) -> dict:
    assert main(["metrics", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_json_document_has_exactly_the_spec_keys_and_types(capsys, sample_db):
    doc = _json(capsys, "--db", str(sample_db), "--period", "2026-09")
    assert list(doc) == list(KEYS)
    for section, keys in KEYS.items():
        assert list(doc[section]) == keys, section
    domain = [
        *("paired", "paired_rate", "at_admission", "at_discharge", "gained", "lost"),
        *("admission_rate", "discharge_rate", "change"),
    ]
    assert list(doc["noms"]["abstinent"]) == [
        *domain,
        *("using_at_admission", "reduced", "reduced_rate"),
    ]
    assert all(list(doc["noms"][d]) == domain for d in KEYS["noms"][4:])
    window = [
        *("due", "reached", "not_reached", "declined", "deceased", "not_attempted"),
        *("response_rate", "abstinent", "abstinent_known", "abstinent_rate_responders"),
        *("abstinent_rate_all", "employed_or_student", "employed_or_student_known"),
        *("housed", "housed_known", "no_arrests", "no_arrests_known"),
    ]
    assert all(list(doc["follow_up"][w]) == window for w in KEYS["follow_up"])
    assert list(doc["discharges"]["by_reason"]) == [
        "completed",
        "dropped_out",
        "terminated",
        "transferred",
        "incarcerated",
        "died",
        "other",
    ]
    assert doc["period"] == {
        "label": "2026-09",
        "start": "2026-09-01",
        "end": "2026-09-30",
        "as_of": "2026-09-30",
    }
    assert isinstance(doc["census"]["admissions"], int)
    assert isinstance(doc["attendance"]["attendance_rate"], float)
    assert doc["census"]["admissions"] > 5  # the sample is a busy program
    for code, figures in doc["outcomes"]["by_instrument"].items():
        assert list(figures) == [
            "paired",
            "case_at_start",
            "mean_first",
            "mean_last",
            "reliable_improvement",
            "reliable_deterioration",
            "not_case_at_end",
            "response",
            "response_rate",
            "remission",
            "remission_rate",
        ], code


def test_default_period_is_the_latest_complete_month(capsys, sample_db):
    assert _json(capsys, "--db", str(sample_db))["period"]["label"] == "2026-10"


def test_data_dir_scope_and_as_of(capsys, sample_db):
    from_db = _json(
        capsys,
        "--db",
        str(sample_db),
        "--period",
        "2026-Q3",
        "--site",
        "north",
        "--level",
        "2.1",
        "--level",
        "2.5",
        "--as-of",
        "2026-10-15",
    )
    from_dir = _json(
        capsys,
        "--data",
        str(SAMPLE),
        "--period",
        "2026-Q3",
        "--site",
        "north",
        "--level",
        "2.1",
        "--level",
        "2.5",
        "--as-of",
        "2026-10-15",
    )
    assert from_db == from_dir
    assert from_db["scope"] == {"levels_of_care": ["2.1", "2.5"], "site": "north", "track": None}
    assert from_db["period"]["as_of"] == "2026-10-15"


def test_table_and_csv_formats(capsys, sample_db):
    assert (
        main(["metrics", "--db", str(sample_db), "--period", "2026-09", "--format", "table"]) == 0
    )
    out = capsys.readouterr().out
    assert "ATTENDANCE" in out and "%" in out
    assert main(["metrics", "--db", str(sample_db), "--period", "2026-09", "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "figure,value" and any(x.startswith("census.admissions,") for x in lines)


def test_sites_has_the_table_format_metrics_has(capsys, sample_db):
    argv = ["sites", "--db", str(sample_db), "--period", "2026-09", "--format", "table"]
    assert main([*argv, "--measure", "completion", "--measure", "attendance"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "COMPLETION (2025-10-01 – 2026-09-30; program 45.3% of 247)"
    # main: 53 of 125 completed, 58.3 expected from its case mix; adjusted 41.2%
    assert lines[2].split() == ["main", "125", "53", "58.3", "0.91", "42.4%", "41.2%", "37.1%",
                                "–", "53.5%", "as", "expected"]  # fmt: skip
    assert lines[5] == "ATTENDANCE (2025-10-01 – 2026-09-30; program 82.1% of 7,412)"
    assert lines[7].split()[:7] == ["main", "3,594", "2,965", "2,951.5", "1.00", "82.5%", "—"]


def test_bad_arguments_exit_2_with_a_readable_message(capsys, sample_db, tmp_path):
    assert main(["metrics", "--db", str(sample_db), "--period", "2026-13"]) == 2
    assert "month must be 01..12" in capsys.readouterr().err
    assert (
        main(["metrics", "--db", str(sample_db), "--period", "2026-09", "--as-of", "2026-09-01"])
        == 2
    )
    assert "before the end of period" in capsys.readouterr().err
    assert main(["metrics", "--db", str(tmp_path / "none.duckdb")]) == 2
    assert "no database here" in capsys.readouterr().err
    assert main(["metrics", "--bogus"]) == 2


def test_console_script_exit_codes():
    ok = subprocess.run(
        [sys.executable, "-m", "iop_metrics.cli", "--help"], capture_output=True, text=True
    )
    assert ok.returncode == 0 and "metrics" in ok.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "iop_metrics.cli", "validate", "/nonexistent"],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and "is not a folder" in bad.stderr
