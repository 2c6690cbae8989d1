"""The suite's auditor against runs of the sample (or of a generated program): what a reader
of the external outputs works out.

    .venv/bin/python bench/audit.py --months 2026-05..2026-10 --k 11 [--archive DIR]
    .venv/bin/python bench/audit.py --months 2026-10 --k 5 --clients 60 --sites 2 --seed 11

Runs ``iop-metrics run`` for each month (the program and each site, internal and external,
HTML only) into one archive (``--archive`` keeps and reuses it), then reads only the external
files with tests/auditor_pages.py (written apart from the model: it imports nothing of the
package) and attacks each document alone, each run's outputs together, and every month's
together. Prints each hidden count pinned to 1..K-1 with the internal copy's figure (the
truth), the patterns they fall under, and exits 1 if anything is pinned. It also checks the
reader's names: one a reader ties across runs (a month's figure once it has settled) must
have one figure in every run's internal copies.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from auditor_docs import months  # noqa: E402
from auditor_pages import attacks, truth_of  # noqa: E402

CONFIG = """[data]
export = "{export}"
db = "iop.duckdb"

[reports]
period = "{first}"
out = "reports"
sites = "each"
audiences = ["internal", "external"]
suppress = {k}
formats = ["html"]
"""


def render(archive: Path, periods: list[str], k: int, export: Path) -> None:
    cfg = archive / "iop-metrics.toml"
    cfg.write_text(CONFIG.format(export=export, first=periods[0], k=k))
    for p in periods:
        if (archive / "reports" / p / "sites-external.html").is_file():
            continue
        cmd = [sys.executable, "-m", "iop_metrics.cli", "run", str(cfg), "--period", p]
        subprocess.run(cmd, check=True, capture_output=True)


def pattern(cell: str) -> str:
    key = cell.split(":", 1)[1]
    return re.sub(r"\[[^\]]*\]", "[]", re.sub(r"\d{4}-\d{2}(-\d{2})?", "M", key))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--months", default="2026-05..2026-10")
    ap.add_argument("--k", type=int, default=11)
    ap.add_argument("--archive", type=Path)
    ap.add_argument("--clients", type=int, help="a generated program instead of the sample")
    ap.add_argument("--sites", type=int, default=2)
    ap.add_argument("--seed", type=int, default=11)
    a = ap.parse_args(argv)
    first, _, last = a.months.partition("..")
    periods = months(first, last or first)
    archive = a.archive or Path(tempfile.mkdtemp(prefix="audit-"))
    archive.mkdir(parents=True, exist_ok=True)
    export = ROOT / "data" / "sample"
    if a.clients:
        import datetime as dt

        from iop_metrics.ingest.sample import generate

        export = archive / "data"
        if not export.is_dir():
            generate(
                export,
                clients=a.clients,
                sites=a.sites,
                seed=a.seed,
                start=dt.date(2025, 1, 1),
                end=dt.date(2026, 10, 31),
            )
    t = time.perf_counter()
    render(archive, periods, a.k, export)
    rendered = time.perf_counter() - t
    t = time.process_time()
    found = attacks(archive / "reports", periods, a.k)
    solved = time.process_time() - t
    truth: dict[str, int] = {}
    differ: dict[str, set[int]] = {}  # a name the reader ties across runs, not one figure
    for p in periods:
        for c, v in truth_of(archive / "reports" / p).items():
            if truth.setdefault(c, v) != v:
                differ.setdefault(c, {truth[c]}).add(v)
    print(
        f"tied across runs: {len(differ)} names with more than one internal figure"
        + "".join(f"\n  {c}: {sorted(v)}" for c, v in sorted(differ.items())[:10])
    )
    seen: set[str] = set()
    for attack, cells in found.items():
        new = {c: v for c, v in cells.items() if c not in seen}
        seen |= set(cells)
        right = sum(truth.get(c) == v for c, v in new.items())
        wrong = sum(c in truth and truth[c] != v for c, v in new.items())
        print(
            f"{attack}: {len(cells)} pinned ({len(new)} not found by the attacks above: "
            f"{right} equal to the internal figure, {wrong} not, "
            f"{len(new) - right - wrong} not printed there)"
        )
        by = Counter(pattern(c) for c in new)
        for pat, count in by.most_common():
            example = next(c for c in new if pattern(c) == pat)
            print(
                f"  {count:4d}  {pat}   e.g. {example} = {new[example]}"
                f" (internal: {truth.get(example, 'not printed')})"
            )
    print(f"archive {archive}; rendering {rendered:.0f} s wall, the attacks {solved:.1f} s CPU")
    return 1 if seen or differ else 0


if __name__ == "__main__":
    sys.exit(main())
