"""TEDS-D reader on small hand-built files in the three layouts, every figure written out.

Composition (the same discharges in each layout; "IOP" = service 6, MAT = METHUSE 1):

  2019 (or 2021, or 2014), Ohio (39):
    20  IOP adult    no MAT  completed     LOS code 31 (31-45 days)
    12  IOP adult    no MAT  dropped out   LOS 10
     8  IOP 15-17    no MAT  completed     LOS code 33 (61-90 days)
     5  IOP adult    MAT     terminated    LOS 5          (left out unless include_mat)
    10  non-intensive outpatient (7)                       (never counted)
  same year, Texas (48):
    10  IOP adult    no MAT  transferred   LOS 20
     2  IOP age missing, MAT missing, reason missing, LOS missing
  previous year, Ohio:
    30  IOP adult    no MAT  completed     LOS 1

Expected (default, MAT left out, both years):
  rows read 97; IOP 87; IOP with MAT 5; used 82.
  latest year, Ohio, all ages: n 40, completed 28/40 = 0.7, dropped out 12/40 = 0.3,
    LOS shares code 10: 0.3, 31: 0.5, 33: 0.2; median bin 31.
  Ohio adult: n 32, completion 20/32 = 0.625. Ohio adolescent: 8 < 30, withheld.
  Texas all ages: 12 < 30, withheld.
  Nation, all ages: n 52, completed 28/52, dropped out 12/52, transferred 10/52,
    unknown 2/52; LOS over 50 known: 10: 12/50, 20: 10/50, 31: 20/50, 33: 8/50; median 31.
  Nation adult: n 42 (20 + 12 + 10; missing age counts only in all ages), completion 20/42.
  Previous year, nation and Ohio, all and adult: n 30, completion 1.0, median bin 1.
"""

from __future__ import annotations

import csv
import io
import json
import os
import zipfile
from pathlib import Path

import pytest

from iop_metrics.cli import main
from iop_metrics.errors import InputError
from iop_metrics.ingest.teds import read_teds_d

# (count, year offset, state, age, service, mat, reason, los) in codes of the 2015+ layout;
# age "adult"/"teen"/None is turned into each layout's codes below.
COMPOSITION = [
    (20, 0, 39, "adult", 6, 2, 1, 31),
    (12, 0, 39, "adult", 6, 2, 2, 10),
    (8, 0, 39, "teen", 6, 2, 1, 33),
    (5, 0, 39, "adult", 6, 1, 3, 5),
    (10, 0, 39, "adult", 7, 2, 1, 12),
    (10, 0, 48, "adult", 6, 2, 4, 20),
    (2, 0, 48, None, 6, -9, -9, -9),
    (30, -1, 39, "adult", 6, 2, 1, 1),
]
AGE_2019 = {"adult": 5, "teen": 2, None: -9}  # 5 = 25-29, 2 = 15-17
AGE_2006 = {"adult": 6, "teen": 3, None: -9}  # 2006-2014: 3 = 15-17, 6 = 25-29
LABELS = {
    "service": {6: "Ambulatory, intensive outpatient", 7: "Ambulatory, non-intensive outpatient"},
    "reason": {
        1: "Treatment completed",
        2: "Dropped out of treatment",
        3: "Terminated by facility",
        4: "Transferred to another treatment program or facility",
        -9: "Missing/unknown/not collected/invalid",
    },
    "los": {31: "31 to 45 days", 33: "61 to 90 days", -9: "Missing/unknown/not collected/invalid"},
    "age": {"adult": "25-29 years", "teen": "15-17 years", None: "Missing/unknown"},
    "state": {39: "Ohio", 48: "Texas"},
    "mat": {1: "Yes", 2: "No", -9: "Missing/unknown"},
}


def _rows(layout: str, year: int) -> list[dict[str, str]]:
    out = []
    i = 0
    for n, dy, st, age, svc, mat, reason, los in COMPOSITION:
        for _ in range(n):
            i += 1
            if layout == "labels":
                row = {
                    "SERVICES_D": LABELS["service"][svc],
                    "REASON": LABELS["reason"][reason],
                    "LOS": LABELS["los"].get(los, str(los)),
                    "AGE": LABELS["age"][age],
                    "STFIPS": LABELS["state"][st],
                    "METHUSE": LABELS["mat"][mat],
                }
            else:
                ages = AGE_2006 if layout == "2006" else AGE_2019
                row = {
                    "SERVSETD" if layout == "2006" else "SERVICES_D": str(svc),
                    "REASON": str(reason),
                    "LOS": str(los),
                    "AGE": str(ages[age]),
                    "STFIPS": str(st),
                    "METHUSE": str(mat),
                }
            out.append({"CASEID": str(i), "DISYR": str(year + dy), "GENDER": "2", **row})
    return out


