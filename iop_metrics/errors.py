"""The exception for bad input and the violations it carries; the one for files that cannot be
written (disk full)."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

TERMINAL_CAP = 50


@dataclass(frozen=True, order=True)
class Violation:
    """One broken rule: where it is (file, line, column), what is wrong, the value.

    ``line`` is the physical line of a CSV file (the header is line 1) or the
    1-based row of a Parquet file; 0 when the problem concerns the whole file.
    ``value`` is ``None`` when it must not be shown (an apparent identifier).
    """

    file: str
    line: int
    column: str
    message: str
    value: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        col = f" {self.column}:" if self.column else ""
        val = "" if self.value is None else f" ({self.value})"
        if not where and not col:  # a plain message (a bad argument), nothing to point at
            return f"{self.message}{val}"
        return f"{where}:{col} {self.message}{val}"


class InputError(Exception):
    """Bad input: a file that breaks the data contract, or a bad argument.

    The CLI turns it into exit code 2. ``violations`` holds every problem found,
    not only the first.
    """

    def __init__(self, violations: Sequence[Violation] | str, *, report_path: str | None = None):
        if isinstance(violations, str):
            violations = [Violation("", 0, "", violations)]
        self.violations = list(violations)
        self.report_path = report_path
        super().__init__(self.render())

    def render(self, cap: int = TERMINAL_CAP) -> str:
        lines = [str(v).strip() for v in self.violations[:cap]]
        rest = len(self.violations) - cap
        if rest > 0:
            where = f"; all of them are in {self.report_path}" if self.report_path else ""
            lines.append(f"... and {rest} more problem(s){where}")
        return "\n".join(lines)


_KEY_PART = r'"[^"]*"|\'[^\']*\'|[A-Za-z0-9_-]+'
_KEY_PATH = re.compile(rf"^\s*((?:{_KEY_PART})(?:\s*\.\s*(?:{_KEY_PART}))*)\s*=")
_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")


def _parts(path: str) -> tuple[str, ...]:
    return tuple(p.strip("\"'") for p in re.findall(_KEY_PART, path))


def toml_line(text: str, dotted: str) -> int:
    """The line of TOML ``text`` where the key or table ``dotted`` is set, or else its nearest
    enclosing key or table (a problem inside an inline table points at the line that opens it);
    0 when none is in the text. ``name[i]`` is the i-th table of an array ``[[name]]``.

    >>> doc = '[source]\\nsite = "x"\\n[tables.clients.columns]\\nsex = { column = "G" }\\n'
    >>> toml_line(doc, "source.site"), toml_line(doc, "tables.clients.columns.sex.codes")
    (2, 4)
    >>> toml_line(doc, "tables.clients"), toml_line(doc, "pseudonymize")
    (3, 0)
    >>> doc = '[[t.n]]\\nfile = "a"\\n[[t.n]]\\nfile = "b"\\n[t.n.columns]\\nx = "X"\\n'
    >>> toml_line(doc, "t.n[1].file"), toml_line(doc, "t.n[1].columns.x"), toml_line(doc, "t.n[0]")
    (4, 6, 1)
    """
    first: dict[tuple[str, ...], int] = {}
    arrays: dict[tuple[str, ...], int] = {}  # an array of tables -> the index of its last table
    table: tuple[str, ...] = ()
    for n, line in enumerate(text.splitlines(), 1):
        if m := _HEADER.match(line):
            named = _parts(m.group(1))
            if line.lstrip().startswith("[["):
                arrays[named] = arrays.get(named, -1) + 1
            table = ()
            for i, part in enumerate(named):
                table += (part,)
                if named[: i + 1] in arrays:
                    table += (str(arrays[named[: i + 1]]),)
                first.setdefault(table, n)
        elif m := _KEY_PATH.match(line):
            first.setdefault(table + _parts(m.group(1)), n)
    want = _parts(re.sub(r"\[(\d+)\]", r".\1", dotted))
    for i in range(len(want), 0, -1):
        if want[:i] in first:
            return first[want[:i]]
    return 0


def _size(n: int) -> str:
    if n < 1024:
        return f"{n:,} bytes"
    x = float(n)
    for unit in ("KB", "MB", "GB"):
        x /= 1024
        if x < 1024:
            return f"{x:.1f} {unit}"
    return f"{x / 1024:.1f} TB"


def free_bytes(path: str | os.PathLike[str]) -> int | None:
    """Free bytes on the file system holding ``path`` (its nearest existing folder)."""
    p = Path(path)
    for folder in (p, *p.parents):
        if folder.exists():
            try:
                return shutil.disk_usage(folder).free
            except OSError:
                return None
    return None


class WriteError(Exception):
    """A file could not be written (a full disk, no permission, an OS error): exit 1.

    The message names what was being written, the OS's reason, the space needed and
    free where known, and what was kept (nothing was replaced).
    """

    def __init__(self, message: str, *, path: str):
        self.path = path
        super().__init__(message)

    @classmethod
    def of(
        cls,
        exc: BaseException,
        path: str | os.PathLike[str],
        *,
        writing: str,
        kept: str,
        needed: int | None = None,
    ) -> WriteError:
        """A readable ``WriteError`` for ``exc`` (an ``OSError`` or a DuckDB IO error).

        >>> e = WriteError.of(OSError(28, "No space left on device"), "/nonexistent/x",
        ...                   writing="the report", kept="nothing was replaced")
        >>> str(e).split(";")[0]
        '/nonexistent/x: could not write the report: No space left on device (errno 28)'
        """
        where = getattr(exc, "filename", None) or path
        if isinstance(exc, OSError) and exc.strerror:
            reason = f"{exc.strerror} (errno {exc.errno})"
        else:
            text = str(exc).strip()
            if "Original error:" in text:  # DuckDB's invalidated-checkpoint wrapper
                text = text.split("Original error:", 1)[1].strip()
            reason = text.splitlines()[0] if text else type(exc).__name__
        free = free_bytes(where)
        space = []
        if needed is not None:
            space.append(f"about {_size(needed)} needed")
        if free is not None:
            space.append(f"{_size(free)} free there")
        room = f"; {', '.join(space)}" if space else ""
        return cls(f"{where}: could not write {writing}: {reason}{room}; {kept}", path=str(where))


def folder_bytes(path: str | os.PathLike[str]) -> int:
    """Bytes in the files under ``path`` (0 when it does not exist)."""
    p = Path(path)
    if p.is_file():
        return p.stat().st_size
    return sum(f.stat().st_size for f in p.rglob("*") if f.is_file()) if p.is_dir() else 0
