"""`make bench`: each row of issue #11's table beside its peer or floor, at ~1M and ~10M sessions.

Every figure is a whole process (interpreter start included) unless it says in-process; wall
time is the median of ``--runs`` runs, peak memory is the process's max RSS (its children
included). Rows, per size:

- ``metrics``: ``iop-metrics metrics --period P --format json`` against one DuckDB scan of the
  sessions (the floor) and a vectorized pandas script over the Parquet export (the peer,
  bench/pandas_metrics.py, whose figures are checked against ours); plus the document in-process.
- ``report``: ``iop-metrics report`` for one month, HTML and PDF, against the same report on the
  22k-session sample (the floor: what the data adds).
- ``load``: ``iop-metrics load`` against DuckDB's native Parquet readers copying the same files
  into a database (the floor: what validation adds).
- ``fresh clone`` (once, not per size; skip with ``--no-fresh``): ``make report`` and
  ``make test`` in a fresh clone, against creating a venv and installing the lock with uv.

Not a test: the machine may be shared, so the load average is printed with the figures. Writes
bench/out/results.json. Other benchmarks live beside this one as ``bench/<topic>.py``; run them
alone with ``.venv/bin/python bench/<topic>.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
BIN = Path(sys.executable).parent
SIZES = {"1M": 32_000, "10M": 320_000}  # clients; about 32 sessions per client
GOALS = {"metrics": 0.75, "document": 0.4, "report": 15.0, "load": 30.0, "load_mb": 2000}

PANDAS_PEER = r"""
import sys, json, pandas as pd, datetime as dt
sys.path.insert(0, sys.argv[3])
from pandas_metrics import document
from iop_metrics.contract import BUILTIN_LEVELS
tables = {t: pd.read_parquet(f"{sys.argv[1]}/{t}.parquet")
          for t in ("clients", "episodes", "sessions")}
tables["levels_of_care"] = pd.DataFrame(
    [list(r) for r in BUILTIN_LEVELS], columns=["code", "name", "intensity", "setting"])
tables["levels_of_care"]["intensity"] = tables["levels_of_care"]["intensity"].astype("float64")
for t in ("episodes", "sessions"):
    for c in tables[t].columns:
        if c.endswith("_date"):
            tables[t][c] = pd.to_datetime(tables[t][c]).astype("datetime64[us]")
s = tables["sessions"]
default = s["scheduled_minutes"].where(s["status"] == "attended", 0)
s["attended_minutes"] = s["attended_minutes"].fillna(default).astype("int64")
start, end = (dt.date.fromisoformat(x) for x in sys.argv[2].split(","))
print(json.dumps(document(tables, start, end, end)))
"""

FLOOR_SCAN = r"""
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
print(con.execute("select status, count(*), sum(attended_minutes) from sessions "
                  "where session_date between $s and $e group by all",
                  {"s": sys.argv[2], "e": sys.argv[3]}).fetchall())
"""

FLOOR_LOAD = r"""
import sys, duckdb, pathlib
src, db = pathlib.Path(sys.argv[1]), sys.argv[2]
con = duckdb.connect(db)
for f in sorted(src.glob("*.parquet")):
    con.execute(f"create table {f.stem} as select * from read_parquet('{f}')")
con.execute("checkpoint")
"""

IN_PROCESS = r"""
import sys, json, time, statistics, duckdb
from iop_metrics.compute.metrics import Query, document
from iop_metrics.periods import parse_period
con = duckdb.connect(sys.argv[1], read_only=True)
q = Query.of(parse_period(sys.argv[2]))
runs = []
for _ in range(int(sys.argv[3])):
    t = time.perf_counter(); doc = document(con, q); runs.append(time.perf_counter() - t)
