"""`make bench-spark`: one month's JSON document on DuckDB and on local Spark, side by side.

At ~1M and ~10M sessions (the data of `make bench`, generated here if missing): the DuckDB
document (median of 3), the Spark session start (reported on its own), the Spark document cold
and warm, and whether the figures agree (ints exact, floats within 1e-12 relative). Not a test:
the machine is shared and noisy, so read the figures as orders of magnitude. Run it alone with
`.venv/bin/python bench/spark.py [1M|10M ...]`; writes bench/out/spark.json.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
SIZES = {"1M": 32_000, "10M": 320_000}  # clients; about 32 sessions per client


def agree(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(agree(a[k], b[k]) for k in a)
    if isinstance(a, float) and isinstance(b, float):
        return a == b or abs(a - b) <= 1e-12 * max(abs(a), abs(b))
    return a == b


def data_for(label: str, clients: int) -> tuple[Path, Path]:
    """The DuckDB file and its Parquet export for one size, made when missing."""
    from iop_metrics.ingest.export import export
    from iop_metrics.ingest.load import load
    from iop_metrics.ingest.sample import generate

    data, db, parquet = OUT / f"data-{label}", OUT / f"{label}.duckdb", OUT / f"parquet-{label}"
    if not db.is_file():
        print(f"[{label}] generating and loading {clients:,} clients ...", flush=True)
        generate(data, clients=clients, fmt="parquet")
        load(data, db)
    if not (parquet / "sessions").is_dir():
        export(db, parquet)
    return db, parquet


def timed(fn: Any) -> tuple[float, Any]:
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def one_size(label: str, spark: Any, q: Any) -> dict[str, Any]:
    import duckdb

    from iop_metrics.compute.metrics import document
    from iop_metrics.compute.spark import SparkEngine

    db, parquet = data_for(label, SIZES[label])
    con = duckdb.connect(str(db), read_only=True)
    sessions = con.execute("select count(*) from sessions").fetchall()[0][0]
    runs = [timed(lambda: document(con, q)) for _ in range(3)]
    duck = statistics.median(t for t, _ in runs)
    register, engine = timed(lambda: SparkEngine(spark, str(parquet)))
    cold, doc = timed(lambda: document(engine, q))
    warm, _ = timed(lambda: document(engine, q))
    same = agree(json.loads(json.dumps(doc)), json.loads(json.dumps(runs[0][1])))
    engine.close()
    print(
        f"[{label}] {sessions:,} sessions, one month's document:\n"
        f"  DuckDB        {duck:7.2f} s  (median of 3)\n"
        f"  Spark cold    {cold:7.2f} s  (+ {register:.1f} s registering the Parquet views)\n"
        f"  Spark warm    {warm:7.2f} s  ratio Spark/DuckDB {warm / duck:6.1f}x\n"
        f"  figures agree: {same}",
        flush=True,
    )
    return {
        "sessions": sessions,
        "duckdb_s": duck,
        "spark_register_s": register,
        "spark_cold_s": cold,
        "spark_warm_s": warm,
        "agree": same,
    }


def main(labels: list[str]) -> int:
    from iop_metrics.compute.query import Query
    from iop_metrics.compute.spark import session
    from iop_metrics.periods import month

    OUT.mkdir(parents=True, exist_ok=True)
    q = Query.of(month(2026, 10))
    start, spark = timed(lambda: session(master="local[*]", driver_memory="2g"))
    spark.sparkContext.setLogLevel("ERROR")
    print(f"Spark session start {start:6.1f} s (local[*], driver 2g)", flush=True)
    results: dict[str, Any] = {"spark_session_start_s": start}
    for label in labels:
        results[label] = one_size(label, spark, q)
    spark.stop()
    (OUT / "spark.json").write_text(json.dumps(results, indent=2))
    print(f"wrote {OUT / 'spark.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or list(SIZES)))
