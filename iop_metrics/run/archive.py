"""``reports/index.html``: the archive of every report on disk, rebuilt from the folder.

Nothing is remembered between runs: the page lists the period folders it finds (latest
first), each scope's headline figures from its metrics.json (the internal copy where there
is one, else the external copy with its suppression) and a relative link to every file, so
deleting a month and re-running is safe. No scripts; opens offline.

>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = write_index(d)
>>> "No report yet" in (d / "index.html").read_text()
True
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ..disclosure.precision import KM_PLACES
from ..periods import parse_period
from ..scratch import write_atomically

PERIOD_DIR = re.compile(r"^\d{4}(-\d{2}|-Q[1-4])?$")
KIND_ORDER = {"month": 0, "quarter": 1, "year": 2}
AUDIENCE_ORDER = {"internal": 0, "external": 1}


PAGE_NAMES = {
    "sites.html": "Sites compared (internal)",
    "sites-external.html": "Sites compared (external, suppressed)",
    "sites.json": "Sites compared (JSON, internal)",
}


def _files(folder: Path, out: Path) -> list[dict[str, str]]:
    return [
        {"name": PAGE_NAMES.get(f.name, f.name), "href": quote(f.relative_to(out).as_posix())}
        for f in sorted(folder.iterdir())
        if f.is_file() and not f.name.startswith(".")
    ]


HEADLINE = {  # index column -> (figure in metrics.json, why it can be undefined)
    "census": ("census.active_at_end", "no episodes"),
    "attendance": ("attendance.attendance_rate", "no sessions"),
    "completion": ("discharges.completion_rate", "no discharges"),
    "retention": ("retention.day_90", "no estimate (too few admissions)"),
}


def _headline(metrics: Path | None) -> dict[str, Any]:
    """The headline figures of one metrics.json and, for each one missing, why: "suppressed" (in
    the external copy's hidden list), undefined for lack of episodes, or "not rendered"; and the
    decimals of a percent its retention prints with (``km_places``: an external copy's
    Kaplan–Meier estimate is rounded to ``KM_DIGITS``, "65%")."""
    empty = {
        "k": 0,
        "km_places": 1,
        **dict.fromkeys(HEADLINE),
        "why": dict.fromkeys(HEADLINE, "not rendered"),
    }
    if metrics is None:
        return empty
    try:
        doc = json.loads(metrics.read_text())
        k = int((doc.get("suppression") or {}).get("k") or 0)
        hidden = set((doc.get("suppression") or {}).get("hidden") or ())
        out: dict[str, Any] = {"k": k, "km_places": KM_PLACES if k > 1 else 1, "why": {}}
        for column, (key, undefined) in HEADLINE.items():
            table, name = key.split(".")
            out[column] = value = doc[table][name]
            if value is None:
                out["why"][column] = "suppressed" if key in hidden else undefined
        return out
    except (OSError, ValueError, KeyError, TypeError):
        return {**empty, "why": dict.fromkeys(HEADLINE, "unreadable metrics.json")}


def scope_name(scope: str, site_names: Mapping[str, str] | None = None) -> str:
    """A scope folder as the reader calls it.

    >>> scope_name("all"), scope_name("north"), scope_name("north", {"north": "North Campus"})
    ('Whole program (all sites)', 'Site north', 'North Campus (site north)')
    """
    if scope == "all":
        return "Whole program (all sites)"
    if site_names and site_names.get(scope):
        return f"{site_names[scope]} (site {scope})"
    return f"Site {scope}"


def _row(
    scope: str,
    groups: list[tuple[str, Path]],
    out: Path,
    *,
    name: str | None = None,
) -> dict[str, Any]:
    """One scope: figures from the first audience folder holding a metrics.json."""
    with_metrics = [f for _, f in groups if (f / "metrics.json").is_file()]
    figures = _headline(with_metrics[0] / "metrics.json" if with_metrics else None)
    files = [{"audience": a, "files": _files(f, out)} for a, f in groups]
    return {"scope": scope, "name": name or scope, **figures, "groups": files}


def _subdirs(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def period_entry(
    folder: Path, out: Path, site_names: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """A period folder: its loose files (site pages, a lone `report`) and one row per scope."""
    rows: list[dict[str, Any]] = []
    loose = _files(folder, out)
    if (folder / "metrics.json").is_file():  # written by `iop-metrics report` alone
        name = "Whole program (single report)"
        rows.append(_row("program (single report)", [("report", folder)], out, name=name))
    scopes = _subdirs(folder)
    scopes.sort(key=lambda p: (p.name != "all", p.name))
    for scope in scopes:
        name = scope_name(scope.name, site_names)
        if (scope / "metrics.json").is_file():  # `iop-metrics report --site S` alone
            rows.append(_row(scope.name, [("report", scope)], out, name=f"{name}, single report"))
        audiences = [a for a in _subdirs(scope) if a.name in AUDIENCE_ORDER]
        audiences.sort(key=lambda p: (AUDIENCE_ORDER.get(p.name, 9), p.name))
        if audiences:
            rows.append(_row(scope.name, [(a.name, a) for a in audiences], out, name=name))
    single = (folder / "metrics.json").is_file()  # its row lists the loose files already
    return {"label": folder.name, "pages": [] if single else loose, "rows": rows}


def last_runs(out: Path) -> dict[str, dict[str, Any]]:
    """The latest line of ``runs.jsonl`` per period (unreadable lines are skipped)."""
    latest: dict[str, dict[str, Any]] = {}
    log = out / "runs.jsonl"
    if log.is_file():
        for line in log.read_text(encoding="utf-8").splitlines():
            try:
                entry = json.loads(line)
                latest[str(entry["period"])] = entry
            except (ValueError, KeyError, TypeError):
                continue
    return latest


def _run_note(entry: dict[str, Any] | None) -> str:
    if not entry:
        return ""
    if entry.get("status") == "killed":
        when = str(entry.get("start") or "")[:16].replace("T", " ")
        return f"Last run {when} UTC failed: stopped before it finished (see runs.jsonl; --resume)."
    failed = [r.get("path", "?") for r in entry.get("reports", []) if r.get("status") != "ok"]
    when = str(entry.get("end", ""))[:16].replace("T", " ")
    if entry.get("stage") == "load" and entry.get("status") == "failed":
        failed = ["the load"]
    elif entry.get("status") in ("refused", "failed") and not failed:  # stopped before any report
        how = "was refused (exit 2)" if entry.get("status") == "refused" else "failed"
        first = str(entry.get("error") or "").splitlines()[:1]
        why = f": {first[0]}" if first else ""
        return f"Last run {when} UTC {how} before writing any report{why} (see runs.jsonl)."
    partial = (
        f" Partial data: the data ends on {entry['data_ends']}, before the period's end."
        if entry.get("data_ends")
        else ""
    )
    if failed:
        return f"Last run {when} UTC: failed for {', '.join(failed)} (see runs.jsonl).{partial}"
    return f"Last run {when} UTC: every report written.{partial}"


def _order(label: str) -> tuple[Any, ...]:
    p = parse_period(label)
    return (p.end, -KIND_ORDER[p.kind])


def site_names(db: Path) -> dict[str, str]:
    """Each site code's name in the EHR export, when the data came in through a mapping (its
    import report in load_log: the export's value with the most rows mapped to the code)."""
    from ..compute.engine import DuckDBEngine
    from ..db import connect

    con = connect(db)
    try:
        rows = DuckDBEngine(con).query("load_import_report", {}).data
    finally:
        con.close()
    if not rows or rows[0][0] is None:
        return {}
    from ..ingest.labels import code_names

    return code_names(json.loads(rows[0][0]), "episodes", "site")


def write_index(
    out: str | Path,
    *,
    current: dict[str, Any] | None = None,
    program: str | None = None,
    sites: Mapping[str, str] | None = None,
) -> Path:
    """(Re)write ``out/index.html`` from what is on disk; returns its path.

    ``current``: the line of the run writing the index, not yet in ``runs.jsonl``;
    ``program``: the program's name; ``sites``: site code -> name (``site_names``).
    """
    from .pages import render_page, report_css

    root = Path(out)
    root.mkdir(parents=True, exist_ok=True)
    folders = [p for p in _subdirs(root) if PERIOD_DIR.match(p.name)]
    folders.sort(key=lambda p: _order(p.name), reverse=True)
    runs = last_runs(root)
    if current:
        runs[str(current["period"])] = current
    on_disk = {f.name for f in folders}
    attempts = [  # runs that stopped before writing a period's folder: the archive shows them
        {"label": label if label != "None" else "(no period)", "note": _run_note(e)}
        for label, e in sorted(runs.items(), key=lambda x: str(x[1].get("start")), reverse=True)
        if label not in on_disk and e.get("status") in ("refused", "failed")
    ]
    page = render_page(
        "index.html.j2",
        title=f"{program}: IOP reports" if program else "IOP reports",
        css=report_css(),
        folder=str(root.resolve()),
        periods=[
            {**period_entry(f, root, sites), "note": _run_note(runs.get(f.name))} for f in folders
        ],
        attempts=attempts,
    )
    path = root / "index.html"
    write_atomically(path, page)
    return path
