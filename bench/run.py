"""`make bench`: generator, load, metrics and report timings on ~1M and ~10M sessions.

Each step runs in a fresh process so that its wall time and peak memory (max RSS)
are its own. Prints a table and writes bench/out/results.json. Not a test: the
machine is shared and noisy, so read the figures as orders of magnitude.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
SIZES = {"1M": 32_000, "10M": 320_000}  # clients; about 32 sessions per client

CHILD = r"""
import json, resource, sys, time
step, args = sys.argv[1], json.loads(sys.argv[2])
t0 = time.perf_counter()
extra = {}
if step == "generate":
    from iop_metrics.ingest.sample import generate
    s = generate(args["out"], clients=args["clients"], fmt="parquet")
    extra = {"sessions": s.sessions, "episodes": s.episodes}
elif step == "load":
    from iop_metrics.ingest.load import load
    load(args["data"], args["db"])
elif step in ("metrics", "pandas"):
    import duckdb
    from iop_metrics.compute.metrics import Query, document, records
    from iop_metrics.periods import month
    con = duckdb.connect(args["db"], read_only=True)
    q = Query.of(month(2026, 10))
    if step == "metrics":
        runs = []
        for _ in range(3):
            t = time.perf_counter(); doc = document(con, q); runs.append(time.perf_counter() - t)
        parts = {}
        for name, reads in [("census", ()), ("attendance", ()),
                            ("dosage", (("detail", "dosage_weeks"),)), ("discharges", ()),
                            ("retention", (("detail", "retention_cohort"),
                                           ("curve", "retention_curve"))),
                            ("transitions", (("detail", "transitions_detail"),)),
                            ("inflow", (("detail", "inflow_detail"),)),
                            ("continuity", (("detail", "continuity_detail"),))]:
            t = time.perf_counter()
            by = {"by": "all"} if name == "attendance" else None
            records(con, name, q, reads=reads, extra=by)
            parts[name] = round(time.perf_counter() - t, 3)
        extra = {"document_runs": runs, "by_query": parts}
    else:
        sys.path.insert(0, args["bench"])
        from pandas_metrics import document as pandas_document
        tables = {t: con.execute(f"select * from {t}").df()
                  for t in ("clients", "episodes", "sessions", "levels_of_care")}
        t = time.perf_counter()
        theirs = pandas_document(tables, q.period.start, q.period.end, q.as_of)
        extra = {"pandas_seconds": time.perf_counter() - t}
        ours = document(con, q)
        def close(a, b):
            if isinstance(a, dict):
                return set(a) == set(b) and all(close(a[k], b[k]) for k in a)
            if isinstance(a, float) and isinstance(b, float):
                return abs(a - b) <= 1e-12 * max(1.0, abs(a))
            return a == b
        same = all(close(ours[k], theirs[k]) for k in theirs)
        extra["agree"] = same
        if not same:
            extra["diff"] = {k: [ours[k], theirs[k]] for k in theirs if ours[k] != theirs[k]}
elif step == "report":
    from iop_metrics.report.build import render
    from iop_metrics.periods import month
    timings = render(args["db"], month(2026, 10), out_dir=args["out"], formats=("html", "pdf"))
    extra = {"split": timings}
extra["seconds"] = time.perf_counter() - t0
extra["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(extra))
"""


def step(name: str, **args: object) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, name, json.dumps(args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if proc.returncode != 0:
        raise SystemExit(f"bench step {name} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    results: dict[str, dict] = {}
    for label, clients in SIZES.items():
        data, db = OUT / f"data-{label}", OUT / f"{label}.duckdb"
        r: dict[str, dict] = {}
        print(f"[{label}] generating {clients:,} clients ...", flush=True)
        r["generate"] = step("generate", out=str(data), clients=clients)
        print(f"[{label}] loading ...", flush=True)
        r["load"] = step("load", data=str(data), db=str(db))
        print(f"[{label}] metrics ...", flush=True)
        r["metrics"] = step("metrics", db=str(db))
        print(f"[{label}] pandas baseline ...", flush=True)
        r["pandas"] = step("pandas", db=str(db), bench=str(ROOT / "bench"))
        try:
            print(f"[{label}] report ...", flush=True)
            r["report"] = step("report", db=str(db), out=str(OUT / f"reports-{label}"))
        except SystemExit as exc:  # the report step is reported, never hidden
            r["report"] = {"error": str(exc)[-400:]}
        results[label] = r
        ours = statistics.median(r["metrics"]["document_runs"])
        gen, ld = r["generate"], r["load"]
        print(
            f"[{label}] {gen['sessions']:,} sessions\n"
            f"  generate  {gen['seconds']:7.1f} s  peak {gen['peak_mb']:7.0f} MB\n"
            f"  load      {ld['seconds']:7.1f} s  peak {ld['peak_mb']:7.0f} MB\n"
            f"  metrics   {ours:7.2f} s  (median of 3, one month's JSON document)"
            f"  peak {r['metrics']['peak_mb']:7.0f} MB\n"
            f"            by query: {r['metrics']['by_query']}\n"
            f"  pandas    {r['pandas']['pandas_seconds']:7.2f} s  ratio pandas/ours "
            f"{r['pandas']['pandas_seconds'] / ours:5.1f}x  figures agree: {r['pandas']['agree']}\n"
            f"  report    {r['report']}",
            flush=True,
        )
    (OUT / "results.json").write_text(json.dumps(results, indent=2))
    print(f"wrote {OUT / 'results.json'}")
    return 0


if __name__ == "__main__":
    started = time.time()
    code = main()
    print(f"bench took {time.time() - started:.0f} s")
    sys.exit(code)
