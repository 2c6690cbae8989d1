"""`iop-metrics sites` at network size: one period, every measure, whole process.

    .venv/bin/python bench/sites.py [--size 1M|10M] [--runs 3] [--keep] [--reuse]

Generates the synthetic export at the given size spread over ten sites (as bench/runs.py),
loads it once, then times ``iop-metrics sites --period 2026-10`` (every measure: the case-mix
patterns in SQL, the GLM fits, the funnels; JSON to a file) in a fresh process, median of
``--runs``, with its peak memory and CPU time (user + system: on a shared machine the wall
time says more about the neighbours than about the code). The timed runs follow one untimed
first run that compiles the package's and its libraries' modules to bytecode, into
bench/out/pycache (a normal installation keeps that cache; an environment with
PYTHONDONTWRITEBYTECODE would otherwise compile every module on every start); the first run's
time is shown too. Goal (issue #15): under 5 s at ~10M sessions. Writes
bench/out/sites-<size>.json. ``--keep`` keeps the generated data and database, ``--reuse``
times a kept database again without generating it. Not a test: the machine may be shared (the
load average is shown).
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
    ap.add_argument("--reuse", action="store_true", help="time a kept database again")
    a = ap.parse_args()
    work = OUT / f"sites-{a.size}"
    cli = str(Path(sys.executable).with_name("iop-metrics"))
    db = work / "iop.duckdb"
    if a.reuse and db.exists():
        sessions = int(json.loads((work / "sessions.json").read_text()))
    else:
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        sessions = generate(work / "data", SIZES[a.size])
        (work / "sessions.json").write_text(f"{sessions}\n")
        subprocess.run(
            [cli, "load", str(work / "data"), "--db", str(db)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(OUT / "pycache")
    walls, cpus = [], []
    for _ in range(a.runs + 1):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        with open(work / "sites.json", "w") as fh:
            subprocess.run(
                [cli, "sites", "--db", str(db), "--period", "2026-10"],
                check=True,
                stdout=fh,
                env=env,
            )
        walls.append(time.perf_counter() - t)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    first_s, walls, cpus = walls[0], walls[1:], cpus[1:]
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
        "cpu_s": [round(x, 2) for x in cpus],
        "first_run_s": round(first_s, 2),
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
    print(f"  CPU (user + system) {result['cpu_s']} s; first run {result['first_run_s']} s")
    print(f"  peak memory {result['peak_mb']} MB; load average {result['load_average']}")
    if not a.keep:
        shutil.rmtree(work / "data", ignore_errors=True)
        db.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
