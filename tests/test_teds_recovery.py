"""TEDS-D recovery domains, admission to discharge, on a hand-built 2019 file with the `_D` twins
(every figure counted by hand below), the same file in the 2021 text labels, and files without
twins (before 2015) that say so and keep the rest of the benchmark.

Composition, all 2019, adult, intensive outpatient (SERVICES_D 6), no MAT unless said.
Columns: FREQ1>FREQ1_D, EMPLOY/DETNLF > EMPLOY_D/DETNLF_D, LIVARAG>_D, ARRESTS>_D, SELF_HELP>_D

  Ohio (39)
  g1 20  3>1      3/-9>2/-9    1>3   1>0   1>4    (gains everywhere; use reduced)
  g2 10  2>2      4/2>4/2      2>2   0>0   2>1    (student both times; self-help lost)
  g3  6  1>2      1/-9>3/-9    3>1   0>2   -9>3   (losses everywhere; use went up)
  g4  4  3>2      4/3>4/-9     -9>2  -9>-9 1>-9   (use reduced, not stopped; else unpaired)
  g5 10  -9>1     4/-9>1/-9    2>3   1>1   1>1    (EMPLOY 4 with DETNLF unknown: unpaired)
  g8  5  3>1 ... with METHUSE 1 (MAT): left out unless --include-mat
  g9  5  3>1 ... SERVICES_D 7: never counted
  Texas (48)
  g6 25  2>1      3/-9>3/-9    2>2   0>0   1>2
  g7  5  -9>-9    3/-9>1/-9    1>1   0>1   -9>-9
  g7b 4  1>1      -9/-9>-9/-9  -9>-9 -9>-9 -9>-9

Ohio, ended 50:
  abstinent   paired 40 (g1..g4), at admission 6 (g3), at discharge 20 (g1), gained 20, lost 6,
              using at admission 34, reduced 24 (g1 20 + g4 4)
  employed    paired 36 (g1, g2, g3), at admission 16 (g2 + g3), at discharge 30, gained 20, lost 6
  housed      paired 46 (g1, g2, g3, g5), admission 26, discharge 40, gained 20, lost 6
  no arrests  paired 46, admission 16 (g2 + g3), discharge 30 (g1 + g2), gained 20, lost 6
  self-help   paired 40 (g1, g2, g5), admission 10 (g2), discharge 20 (g1), gained 20, lost 10
Texas, ended 34: abstinent 29 paired and self-help 25: withheld (fewer than 30);
  employed paired 30: 0 > 5, gained 5; housed 30: 25 > 25; no arrests 30: 30 > 25, lost 5.
Nation, ended 84: abstinent paired 69, 10 > 49, gained 45, lost 6, using 59, reduced 49;
  employed 66, 16 > 35 (25, 6); housed 76, 51 > 65 (20, 6); no arrests 76, 46 > 55 (20, 11);
  self-help 65, 10 > 45 (45, 10).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from test_teds import _cell, _write

from iop_metrics.cli import main
from iop_metrics.errors import InputError
from iop_metrics.ingest.teds import read_teds_d
from iop_metrics.report.benchmark import from_file

TWINS = [
    "FREQ1", "FREQ1_D", "EMPLOY", "DETNLF", "EMPLOY_D", "DETNLF_D", "LIVARAG", "LIVARAG_D",
    "ARRESTS", "ARRESTS_D", "FREQ_ATND_SELF_HELP", "FREQ_ATND_SELF_HELP_D",
]  # fmt: skip
# (count, state, service, mat, twins in TWINS order)
GROUPS = [
    (20, 39, 6, 2, (3, 1, 3, -9, 2, -9, 1, 3, 1, 0, 1, 4)),
    (10, 39, 6, 2, (2, 2, 4, 2, 4, 2, 2, 2, 0, 0, 2, 1)),
    (6, 39, 6, 2, (1, 2, 1, -9, 3, -9, 3, 1, 0, 2, -9, 3)),
    (4, 39, 6, 2, (3, 2, 4, 3, 4, -9, -9, 2, -9, -9, 1, -9)),
    (10, 39, 6, 2, (-9, 1, 4, -9, 1, -9, 2, 3, 1, 1, 1, 1)),
    (5, 39, 6, 1, (3, 1, 3, -9, 1, -9, 1, 3, 1, 0, 1, 4)),
    (5, 39, 7, 2, (3, 1, 3, -9, 1, -9, 1, 3, 1, 0, 1, 4)),
    (25, 48, 6, 2, (2, 1, 3, -9, 3, -9, 2, 2, 0, 0, 1, 2)),
    (5, 48, 6, 2, (-9, -9, 3, -9, 1, -9, 1, 1, 0, 1, -9, -9)),
    (4, 48, 6, 2, (1, 1, -9, -9, -9, -9, -9, -9, -9, -9, -9, -9)),
]
# The codebook's text labels (2021 ships these instead of codes).
MISSING = "Missing/Unknown/Not Collected/Invalid"
LABELS = {
    "FREQ1": {1: "No Use In The Past Month", 2: "Some Use", 3: "Daily Use"},
    "EMPLOY": {1: "Full-Time", 2: "Part-Time", 3: "Unemployed", 4: "Not In Labor Force"},
    "DETNLF": {2: "Student", 3: "Retired, Disabled"},
    "LIVARAG": {1: "Homeless", 2: "Dependent Living", 3: "Independent Living"},
    "ARRESTS": {0: "None", 1: "Once", 2: "Two Or More Times"},
    "FREQ_ATND_SELF_HELP": {
        1: "No Attendance",
        2: "1-3 Times In The Past Month",
        3: "4-7 Times In The Past Month",
        4: "8-30 Times In The Past Month",
    },
}
SERVICE = {6: "Ambulatory, intensive outpatient", 7: "Ambulatory, non-intensive outpatient"}


def _label(column: str, code: int) -> str:
    return MISSING if code == -9 else LABELS[column.removesuffix("_D")][code]


def _twin_file(tmp: Path, *, labels: bool = False, columns: list[str] = TWINS) -> Path:
    fields = ["CASEID", "DISYR", "STFIPS", "AGE", "SERVICES_D", "METHUSE", "REASON", "LOS"]
    rows = []
    for n, state, service, mat, twins in GROUPS:
        for _ in range(n):
            row = [len(rows) + 1, 2019, state, 5, service, mat, 1, 20, *twins]
            if labels:
                row[2] = {39: "Ohio", 48: "Texas"}[state]
                row[3], row[4] = "25-29 Years", SERVICE[service]
                row[5] = "Yes" if mat == 1 else "No"
                row[6], row[7] = "Treatment completed", "20"
                row[8:] = [_label(c, v) for c, v in zip(TWINS, twins, strict=True)]
            rows.append(dict(zip(fields + TWINS, row, strict=True)))
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=fields + columns, extrasaction="ignore")
    w.writeheader()
    w.writerows(rows)
    path = tmp / ("labels.csv" if labels else f"twins{len(columns)}.csv")
    path.write_bytes(buf.getvalue().encode("latin-1"))
    return path


def _figures(cell: dict, domain: str) -> tuple:
    f = cell["recovery"][domain]
    return f["paired"], f["at_admission"], f["at_discharge"], f["gained"], f["lost"]


def test_ohio_figures_counted_by_hand(tmp_path: Path) -> None:
    doc = read_teds_d(_twin_file(tmp_path), state=39)
    assert doc["recovery"]["available"] and doc["recovery"]["note"] is None
    ohio = _cell(doc, 2019, "39", "all")
    assert ohio["n"] == 50 and ohio["recovery"]["ended"] == 50
    assert _figures(ohio, "abstinent") == (40, 6, 20, 20, 6)
    assert _figures(ohio, "employed_or_student") == (36, 16, 30, 20, 6)
    assert _figures(ohio, "housed") == (46, 26, 40, 20, 6)
    assert _figures(ohio, "no_arrests") == (46, 16, 30, 20, 6)
    assert _figures(ohio, "self_help") == (40, 10, 20, 20, 10)
    ab = ohio["recovery"]["abstinent"]
    assert (ab["using_at_admission"], ab["reduced"]) == (34, 24)
    assert ab["reduced_rate"] == pytest.approx(24 / 34)
    assert ab["paired_rate"] == pytest.approx(40 / 50)
    assert ab["admission_rate"] == pytest.approx(6 / 40)
    assert ab["discharge_rate"] == pytest.approx(20 / 40)
    assert ab["change"] == pytest.approx(14 / 40) and ab["withheld"] is False
    housed = ohio["recovery"]["housed"]
    assert "reduced" not in housed and housed["change"] == pytest.approx(14 / 46)


def test_texas_withholds_domains_under_30_paired(tmp_path: Path) -> None:
    doc = read_teds_d(_twin_file(tmp_path), state=48)
    texas = _cell(doc, 2019, "48", "all")
    assert texas["n"] == 34 and texas["recovery"]["ended"] == 34
    for domain in ("abstinent", "self_help"):  # 29 and 25 paired
        f = texas["recovery"][domain]
        assert f["withheld"] and f["paired"] is None and f["at_discharge"] is None
    assert texas["recovery"]["abstinent"]["reduced"] is None
    assert _figures(texas, "employed_or_student") == (30, 0, 5, 5, 0)  # 30 paired: shown
    assert _figures(texas, "housed") == (30, 25, 25, 0, 0)
    assert _figures(texas, "no_arrests") == (30, 30, 25, 0, 5)


def test_nation_figures_counted_by_hand(tmp_path: Path) -> None:
    us = _cell(read_teds_d(_twin_file(tmp_path)), 2019, None, "all")
    assert us["recovery"]["ended"] == 84
    assert _figures(us, "abstinent") == (69, 10, 49, 45, 6)
    ab = us["recovery"]["abstinent"]
    assert (ab["using_at_admission"], ab["reduced"]) == (59, 49)
    assert _figures(us, "employed_or_student") == (66, 16, 35, 25, 6)
    assert _figures(us, "housed") == (76, 51, 65, 20, 6)
    assert _figures(us, "no_arrests") == (76, 46, 55, 20, 11)
    assert _figures(us, "self_help") == (65, 10, 45, 45, 10)
    for domain in ("abstinent", "employed_or_student", "housed", "no_arrests", "self_help"):
        f = us["recovery"][domain]  # the identity the report relies on
        assert f["at_discharge"] == f["at_admission"] + f["gained"] - f["lost"]


def test_mat_discharges_count_only_with_include_mat(tmp_path: Path) -> None:
    doc = read_teds_d(_twin_file(tmp_path), state=39, include_mat=True)
    ohio = _cell(doc, 2019, "39", "all")  # g8: 5 more, daily use -> none
    assert _figures(ohio, "abstinent") == (45, 6, 25, 25, 6)
    assert ohio["recovery"]["abstinent"]["reduced"] == 29


def test_text_labels_give_the_same_figures(tmp_path: Path) -> None:
    codes = read_teds_d(_twin_file(tmp_path))
    labels = read_teds_d(_twin_file(tmp_path, labels=True))
    assert labels["provenance"]["unrecognised_values"] == {}
    assert [c["recovery"] for c in labels["cells"]] == [c["recovery"] for c in codes["cells"]]


def test_a_file_with_some_twins_computes_those_domains(tmp_path: Path) -> None:
    doc = read_teds_d(_twin_file(tmp_path, columns=["FREQ1", "FREQ1_D", "LIVARAG"]))
    assert doc["recovery"]["domains"] == ["abstinent"]  # LIVARAG_D absent: housing not paired
    assert "lacks the columns of employed_or_student, housed" in doc["recovery"]["note"]
    us = _cell(doc, 2019, None, "all")
    assert _figures(us, "abstinent") == (69, 10, 49, 45, 6)
    assert us["recovery"]["housed"] is None and us["recovery"]["self_help"] is None


def test_a_row_short_of_the_twins_names_its_line(tmp_path: Path) -> None:
    path = _twin_file(tmp_path)
    text = path.read_text().splitlines()
    text[3] = ",".join(text[3].split(",")[:9])  # line 4 stops after FREQ1
    path.write_text("\n".join(text) + "\n")
    with pytest.raises(InputError, match="twins12.csv:4: 9 fields, the header has 20"):
        read_teds_d(path)


def test_a_file_before_2015_says_so_and_the_rest_works(tmp_path: Path, capsys) -> None:
    path = _write(tmp_path, "2006", 2014)  # test_teds's composition, SERVSETD, no twins
    doc = read_teds_d(path)
    assert doc["recovery"]["available"] is False and doc["recovery"]["domains"] == []
    assert "TEDS-D carries them from 2015" in doc["recovery"]["note"]
    assert all(c["recovery"] is None for c in doc["cells"])
    assert _cell(doc, 2014, "39", "all")["n"] == 40  # the rest as before
    out = tmp_path / "b.json"
    assert main(["benchmark", "teds-d", str(path), "--state", "39", "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert "TEDS-D 2014, Ohio: 40 intensive outpatient discharges, 70.0% completed" in said
    assert "No recovery figures: this file has no discharge twins" in said
    assert [r.recovery for r in from_file(out)] == [None, None]


def test_cli_and_report_reference_carry_the_figures(tmp_path: Path, capsys) -> None:
    out = tmp_path / "benchmarks" / "teds.json"
    assert (
        main(["benchmark", "teds-d", str(_twin_file(tmp_path)), "--state", "48", "--out", str(out)])
        == 0
    )
    said = capsys.readouterr().out
    assert "abstinent withheld; employed or student 0.0% -> 16.7% (30 paired)" in said
    assert "abstinent 14.5% -> 71.0% (69 paired)" in said  # the nation: 10 and 49 of 69
    doc = json.loads(out.read_text())
    texas, nation = from_file(out)
    assert texas.recovery == _cell(doc, 2019, "48", "all")["recovery"]
    assert nation.recovery is not None and nation.recovery["housed"]["paired"] == 76