def _write(
    tmp: Path, layout: str, year: int, *, zipped: bool = False, delimiter: str = ","
) -> Path:
    rows = _rows(layout, year)
    # a column order unlike SAMHSA's, to show the reader goes by name
    fields = ["GENDER", "LOS", "CASEID", "REASON", "METHUSE", "AGE", "STFIPS", "DISYR"]
    fields.insert(3, "SERVSETD" if layout == "2006" else "SERVICES_D")
    if layout == "labels":
        fields.append("NOTE")
        for r in rows:
            r["NOTE"] = "Données"  # a latin-1 character, as in the 2021 file
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=fields, lineterminator="\r\n", delimiter=delimiter)
    w.writeheader()
    w.writerows(rows)
    data = buf.getvalue().encode("latin-1")
    if zipped:
        path = tmp / f"tedsd_{layout}.zip"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("readme.txt", "codebook elsewhere")
            z.writestr(f"tedsd_puf_{year}.csv", data)
        return path
    path = tmp / f"tedsd_{layout}.csv"
    path.write_bytes(data)
    return path


def _cell(doc: dict, year: int, state: str | None, group: str) -> dict:
    [cell] = [
        c
        for c in doc["cells"]
        if c["year"] == year and c["state"] == state and c["age_group"] == group
    ]
    return cell


def _check_composition(doc: dict, year: int) -> None:
    prov = doc["provenance"]
    assert (prov["rows_read"], prov["rows_iop"], prov["rows_iop_with_mat"]) == (97, 87, 5)
    assert prov["rows_used"] == 82
    ohio = _cell(doc, year, "39", "all")
    assert ohio["n"] == 40 and ohio["state_name"] == "Ohio"
    assert ohio["completion_rate"] == pytest.approx(0.7)
    assert ohio["reasons"]["completed"] == {"n": 28, "share": pytest.approx(0.7)}
    assert ohio["reasons"]["dropped_out"]["share"] == pytest.approx(0.3)
    assert ohio["reasons"]["terminated"]["n"] == 0
    assert ohio["los"]["shares"]["10"] == pytest.approx(0.3)
    assert ohio["los"]["shares"]["31"] == pytest.approx(0.5)
    assert ohio["los"]["shares"]["33"] == pytest.approx(0.2)
    assert ohio["los"]["median_bin"] == 31
    adult = _cell(doc, year, "39", "adult")
    assert adult["n"] == 32 and adult["completion_rate"] == pytest.approx(0.625)
    teen = _cell(doc, year, "39", "adolescent")
    assert teen["withheld"] and teen["n"] is None and teen["completion_rate"] is None
    texas = _cell(doc, year, "48", "all")
    assert texas["withheld"] and texas["reasons"] is None
    us = _cell(doc, year, None, "all")
    assert us["n"] == 52 and us["state_name"] == "United States"
    shares = {k: v["share"] for k, v in us["reasons"].items()}
    assert shares["completed"] == pytest.approx(28 / 52)
    assert shares["dropped_out"] == pytest.approx(12 / 52)
    assert shares["transferred"] == pytest.approx(10 / 52)
    assert shares["unknown"] == pytest.approx(2 / 52)
    assert us["los"]["n"] == 50
    assert {k: v for k, v in us["los"]["shares"].items() if v} == pytest.approx(
        {"10": 12 / 50, "20": 10 / 50, "31": 20 / 50, "33": 8 / 50}
    )
    assert us["los"]["median_bin"] == 31
    us_adult = _cell(doc, year, None, "adult")
    assert us_adult["n"] == 42 and us_adult["completion_rate"] == pytest.approx(20 / 42)
    assert _cell(doc, year, None, "adolescent")["withheld"]
    for state in (None, "39"):
        for group in ("all", "adult"):
            before = _cell(doc, year - 1, state, group)
            assert (before["n"], before["completion_rate"]) == (30, 1.0)
            assert before["los"]["median_bin"] == 1
    assert all(c["n"] is None or c["n"] >= 30 for c in doc["cells"])


def test_2019_layout_csv(tmp_path: Path) -> None:
    path = _write(tmp_path, "2019", 2019)
    doc = read_teds_d(path)
    _check_composition(doc, 2019)
    assert doc["provenance"]["layout"] == "2015+ codes (SERVICES_D)"
    assert len(doc["provenance"]["sha256"]) == 64 and doc["provenance"]["member"] is None
    assert doc["provenance"]["filters"] == {"year": None, "state": None, "include_mat": False}


