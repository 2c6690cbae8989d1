"""A scheduled run: load once, render every scope x audience in parallel, keep a record.

The run loads the export atomically (as ``iop-metrics load`` does), pins the loaded
database as one snapshot (a hard link, so a later load cannot change what the reports
read), renders ``reports/<period>/<scope>/<audience>/`` in up to ``os.cpu_count()``
processes, writes the site comparison pages and the archive index, and appends one line
to ``reports/runs.jsonl``. A report that fails is named and does not stop the others
(exit 1); a bad config or export stops the run before anything is written (exit 2).
One run at a time per reports folder (its lock; another run exits 3 or waits); a run
killed part way is recorded and swept by the next one, or resumed (``journal``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import multiprocessing
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..errors import InputError, WriteError
from ..locks import hold
from ..periods import Period
from . import hides, journal
from .config import RunConfig
from .journal import append_line, note_done

ALL = "all"


@dataclass(frozen=True)
class Job:
    """One report of the plan: a scope (``all`` or a site code) for one audience."""

    scope: str
    audience: str
    folder: Path


@dataclass(frozen=True)
class Plan:
    period: Period
    jobs: tuple[Job, ...]
    sites: tuple[str, ...]  # the sites compared on sites.html (empty: no comparison page)

    def describe(self, config: RunConfig) -> str:
        lines = [
            f"run {config.path} (sha256 {config.sha256[:12]})",
            f"  load   {config.export} -> {config.db}"
            + (f" with mapping {config.mapping}" if config.mapping else ""),
            f"  period {self.period.label} ({self.period.start} – {self.period.end})",
            f"  levels {', '.join(config.levels or ())}; formats {', '.join(config.formats)}"
            f"; external suppression K={config.suppress}; paper {config.paper}",
        ]
        if config.program:
            lines.insert(1, f"  program {config.program}")
        lines += [f"  report {j.folder}" for j in self.jobs]
        for audience in config.audiences:
            if self.sites:
                lines.append(f"  sites  {sites_page(config.out, self.period, audience)}")
        lines.append(f"  index  {config.out / 'index.html'}")
        return "\n".join(lines)


def sites_page(out: Path, period: Period, audience: str) -> Path:
    """``sites.html`` for the internal audience, ``sites-external.html`` for the external one."""
    name = "sites.html" if audience == "internal" else f"sites-{audience}.html"
    return out / period.label / name


def suppression(config: RunConfig, audience: str) -> int:
    return config.suppress if audience == "external" else 0


def site_codes(db: Path) -> tuple[str, ...]:
    """The distinct sites of the loaded episodes."""
    from ..db import connect

    con = connect(db)
    try:
        rows = con.execute(
            "select distinct site from episodes where site is not null order by site"
        ).fetchall()
    finally:
        con.close()
    return tuple(str(r[0]) for r in rows)


def resolve_period(config: RunConfig, override: str | None, today: dt.date, db: Path) -> Period:
    """``--period``, else the config's period, else the latest complete month in the data."""
    from ..compute.query import latest_complete_month
    from ..db import connect
    from ..periods import parse_period

    text = override or config.period
    if text:
        return parse_period(text, today=today)
    con = connect(db)
    try:
        return latest_complete_month(con)
    finally:
        con.close()


def make_plan(config: RunConfig, period: Period, sites: tuple[str, ...]) -> Plan:
    """Every report the run writes; a site named in the config but absent from the data is an
    error (exit 2) naming it."""
    from .config import SITE_CODE

    if config.sites == "each":
        chosen: tuple[str, ...] = (ALL, *sites)
    elif config.sites == "all":
        chosen = (ALL,)
    else:
        missing = [s for s in config.sites if s != ALL and s not in sites]
        if missing:
            raise InputError(
                f"{config.path}: reports.sites: {', '.join(missing)} not among the sites in the "
                f"data ({', '.join(sites) or 'none'})"
            )
        chosen = tuple(config.sites)
    odd = [s for s in chosen if s != ALL and not SITE_CODE.match(s)]
    if ALL in sites or odd:
        fix = (
            f"give each site a code in {config.mapping} (tables.episodes.columns.site.codes; "
            "`iop-metrics mapping draft` suggests them)"
            if config.mapping
            else "rename the site in the export"
        )
        raise InputError(
            f"site code(s) {', '.join(odd) or ALL!r} cannot name a report folder (letters, digits "
            f"and .-_ only, and not {ALL!r}, the whole program); {fix}"
        )
    base = config.out / period.label
    jobs = tuple(Job(s, a, base / s / a) for s in chosen for a in config.audiences)
    compared = tuple(s for s in chosen if s != ALL)
    return Plan(period, jobs, compared)


