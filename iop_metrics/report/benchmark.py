"""The national reference a report sets the program beside, named by source and year.

With a benchmark file from ``iop-metrics benchmark teds-d`` the references are the latest year
of the program's state (the file's ``--state``) and of the nation, e.g. "TEDS-D 2019, Ohio".
Without one, the built-in TEDS 2004 figures stay, labelled with their tables: all-ages Table 2.5
for reasons and completion, adult Table 4.11 for the median stay. The program's own lengths of
stay are binned in TEDS's bins (grouped below 31 days into weeks, unions of TEDS's day bins).
A reference from a 2015+ file also carries the five recovery domains admission to discharge
(``recovery``, the keys of the document's ``noms``), for the report to set beside the program's.

>>> [r.label for r in builtin()]
['TEDS-D 2004, all ages (Table 2.5)']
>>> los_group(9), los_group(38), los_group(400)
('8–14 days', '31–45 days', 'over a year')
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..ingest.teds.cells import latest_cell
from ..ingest.teds.codes import los_code, los_label

# Display groups of TEDS LOS codes: (label, first code, last code).
LOS_GROUPS: tuple[tuple[str, int, int], ...] = (
    ("1–7 days", 1, 7),
    ("8–14 days", 8, 14),
    ("15–30 days", 15, 30),
    ("31–45 days", 31, 31),
    ("46–60 days", 32, 32),
    ("61–90 days", 33, 33),
    ("91–120 days", 34, 34),
    ("121–180 days", 35, 35),
    ("181–365 days", 36, 36),
    ("over a year", 37, 37),
)
TEDS_2004_REASONS = {
    "completed": 0.377,
    "transferred": 0.179,
    "dropped_out": 0.232,
    "terminated": 0.140,
    "other": 0.072,
}


@dataclass(frozen=True)
class Reference:
    """One place's figures. ``withheld``: fewer than 30 discharges, so no figure is shown."""

    label: str
    completion_rate: float | None = None
    reasons: dict[str, float] = field(default_factory=dict)
    median_stay: str | None = None  # "31–45 days" (a TEDS bin) or "41 days"
    median_stay_label: str | None = None  # the source of the median when it differs
    los_shares: dict[str, float] = field(default_factory=dict)  # LOS_GROUPS label -> share
    n: int | None = None
    withheld: bool = False
    year: int | None = None
    state: str | None = None
    # The five domains admission to discharge, keyed as the document's ``noms`` (recovery.md);
    # None without TEDS-D discharge twins (the 2004 figures, files before 2015).
    recovery: dict[str, Any] | None = None


def los_group(days: int) -> str:
    """A length of stay in days -> its display group of TEDS bins."""
    code = los_code(days)
    return next(label for label, lo, hi in LOS_GROUPS if lo <= code <= hi)


def builtin() -> list[Reference]:
    """TEDS 2004 Discharges, intensive outpatient (no file given)."""
    return [
        Reference(
            "TEDS-D 2004, all ages (Table 2.5)",
            completion_rate=0.377,
            reasons=TEDS_2004_REASONS,
            median_stay="41 days",
            median_stay_label="TEDS-D 2004, adult intensive outpatient (Table 4.11)",
            n=114_440,
            year=2004,
        )
    ]


def _group_shares(shares: dict[str, float]) -> dict[str, float]:
    return {
        label: sum(shares.get(str(c), 0.0) for c in range(lo, hi + 1))
        for label, lo, hi in LOS_GROUPS
    }


def _reference(doc: dict[str, Any], state: str | None, age_group: str) -> Reference:
    name = "United States" if state is None else doc.get("program_state_name") or state
    cell = latest_cell(doc, state=state, age_group=age_group)
    ages = "" if age_group == "all" else f", {doc['age_groups'][age_group]}"
    if cell is None:
        return Reference(f"TEDS-D, {name}{ages}", withheld=True, state=state)
    median = cell["los"]["median_bin"] if cell["los"] else None
    return Reference(
        f"TEDS-D {cell['year']}, {cell['state_name']}{ages}",
        completion_rate=cell["completion_rate"],
        reasons={k: v["share"] for k, v in cell["reasons"].items()},
        median_stay=los_label(median).replace("-", "–") if median else None,
        los_shares=_group_shares(cell["los"]["shares"]) if cell["los"] else {},
        n=cell["n"],
        year=cell["year"],
        state=state,
        recovery=cell.get("recovery"),
    )


def from_file(path: str | Path, *, age_group: str = "all") -> list[Reference]:
    """The program's state (when the file names one), then the nation, each its latest year."""
    try:
        doc = json.loads(Path(path).read_text())
        if doc.get("source") != "TEDS-D":
            raise KeyError("source")
    except (OSError, ValueError, KeyError) as exc:
        raise InputError(
            f"{path}: not a benchmark file from `iop-metrics benchmark teds-d` ({exc})"
        ) from None
    states = [doc["program_state"]] if doc.get("program_state") else []
    return [_reference(doc, s, age_group) for s in (*states, None)]


def load(path: str | Path | None, *, track: str | None = None) -> list[Reference]:
    """References for a report: the file's, or the built-in 2004 figures when ``path`` is empty.

    An adolescent track is compared with TEDS's 12-17 group; every other scope with all ages.
    """
    if not path:
        return builtin()
    group = "adolescent" if track and "adol" in track.lower() else "all"
    return from_file(path, age_group=group)
