"""The report beside a TEDS-D benchmark: source and year named, withheld cells said, the
program's own length of stay binned as TEDS bins it (checked against pandas)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from test_teds import _write

from iop_metrics.cli import main

# The tests that read ``with_benchmark`` go to one worker (--dist loadgroup), which builds it once
BENCHMARK = pytest.mark.xdist_group("report-benchmark")


@pytest.fixture(scope="module")
def with_benchmark(sample_db, tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("bench")
    teds = _write(root, "2019", 2019)  # the composition in test_teds.py
    bench = root / "benchmarks" / "teds-d-2019.json"
    # Texas: 12 intensive outpatient discharges in 2019, under 30, so withheld.
    assert main(["benchmark", "teds-d", str(teds), "--state", "48", "--out", str(bench)]) == 0
    out = root / "reports"
    args = ["report", "--db", str(sample_db), "--period", "2026-10", "--out", str(out)]
    assert main([*args, "--benchmark", str(bench), "--formats", "html"]) == 0
    return out / "2026-10", bench


@BENCHMARK
def test_report_names_source_year_and_place_and_says_withheld(with_benchmark):
    folder, _ = with_benchmark
    html = (folder / "monthly_report.html").read_text()
    # The nation in 2019: 28 of 52 completed = 53.8%; Texas withheld, never 0.
    assert "TEDS-D 2019, United States: 53.8%" in html
    assert "TEDS-D, Texas" in html and "withheld</span> (fewer than 30 discharges)" in html
    assert "TEDS-D 2004" not in html.split("Definitions")[0]
    # Median stay of the nation: the 31-45 day bin.
    assert "TEDS-D 2019, United States: 31–45 days" in html
    doc = json.loads((folder / "metrics.json").read_text())
    assert doc["benchmark"] == [
        {
            "label": "TEDS-D, Texas",
            "year": None,
            "state": "48",
            "withheld": True,
            "completion_rate": None,
            "median_stay": None,
            "recovery": None,
        },
        {
            "label": "TEDS-D 2019, United States",
            "year": 2019,
            "state": None,
            "withheld": False,
            "completion_rate": pytest.approx(28 / 52),
            "median_stay": "31–45 days",
            "recovery": None,  # a file without discharge twins
        },
    ]


@BENCHMARK
def test_program_length_of_stay_is_binned_as_teds_bins_it(with_benchmark, sample_db):
    folder, _ = with_benchmark
    con = duckdb.connect(str(sample_db), read_only=True)
    stays = con.execute(
        "select discharge_date - admit_date + 1 as days from episodes where level_of_care = '2.1'"
        " and discharge_date between '2026-10-01' and '2026-10-31'"
    ).df()["days"]
    con.close()
    edges = [0, 7, 14, 30, 45, 60, 90, 120, 180, 365, 10_000]
    expected = pd.cut(stays, edges).value_counts(sort=False).tolist()
    html = (folder / "monthly_report.html").read_text()
    table = html.split("Length of stay</th>")[1].split("</table>")[0]
    rows = [r for r in table.split("<tr>")[1:] if "<td>" in r]
    shown = [int(r.split('<span class="n">')[1].split("<")[0].replace(",", "")) for r in rows]
    assert shown == expected and sum(shown) == len(stays) > 0
    # the nation's share of 31-45 days is 20 of 50 known stays
    assert "40.0%" in rows[3]


def test_without_a_benchmark_the_2004_figures_are_labelled(october_internal):
    """`iop-metrics report` without ``--benchmark`` (the sample's 2026-10, conftest)."""
    html = (october_internal / "monthly_report.html").read_text()
    assert "TEDS-D 2004, all ages (Table 2.5): 37.7%" in html
    assert "TEDS-D 2004, adult intensive outpatient (Table 4.11): 41 days" in html
    assert "benchmark" not in json.loads((october_internal / "metrics.json").read_text())


def test_a_missing_benchmark_file_is_bad_input(tmp_path, sample_db, capsys):
    args = ["report", "--db", str(sample_db), "--period", "2026-10", "--out", str(tmp_path)]
    assert main([*args, "--benchmark", str(tmp_path / "none.json")]) == 2
    assert "none.json: no benchmark file here" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    assert main([*args, "--benchmark", str(bad)]) == 2
    assert "not a benchmark file" in capsys.readouterr().err
