"""Which library reads an EHR's .xlsx export fastest: openpyxl, python-calamine or fastexcel.

Writes a census-shaped sheet (ROWS rows x 16 text columns, as EHR reports are)
once with openpyxl, then reads every cell as Python values with each reader
that is installed (fastexcel is the dependency; python-calamine, its Python
binding without Arrow, and openpyxl are compared when installed).
Run: .venv/bin/python bench/xlsx_readers.py [ROWS]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out" / "xlsx"


def make(rows: int) -> Path:
    from openpyxl import Workbook

    path = OUT / f"census-{rows}.xlsx"
    if path.exists():
        return path
    OUT.mkdir(parents=True, exist_ok=True)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Census")
    sheet.append([f"Column {i}" for i in range(16)])
    for r in range(rows):
        sheet.append([f"{r:07d}", "Testperson, Avery", "06/05/1988", "Female", "IOP", r % 97]
                     + [f"label {r % 13}"] * 10)  # fmt: skip
    book.save(path)
    return path


def openpyxl_read(path: Path) -> int:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    n = sum(1 for _ in book.worksheets[0].iter_rows(values_only=True))
    book.close()
    return n


def calamine_read(path: Path) -> int:
    from python_calamine import CalamineWorkbook  # type: ignore[import-not-found]

    book = CalamineWorkbook.from_path(str(path))
    return len(book.get_sheet_by_index(0).to_python())


def fastexcel_read(path: Path) -> int:
    import fastexcel

    sheet = fastexcel.read_excel(str(path)).load_sheet(0, header_row=None)
    return sheet.to_arrow().num_rows


def main(rows: int) -> None:
    path = make(rows)
    timings = {}
    for name, fn in (
        ("python-calamine", calamine_read),
        ("openpyxl", openpyxl_read),
        ("fastexcel", fastexcel_read),
    ):
        try:
            t0 = time.perf_counter()
            n = fn(path)
            timings[name] = time.perf_counter() - t0
        except ImportError:
            print(f"{name:>16}: not installed")
            continue
        print(f"{name:>16}: {timings[name]:6.2f} s for {n:,} rows")
    base = timings.get("fastexcel")
    if base:
        for name, t in timings.items():
            print(f"{name:>16}: {t / base:5.1f} x fastexcel")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
