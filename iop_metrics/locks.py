"""One writer at a time per target: a lock file holding who writes (pid, host, start, what).

``hold(path, ...)`` takes an exclusive ``flock`` on ``path`` and writes the holder's pid,
host, start time and config into it; the kernel drops the lock when the process ends, however
it ends, so a lock left by a killed process is free again and is taken over (and said so).
A second writer fails at once with ``Busy`` naming the holder, or waits up to ``wait``
seconds. The lock file stays (empty) after release: removing it would let two processes
lock two different files of the same name.

>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / ".lock"
>>> with hold(p, what="example") as lock:
...     read_holder(p)["what"]
'example'
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

EXIT_BUSY = 3  # the CLI's exit code when another process holds the lock
_HELD: set[Path] = set()  # locks this process holds (taking one again is a no-op)


class Busy(Exception):
    """Another process holds the lock; the message names it (the CLI exits ``EXIT_BUSY``)."""


@dataclass(frozen=True)
class Lock:
    path: Path
    took_over: dict[str, Any] | None  # the holder that died without releasing, if any


def alive(pid: int) -> bool:
    """Whether a process ``pid`` exists on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_holder(path: Path) -> dict[str, Any]:
    """What the lock file says about its holder (empty when unreadable or released)."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return {}
    return doc if isinstance(doc, dict) else {}


def describe(holder: dict[str, Any]) -> str:
    if not holder:
        return "another process (its lock file names no holder yet)"
    what = f" for {holder['what']}" if holder.get("what") else ""
    return f"pid {holder.get('pid')} on {holder.get('host')}, started {holder.get('start')}{what}"


def _try(path: Path) -> int | None:
    """An open, flocked descriptor on the file now at ``path``, or None when it is held."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        except BaseException:
            os.close(fd)
            raise
        try:  # the file we locked must still be the one at path (not replaced meanwhile)
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)


@contextlib.contextmanager
def hold(
    path: str | os.PathLike[str],
    *,
    what: str,
    wait: float = 0.0,
    log: Callable[[str], None] | None = None,
) -> Iterator[Lock]:
    """Hold the lock ``path`` while the block runs; ``Busy`` if another process holds it.

    ``what`` (the config or target) is written into the lock for whoever finds it held.
    ``wait`` seconds: poll until the holder is done, then ``Busy`` if it is not.
    """
    lock_path = Path(path)
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    key = lock_path.resolve()
    if key in _HELD:  # already ours (a run holding its database's lock calls load)
        yield Lock(lock_path, None)
        return
    deadline = time.monotonic() + max(0.0, wait)
    said = False
    while (fd := _try(lock_path)) is None:
        holder = read_holder(lock_path)
        if time.monotonic() >= deadline:
            waited = f" (waited {wait:g} s)" if wait else ""
            raise Busy(
                f"{lock_path}: held by {describe(holder)}{waited}; nothing was done. "
                "Wait for it to finish, or pass --wait SECONDS."
            )
        if log and not said:
            log(f"waiting up to {wait:g} s for {describe(holder)} ({lock_path})")
            said = True
        time.sleep(0.2)
    try:
        before = read_holder(lock_path)
        took_over = before if before.get("pid") and before.get("pid") != os.getpid() else None
        if took_over and log:
            log(
                f"took over the lock {lock_path} from {describe(took_over)}: "
                "that process is gone (killed or crashed)"
            )
        doc = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "start": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "what": what,
        }
        with contextlib.suppress(OSError):  # a full disk: the flock alone still guards
            os.ftruncate(fd, 0)
            os.pwrite(fd, (json.dumps(doc) + "\n").encode(), 0)
        _HELD.add(key)
        try:
            yield Lock(lock_path, took_over)
        finally:
            _HELD.discard(key)
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)  # released: the file names no holder
    finally:
        os.close(fd)
