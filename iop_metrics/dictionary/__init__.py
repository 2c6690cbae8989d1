"""The metric dictionary: one source for docs/metrics.md and the report's definitions appendix.

Each entry says what a figure is, its numerator and denominator, what is left
out, and the standard it follows. The text restates ``shared/spec/metrics.md``;
where that spec left a choice open, the entry says which reading we took.

``entry`` defines an entry and the common rules; ``report``, ``comparison`` and ``slices`` hold
the entries of each part; this module renders them all as Markdown.
"""

from __future__ import annotations

from collections.abc import Sequence

from .comparison import COMPARISON
from .entry import COMMON, Entry
from .recovery import RECOVERY
from .report import ENTRIES, TABLES_READ
from .slices import SLICES

__all__ = [
    "COMMON",
    "COMPARISON",
    "ENTRIES",
    "RECOVERY",
    "SLICES",
    "TABLES_READ",
    "Entry",
    "markdown",
]


def markdown() -> str:
    """The dictionary as Markdown (docs/metrics.md)."""
    lines = [
        "# Metric dictionary",
        "",
        "Generated from `iop_metrics/dictionary/`; do not edit by hand (`make docs`).",
        "",
        COMMON,
        "",
    ]
    lines += ["## Tables each figure reads", "", "| figures | tables | SQL |", "|---|---|---|"]
    lines += [f"| {what} | {tables} | {files} |" for what, tables, files in TABLES_READ]
    lines.append("")
    lines += _sections(ENTRIES)
    lines += [
        "# Recovery",
        "",
        "The document's `noms` (admission to discharge) and `follow_up` (after discharge) keys; "
        "`im.noms`, `im.noms_detail`, `im.follow_up`, `im.follow_up_detail`.",
        "",
        *_sections(RECOVERY),
    ]
    lines += [
        "# Site comparison",
        "",
        "The sites page, `iop-metrics sites` and a run's `sites.json`.",
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
