"""The one exception type for bad input, and the violations it carries."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

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
    0 when none is in the text.

    >>> doc = '[source]\\nsite = "x"\\n[tables.clients.columns]\\nsex = { column = "G" }\\n'
    >>> toml_line(doc, "source.site"), toml_line(doc, "tables.clients.columns.sex.codes")
    (2, 4)
    >>> toml_line(doc, "tables.clients"), toml_line(doc, "pseudonymize")
    (3, 0)
    """
    first: dict[tuple[str, ...], int] = {}
    table: tuple[str, ...] = ()
    for n, line in enumerate(text.splitlines(), 1):
        if m := _HEADER.match(line):
            table = _parts(m.group(1))
            for i in range(1, len(table) + 1):
                first.setdefault(table[:i], n)
        elif m := _KEY_PATH.match(line):
            first.setdefault(table + _parts(m.group(1)), n)
    want = _parts(dotted)
    for i in range(len(want), 0, -1):
        if want[:i] in first:
            return first[want[:i]]
    return 0
