"""How a network run's joint suppression plan grows with its sites (issue 30), no ledger.

    .venv/bin/python bench/plan_sites.py [--size 1M] [--sites 10 20 50]

Generates one export at the size (``bench/runs.py``'s generator), then for each number of
sites spreads its clients over that many sites (``runs.spread``) and records the 2026-10
plan as a run with ``sites = "each"`` makes it (``bench/ledger_plan.py record 0``: the model
jobs of the program, each site and the sites page, each report protected alone, then
``linked.plan`` over all of them), timing the plan's ``model.protect`` calls in CPU seconds
of this process. The model jobs (figures and their records, on two workers) are timed apart
in wall seconds. Prints a table and writes bench/out/plan-sites-<size>.json. Not a test: the
machine is shared; the CPU seconds are the figure to read.
"""

from __future__ import annotations

import argparse
import json
import pickle
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT / "bench"))

import ledger_plan  # noqa: E402
import runs  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", choices=("100k", "1M", "10M"), default="1M")
    ap.add_argument("--sites", type=int, nargs="+", default=[10, 20, 50])
    ap.add_argument("--keep", action="store_true", help="keep the recorded calls (plan-N.pkl)")
    a = ap.parse_args()
    work = OUT / f"plan-sites-{a.size}"
    shutil.rmtree(work, ignore_errors=True)
    base = work / "base"
    sessions = runs.generate(base, runs.SIZES[a.size], sites=1)
    rows = []
    for n in a.sites:
        export = work / f"sites-{n}"
        shutil.copytree(base, export)
        runs.spread(export, n)
        calls = work / f"plan-{n}.pkl"
        t = time.perf_counter()
        ledger_plan.record(0, calls, export=export, workers=2)
        wall = time.perf_counter() - t
        with calls.open("rb") as f:
            recorded = pickle.load(f)
        cpu = sum(c["cpu"] for c in recorded)
        cells = sum(len(c["cells"].values) for c in recorded)
        hidden = sum(len(c["reasons"] or {}) for c in recorded)
        rows.append({"sites": n, "plan_cpu_s": round(cpu, 1), "record_wall_s": round(wall, 1),
                     "cells": cells, "hidden": hidden})  # fmt: skip
        print(f"{n:3} sites: plan {cpu:7.1f} CPU s over {cells:,} cells, {hidden:,} hidden "
              f"(models and plan {wall:.1f} s wall)", flush=True)  # fmt: skip
        shutil.rmtree(export, ignore_errors=True)
    result = {"size": a.size, "sessions": sessions, "by_sites": rows}
    (OUT / f"plan-sites-{a.size}.json").write_text(json.dumps(result, indent=2) + "\n")
    shutil.rmtree(base, ignore_errors=True)
    if not a.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