print(json.dumps({"median": statistics.median(runs), "doc": doc}))
"""


def timed(cmd: list[str], *, cwd: Path = ROOT, env: dict | None = None) -> dict:
    """Run ``cmd`` to the end: wall seconds, peak RSS in MB (children included), stdout."""
    t0 = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - t0
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if proc.returncode != 0:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{stderr[-2000:]}")
    return {"seconds": seconds, "peak_mb": usage.ru_maxrss / 1024, "stdout": stdout}


def median_of(n: int, cmd: list[str], **kw) -> dict:
    runs = [timed(cmd, **kw) for _ in range(n)]
    return {
        "seconds": statistics.median(r["seconds"] for r in runs),
        "runs": [round(r["seconds"], 3) for r in runs],
        "peak_mb": max(r["peak_mb"] for r in runs),
        "stdout": runs[-1]["stdout"],
    }


def py(code: str, *args: str) -> list[str]:
    return [sys.executable, "-c", code, *args]


def cli(*args: str) -> list[str]:
    return [str(BIN / "iop-metrics"), *args]


def row(what: str, ours: dict, other: dict | None, label: str, goal: float | None = None) -> str:
    ratio = f"{ours['seconds'] / other['seconds']:6.2f}x {label}" if other else ""
    peer = f"{other['seconds']:8.2f} s" if other else " " * 10
    mark = "" if goal is None else ("  goal met" if ours["seconds"] < goal else f"  goal <{goal} s")
    return (
        f"  {what:<34} {ours['seconds']:8.2f} s  {ours['peak_mb']:6.0f} MB | {peer}  {ratio}{mark}"
    )


def size(label: str, clients: int, period: str, runs: int, sample_db: Path) -> dict:
    data, db = OUT / f"data-{label}", OUT / f"{label}.duckdb"
    if not (data / "sessions.parquet").is_file():
        print(f"[{label}] generating {clients:,} clients (kept in {data} for the next run) ...")
        timed(cli("sample", "--clients", str(clients), "--format", "parquet", "--out", str(data)))
    p = json.loads(
        timed(
            py(
                "import json,sys;from iop_metrics.periods import parse_period as p;"
                "x=p(sys.argv[1]);print(json.dumps([str(x.start),str(x.end)]))",
                period,
            )
        )["stdout"]
    )
    r: dict[str, dict] = {}
    print(f"[{label}] load ...", flush=True)
    r["load"] = timed(cli("load", str(data), "--db", str(db)))
    floor_db = OUT / f"{label}-native.duckdb"
    floor_db.unlink(missing_ok=True)
    r["load_floor"] = timed(py(FLOOR_LOAD, str(data), str(floor_db)))
    floor_db.unlink(missing_ok=True)
    sessions = int(
        timed(
            py(
                "import duckdb,sys;print(duckdb.connect(sys.argv[1],read_only=True)"
                ".execute('select count(*) from sessions').fetchall()[0][0])",
                str(db),
            )
        )["stdout"]
    )
    print(f"[{label}] metrics ...", flush=True)
    args = ("metrics", "--db", str(db), "--period", period, "--format", "json")
    r["metrics"] = median_of(runs, cli(*args))
    r["scan_floor"] = median_of(runs, py(FLOOR_SCAN, str(db), *p))
    r["pandas_peer"] = median_of(runs, py(PANDAS_PEER, str(data), ",".join(p), str(OUT.parent)))
    inproc = timed(py(IN_PROCESS, str(db), period, str(runs)))
    got = json.loads(inproc["stdout"])
    r["document"] = {"seconds": got["median"], "peak_mb": inproc["peak_mb"]}
    ours, theirs = json.loads(r["metrics"]["stdout"]), json.loads(r["pandas_peer"]["stdout"])
    agree = all(_close(ours[k], theirs[k]) for k in theirs)
    print(f"[{label}] report ...", flush=True)
    rep = ("report", "--period", period, "--formats", "html,pdf")
    r["report"] = timed(cli(*rep, "--db", str(db), "--out", str(OUT / f"reports-{label}")))
    r["report_floor"] = timed(cli(*rep, "--db", str(sample_db), "--out", str(OUT / "reports-s")))
    print(f"[{label}] {sessions:,} sessions, period {period}; right of | is the peer or floor")
    print(row("load", r["load"], r["load_floor"], "DuckDB native readers", GOALS["load"]))
    print(
        row(
            "metrics --format json (median)",
            r["metrics"],
            r["scan_floor"],
            "one DuckDB scan",
            GOALS["metrics"],
        )
    )
    print(
        row(
            "  same, against pandas",
            r["metrics"],
            r["pandas_peer"],
            f"vectorized pandas (figures agree: {agree})",
        )
    )
    print(row("  document in-process (median)", r["document"], None, "", GOALS["document"]))
    print(
        row(
            "report one month html+pdf",
            r["report"],
            r["report_floor"],
            "the 22k-session sample",
            GOALS["report"],
        )
    )
    for v in r.values():
        v.pop("stdout", None)
    return {"sessions": sessions, "agree": agree, **r}


def _close(a: object, b: object) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return set(a) == set(b) and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) <= 1e-12 * max(1.0, abs(a))
    return a == b


def fresh() -> dict:
    """``make report`` and ``make test`` in a fresh clone; the floor is uv alone."""
    r: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="iop-fresh-") as tmp:
        clone = Path(tmp) / "clone"
        subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
        print("[fresh clone] make report ...", flush=True)
        r["make_report"] = timed(["make", "report"], cwd=clone)
        print("[fresh clone] make test ...", flush=True)
        r["make_test"] = timed(["make", "test"], cwd=clone)
        if shutil.which("uv"):
            venv = Path(tmp) / "venv"
            r["uv_floor"] = timed(
                [
                    "sh",
                    "-c",
                    f"uv venv -q {venv} && uv pip install -q -p {venv}/bin/python "
                    f"-r {ROOT / 'requirements.lock'}",
                ]
            )
    floor = r.get("uv_floor")
    print("[fresh clone] right of | is a venv with the lock installed by uv alone")
    print(row("make report", r["make_report"], floor, "uv install alone", 60))
    print(row("make test", r["make_test"], None, "", 180))
    for v in r.values():
        v.pop("stdout", None)
    return r


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1M,10M", help="which of 1M,10M (default both)")
    ap.add_argument("--period", default="2026-06", help="the month measured (default 2026-06)")
    ap.add_argument("--runs", type=int, default=3, help="runs per median (default 3)")
    ap.add_argument("--no-fresh", action="store_true", help="skip the fresh-clone rows")
    a = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    sample_db = ROOT / "data" / "iop.duckdb"
    if not sample_db.is_file():
        timed(cli("load", str(ROOT / "data" / "sample"), "--db", str(sample_db)))
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
    results: dict[str, dict] = {}
    for label in a.sizes.split(","):
        results[label] = size(label, SIZES[label], a.period, a.runs, sample_db)
    if not a.no_fresh:
        results["fresh"] = fresh()
    results["load_average_after"] = {"1min": os.getloadavg()[0]}
    (OUT / "results.json").write_text(json.dumps(results, indent=2))
    print(f"load average {os.getloadavg()[0]:.1f}; wrote {OUT / 'results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
