"""Benchmark: read a synthetic TEDS-D file the size of 2019's (1,722,503 rows, 76 columns).

Writes the file with DuckDB (plain CSV and the same CSV inside a zip), then reads each in a
fresh process and prints the time, the rows per second and the peak resident memory, beside
the file's size: the reader streams, so memory should stay flat however large the file is.

    .venv/bin/python bench/teds.py [--rows N] [--dir DIR]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import duckdb

CHILD = """
import resource, sys, time
from iop_metrics.ingest.teds import read_teds_d
t = time.perf_counter()
doc = read_teds_d(sys.argv[1])
took = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(took, peak, doc["provenance"]["rows_read"], doc["provenance"]["rows_iop"])
"""


# The recovery domains' admission/discharge twins (2015+), each with its codes and -9.
TWINS = {
    "FREQ1": "-9, 1, 2, 3",
    "EMPLOY": "-9, 1, 2, 3, 4",
    "DETNLF": "-9, 1, 2, 3, 4, 5",
    "LIVARAG": "-9, 1, 2, 3",
    "ARRESTS": "-9, 0, 1, 2",
    "FREQ_ATND_SELF_HELP": "-9, 1, 2, 3, 4, 5",
}


def write_file(path: Path, rows: int, *, twins: bool = True) -> None:
    pick = [(f"[{codes}][1 + floor(random() * {codes.count(',') + 1})::int]", name)
            for base, codes in TWINS.items() for name in (base, f"{base}_D")]  # fmt: skip
    twin_cols = [f"{v} as {name}" for v, name in pick] if twins else []
    fillers = ", ".join(
        [f"floor(random() * 9)::int as X{j:02d}" for j in range(69 - len(twin_cols))] + twin_cols
    )
    con = duckdb.connect()
    con.execute("set enable_progress_bar = false").fetchall()
    con.execute("select setseed(0.2019)").fetchall()
    con.execute(
        f"""
        copy (
            select 2019 as DISYR, i as CASEID,
                (1 + floor(random() * 56))::int as STFIPS,
                (1 + floor(random() * 12))::int as AGE,
                (1 + floor(random() * 8))::int as SERVICES_D,
                (1 + floor(random() * 2))::int as METHUSE,
                (1 + floor(random() * 37))::int as LOS,
                (1 + floor(random() * 7))::int as REASON,
                {fillers}
            from range({rows}) t(i)
        ) to '{path}' (header, delimiter ',')
        """
    )


def measure(path: Path) -> tuple[float, float, int, int]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True, check=True
    ).stdout.split()
    return float(out[0]), float(out[1]), int(out[2]), int(out[3])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_722_503)
    ap.add_argument("--dir", help="where to write the files (default: a temporary folder)")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        where = Path(a.dir or tmp)
        csv_path, zip_path = where / "tedsd_puf_2019.csv", where / "tedsd_puf_2019.zip"
        t = time.perf_counter()
        write_file(csv_path, a.rows)
        with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
            z.write(csv_path, csv_path.name)
        print(f"wrote {a.rows:,} rows in {time.perf_counter() - t:.1f} s")
        small = where / "tedsd_small.csv"
        write_file(small, 1000)
        for path in (small, csv_path, zip_path):
            took, peak, rows, iop = measure(path)
            size = path.stat().st_size / 2**20
            print(
                f"{path.name:>20}: {size:7.1f} MiB, {took:6.1f} s, "
                f"{rows / took:,.0f} rows/s, peak RSS {peak:6.1f} MiB "
                f"(ratio to file size {peak / size:.2f}); {rows:,} rows, {iop:,} IOP"
            )


if __name__ == "__main__":
    main()
