"""The metric dictionary: one source for docs/metrics.md and the report's definitions appendix.

Each entry says what a figure is, its numerator and denominator, what is left
out, and the standard it follows. The text restates ``shared/spec/metrics.md``;
where that spec left a choice open, the entry says which reading we took.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


def markdown() -> str:
    """The dictionary as Markdown (docs/metrics.md)."""
    lines = [
        "# Metric dictionary",
        "",
        "Generated from `iop_metrics/dictionary.py`; do not edit by hand (`make docs`).",
        "",
        COMMON,
        "",
    ]
    lines += ["## Tables each figure reads", "", "| figures | tables | SQL |", "|---|---|---|"]
    lines += [f"| {what} | {tables} | {files} |" for what, tables, files in TABLES_READ]
    lines.append("")
    lines += _sections(ENTRIES)
    lines += [
        "# Site comparison",
        "",
        "The sites page, `iop-metrics sites` and a run's `sites.json` (comparison.md).",
        "",
    ]
    lines += _sections(COMPARISON)
    lines += ["# Slices (the API)", "", *_sections(SLICES)]
    return "\n".join(lines)


def _sections(entries: Sequence[Entry]) -> list[str]:
    lines: list[str] = []
    for e in entries:
        lines += [f"## {e.name}", "", f"`{e.key}`: {e.definition}", ""]
        lines += [f"- **{label}**: {value}" for label, value in e.details()]
        lines.append("")
    return lines
