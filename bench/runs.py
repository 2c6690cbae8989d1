"""A network run on generated data: 10 sites x 2 audiences (HTML + PDF), wall time and its split.

    .venv/bin/python bench/runs.py [--size sample|100k|1M|10M] [--ledger 12] [--keep]

Generates the synthetic export (Parquet) at the given size, spreads its clients over ten
sites, writes a run config (sites = "each": the program plus 10 sites, internal and
external, HTML and PDF) and times ``iop-metrics run`` in a fresh process. The split comes
from runs.jsonl: the load, the parallel rendering phase, and inside each report the kernel
start, the queries, the charts and text, the HTML and the PDF. Prints a table and writes
bench/out/runs-<size>.json. Not a test: the machine is shared, read the figures as orders
of magnitude.

``--ledger N`` (default 12) first writes the publication ledger of the N months before the
run's period, as the runs of those months would have (each month's external outputs, the
program, its sites and the sites page, planned together: ``disclosure.ledger``; each month
planned alone, not with its own predecessors), so that the timed run reads and recomputes
N months of earlier outputs; the ledger's share of the run (the earlier outputs recomputed,
seconds of the workers' time, and the joint plan) is printed from runs.jsonl. ``--size sample``
runs over data/sample (its two sites) instead of generated data.
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
SIZES = {"sample": 0, "100k": 3_200, "1M": 32_000, "10M": 320_000}  # clients; ~32 sessions each
SITES = 10


def generate(folder: Path, clients: int, sites: int = SITES) -> int:
    """The sample generator's export (Parquet) of ``clients`` clients spread over ``sites``
    sites; returns its sessions."""
    from iop_metrics.ingest.sample import generate as gen

    s = gen(folder, clients=clients, sites=1, fmt="parquet")
    spread(folder, sites)
    return s.sessions


def spread(folder: Path, sites: int) -> None:
    """Each client of a generated export at one of ``sites`` sites (``s00``, ``s01`` ...), by
    a hash of its id: the episodes' site column rewritten in place."""
    import duckdb

    episodes = folder / "episodes.parquet"
    tmp = folder / "episodes.tmp.parquet"
    con = duckdb.connect()
    con.execute(
        f"copy (select * replace ('s' || lpad(cast(hash(client_id) % {sites} as varchar), 2, '0')"
        f" as site) from read_parquet('{episodes}')) to '{tmp}' (format parquet)"
    )
    con.close()
    os.replace(tmp, episodes)


def seed_ledger(work: Path, config: Path, months: int, *, joint: bool = True) -> int:
    """Write the ledger of the ``months`` months before the config's period, as their runs
    would have: load the export, then per month every external output's model (model jobs,
    in parallel), the joint plan, and one entry per output. Returns the entries written.
    Without ``joint`` each output's entry marks what it hides alone (no month's joint plan:
    about a minute of CPU per month for ten sites), fewer hidden counts than those months'
    runs would have written: the timed run still recomputes the same earlier outputs and
    joins them to its own, and their counts meet its own in the atoms (months share
    records), so its plan is searched over a year of ledger all the same, with other marks.
    A network's plan with a year of ledger does not finish yet (docs/ledger.md)."""
    from concurrent.futures import ProcessPoolExecutor

    from iop_metrics.disclosure import ledger, linked
    from iop_metrics.ingest.load import load
    from iop_metrics.periods import parse_period
    from iop_metrics.run.config import read_config
    from iop_metrics.run.plan import site_codes
    from iop_metrics.run.schedule import model_job
    from iop_metrics.run.source import snapshot_id

    c = read_config(config)
    load(c.export, c.db)
    snapshot, sites = snapshot_id(c.db), site_codes(c.db)
    scopes = ("all", *sites, linked.SITES)
    k, levels = c.suppress, c.levels
    period = parse_period(c.period or "2026-10")
    labels = []
    p = period
    for _ in range(months):
        p = p.previous()
        labels.append(p)
    written = 0
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        jobs = {
            (p.label, s): pool.submit(model_job, c.db, p, s, levels, 0 if s == linked.SITES else k)
            for p in labels
            for s in scopes
        }
        for p in labels:
            got = {s: jobs[(p.label, s)].result() for s in scopes}
            if joint:
                shares = linked.plan({s: r["cells"] for s, r in got.items()}, k=k,
                                     alone={s: r["alone"] for s, r in got.items()})  # fmt: skip
            else:  # what each hides alone: the timed run costs the same (see seed_ledger)
                shares = {s: r["alone"] for s, r in got.items()}
            query = {"period": p.label, "as_of": p.end.isoformat(), "window_days": 14}
            query["levels"] = None if levels is None else list(levels)
            for s in scopes:
                e = ledger.entry(s, got[s]["cells"], shares[s], query=query, k=k, snapshot=snapshot)
                ledger.write(c.out, e)
                written += 1
    return written