def test_2021_text_labels_in_a_zip(tmp_path: Path) -> None:
    path = _write(tmp_path, "labels", 2021, zipped=True)
    doc = read_teds_d(path)
    _check_composition(doc, 2021)
    assert doc["provenance"]["layout"] == "text labels (2021)"
    assert doc["provenance"]["member"] == "tedsd_puf_2021.csv"
    assert doc["provenance"]["unrecognised_values"] == {}


def test_2006_2014_layout(tmp_path: Path) -> None:
    path = _write(tmp_path, "2006", 2014)
    doc = read_teds_d(path)
    _check_composition(doc, 2014)  # AGE 3 is 15-17 here, an adolescent
    assert doc["provenance"]["layout"] == "2006-2014 codes (SERVSETD)"


def test_filters_year_state_and_mat(tmp_path: Path) -> None:
    path = _write(tmp_path, "2019", 2019)
    doc = read_teds_d(path, year=2019, state=39, include_mat=True)
    prov = doc["provenance"]
    assert (prov["rows_iop_other_years"], prov["rows_used"]) == (30, 57)
    assert {c["state"] for c in doc["cells"]} == {None, "39"}
    assert {c["year"] for c in doc["cells"]} == {2019}
    assert doc["program_state"] == "39" and doc["program_state_name"] == "Ohio"
    ohio = _cell(doc, 2019, "39", "all")  # 40 + the 5 with MAT (terminated)
    assert ohio["n"] == 45 and ohio["reasons"]["terminated"]["n"] == 5
    assert ohio["completion_rate"] == pytest.approx(28 / 45)
    assert _cell(doc, 2019, None, "all")["n"] == 57


def test_zip_and_csv_give_the_same_figures(tmp_path: Path) -> None:
    a = read_teds_d(_write(tmp_path, "2019", 2019))
    b = read_teds_d(_write(tmp_path, "2019", 2019, zipped=True))
    assert a["cells"] == b["cells"]


def test_a_tab_separated_file_reads_the_same(tmp_path: Path) -> None:
    tsv = read_teds_d(_write(tmp_path, "2019", 2019, delimiter="\t"))
    _check_composition(tsv, 2019)


def test_missing_column_names_file_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("DISYR,STFIPS,AGE,LOS,REASON,METHUSE\n2019,39,5,3,1,2\n")
    with pytest.raises(InputError) as e:
        read_teds_d(path)
    assert "bad.csv:1: SERVICES_D or SERVSETD: no such column" in str(e.value)
    path.write_text("DISYR,STFIPS,AGE,LOS,REASON,SERVICES_D\n2019,39,5,3,1,6\n")
    with pytest.raises(InputError, match="METHUSE.*--include-mat"):
        read_teds_d(path)
    assert read_teds_d(path, include_mat=True)["provenance"]["rows_used"] == 1


def test_short_row_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "short.csv"
    path.write_text("DISYR,STFIPS,AGE,LOS,REASON,SERVICES_D,METHUSE\n2019,39,5,3,1,6,2\n2019,39\n")
    with pytest.raises(InputError, match="short.csv:3: 2 fields, the header has 7"):
        read_teds_d(path)


def test_cli_writes_the_benchmark(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, "2019", 2019)
    out = tmp_path / "benchmarks" / "teds.json"
    code = main(["benchmark", "teds-d", str(path), "--state", "39", "--out", str(out)])
    assert code == 0
    doc = json.loads(out.read_text())
    assert _cell(doc, 2019, "39", "all")["n"] == 40
    said = capsys.readouterr().out
    assert "TEDS-D 2019, Ohio: 40 intensive outpatient discharges, 70.0% completed" in said
    assert main(["benchmark", "teds-d", str(tmp_path / "nope.csv")]) == 2


@pytest.mark.skipif(
    not os.environ.get("IOP_TEDS_D_2019"),
    reason="opt-in: set IOP_TEDS_D_2019 to the SAMHSA TEDS-D 2019 CSV or zip",
)
def test_real_2019_file_matches_the_codebook() -> None:
    doc = read_teds_d(os.environ["IOP_TEDS_D_2019"], include_mat=True)
    prov = doc["provenance"]
    assert prov["rows_read"] == 1_722_503
    assert prov["rows_iop"] == 235_771
    assert prov["rows_used"] == 235_771
