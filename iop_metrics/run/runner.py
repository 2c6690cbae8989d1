"""A scheduled run: load once, render every scope x audience in parallel, keep a record.

The run loads the export atomically (as ``iop-metrics load`` does), pins the loaded
database as one snapshot (a hard link, so a later load cannot change what the reports
read), renders ``reports/<period>/<scope>/<audience>/`` in up to ``os.cpu_count()``
processes (one per four outputs: ``schedule.worker_count``), writes the site comparison
pages and the archive index, and appends one line to ``reports/runs.jsonl``. A report that
fails is named and does not stop the others (exit 1); a bad config or export stops the run
before anything is written (exit 2). One run at a time per reports folder (its lock; another
run exits 3 or waits); a run killed part way is recorded and swept by the next one, or
resumed (``journal``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..errors import InputError, WriteError
from ..locks import hold
from . import journal
from .config import RunConfig
from .journal import append_line
from .plan import make_plan, site_codes
from .schedule import execute, said, worker_count
from .source import (
    check_levels,
    check_run_coverage,
    load_export,
    pin_snapshot,
    requested_label,
    run_period,
    snapshot_id,
)


def dry_run_plan(
    config: RunConfig,
    *,
    period: str | None,
    today: dt.date,
    allow_empty: bool,
    log: Callable[[str], None],
    allow_partial: bool = False,
) -> int:
    """Print the plan, loading and writing nothing. Before the first load there is no database:
    the plan then shows what the config alone says (the period when it is given, the program's
    reports) and that the sites come after the load."""
    from ..compute.coverage import data_end, last_activity
    from ..db import connect
    from ..periods import parse_period

    db = config.db
    if not db.is_file():
        text = period or config.period
        log(f"dry run: nothing loaded or written; {db} does not exist yet")
        if text:
            plan = make_plan(replace(config, sites="all"), parse_period(text, today=today), ())
            log(plan.describe(config))
        else:
            log(f"  load   {config.export} -> {db}")
            log("  period the latest complete month in the export, known after the load")
        if config.sites != "all":
            log(
                "  sites  each site's reports and the sites pages are planned after the load, "
                "from the sites in the export"
            )
        return 0
    plan = make_plan(config, run_period(config, period, today, db), site_codes(db))
    con = connect(db)
    try:
        check_levels(con, config)
        last = last_activity(con)
        end = data_end(con)
    finally:
        con.close()
    log("dry run: nothing loaded or written; sites as in the current database")
    log(plan.describe(config))
    if last is not None and plan.period.start > last and not allow_empty:
        log(
            f"warning: the current database {db} ends {last.isoformat()}, before period "
            f"{plan.period.label} begins: unless the export brings later data the run stops "
            "(exit 2). Is the export stale?"
        )
    elif end is not None and end.shortens(plan.period.end) and not allow_partial:
        log(
            f"warning: the current database {db} ends {end.last.isoformat()}, before period "
            f"{plan.period.label} ends: unless the export brings later data the run stops "
            "(exit 2; --allow-partial renders it, saying so on every page)"
        )
    return 0


def run(
    config: RunConfig,
    *,
    period: str | None = None,
    dry_run: bool = False,
    resume: bool = False,
    wait: float = 0.0,
    today: dt.date,
    allow_empty: bool = False,
    allow_partial: bool = False,
    log: Callable[[str], None] = print,
) -> int:
    """Do the run described by ``config``; returns the exit code (0 all written, 1 a failure).

    A bad period is refused before anything is loaded. A period the loaded data does not
    cover stops the run (exit 2, nothing rendered): one that ends before the data begins,
    one that begins after it ends unless ``allow_empty``, one that reaches past its end unless
    ``allow_partial``. A run that stops so, or fails before its reports are rendered, appends
    its line to runs.jsonl (``"status": "refused"`` or ``"failed"``, the ``stage`` and the
    ``error``) and the index shows it. Holds the reports folder's lock throughout
    (``locks.Busy`` when another run holds it past ``wait`` seconds). ``resume``: render only
    what the last run of this config for the period asked did not write (``journal``).
    """
    from ..scratch import LOCK_NAME

    if dry_run:
        return dry_run_plan(
            config,
            period=period,
            today=today,
            allow_empty=allow_empty,
            allow_partial=allow_partial,
            log=log,
        )
    with hold(config.out / LOCK_NAME, what=f"run {config.path}", wait=wait, log=log):
        return _run_locked(
            config,
            period=period,
            resume=resume,
            wait=wait,
            today=today,
            allow=(allow_empty, allow_partial),
            log=log,
        )


def _run_locked(
    config: RunConfig,
    *,
    period: str | None,
    resume: bool,
    wait: float,
    today: dt.date,
    allow: tuple[bool, bool],
    log: Callable[[str], None],
) -> int:
    started = dt.datetime.now(dt.UTC)
    work = config.out / f".run-{os.getpid()}"
    state: dict[str, Any] = {"pid": os.getpid(), "start": started.isoformat(timespec="seconds")}
    state |= {"config": str(config.path), "config_sha256": config.sha256}
    record = {"start": state["start"], "period": None, "snapshot": None, **state}
    record.pop("pid")
    try:
        try:
            asked = requested_label(config, period, today)
        except InputError as exc:  # a bad --period: refused before the database is touched
            stopped(config, record, "period", exc)
            raise
        record["period"] = asked
        keep = work if resume else None
        last = journal.tidy(config.out, config.path, keep_in=keep, period=asked, log=log)
        prior = journal.resumable(config, last, asked, today) if resume else {}
        if resume and not prior:
            what = f"for {asked} " if asked else ""
            log(f"nothing to resume: the last run of {config.path} {what}wrote every output")
            return 0
        if prior and prior.get("config_sha256") != config.sha256:
            log(f"{config.path} changed since the run of {prior.get('start')}: a full run instead")
            prior = {}
        work.mkdir(parents=True, exist_ok=True)
        journal.write_state(work, state)
        ctx = (period, wait, today, allow, log)
        return _attempt(config, work, state, record, prior, *ctx)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def stopped(config: RunConfig, record: dict[str, Any], stage: str, exc: BaseException) -> None:
    """Leave the trace of a run that stopped before its reports were rendered: its line in
    runs.jsonl (``refused`` for bad input, exit 2; ``failed`` otherwise) and the index, which
    shows it. A trace that cannot be written does not hide the error that stopped the run."""
    from .archive import write_index

    refused = isinstance(exc, InputError)
    error = exc.render() if isinstance(exc, InputError) else str(exc) or type(exc).__name__
    line = {
        **record,
        "end": journal.now(),
        "status": "refused" if refused else "failed",
        "stage": stage,
        "error": error,
        "reports": [],
    }
    with contextlib.suppress(WriteError, OSError):
        append_line(config.out, line)
        write_index(config.out, current=line, program=config.program)


def _attempt(
    config: RunConfig,
    work: Path,
    state: dict[str, Any],
    record: dict[str, Any],
    prior: dict[str, Any],
    period: str | None,
    wait: float,
    today: dt.date,
    allow: tuple[bool, bool],
    log: Callable[[str], None],
) -> int:
    pinned = work / "snapshot.duckdb"
    summary: Any = None
    load_seconds = 0.0
    stage = "load"
    try:
        if prior and pinned.is_file() and snapshot_id(pinned) == prior.get("snapshot"):
            log(f"resuming the run of {prior['start']} against its snapshot (no reload)")
        else:
            if prior:
                log(f"resuming the run of {prior.get('start')}: its snapshot is gone, so reloading")
            t0 = time.perf_counter()
            summary = load_export(config, wait=wait, log=log)
            load_seconds = time.perf_counter() - t0
            log(f"loaded {config.export} into {config.db} ({load_seconds:.1f} s)")
            db = pin_snapshot(config.db, work)
            if prior and snapshot_id(db) != prior.get("snapshot"):
                log("the data changed since that run (another snapshot): every output is rendered")
                prior = {}
        db = pinned
        stage = "plan"
        if prior.get("period"):
            period = prior["period"]
        the_period = run_period(config, period, today, db)
        record = {**record, "period": the_period.label, "snapshot": snapshot_id(db)}
        ends = check_run_coverage(
            db, the_period, config, allow_empty=allow[0], allow_partial=allow[1]
        )
        if ends:  # rendered with --allow-partial (or --allow-empty): every page says so
            record["data_ends"] = ends
        plan = make_plan(config, the_period, site_codes(db))
        snapshot = record["snapshot"]
        state |= {"period": plan.period.label, "snapshot": snapshot}
        journal.write_state(work, state)
        log(plan.describe(config))
        kept = {r["path"]: r for r in prior.get("reports", []) if r.get("status") == "ok"}
        stage = "render"
        t0 = time.perf_counter()
        notes: dict[str, Any] = {}
        records = execute(
            config, plan, db, log=log, kept=kept, work=work, snapshot=snapshot, notes=notes
        )
        record = {**record, **notes}
    except Exception as exc:  # noqa: BLE001 - recorded, then raised as it was
        stopped(config, record, stage, exc)
        raise
    seconds = (load_seconds, time.perf_counter() - t0)
    return _finish(config, record, prior, plan, db, summary, records, kept, seconds, log)


def hidden_in_all(records: list[dict[str, Any]]) -> dict[str, int]:
    """The figures a run's outputs hide, per reason, summed over its records (a reason only
    some name, as "withheld", counted too); empty when none says.

    >>> hidden_in_all([{"hidden": {"small": 2}}, {}, {"hidden": {"small": 1, "withheld": 3}}])
    {'small': 3, 'withheld': 3}
    """
    hidden = [r["hidden"] for r in records if "hidden" in r]
    reasons = dict.fromkeys(why for h in hidden for why in h)
    return {why: sum(h.get(why, 0) for h in hidden) for why in reasons}


def _finish(
    config: RunConfig,
    record: dict[str, Any],
    prior: dict[str, Any],
    plan: Any,
    db: Path,
    summary: Any,
    records: list[dict[str, Any]],
    kept: dict[str, Any],
    seconds: tuple[float, float],
    log: Callable[[str], None],
) -> int:
    """Write the index and the run's line in runs.jsonl; say what was written."""
    from .archive import write_index

    snapshot = record["snapshot"]
    load_seconds, render_seconds = seconds
    line = {
        **record,
        "end": journal.now(),
        "period": plan.period.label,
        "snapshot": snapshot,
        "rows_loaded": dict(getattr(summary, "rows_loaded", {}) or {}),
        "status": "failed" if any(r["status"] != "ok" for r in records) else "ok",
        "load_seconds": round(load_seconds, 3),
        "render_seconds": round(render_seconds, 3),
        "workers": worker_count(len(records) - len(kept)),
        "reports": records,
    }
    hidden = hidden_in_all(records)
    if hidden:  # what the run's external outputs hide, per reason (#30 item 5)
        line["hidden"] = hidden
    if prior:
        line["resumed"] = {"start": prior.get("start"), "kept": len(kept)}
    try:
        from .archive import site_names

        write_index(config.out, current=line, program=config.program, sites=site_names(db))
    except WriteError as err:
        records.append(
            {"kind": "index", "path": "index.html", "status": "failed", "error": str(err)}
        )
        line["status"] = "failed"
    failed = [r for r in records if r["status"] != "ok"]
    append_line(config.out, line)
    for r in failed:
        print(f"error: {r['path']} failed: {r['error']}", file=sys.stderr)
    ok = len(records) - len(failed)
    told = f"; hidden in the external ones: {said(line['hidden'])}" if hidden else ""
    log(f"{ok} of {len(records)} outputs written{told}; index {config.out / 'index.html'}")
    return 1 if failed else 0
