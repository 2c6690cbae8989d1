"""The one exception type for bad input, and the violations it carries."""

from __future__ import annotations

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
