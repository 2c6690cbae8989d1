"""The suppression model's decisions and its time: record every ``model.protect`` call of many
cases (inputs and reasons), then replay them against the current model.

    .venv/bin/python bench/plan.py record OUT.pkl   # build the cases, save inputs and plans
    .venv/bin/python bench/plan.py check OUT.pkl    # replay: every plan identical, CPU seconds
    .venv/bin/python bench/plan.py                  # the July 2026 joint plan's CPU seconds

Cases: the joint plan of one sample run (``linked.plan`` over the program, its two sites and
the sites page, K = 11, as tests/test_privacy.py builds it) for each month 2026-05..2026-10,
with each scope's report protected alone first; external documents of random small programs
(test_privacy's ``test_random_small_programs_leak_nothing``, K = 5 and 11); and the joint plan
of generated programs at K = 5 (``bench/audit.py``'s hunts). ``record`` saves each call's
``Cells``, ``k`` and ``forced`` with the reasons it gave; ``check`` calls ``protect`` again on
the same inputs and compares the reasons byte for byte (their JSON).
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import pickle
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
K = 11
MONTHS = ("2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10")
SMALL = ((69, 1, 69889), (25, 1, 3), (60, 2, 11), (120, 3, 7), (160, 2, 2024))
HUNTS = ((60, 2, 11, 5), (80, 3, 5, 5))


def _calls() -> tuple[list[dict[str, Any]], Any]:
    """A list that every ``protect`` call (through ``linked`` and ``suppress``) is appended
    to, and a function that restores the two modules."""
    from iop_metrics.disclosure import linked, model, suppress

    calls: list[dict[str, Any]] = []
    base = model.protect

    def recording(cells: Any, k: int, *, forced: dict[str, str] | None = None) -> Any:
        t = _cpu()
        out = base(cells, k, forced=forced)
        spent = _cpu() - t
        calls.append({"cells": cells, "k": k, "forced": forced, "reasons": dict(out), "cpu": spent})
        return out

    linked.protect = suppress.protect = recording

    def restore() -> None:
        linked.protect = suppress.protect = base

    return calls, restore


def _joint(con: Any, period: Any, sites: list[str], k: int) -> None:
    from iop_metrics.compute.query import Query, Scope
    from iop_metrics.disclosure import linked
    from iop_metrics.report.figures import exact

    queries = {
        s: Query.of(period, scope=Scope(("2.1",), None if s == "all" else s))
        for s in ["all", *sites]
    }
    xs = {s: exact(con, q) for s, q in queries.items()}
    models = {s: x.cells() for s, x in xs.items()}
    models["sites"] = linked.sites_cells(con, queries["all"])
    alone = {s: linked.protect(models[s], k) for s in queries}
    linked.plan(models, k=k, alone=alone)


def _program(folder: Path, clients: int, sites: int, seed: int) -> tuple[Any, list[str]]:
    """A generated program (October 2025 to October 2026) loaded in memory, and its sites."""
    from iop_metrics.ingest.load import load_memory
    from iop_metrics.ingest.sample import generate

    generate(
        folder, clients=clients, sites=sites, seed=seed,
        start=dt.date(2025, 10, 1), end=dt.date(2026, 10, 31),
    )  # fmt: skip
    con = load_memory(folder)
    names = con.execute("select distinct site from episodes order by site").fetchall()
    return con, [r[0] for r in names]


def record(out: Path) -> None:
    import duckdb

    from iop_metrics.compute import metrics as m
    from iop_metrics.compute.query import Query, Scope
    from iop_metrics.compute.retention import retention_summary
    from iop_metrics.disclosure.suppress import external_document
    from iop_metrics.ingest.load import load
    from iop_metrics.periods import month

    cases: list[dict[str, Any]] = []
    tmp = Path(tempfile.mkdtemp(prefix="plan-"))
    db = tmp / "iop.duckdb"
    load(ROOT / "data" / "sample", db)
    con = duckdb.connect(str(db), read_only=True)
    for label in MONTHS:
        calls, restore = _calls()
        _joint(con, month(int(label[:4]), int(label[5:])), ["main", "north"], K)
        restore()
        cases += [{"case": f"sample {label} #{i}", **c} for i, c in enumerate(calls)]
        print(label, len(calls), "calls", flush=True)
    con.close()
    for clients, sites, seed in SMALL:
        con, sites_of = _program(tmp / f"small-{seed}", clients, sites, seed)
        names = [None, *sites_of]
        calls, restore = _calls()
        for site, levels in itertools.product(names[:2], (("2.1",), None)):
            q = Query.of(month(2026, 10), scope=Scope(levels, site))
            ret = retention_summary(con, q)
            doc = m.document(con, q, retention=ret)
            for k in (5, K):
                external_document(doc, k, derived=m.derived_counts(doc, ret))
        restore()
        cases += [{"case": f"small {seed} #{i}", **c} for i, c in enumerate(calls)]
        print("small", seed, len(calls), "calls", flush=True)
    for clients, sites, seed, k in HUNTS:
        con, hunted = _program(tmp / f"hunt-{seed}", clients, sites, seed)
        calls, restore = _calls()
        _joint(con, month(2026, 10), hunted, k)
        restore()
        cases += [{"case": f"hunt {seed} #{i}", **c} for i, c in enumerate(calls)]
        print("hunt", seed, len(calls), "calls", flush=True)
    with out.open("wb") as f:
        pickle.dump(cases, f)
    print(len(cases), "calls recorded in", out)


def _cpu() -> float:
    return time.process_time()


def check(paths: list[Path], only: str | None) -> int:
    from iop_metrics.disclosure.model import protect

    cases = []
    for path in paths:
        with path.open("rb") as f:
            cases += pickle.load(f)
    wrong, seen, times, before = 0, 0, {}, {}
    for c in cases:
        if only and only not in c["case"]:
            continue
        t = _cpu()
        got = protect(c["cells"], c["k"], forced=c["forced"])
        spent = _cpu() - t
        head = c["case"].split(" #")[0]
        times[head] = times.get(head, 0.0) + spent
        before[head] = before.get(head, 0.0) + c.get("cpu", 0.0)
        seen += 1
        want = c["reasons"]
        if c["case"].startswith("small"):
            # suppress_report adds the rates and estimates it hides to the dict protect gave
            # (recorded as it was after): protect's own entries come first, in order
            want = dict(list(want.items())[: len(got)])
            later = set(c["reasons"]) - set(want)
            assert not later & set(got) and {c["reasons"][x] for x in later} <= {"rate", "estimate"}
        if json.dumps(got) != json.dumps(want):
            wrong += 1
            extra = {x: got[x] for x in got if want.get(x) != got[x]}
            gone = {x: w for x, w in want.items() if got.get(x) != w}
            print("DIFFERS", c["case"], "added", extra, "lost", gone)
        print(f"{c['case']:24} {spent:7.2f} s (recorded {c.get('cpu', 0):7.2f} s)", flush=True)
    for head, s in times.items():
        print(f"{head:24} {s:7.2f} CPU s (recorded {before[head]:7.2f})")
    print(f"{seen} plans compared, {wrong} differ")
    return 1 if wrong else 0


def july() -> None:
    """The July 2026 joint plan alone (the sample's program, its sites and the sites page)."""
    import duckdb

    from iop_metrics.ingest.load import load
    from iop_metrics.periods import month

    db = Path(tempfile.mkdtemp(prefix="plan-")) / "iop.duckdb"
    load(ROOT / "data" / "sample", db)
    con = duckdb.connect(str(db), read_only=True)
    calls, restore = _calls()
    _joint(con, month(2026, 7), ["main", "north"], K)
    restore()
    con.close()
    print(f"July 2026 joint suppression plan (sample, K = 11): {calls[-1]['cpu']:.1f} CPU s")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("mode", nargs="?", choices=("record", "check"))
    ap.add_argument("file", nargs="*", type=Path)
    ap.add_argument("--only", help="the cases whose name holds this")
    a = ap.parse_args(argv)
    if a.mode == "record":
        record(a.file[0])
    elif a.mode == "check":
        return check(a.file, a.only)
    else:
        july()
    return 0


if __name__ == "__main__":
    sys.exit(main())