def check_period(db: Path, period: Period, config: RunConfig, *, allow_empty: bool) -> None:
    """A period after the data's last activity date (a stale export) is an error (exit 2)."""
    from ..compute.coverage import check_period as check
    from ..db import connect

    con = connect(db)
    try:
        check(con, period, source=str(config.export), allow_empty=allow_empty)
    finally:
        con.close()


def dry_run_plan(
    config: RunConfig,
    *,
    period: str | None,
    today: dt.date,
    allow_empty: bool,
    log: Callable[[str], None],
) -> int:
    """Print the plan, loading and writing nothing. Before the first load there is no database:
    the plan then shows what the config alone says (the period when it is given, the program's
    reports) and that the sites come after the load."""
    from ..compute.coverage import last_activity
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
    plan = make_plan(config, resolve_period(config, period, today, db), site_codes(db))
    log("dry run: nothing loaded or written; sites as in the current database")
    log(plan.describe(config))
    con = connect(db)
    try:
        last = last_activity(con)
    finally:
        con.close()
    if last is not None and plan.period.start > last and not allow_empty:
        log(
            f"warning: the current database {db} ends {last.isoformat()}, before period "
            f"{plan.period.label} begins: unless the export brings later data the run stops "
            "(exit 2). Is the export stale?"
        )
    return 0


def load_export(
    config: RunConfig, *, wait: float = 0.0, log: Callable[[str], None] | None = None
) -> Any:
    """Load the export into ``config.db`` atomically; with a mapping, through the importer."""
    q = config.quarantine
    if config.mapping is not None:
        from ..ingest.importer import load_mapped

        return load_mapped(
            config.export, config.db, config.mapping, quarantine=q, wait=wait, log=log
        )
    from ..ingest.load import load

    return load(config.export, config.db, quarantine=q, wait=wait, log=log)


def pin_snapshot(db: Path, folder: Path) -> Path:
    """A hard link to the loaded database (a copy across file systems): the run's snapshot."""
    folder.mkdir(parents=True, exist_ok=True)
    pinned = folder / "snapshot.duckdb"
    pinned.unlink(missing_ok=True)
    try:
        os.link(db, pinned)
    except OSError:
        try:
            shutil.copyfile(db, pinned)
        except OSError as exc:
            pinned.unlink(missing_ok=True)
            raise WriteError.of(
                exc,
                pinned,
                writing="the run's snapshot (a copy: the reports folder is on another file "
                "system than the database, so no hard link)",
                needed=db.stat().st_size,
                kept="nothing was rendered",
            ) from None
    return pinned


def snapshot_id(db: Path) -> str | None:
    from ..db import connect, scalar

    con = connect(db)
    try:
        return scalar(con, "select any_value(snapshot) from load_log")
    finally:
        con.close()


def render_job(
    db: Path,
    period: Period,
    job: Job,
    config: RunConfig,
    levels: tuple[str, ...] | None,
    hide: dict[str, str] | None = None,
    exact: str | None = None,
) -> dict[str, Any]:
    """Render one report in this (worker) process; a failure is returned, never raised.
    ``hide``: what it hides besides its own suppression (``hides.plan``); ``exact``: its
    figures, already read (``hides.model_job``)."""
    from ..compute.query import Scope
    from ..report.build import ReportError, render

    warnings: list[str] = []
    extra: dict[str, Any] = {"benchmark": config.benchmark} if config.benchmark else {}
    t0 = time.perf_counter()
    try:
        timings = render(
            db,
            period,
            dest=job.folder,
            scope=Scope(levels, None if job.scope == ALL else job.scope),
            suppress=suppression(config, job.audience),
            formats=config.formats,
            pdf_required=config.formats_given and "pdf" in config.formats,
            warn=warnings.append,
            program=config.program,
            paper=config.paper,
            warm=True,  # this worker's kernel, reused by each report it renders
            hide=hide,
            exact=exact,
            **extra,
        )
    except Exception as exc:  # noqa: BLE001 - isolated: reported in runs.jsonl and exit 1
        msg = str(exc) if isinstance(exc, ReportError | InputError | WriteError) else repr(exc)
        return {"status": "failed", "error": msg, "seconds": time.perf_counter() - t0}
    return {
        "status": "ok",
        "seconds": time.perf_counter() - t0,
        "timings": {k: round(v, 3) for k, v in timings.items()},
        "warnings": warnings,
    }