CONFIG = """[data]
export = "data"
db = "iop.duckdb"

[reports]
period = "2026-10"
out = "reports"
sites = "each"
audiences = ["internal", "external"]
suppress = 11
formats = ["html", "pdf"]
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", choices=tuple(SIZES), default="1M")
    ap.add_argument("--keep", action="store_true", help="keep the generated data and reports")
    ap.add_argument("--ledger", type=int, default=12, help="earlier months in the ledger (12)")
    ap.add_argument("--sites", type=int, default=SITES, help=f"sites of the network ({SITES})")
    a = ap.parse_args()
    name = a.size if a.sites == SITES else f"{a.size}-{a.sites}sites"
    work = OUT / f"runs-{name}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    t = time.perf_counter()
    if a.size == "sample":
        sessions = sum(1 for _ in (ROOT / "data" / "sample" / "sessions.csv").open()) - 1
        config = CONFIG.replace('export = "data"', f'export = "{ROOT / "data" / "sample"}"')
    else:
        sessions, config = generate(work / "data", SIZES[a.size], a.sites), CONFIG
    gen_s = time.perf_counter() - t
    (work / "run.toml").write_text(config)
    t = time.perf_counter()
    seeded = (
        seed_ledger(work, work / "run.toml", a.ledger, joint=a.size == "sample") if a.ledger else 0
    )
    seed_s = time.perf_counter() - t
    t = time.perf_counter()
    cmd = [str(Path(sys.executable).with_name("iop-metrics")), "run", str(work / "run.toml")]
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)  # peak RSS: the largest of it and its children
        wall = time.perf_counter() - t
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            out.seek(0)
            print(out.read().decode(errors="replace")[-4000:])
            return code
    entry = json.loads((work / "reports" / "runs.jsonl").read_text().splitlines()[-1])
    reports = [r for r in entry["reports"] if r["kind"] == "report"]
    pages = [r for r in entry["reports"] if r["kind"] == "sites"]
    parts = ("kernel_and_overhead", "queries", "charts_and_text", "html", "pdf")
    split = {p: statistics.mean(r["timings"].get(p, 0.0) for r in reports) for p in parts}
    busy = sum(r["seconds"] for r in entry["reports"])
    result = {
        "size": a.size,
        "sessions": sessions,
        "sites": a.sites,
        "reports": len(reports),
        "cores": os.cpu_count(),
        "workers": entry["workers"],
        "generate_s": round(gen_s, 1),
        "run_wall_s": round(wall, 1),
        "peak_mb": round(usage.ru_maxrss / 1024),
        "load_s": entry["load_seconds"],
        "render_phase_s": entry["render_seconds"],
        "other_s": round(wall - entry["load_seconds"] - entry["render_seconds"], 1),
        "report_mean_s": round(statistics.mean(r["seconds"] for r in reports), 1),
        "report_max_s": round(max(r["seconds"] for r in reports), 1),
        "report_split_mean_s": {k: round(v, 2) for k, v in split.items()},
        "sites_pages_s": [r["seconds"] for r in pages],
        "parallel_efficiency": round(busy / (entry["render_seconds"] * entry["workers"]), 2),
        "ledger": {
            "months": a.ledger,
            "entries_seeded": seeded,
            "seed_s": round(seed_s, 1),
            "earlier_outputs_read": len((entry.get("ledger") or {}).get("read", [])),
            "recompute_worker_s": (entry.get("ledger") or {}).get("recompute_seconds"),
            "plan_s": (entry.get("ledger") or {}).get("plan_seconds"),
        },
    }
    (OUT / f"runs-{name}.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"network run, {sessions:,} sessions, {a.sites} sites x 2 audiences, HTML + PDF")
    print(f"  {len(reports)} reports + {len(pages)} site pages on {entry['workers']} workers")
    print(f"  wall {wall:8.1f} s  (generate {gen_s:.1f} s before it, not included)")
    print(f"  peak {result['peak_mb']:8} MB  (the largest process of the run)")
    print(f"  load {entry['load_seconds']:8.1f} s")
    eff = result["parallel_efficiency"]
    print(f"  render {entry['render_seconds']:6.1f} s  (parallel efficiency {eff})")
    print(f"  per report: mean {result['report_mean_s']} s, max {result['report_max_s']} s")
    for k, v in split.items():
        print(f"    {k:<20} {v:6.2f} s")
    print(f"  sites pages {', '.join(f'{s:.1f}' for s in result['sites_pages_s'])} s")
    led = result["ledger"]
    print(
        f"  ledger {led['earlier_outputs_read']} earlier outputs ({a.ledger} months): recomputed "
        f"in {led['recompute_worker_s']} s of the workers' time; joint plan {led['plan_s']} s"
    )
    if not a.keep:
        shutil.rmtree(work / "data", ignore_errors=True)
        (work / "iop.duckdb").unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
