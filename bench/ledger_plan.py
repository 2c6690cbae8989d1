"""The joint plan of a sample run with its publication ledger, recorded and replayed alone.

    python bench/ledger_plan.py record N OUT.pkl   # the ledger of N earlier months, then the
                                                   # 2026-10 plan's protect call, saved
    python bench/ledger_plan.py record N OUT.pkl --inputs-only   # the call alone, not planned
    python bench/ledger_plan.py replay OUT.pkl [--profile]   # protect again: CPU s, counts
    python bench/ledger_plan.py replay OUT.pkl --save PLANS.json     # and the plans given
    python bench/ledger_plan.py replay OUT.pkl --against PLANS.json  # the same plans as those?

``record`` does what ``bench/runs.py --size sample --ledger N`` does before the timed run
(each earlier month's external outputs planned together, their ledger entries written), then
what the run does for 2026-10 (its models, the earlier outputs recomputed as of their own
date, ``ledger.known``) in this one process, and saves the ``model.protect`` calls of
``linked.plan`` (with the ledger, then over the run alone: each one's cells, k, forced and
fixed, and the reasons it gave).
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CONFIG = """[data]
export = "{export}"
db = "{db}"

[reports]
period = "2026-10"
out = "{out}"
sites = "each"
audiences = ["internal", "external"]
suppress = 11
formats = ["html"]
"""


def record(
    months: int,
    path: Path,
    *,
    plan: bool = True,
    export: Path | None = None,
    seed: str = "joint",
    workers: int = 1,
) -> None:
    """The ledger of ``months`` earlier months written, then the 2026-10 plan's protect call
    saved. ``export``: a generated export (``bench/runs.py``'s network) instead of the
    sample. ``seed``: how each earlier month was planned: ``joint`` (its outputs together,
    without the months before it), ``sequential`` (with the ledger of the months before it,
    as monthly runs from one archive would: each month's plan as the run's), or ``alone``
    (each output alone, ``bench/runs.py``'s network seed)."""
    from concurrent.futures import ProcessPoolExecutor

    from iop_metrics.disclosure import ledger, linked
    from iop_metrics.ingest.load import load
    from iop_metrics.periods import parse_period
    from iop_metrics.run.config import read_config
    from iop_metrics.run.plan import site_codes
    from iop_metrics.run.schedule import model_job
    from iop_metrics.run.source import snapshot_id

    tmp = Path(tempfile.mkdtemp(prefix="ledger-plan-"))
    toml = tmp / "run.toml"
    data = export or ROOT / "data" / "sample"
    toml.write_text(CONFIG.format(export=data, db=tmp / "iop.duckdb", out=tmp / "reports"))
    c = read_config(toml)
    load(c.export, c.db)
    snapshot, sites = snapshot_id(c.db), site_codes(c.db)
    scopes = ("all", *sites, linked.SITES)
    k, levels = c.suppress, c.levels
    lv = None if levels is None else list(levels)
    period = parse_period("2026-10")
    pool = ProcessPoolExecutor(max_workers=workers)

    def models(p: Any) -> dict[str, Any]:
        jobs = {s: pool.submit(model_job, c.db, p, s, levels, 0 if s == linked.SITES else k)
                for s in scopes}  # fmt: skip
        return {s: j.result() for s, j in jobs.items()}

    def known_before(p: Any) -> Any:
        earlier = ledger.read(c.out, p, k=k, levels=lv, window_days=14)
        if not earlier.entries:
            return None, 0
        jobs = {
            ledger.scope_of(e): pool.submit(
                model_job, c.db, parse_period(e["period"]), e["output"], levels, 0,
                as_of=e["as_of"],
            )
            for e in earlier.entries
        }  # fmt: skip
        past = {s: j.result() for s, j in jobs.items()}
        got = ledger.known(earlier.entries, lambda e: past[ledger.scope_of(e)]["cells"], k,
                           snapshot)  # fmt: skip
        return got, len(earlier.entries)

    earlier_months = []
    p = period
    for _ in range(months):
        p = p.previous()
        earlier_months.append(p)
    for p in reversed(earlier_months):  # the oldest first: a sequential seed reads the others
        t = time.process_time()
        got = models(p)
        cells = {s: r["cells"] for s, r in got.items()}
        alone = {s: r["alone"] for s, r in got.items()}
        if seed == "alone":
            shares = alone
        else:
            known = known_before(p)[0] if seed == "sequential" else None
            shares = linked.plan(cells, k=k, alone=alone, known=known)
        query = {"period": p.label, "as_of": p.end.isoformat(), "window_days": 14, "levels": lv}
        for s in scopes:
            ledger.write(c.out, ledger.entry(s, cells[s], shares[s], query=query, k=k,
                                             snapshot=snapshot))  # fmt: skip
        print(f"{p.label} written ({seed}, {time.process_time() - t:.1f} CPU s here)", flush=True)
    got = models(period)
    known, n = known_before(period)
    calls: list[dict[str, Any]] = []
    base = linked.protect

    def recording(cells: Any, k: int, **kw: Any) -> Any:
        t = time.process_time()
        out = base(cells, k, **kw) if plan else None
        calls.append({"cells": cells, "k": k, **kw, "reasons": out, "cpu": time.process_time() - t})
        return out or {}

    linked.protect = recording
    try:
        linked.plan({s: r["cells"] for s, r in got.items()}, k=k,
                    alone={s: r["alone"] for s, r in got.items()}, known=known)  # fmt: skip
    finally:
        linked.protect = base
        pool.shutdown()
    with path.open("wb") as f:
        pickle.dump(calls, f)
    spent = sum(c["cpu"] for c in calls)  # the plan with the ledger, then over the run alone
    print(f"{n} earlier outputs; plan {spent:.1f} CPU s ({len(calls)} calls) -> {path}")


def replay(path: Path, profile: bool, save: Path | None = None, against: Path | None = None) -> int:
    """Each recorded call protected again; ``save``: the plans given, as JSON (a call recorded
    with --inputs-only has none to compare with), ``against``: compared with such a file."""
    from iop_metrics.disclosure.model import protect

    with path.open("rb") as f:
        calls = pickle.load(f)
    if against is not None:
        for c, plan in zip(calls, json.loads(against.read_text()), strict=True):
            c["reasons"] = plan
    wrong, plans = 0, []
    for c in calls:
        kw = {key: c[key] for key in ("forced", "fixed", "labels") if key in c}
        t = time.process_time()
        if profile:
            import cProfile
            import pstats

            prof = cProfile.Profile()
            got = prof.runcall(protect, c["cells"], c["k"], **kw)
            pstats.Stats(prof).sort_stats("cumulative").print_stats(45)
        else:
            got = protect(c["cells"], c["k"], **kw)
        spent = time.process_time() - t
        plans.append(got)
        if save is not None:
            save.write_text(json.dumps(plans))
        if c["reasons"] is None:  # recorded with --inputs-only: nothing to compare
            print(f"protect {spent:.2f} CPU s; {len(got)} hidden")
            continue
        same = json.dumps(got) == json.dumps(c["reasons"])
        wrong += not same
        print(f"protect {spent:.2f} CPU s (recorded {c['cpu']:.2f}); same plan: {same}")
    return 1 if wrong else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="mode", required=True)
    r = sub.add_parser("record")
    r.add_argument("months", type=int)
    r.add_argument("file", type=Path)
    r.add_argument("--inputs-only", action="store_true", help="save the call, do not plan it")
    r.add_argument("--export", type=Path, help="a generated export (bench/runs.py generate)")
    r.add_argument("--seed", choices=("joint", "sequential", "alone"), default="joint")
    r.add_argument("--workers", type=int, default=1, help="model jobs in parallel (1)")
    p = sub.add_parser("replay")
    p.add_argument("file", type=Path)
    p.add_argument("--profile", action="store_true")
    p.add_argument("--save", type=Path, help="write the plans given (JSON)")
    p.add_argument("--against", type=Path, help="compare with plans written by --save")
    a = ap.parse_args(argv)
    if a.mode == "record":
        record(a.months, a.file, plan=not a.inputs_only, export=a.export, seed=a.seed,
               workers=a.workers)  # fmt: skip
        return 0
    return replay(a.file, a.profile, a.save, a.against)


if __name__ == "__main__":
    sys.exit(main())
