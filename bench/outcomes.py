"""`make bench`: what the document's ``outcomes`` key adds to one month's document at ~10M
sessions with ~1M assessments (issue #14: under 15%).

One process opens the database read-only and times, in turns, ``document(con, q)`` for one
month with its ``outcomes`` key and without it (the same function with the outcome queries
left out), after one warm-up run of each, in wall time and in the process's CPU time (every
DuckDB thread); the medians, the best wall times, their ratios and the goal are printed, the
goal judged on CPU time (the work the key adds, which other processes on a shared machine do
not change as they change wall time),
with the outcome key alone and the 12-month outcome series of the report's trend. The data are
bench/run.py's ``10M`` set (bench/out/data-10M, bench/out/10M.duckdb), generated and loaded
here if missing. Not a test: the machine may be shared, so the load average is printed too.

    .venv/bin/python bench/outcomes.py [--size 10M] [--period 2026-06] [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from run import OLDER, OUT, SIZES, cli, py, timed

GOAL = 1.15  # the document with outcomes over the document without them

MEASURE = r"""
import json, statistics, sys, time
import duckdb
from iop_metrics.compute import metrics as m
from iop_metrics.compute.query import Query, records
from iop_metrics.compute import outcomes as o
from iop_metrics.compute.series import trailing_months
from iop_metrics.periods import Period, parse_period

con = duckdb.connect(sys.argv[1], read_only=True)
con.execute("set enable_progress_bar = false")
q, runs = Query.of(parse_period(sys.argv[2])), int(sys.argv[3])
with_key = o.outcomes_key
months = trailing_months(q.period)
span = Query(Period("12 months", months[0].start, months[-1].end, "span"), q.as_of, q.scope)


def without_key(con, q):
    return {}


def timed(f):
    # wall seconds and CPU seconds of this process (every DuckDB thread)
    w, c = time.perf_counter(), time.process_time()
    out = f()
    return (time.perf_counter() - w, time.process_time() - c), out


def document(key):
    o.outcomes_key = key  # document() looks it up in the module on every call
    try:
        return timed(lambda: m.document(con, q))
    finally:
        o.outcomes_key = with_key


def series():
    return timed(lambda: records(con, "series_outcomes", span))


document(with_key), document(without_key), series()  # warm-up: macros, caches
times = {"with": [], "without": [], "key": [], "series": []}
for i in range(runs):
    order = (with_key, without_key) if i % 2 == 0 else (without_key, with_key)
    for key in order:
        times["with" if key is with_key else "without"].append(document(key)[0])
    t, figures = timed(lambda: o.outcomes_key(con, q))
    times["key"].append(t)
    times["series"].append(series()[0])
n = con.execute(
    "select (select count(*) from sessions), (select count(*) from assessments)"
).fetchone()
print(json.dumps({
    "sessions": n[0], "assessments": n[1],
    "wall_median": {k: statistics.median(w for w, _ in v) for k, v in times.items()},
    "wall_best": {k: min(w for w, _ in v) for k, v in times.items()},
    "cpu_median": {k: statistics.median(c for _, c in v) for k, v in times.items()},
    "runs": {k: [[round(w, 3), round(c, 3)] for w, c in v] for k, v in times.items()},
    "outcomes": {k: figures[k] for k in ("ended", "courses", "paired", "reliable_improvement")},
}))
"""


def data_for(label: str) -> Path:
    """bench/run.py's database of ``label``, generated and loaded when it is not there."""
    data, db = OUT / f"data-{label}", OUT / f"{label}.duckdb"
    if not (data / "sessions.parquet").is_file():
        print(f"[{label}] generating {SIZES[label]:,} clients into {data} ...", flush=True)
        timed(
            cli("sample", "--clients", str(SIZES[label]), "--format", "parquet", "--out", str(data))
        )
    if db.is_file() and timed(py(OLDER, str(db)))["stdout"].strip() == "true":
        db.unlink()  # loaded by an older version, which reports refuse: load it again
    if not db.is_file():
        print(f"[{label}] loading {db} ...", flush=True)
        timed(cli("load", str(data), "--db", str(db)))
    return db


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="10M", choices=sorted(SIZES), help="default 10M")
    ap.add_argument("--period", default="2026-06", help="the month measured (default 2026-06)")
    ap.add_argument("--runs", type=int, default=7, help="runs per figure (default 7)")
    a = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    db = data_for(a.size)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
    r = json.loads(timed(py(MEASURE, str(db), a.period, str(a.runs)))["stdout"])
    columns = ("wall_median", "wall_best", "cpu_median")
    ratios = {c: r[c]["with"] / r[c]["without"] for c in columns}
    verdict = "goal met" if ratios["cpu_median"] < GOAL else f"goal <{GOAL:.2f}x NOT met"
    print(
        f"[outcomes {a.size}] {r['sessions']:,} sessions, {r['assessments']:,} assessments, "
        f"period {a.period} ({r['outcomes']['courses']:,} courses ended, "
        f"{r['outcomes']['paired']:,} paired); {a.runs} runs in-process"
    )
    print(f"  {'':<38} {'wall median':>12} {'wall best':>10} {'CPU median':>11}")
    for label, key in (
        ("document without outcomes", "without"),
        ("document with outcomes", "with"),
        ("the outcomes key alone", "key"),
        ("12-month outcome series (one query)", "series"),
    ):
        print(f"  {label:<38} " + " ".join(f"{r[c][key]:10.3f} s" for c in columns))
    print(
        f"  {'ratio with / without':<38} "
        + " ".join(f"{ratios[c]:11.3f}x" for c in columns)
        + f"   {verdict} (judged on CPU time: the work added, whatever else runs)"
    )
    print(f"load average {os.getloadavg()[0]:.1f}")
    (OUT / "outcomes.json").write_text(json.dumps({**r, "ratios": ratios, "goal": GOAL}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