def sites_job(
    db: Path, plan: Plan, config: RunConfig, audience: str, hide: dict[str, str] | None = None
) -> dict[str, Any]:
    from .sites import write_sites_page

    t0 = time.perf_counter()
    path = sites_page(config.out, plan.period, audience)
    try:
        write_sites_page(
            db,
            plan.period,
            path,
            sites=plan.sites,
            levels=config.levels,
            suppress=suppression(config, audience),
            program=config.program,
            hide=hide,
        )
    except Exception as exc:  # noqa: BLE001 - isolated like a report
        msg = str(exc) if isinstance(exc, WriteError) else repr(exc)
        return {"status": "failed", "error": msg, "seconds": time.perf_counter() - t0}
    return {"status": "ok", "seconds": time.perf_counter() - t0}


def _rel(path: Path, out: Path) -> str:
    with contextlib.suppress(ValueError):
        return str(path.relative_to(out))
    return str(path)


def worker_count(tasks: int) -> int:
    """Processes for ``tasks`` outputs: one per core at most."""
    return max(1, min(os.cpu_count() or 1, tasks))


def die_with_parent() -> None:
    """In a worker: be killed when the run is (Linux), so no orphan writes after a SIGKILL."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def execute(
    config: RunConfig,
    plan: Plan,
    db: Path,
    *,
    log: Callable[[str], None],
    kept: dict[str, dict[str, Any]] | None = None,
    work: Path | None = None,
) -> list[dict[str, Any]]:
    """Render the plan against ``db`` in parallel; one record per output, in plan order.

    ``kept``: outputs (by path) a resumed run already wrote, carried over, not rendered.
    ``work``: each finished output is journalled there (``journal.note_done``).
    """
    tasks: list[Task] = []
    for audience in config.audiences if plan.sites else ():
        rec: dict[str, Any] = {"kind": "sites", "audience": audience}
        rec["path"] = _rel(sites_page(config.out, plan.period, audience), config.out)
        tasks.append((rec, sites_job, (db, plan, config, audience)))
    for job in plan.jobs:
        rec = {"kind": "report", "scope": job.scope, "audience": job.audience, "path": ""}
        rec["path"] = _rel(job.folder, config.out) + "/"
        tasks.append((rec, render_job, (db, plan.period, job, config, config.levels)))
    kept = kept or {}
    todo = [(rec, fn, args) for rec, fn, args in tasks if rec["path"] not in kept]
    for rec, _, _ in tasks:
        if rec["path"] in kept:
            rec.update({**kept[rec["path"]], "resumed": "kept"})
            log(f"kept   {rec['path']} (written by the run being resumed)")
    joined = together(config, plan) if any(_external(rec) for rec, _, _ in todo) else ()
    k = suppression(config, "external")
    # Each scope's figures are read once (a model job), for its internal and its external
    # report and for the joint plan; the external outputs wait for that plan.
    scopes = [rec["scope"] for rec, _, _ in todo if rec["kind"] == "report"]
    scopes = list(dict.fromkeys([*scopes, *joined]))
    held: list[Task] | None = [t for t in todo if joined and _external(t[0])]
    waiting: dict[str, list[Task]] = {}
    workers = worker_count(len(todo))
    ctx = multiprocessing.get_context("spawn")
    with (
        tempfile.TemporaryDirectory(prefix=".exact-", dir=work) as tmp,
        ProcessPoolExecutor(
            max_workers=workers, mp_context=ctx, initializer=die_with_parent
        ) as pool,
    ):
        pending: dict[Future[dict[str, Any]], tuple[str, Any]] = {}

        def start(task: Task, **kw: Any) -> None:
            rec, fn, args = task
            pending[pool.submit(fn, *args, **kw)] = ("output", rec)

        for i, s in enumerate(scopes):
            path = None if s == hides.SITES else str(Path(tmp) / f"exact-{i}.pkl")
            fut = pool.submit(hides.model_job, db, plan.period, s, config.levels, k, path)
            pending[fut] = ("model", s)
        for task in todo:
            if held is not None and task in held:
                continue
            if task[0]["kind"] == "report":
                waiting.setdefault(task[0]["scope"], []).append(task)
            else:
                start(task)
        got: dict[str, dict[str, Any]] = {}
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                kind, what = pending.pop(fut)
                if kind == "model":
                    err = fut.exception()
                    got[what] = fut.result() if err is None else {"error": repr(err)}
                    for task in waiting.pop(what, []):
                        start(task, exact=got[what].get("exact"))
                    if held is not None and all(s in got for s in joined):
                        shares = _shares({s: got[s] for s in joined}, k, log)
                        for task in held:
                            _release(task, shares, got, start)
                        held = None
                    continue
                rec = what
                try:
                    rec.update(fut.result())
                except Exception as exc:  # noqa: BLE001 - a worker that died (out of memory)
                    rec.update({"status": "failed", "error": repr(exc)})
                rec["seconds"] = round(float(rec.get("seconds", 0.0)), 3)
                if kept:
                    rec["resumed"] = "rendered"
                if work is not None:
                    note_done(work, rec)
                word = "wrote " if rec["status"] == "ok" else "FAILED"
                log(f"{word} {rec['path']} ({rec['seconds']:.1f} s)")
    return [rec for rec, _, _ in tasks]


Task = tuple[dict[str, Any], Callable[..., dict[str, Any]], tuple[Any, ...]]


def _release(
    task: Task,
    shares: dict[str, dict[str, str]],
    got: dict[str, dict[str, Any]],
    start: Callable[..., None],
) -> None:
    """Start an external output held for the joint plan with its share (a report with its
    scope's figures too), or fail it when there is no plan."""
    rec = task[0]
    scope = rec.get("scope", hides.SITES)
    share = shares.get(scope)
    if share is None:
        error = next((r["error"] for r in got.values() if "error" in r), "no plan")
        rec.update({"status": "failed", "error": f"not protected together: {error}"})
        return
    extra = {"exact": got[scope].get("exact")} if rec["kind"] == "report" else {}
    start(task, hide=share, **extra)


def _external(rec: dict[str, Any]) -> bool:
    return rec["audience"] == "external"


def together(config: RunConfig, plan: Plan) -> tuple[str, ...]:
    """The scopes whose external outputs are protected as one model (``hides``): the
    program's report, its sites' and the sites page (``hides.SITES``), when the run publishes
    more than one of them for outside eyes with suppression on; none otherwise (each output
    then protects itself)."""
    scopes = tuple(j.scope for j in plan.jobs if j.audience == "external")
    if plan.sites and "external" in config.audiences:
        scopes += (hides.SITES,)
    if suppression(config, "external") <= 1 or len(scopes) < 2:
        return ()
    return scopes


def _shares(
    got: dict[str, dict[str, Any]], k: int, log: Callable[[str], None]
) -> dict[str, dict[str, str]]:
    """Each scope's share of the joint plan (empty when a model failed: none is rendered)."""
    if not got or any(r.get("status") != "ok" for r in got.values()):
        return {}
    t0 = time.perf_counter()
    cells = {s: r["cells"] for s, r in got.items()}
    shares = hides.plan(cells, k=k, alone={s: r["alone"] for s, r in got.items()})
    log(
        f"planned the suppression of {len(got)} external outputs read together "
        f"({sum(map(len, shares.values()))} figures hidden, {time.perf_counter() - t0:.1f} s)"
    )
    return shares


def run(
    config: RunConfig,
    *,
    period: str | None = None,
    dry_run: bool = False,
    resume: bool = False,
    wait: float = 0.0,
    today: dt.date,
    allow_empty: bool = False,
    log: Callable[[str], None] = print,
) -> int:
    """Do the run described by ``config``; returns the exit code (0 all written, 1 a failure).

    A period that begins after the loaded data's last activity date stops the run (exit 2,
    nothing rendered, no line in runs.jsonl) unless ``allow_empty``. Holds the reports
    folder's lock throughout (``locks.Busy`` when another run holds it past ``wait``
    seconds). ``resume``: render only what the last run of this config did not write
    (``journal``).
    """
    from ..scratch import LOCK_NAME

    if dry_run:
        return dry_run_plan(config, period=period, today=today, allow_empty=allow_empty, log=log)
    with hold(config.out / LOCK_NAME, what=f"run {config.path}", wait=wait, log=log):
        return _run_locked(
            config,
            period=period,
            resume=resume,
            wait=wait,
            today=today,
            allow_empty=allow_empty,
            log=log,
        )


def _run_locked(
    config: RunConfig,
    *,
    period: str | None,
    resume: bool,
    wait: float,
    today: dt.date,
    allow_empty: bool,
    log: Callable[[str], None],
) -> int:
    from .archive import write_index

    started = dt.datetime.now(dt.UTC)
    work = config.out / f".run-{os.getpid()}"
    state: dict[str, Any] = {"pid": os.getpid(), "start": started.isoformat(timespec="seconds")}
    state |= {"config": str(config.path), "config_sha256": config.sha256}
    try:
        last = journal.tidy(config.out, config.path, keep_in=work if resume else None, log=log)
        prior = journal.resumable(config, last, period, today) if resume else {}
        if resume and not prior:
            log(f"nothing to resume: the last run of {config.path} wrote every output")
            return 0
        if prior and prior.get("config_sha256") != config.sha256:
            log(f"{config.path} changed since the run of {prior.get('start')}: a full run instead")
            prior = {}
        work.mkdir(parents=True, exist_ok=True)
        journal.write_state(work, state)
        record = {"start": state["start"], "period": None, "snapshot": None, **state}
        record.pop("pid")
        ctx = (period, wait, today, allow_empty, log, write_index)
        return _attempt(config, work, state, record, prior, *ctx)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _attempt(
    config: RunConfig,
    work: Path,
    state: dict[str, Any],
    record: dict[str, Any],
    prior: dict[str, Any],
    period: str | None,
    wait: float,
    today: dt.date,
    allow_empty: bool,
    log: Callable[[str], None],
    write_index: Callable[..., Path],
) -> int:
    pinned = work / "snapshot.duckdb"
    summary: Any = None
    load_seconds = 0.0
    if prior and pinned.is_file() and snapshot_id(pinned) == prior.get("snapshot"):
        log(f"resuming the run of {prior['start']} against its snapshot (no reload)")
    else:
        if prior:
            log(f"resuming the run of {prior.get('start')}: its snapshot is gone, so reloading")
        t0 = time.perf_counter()
        try:
            summary = load_export(config, wait=wait, log=log)
            load_seconds = time.perf_counter() - t0
            log(f"loaded {config.export} into {config.db} ({load_seconds:.1f} s)")
            db = pin_snapshot(config.db, work)
        except WriteError as exc:
            append_line(
                config.out,
                {
                    **record,
                    "end": journal.now(),
                    "status": "failed",
                    "stage": "load",
                    "error": str(exc),
                    "reports": [],
                },
            )
            raise
        if prior and snapshot_id(db) != prior.get("snapshot"):
            log("the data changed since that run (another snapshot): every output is rendered")
            prior = {}
    db = pinned
    if prior.get("period"):
        period = prior["period"]
    the_period = resolve_period(config, period, today, db)
    check_period(db, the_period, config, allow_empty=allow_empty)
    plan = make_plan(config, the_period, site_codes(db))
    snapshot = snapshot_id(db)
    state |= {"period": plan.period.label, "snapshot": snapshot}
    journal.write_state(work, state)
    log(plan.describe(config))
    kept = {r["path"]: r for r in prior.get("reports", []) if r.get("status") == "ok"}
    t0 = time.perf_counter()
    records = execute(config, plan, db, log=log, kept=kept, work=work)
    render_seconds = time.perf_counter() - t0
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
    log(f"{ok} of {len(records)} outputs written; index {config.out / 'index.html'}")
    return 1 if failed else 0
