"""`iop-metrics sites` at network size: one period, every measure, whole process.

    .venv/bin/python bench/sites.py [--size 1M|10M] [--runs 3] [--keep]

Generates the synthetic export at the given size spread over ten sites (as bench/runs.py),
loads it once, then times ``iop-metrics sites --period 2026-10`` (every measure: the case-mix
patterns in SQL, the GLM fits, the funnels; JSON to a file) in a fresh process, median of
``--runs``, with its peak memory. Goal (issue #15): under 5 s at ~10M sessions. Writes
bench/out/sites-<size>.json. Not a test: the machine may be shared (the load average is shown).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from runs import SITES, SIZES, generate

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
GOAL_S = 5.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", choices=tuple(SIZES), default="10M")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--keep", action="store_true", help="keep the generated data and database")
    a = ap.parse_args()
    work = OUT / f"sites-{a.size}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    cli = str(Path(sys.executable).with_name("iop-metrics"))
    sessions = generate(work / "data", SIZES[a.size])
    db = work / "iop.duckdb"
    subprocess.run(
        [cli, "load", str(work / "data"), "--db", str(db)], check=True, stdout=subprocess.DEVNULL
    )
    walls = []
    for _ in range(a.runs):
        t = time.perf_counter()
        with open(work / "sites.json", "w") as fh:
            subprocess.run(
                [cli, "sites", "--db", str(db), "--period", "2026-10"], check=True, stdout=fh
            )
        walls.append(time.perf_counter() - t)
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    doc = json.loads((work / "sites.json").read_text())
    result = {
        "size": a.size,
        "sessions": sessions,
        "sites": SITES,
        "measures": list(doc["measures"]),
        "episodes_completion": doc["measures"]["completion"]["network"]["n"],
        "wall_s": [round(w, 2) for w in walls],
        "median_s": round(statistics.median(walls), 2),
        "goal_s": GOAL_S,
        "peak_mb": round(peak_mb),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    (OUT / f"sites-{a.size}.json").write_text(json.dumps(result, indent=2) + "\n")
    status = "ok" if result["median_s"] < GOAL_S else "over the goal"
    print(
        f"iop-metrics sites, {sessions:,} sessions, {SITES} sites, "
        f"every measure ({len(doc['measures'])})"
    )
    print(f"  median {result['median_s']} s of {result['wall_s']} (goal < {GOAL_S} s: {status})")
    print(f"  peak memory {result['peak_mb']} MB; load average {result['load_average']}")
    if not a.keep:
        shutil.rmtree(work / "data", ignore_errors=True)
        db.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
