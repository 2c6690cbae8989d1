"""What a run has done, kept so that a killed run is recorded and a failed one resumed.

A run works in ``reports/.run-<pid>/``: ``run.json`` (when it started, its config, later its
period and snapshot), ``done.jsonl`` (one line per output as it is finished) and the pinned
``snapshot.duckdb``. A finished run appends its line to ``reports/runs.jsonl`` and removes
the folder. A killed run cannot: the next run of the same reports folder (holding its lock)
finds the folder, appends a ``"status": "killed"`` line with the outputs it had finished,
and removes the folder, unless it resumes that run and keeps its snapshot.
``runs.jsonl`` is appended whole or not at all: a line cut short by a full disk is
truncated away again, so every line stays readable.

>>> import tempfile, pathlib
>>> out = pathlib.Path(tempfile.mkdtemp())
>>> append_line(out, {"period": "2026-10", "status": "ok"})
>>> [e["status"] for e in read_lines(out)]
['ok']
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputError, WriteError
from ..locks import alive
from ..scratch import sweep_reports, sweep_temp

if TYPE_CHECKING:
    from .config import RunConfig

WORK = re.compile(r"\.run-(\d+)")
LOG = "runs.jsonl"


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def append_line(out: Path, entry: dict[str, Any]) -> None:
    """Append one JSON line to ``out/runs.jsonl``, whole or not at all (``WriteError``)."""
    path = out / LOG
    data = (json.dumps(entry, default=str) + "\n").encode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        size = os.fstat(fd).st_size
        try:
            if os.write(fd, data) != len(data):
                raise OSError(28, os.strerror(28))
            os.fsync(fd)
        except OSError as exc:
            os.ftruncate(fd, size)
            raise WriteError.of(
                exc, path, writing="the run's line", kept="the earlier lines are as they were"
            ) from None
    finally:
        os.close(fd)


def read_lines(out: Path) -> list[dict[str, Any]]:
    """Every readable line of ``out/runs.jsonl``, oldest first."""
    path = out / LOG
    entries = []
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict):
                entries.append(entry)
    return entries


def write_state(work: Path, state: dict[str, Any]) -> None:
    tmp = work / ".run.json.tmp"
    tmp.write_text(json.dumps(state, default=str) + "\n", encoding="utf-8")
    tmp.replace(work / "run.json")


def note_done(work: Path, record: dict[str, Any]) -> None:
    """Journal one finished output (a full disk only loses the journal line, never the output)."""
    try:
        with open(work / "done.jsonl", "a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, default=str) + "\n")
    except OSError:
        pass


def _journal(work: Path) -> list[dict[str, Any]]:
    path = work / "done.jsonl"
    records = []
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                records.append(json.loads(line))
            except ValueError:
                continue  # the line the kill cut short
    return records


def left_by_killed_runs(out: Path) -> list[tuple[Path, dict[str, Any]]]:
    """The work folders of runs that are gone, each with the ``killed`` line it deserves."""
    found = []
    for work in sorted(out.glob(".run-*")) if out.is_dir() else []:
        match = WORK.fullmatch(work.name)
        if not match or not work.is_dir() or int(match.group(1)) == os.getpid():
            continue
        if alive(int(match.group(1))) and not (work / "run.json").is_file():
            continue  # a process of that pid that is not a run (its own folder has run.json)
        try:
            state = json.loads((work / "run.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            state = {}
        entry = {
            **{k: state.get(k) for k in ("start", "period", "snapshot", "config")},
            "config_sha256": state.get("config_sha256"),
            "end": None,
            "status": "killed",
            "noticed": now(),
            "pid": int(match.group(1)),
            "error": "the run was stopped before it finished (killed, or the machine went down)",
            "reports": _journal(work),
        }
        found.append((work, entry))
    return found


def last_attempt(out: Path, config_path: Path, period: str | None = None) -> dict[str, Any] | None:
    """The latest line of ``runs.jsonl`` for the config at ``config_path`` and, when given, for
    ``period`` (a label): the run ``--period 2019-01 --resume`` continues is 2019-01's, not
    whichever period ran last."""
    mine = [e for e in read_lines(out) if e.get("config") == str(config_path)]
    if period is not None:
        mine = [e for e in mine if e.get("period") == period]
    return mine[-1] if mine else None


def tidy(
    out: Path,
    config_path: Path,
    *,
    keep_in: Path | None,
    log: Callable[[str], None],
    period: str | None = None,
) -> dict[str, Any] | None:
    """Record the runs killed in ``out`` and sweep what they left (hold ``out``'s lock).

    With ``keep_in`` (resuming), the snapshot of the last attempt of the config (for
    ``period``, a label, when given), when it was killed, is moved there instead of removed.
    Returns that attempt's line.
    """
    left = left_by_killed_runs(out)
    for _, entry in left:
        append_line(out, entry)
        log(f"recorded the run of {entry['start'] or '?'} (pid {entry['pid']}) as killed")
    last = last_attempt(out, config_path, period)
    killed = {e["pid"]: f for f, e in left}
    if keep_in and last and last.get("status") == "killed" and last.get("pid") in killed:
        snap = killed[last["pid"]] / "snapshot.duckdb"
        if snap.is_file():
            keep_in.mkdir(parents=True, exist_ok=True)
            os.replace(snap, keep_in / "snapshot.duckdb")
    from ..report.build import SCRATCH, TEMP  # what its reports leave, besides its own

    spared = [keep_in] if keep_in else []
    for p in sweep_reports(out, [*SCRATCH, WORK.pattern], keep=spared) + sweep_temp(TEMP):
        log(f"removed {p}, left by a run that was stopped")
    return last


def resumable(
    config: RunConfig, last: dict[str, Any] | None, period: str | None, today: dt.date
) -> dict[str, Any]:
    """The attempt ``--resume`` continues: ``last`` (the last attempt of the config for the
    period asked, ``tidy``) unless it wrote everything (then empty); bad input (exit 2) when
    there is none, or ``period`` (a label) names another period."""
    from ..periods import parse_period

    if last is None:
        what = f" for {period}" if period else ""
        raise InputError(f"--resume: {config.out / 'runs.jsonl'} has no run of {config.path}{what}")
    if last.get("status") == "ok":
        return {}
    if period and last.get("period") and parse_period(period, today=today).label != last["period"]:
        raise InputError(
            f"--resume: the last run of {config.path} was for {last['period']}, not {period}"
        )
    return last
