r"""Scratch files and folders: named for the process that owns them, swept when it is gone.

Every stage writes beside its target under a dot-name carrying the owner's pid
(``.iop.duckdb.<pid>.tmp`` and its ``.tmp.wal``, ``.tmp-<period>-<pid>-*``, ``.run-<pid>``,
``.index.html.<pid>.tmp``) and removes it itself when it fails. A process killed with
SIGKILL cannot; the next process that writes the same target sweeps what it left: under
the target's lock (``locks.hold``) everyone else's scratch there is left over by definition,
so it goes whatever its pid says; scratch in the shared temporary folder goes only when
its owner is gone.

This module knows no stage's names but its own (``write_atomically``'s ``ATOMIC``): each
stage declares its scratch where it makes it (``ingest.load.SCRATCH``, ``report.build.SCRATCH``
and ``TEMP``, ``run.journal.WORK``) and hands it to the sweep.

>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / ".tmp-2026-10-999999999-x").mkdir()
>>> [p.name for p in sweep_reports(d, [r"\.tmp-.+"])]
['.tmp-2026-10-999999999-x']
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from .errors import WriteError
from .locks import Lock, alive, hold

LOCK_NAME = ".iop-metrics.lock"  # the lock of a reports folder (run and report)
# ``write_atomically``'s temporary file, .<name>.<pid>.tmp (legacy names without a pid too)
ATOMIC = r"\.[^/]+\.(html|json)(\.\d+)?\.tmp"


def remove(path: Path) -> None:
    """Remove a file or a folder tree; nothing when it is already gone."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def beside(target: Path, kind: str) -> Path:
    """This process's scratch of ``kind`` beside ``target``: ``.<name>.<pid>.<kind>``."""
    return target.with_name(f".{target.name}.{os.getpid()}.{kind}")


def write_atomically(path: Path, text: str) -> None:
    """Write ``path`` through ``.<name>.<pid>.tmp`` beside it: whole, or as it was."""
    tmp = beside(path, "tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        kept = f"the earlier {path.name} is as it was" if path.exists() else "nothing was written"
        raise WriteError.of(
            exc, path, writing=path.name, needed=len(text.encode()), kept=kept
        ) from None


def sweep_beside(target: Path, kinds: Iterable[str], *, locked: bool) -> list[Path]:
    """Remove the scratch other processes left beside ``target`` (see ``beside``).

    ``locked``: the caller holds the target's lock, so any other pid's scratch is left
    over; else only that of processes that are gone.
    """
    names = "|".join(re.escape(k) for k in kinds)
    pattern = re.compile(rf"\.{re.escape(target.name)}\.(\d+)\.({names})")
    gone: list[Path] = []
    if not target.parent.is_dir():
        return gone
    for path in target.parent.glob(f".{target.name}.*"):
        match = pattern.fullmatch(path.name)
        pid = int(match.group(1)) if match else os.getpid()
        if pid != os.getpid() and (locked or not alive(pid)):
            remove(path)
            gone.append(path)
    return gone


def _mine(name: str) -> bool:
    """Scratch of this process: its pid between separators, or at the end (``.run-<pid>``)."""
    pid = os.getpid()
    return f"-{pid}-" in name or f".{pid}." in name or name.endswith(f"-{pid}")


def sweep_reports(out: Path, names: Iterable[str], *, keep: Iterable[Path] = ()) -> list[Path]:
    """Remove what killed processes left in the reports folder ``out``: what matches one of
    ``names`` (regular expressions on a name, each stage's own) or ``ATOMIC``.

    Looks in ``out``, its period folders and their scope folders (where ``report`` and
    ``run`` write their scratch). Call it holding ``out``'s lock; ``keep`` is spared.
    """
    scratch = re.compile("|".join([ATOMIC, *names]))
    spared = {Path(p) for p in keep}
    gone: list[Path] = []
    level = [out] if out.is_dir() else []
    for _ in range(3):
        below = []
        for folder in level:
            for p in sorted(folder.iterdir()):
                if scratch.fullmatch(p.name):
                    if p not in spared and not _mine(p.name):
                        remove(p)
                        gone.append(p)
                elif p.is_dir() and not p.name.startswith("."):
                    below.append(p)
        level = below
    return gone


def temp_name(kind: str) -> str:
    """A prefix for this process's scratch in the shared temporary folder."""
    return f"iop-metrics-{kind}-{os.getpid()}-"


def sweep_temp(kinds: Iterable[str]) -> list[Path]:
    """Remove the scratch of gone processes from the shared temporary folder: names made with
    ``temp_name`` for one of ``kinds`` (each stage's own), or a ``.log`` of that name."""
    names = "|".join(re.escape(k) for k in kinds)
    scratch = re.compile(rf"iop-metrics-({names})-(?P<pid>\d+)(\.log|-.*)")
    gone = []
    root = Path(tempfile.gettempdir())
    with contextlib.suppress(OSError):
        for p in root.glob("iop-metrics-*"):
            match = scratch.fullmatch(p.name)
            if match and not alive(int(match.group("pid"))):
                remove(p)
                gone.append(p)
    return gone


@contextlib.contextmanager
def reports_folder(
    out: Path,
    *,
    what: str,
    names: Iterable[str],
    kinds: Iterable[str],
    wait: float = 0.0,
    log: Callable[[str], None] | None = None,
) -> Iterator[Lock]:
    """Hold the lock of the reports folder ``out`` and sweep what killed processes left there
    (``names``, and in the shared temporary folder ``kinds``: see ``sweep_reports`` and
    ``sweep_temp``)."""
    with hold(out / LOCK_NAME, what=what, wait=wait, log=log) as lock:
        for p in sweep_reports(out, names) + sweep_temp(kinds):
            if log:
                log(f"removed {p}, left by a process that was stopped")
        yield lock
