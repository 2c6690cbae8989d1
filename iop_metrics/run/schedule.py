"""Executing a run's plan: every output rendered in worker processes, in parallel.

Each scope's figures are read once (a model job, ``model_job``) for its internal and
external report and for the joint suppression plan of the external outputs, which wait
for it (``disclosure.linked``). A report that fails is a record, never an exception; each finished
output is journalled (``journal.note_done``) so that a killed run can be resumed.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..disclosure import ledger, linked
from ..disclosure.suppress import hidden_by_reason
from ..errors import InputError, WriteError
from ..periods import Period, parse_period
from .config import RunConfig
from .journal import note_done
from .plan import ALL, Plan, report_request, sites_page, suppression

if TYPE_CHECKING:
    from ..report.request import Request


def render_job(req: Request, folder: Path, pdf_required: bool) -> dict[str, Any]:
    """Render the report ``req`` (``plan.report_request``, with its share of the joint plan and
    its figures already read when the run has them) into ``folder`` in this (worker) process;
    a failure is returned, never raised."""
    from ..report.build import ReportError, render

    warnings: list[str] = []
    t0 = time.perf_counter()
    try:
        timings = render(
            req,
            dest=folder,
            pdf_required=pdf_required,
            warn=warnings.append,
            warm=True,  # this worker's kernel, reused by each report it renders
        )
    except Exception as exc:  # noqa: BLE001 - isolated: reported in runs.jsonl and exit 1
        msg = str(exc) if isinstance(exc, ReportError | InputError | WriteError) else repr(exc)
        return {"status": "failed", "error": msg, "seconds": time.perf_counter() - t0}
    out = {
        "status": "ok",
        "seconds": time.perf_counter() - t0,
        "timings": {k: round(v, 3) for k, v in timings.items()},
        "warnings": warnings,
    }
    return out | hidden_of(folder / "metrics.json")


def hidden_of(path: Path) -> dict[str, Any]:
    """``{"hidden": figures hidden per reason}`` of an external report, from the suppression
    block of its metrics.json (what its reader is not shown, #30 item 5); none for an
    internal one."""
    import json

    try:
        block = json.loads(path.read_text()).get("suppression")
    except (OSError, ValueError):
        return {}
    return {"hidden": block["hidden_by_reason"]} if block else {}


def sites_job(
    db: Path,
    plan: Plan,
    config: RunConfig,
    audience: str,
    hide: dict[str, str] | None = None,
    exact: str | None = None,
) -> dict[str, Any]:
    """Write one sites page in this (worker) process: ``hide`` its share of the joint plan,
    ``exact`` the comparisons the run's SITES model job kept (``model_job``) when it has them;
    a failure is returned, never raised."""
    from ..report.sites import write_sites_page

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
            comparisons=exact,
        )
    except Exception as exc:  # noqa: BLE001 - isolated like a report
        msg = str(exc) if isinstance(exc, WriteError) else repr(exc)
        return {"status": "failed", "error": msg, "seconds": time.perf_counter() - t0}
    return {"status": "ok", "seconds": time.perf_counter() - t0}


def _rel(path: Path, out: Path) -> str:
    with contextlib.suppress(ValueError):
        return str(path.relative_to(out))
    return str(path)


# Outputs a worker process is started for. A worker's start (its process, its kernel, its first
# report's warm-up) costs about two reports' CPU: a run of a few outputs renders them in one.
PER_WORKER = 4


def worker_count(tasks: int) -> int:
    """Processes for ``tasks`` outputs: one per ``PER_WORKER`` outputs, one per core at most.

    >>> [worker_count(n) for n in (0, 1, 4)]
    [1, 1, 1]
    >>> worker_count(5) == min(2, os.cpu_count() or 1)
    True
    """
    return max(1, min(os.cpu_count() or 1, -(-tasks // PER_WORKER)))


_kept: dict[str, Any] = {}  # this process's workers, kept for its next run (``workers``)


def workers(n: int) -> ProcessPoolExecutor:
    """``n`` worker processes for a run: the ones this process started for an earlier run when
    there were ``n``, none has died and this process is still in the folder and the thread they
    started from (a worker dies with that thread: ``die_with_parent``), bringing their imports,
    kernel and Chromium warm; else ``n`` new ones (the earlier ones shut down first). They end
    with this process, as a run's ended with its run before: a command runs once, so only a
    process that runs again (the tests) finds them kept; they keep the environment they
    started with. A run that stops on an exception shuts them down (``discard``), so that
    nothing it started writes after it.

    >>> first = workers(1)
    >>> workers(1) is first, workers(2) is first, first._shutdown_thread
    (True, False, True)
    >>> two, elsewhere = workers(2), []
    >>> thread = threading.Thread(target=lambda: elsewhere.append(workers(2)))
    >>> thread.start(); thread.join()
    >>> elsewhere[0] is two, two._shutdown_thread
    (False, True)
    """
    key = (n, os.getcwd(), threading.get_ident())
    pool = _kept.get("pool")
    if pool is not None and _kept["key"] == key and not pool._broken:  # type: ignore[attr-defined]
        return pool
    discard()
    ctx = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=n, mp_context=ctx, initializer=die_with_parent)
    _kept.update(pool=pool, key=key)
    return pool


def discard() -> None:
    """Shut down the kept workers (``workers``), cancelling what they have not started."""
    pool = _kept.pop("pool", None)
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)


@contextlib.contextmanager
def _discarded_on_error() -> Iterator[None]:
    """Within the block, an exception shuts the kept workers down (``discard``).

    >>> pool = workers(1)
    >>> with contextlib.suppress(KeyError), _discarded_on_error():
    ...     raise KeyError("a run stopped")
    >>> "pool" in _kept, pool._shutdown_thread
    (False, True)
    """
    try:
        yield
    except BaseException:
        discard()
        raise


def die_with_parent() -> None:
    """In a worker: be killed when the run is (Linux), so no orphan writes after a SIGKILL."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def plan_tasks(config: RunConfig, plan: Plan, db: Path) -> list[Task]:
    """The plan's outputs as tasks, in plan order: the sites pages, then each report with its
    request (``plan.report_request``, reading the run's snapshot ``db``)."""
    tasks: list[Task] = []
    for audience in config.audiences if plan.sites else ():
        rec: dict[str, Any] = {"kind": "sites", "audience": audience}
        rec["path"] = _rel(sites_page(config.out, plan.period, audience), config.out)
        tasks.append((rec, sites_job, (db, plan, config, audience)))
    for job in plan.jobs:
        rec = {"kind": "report", "scope": job.scope, "audience": job.audience, "path": ""}
        rec["path"] = _rel(job.folder, config.out) + "/"
        req = report_request(config, plan.period, job, db)
        pdf_required = config.formats_given and "pdf" in config.formats
        tasks.append((rec, render_job, (req, job.folder, pdf_required)))
    return tasks


def handed(task: Task, **added: Any) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """The arguments an output starts with once the run has what it adds: a report's request
    with them (its share of the joint plan as ``hide``, its figures' file as ``exact``), the
    sites page's share as its ``hide``."""
    rec, _, args = task
    if rec["kind"] == "report":
        return (args[0].replace(**added), *args[1:]), {}
    return args, added


def execute(
    config: RunConfig,
    plan: Plan,
    db: Path,
    *,
    log: Callable[[str], None],
    kept: dict[str, dict[str, Any]] | None = None,
    work: Path | None = None,
    snapshot: str | None = None,
    notes: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Render the plan against ``db`` in parallel; one record per output, in plan order.

    ``kept``: outputs (by path) a resumed run already wrote, carried over, not rendered.
    ``work``: each finished output is journalled there (``journal.note_done``).
    The external outputs are protected together with what earlier runs of the archive
    published (``disclosure.ledger``: each earlier output recomputed in a model job), and
    each one written gets its ledger entry (keyed by ``snapshot``); what the ledger read,
    left aside, found changed and wrote goes to ``notes["ledger"]``, and a ledger entry that
    cannot be written is a failed record (the run exits 1).
    """
    tasks = plan_tasks(config, plan, db)
    kept = kept or {}
    todo = [(rec, fn, args) for rec, fn, args in tasks if rec["path"] not in kept]
    for rec, _, _ in tasks:
        if rec["path"] in kept:
            rec.update({**kept[rec["path"]], "resumed": "kept"})
            log(f"kept   {rec['path']} (written by the run being resumed)")
    joined = together(config, plan) if any(_external(rec) for rec, _, _ in tasks) else ()
    k = suppression(config, "external")
    earlier = ledger.read(config.out, plan.period, **_keys(config)) if joined else None
    if earlier is not None:
        _said_earlier(earlier, log)
    past: dict[str, dict[str, Any]] = {}
    shares: dict[str, dict[str, str]] = {}
    # Each scope's figures are read once (a model job), for its internal and its external
    # report and for the joint plan; the external outputs wait for that plan.
    scopes = [rec["scope"] for rec, _, _ in todo if rec["kind"] == "report"]
    scopes = list(dict.fromkeys([*scopes, *joined]))
    held: list[Task] | None = [t for t in todo if _external(t[0])] if joined else None
    waiting: dict[str, list[Task]] = {}
    pool = workers(worker_count(len(todo)))
    with tempfile.TemporaryDirectory(prefix=".exact-", dir=work) as tmp, _discarded_on_error():
        pending: dict[Future[dict[str, Any]], tuple[str, Any]] = {}

        def start(task: Task, **added: Any) -> None:
            args, kw = handed(task, **added)
            pending[pool.submit(task[1], *args, **kw)] = ("output", task[0])

        outside = {rec.get("scope", linked.SITES) for rec, _, _ in todo if _external(rec)}
        outside |= set(joined)
        for i, s in enumerate(scopes):
            path = str(Path(tmp) / f"exact-{i}.pkl")
            alone = k if s in joined else 0  # what it hides alone: for the joint plan only
            fut = pool.submit(
                model_job, db, plan.period, s, config.levels, alone, path, s in outside
            )
            pending[fut] = ("model", s)
        for e in earlier.entries if earlier else ():
            when = parse_period(e["period"])
            fut = pool.submit(model_job, db, when, e["output"], config.levels, 0, as_of=e["as_of"])
            pending[fut] = ("past", ledger.scope_of(e))
        for task in todo:
            if held is not None and _external(task[0]):
                continue  # released with its share of the plan
            if task[0]["kind"] == "report":
                waiting.setdefault(task[0]["scope"], []).append(task)
            elif linked.SITES in scopes:  # the page reads the comparisons its model job made
                waiting.setdefault(linked.SITES, []).append(task)
            else:
                start(task)
        got: dict[str, dict[str, Any]] = {}
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                kind, what = pending.pop(fut)
                if kind in ("model", "past"):
                    err = fut.exception()
                    result = fut.result() if err is None else {"error": repr(err)}
                    (got if kind == "model" else past)[what] = result
                    for task in waiting.pop(what, []) if kind == "model" else ():
                        start(task, exact=got[what].get("exact"))
                    everything = len(past) == len(earlier.entries) if earlier else True
                    if held is not None and all(s in got for s in joined) and everything:
                        history = _history(earlier, past, k, log, notes, snapshot)
                        t_plan = time.perf_counter()
                        shares = _shares({s: got[s] for s in joined}, k, log, history)
                        if notes is not None and "ledger" in notes:
                            notes["ledger"]["plan_seconds"] = round(time.perf_counter() - t_plan, 3)
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
    records = [rec for rec, _, _ in tasks]
    if joined:
        query = {**_keys(config), "period": plan.period.label, "as_of": plan.period.end.isoformat()}
        query.pop("k")
        written = _record(config.out, records, got, shares, query, k, snapshot)
        records += [r for r in written if r["status"] != "ok"]
        if notes is not None:
            notes.setdefault("ledger", {})["written"] = [
                r["path"] for r in written if r["status"] == "ok"
            ]
    return records


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
    scope = rec.get("scope", linked.SITES)
    share = shares.get(scope)
    if share is None:
        error = next((r["error"] for r in got.values() if "error" in r), "no plan")
        rec.update({"status": "failed", "error": f"not protected together: {error}"})
        return
    extra = {"exact": got.get(scope, {}).get("exact")}
    if rec["kind"] != "report":  # a page's share of the plan (its own rows' rule hides more)
        rec["hidden"] = hidden_by_reason(share)
    start(task, hide=share, **extra)


def _external(rec: dict[str, Any]) -> bool:
    return rec["audience"] == "external"


def together(config: RunConfig, plan: Plan) -> tuple[str, ...]:
    """The scopes whose external outputs are protected as one model (``disclosure.linked``): the
    program's report, its sites' and the sites page (``linked.SITES``), whenever the run
    publishes one of them for outside eyes with suppression on (even one alone: it is protected
    with what earlier runs published, and its ledger entry comes from the plan); none
    otherwise."""
    scopes = tuple(j.scope for j in plan.jobs if j.audience == "external")
    if plan.sites and "external" in config.audiences:
        scopes += (linked.SITES,)
    if suppression(config, "external") <= 1 or not scopes:
        return ()
    return scopes


def _keys(config: RunConfig) -> dict[str, Any]:
    """What a ledger entry must share with a run for the run to read it: K, levels, window
    (the run's reports use the default transitions window)."""
    from ..compute.query import Query

    levels = None if config.levels is None else list(config.levels)
    k = suppression(config, "external")
    return {
        "k": k,
        "levels": levels,
        "window_days": Query.__dataclass_fields__["window_days"].default,
    }


def _said_earlier(earlier: ledger.Earlier, log: Callable[[str], None]) -> None:
    periods = sorted({e["period"] for e in earlier.entries})
    if periods:
        log(
            f"ledger: {len(earlier.entries)} earlier external outputs of {len(periods)} periods "
            f"({periods[0]}..{periods[-1]}) are protected with this run's"
        )
    for why in earlier.skipped:
        print(
            f"warning: ledger entry {why}: left aside, not protected with this run", file=sys.stderr
        )


def _history(
    earlier: ledger.Earlier | None,
    past: dict[str, dict[str, Any]],
    k: int,
    log: Callable[[str], None],
    notes: dict[str, Any] | None,
    snapshot: str | None = None,
) -> ledger.Known | str | None:
    """What readers know from the earlier outputs (``ledger.known`` over their recomputed
    models), the changes of the past said on stderr and in ``notes``; the error when an earlier
    output could not be recomputed (then nothing external is rendered)."""
    if earlier is None:
        return None
    note: dict[str, Any] = {"read": [ledger.scope_of(e) for e in earlier.entries]}
    note["skipped"] = list(earlier.skipped)
    note["recompute_seconds"] = round(sum(float(r.get("seconds", 0.0)) for r in past.values()), 3)
    if notes is not None:
        notes["ledger"] = note
    failed = [f"{s}: {r['error']}" for s, r in past.items() if r.get("status") != "ok"]
    if failed:
        return f"an earlier output could not be recomputed ({'; '.join(failed)})"
    if not earlier.entries:
        return None
    known = ledger.known(earlier.entries, lambda e: past[ledger.scope_of(e)]["cells"], k, snapshot)
    for change in known.changes:
        print(
            f"warning: the past changed since it was published: {change.sentence()}. Readers "
            "keep the published figures: this run hides what would tell the difference",
            file=sys.stderr,
        )
    note["changed"] = [
        {
            "output": c.output,
            "shown": list(c.shown),
            "hidden": list(c.hidden),
            "missing": list(c.missing),
        }
        for c in known.changes
    ]
    return known


def _shares(
    got: dict[str, dict[str, Any]],
    k: int,
    log: Callable[[str], None],
    history: ledger.Known | str | None = None,
) -> dict[str, dict[str, str]]:
    """Each scope's share of the joint plan (empty when a model failed or an earlier output
    could not be recomputed: none is rendered)."""
    if isinstance(history, str):
        for r in got.values():
            r.setdefault("error", history)
        return {}
    if not got or any(r.get("status") != "ok" for r in got.values()):
        return {}
    t0 = time.perf_counter()
    cells = {s: r["cells"] for s, r in got.items()}
    alone = {s: r["alone"] for s, r in got.items()}
    shares = linked.plan(cells, k=k, alone=alone, known=history)
    every = hidden_by_reason(
        {f"{s}:{c}": r for s, share in shares.items() for c, r in share.items()}
    )
    log(
        f"planned the suppression of {len(got)} external outputs read together "
        + (f"and with {len(history.outputs)} earlier ones " if history else "")
        + f"({sum(map(len, shares.values()))} figures hidden: {said(every)}; "
        + f"{time.perf_counter() - t0:.1f} s)"
    )
    return shares


def said(by_reason: dict[str, int]) -> str:
    """Figures hidden per reason, as a run's log says them.

    >>> said({"small": 3, "complementary": 1, "rate": 0})
    '3 small, 1 complementary'
    """
    return ", ".join(f"{n} {why}" for why, n in by_reason.items() if n) or "none"


def _record(
    out: Path,
    records: list[dict[str, Any]],
    got: dict[str, dict[str, Any]],
    shares: dict[str, dict[str, str]],
    query: dict[str, Any],
    k: int,
    snapshot: str | None,
) -> list[dict[str, Any]]:
    """The ledger entry of each external output written (``ledger.entry``: its model's cells,
    what it hid as marks: its share of the plan and what it hid besides, ``ledger.hidden_of``);
    one record per entry, failed when it cannot be written."""
    from ..errors import WriteError

    done: list[dict[str, Any]] = []
    for rec in records:
        if not _external(rec) or rec.get("status") != "ok":
            continue
        scope = rec.get("scope", linked.SITES)
        if scope not in shares or "cells" not in got.get(scope, {}):
            continue
        cells = got[scope]["cells"]
        hidden = ledger.hidden_of(scope, cells, shares[scope], k, _rendered(out / rec["path"]))
        e = ledger.entry(scope, cells, hidden, query=query, k=k, snapshot=snapshot)
        path = out / e["period"] / ledger.FOLDER / ledger.file_name(scope)
        line = {"kind": "ledger", "path": _rel(path, out), "status": "ok"}
        try:
            ledger.write(out, e)
        except WriteError as err:
            line |= {"status": "failed", "error": f"the ledger of {rec['path']}: {err}"}
        done.append(line)
    return done


def _rendered(folder: Path) -> dict[str, str]:
    """What an external report's metrics.json says it hid (none for the sites page)."""
    import json

    try:
        doc = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
        return dict(doc["suppression"]["hidden"])
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def model_job(
    db: Path,
    period: Period,
    scope: str,
    levels: tuple[str, ...] | None,
    k: int,
    path: str | None = None,
    members: bool = True,
    as_of: str | None = None,
) -> dict[str, Any]:
    """In a worker: one scope's figures, read once (``report.figures.exact``, kept at ``path``
    for its reports; ``members``: with the records of its counts, for an external copy), their
    model and what it hides alone under ``k``; or the sites pages' comparisons, computed once
    (``comparison.page_comparisons``, kept at ``path`` for both pages), and their model
    (``linked.sites_cells``); as of ``as_of`` (default the period's end: an earlier output of
    the ledger is recomputed as of its own). A failure is returned, never raised."""
    from ..compute.query import Query, Scope
    from ..db import connect
    from ..disclosure.model import protect
    from ..disclosure.suppress import internal_only
    from ..report.figures import cells_of, exact, save_exact
    from ..report.sites import save_comparisons

    t0 = time.perf_counter()
    try:
        con = connect(db, read_only=True)
        try:
            site = None if scope in (ALL, linked.SITES) else scope
            q = Query.of(period, as_of=as_of, scope=Scope(levels, site))
            alone: dict[str, str] = {}
            if scope == linked.SITES:
                from ..compute.comparison import page_comparisons

                comparisons = page_comparisons(con, q)
                if path:
                    save_comparisons(comparisons, q, path)
                cells = linked.sites_cells(con, q, comparisons)
            elif not path and k <= 1:  # an earlier output of the ledger: its model only
                cells = cells_of(con, q)
            else:
                figures = exact(con, q, members=members)
                if path:
                    save_exact(figures, path)
                cells = figures.cells()
                alone = protect(cells, k, forced=internal_only(figures.doc)) if k > 1 else {}
        finally:
            con.close()
    except Exception as exc:  # noqa: BLE001 - the run names it on the reports that needed it
        return {"status": "failed", "error": repr(exc), "seconds": time.perf_counter() - t0}
    seconds = time.perf_counter() - t0
    return {"status": "ok", "cells": cells, "alone": alone, "exact": path, "seconds": seconds}
