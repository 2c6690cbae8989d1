"""TEDS-D counts -> the benchmark's cells: one per (year, place, age group), small ones withheld.

A cell is the nation (``state`` None) or one state, for all ages (12+), adolescents (12-17) or
adults (18+). A cell of fewer than ``MIN_CELL`` discharges is withheld: its figures are None.

>>> from collections import Counter
>>> [c["n"] for c in cells_of(Counter({(2019, "39", "adult", 1, 31): 30}), None)]
[30, 30, 30, 30]
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from .codes import AGE_GROUPS, LOS_BINS, REASONS, STATE_NAMES, los_label
from .recovery import NOT_IN_FILE, describe_recovery, recovery_block

MIN_CELL = 30
MISSING = -9


def _cell(counts: Counter[tuple[int, int]], **key: Any) -> dict[str, Any]:
    """One (year, state, age group) cell from its (reason, los) counts."""
    n = sum(counts.values())
    cell: dict[str, Any] = {**key, "n": n, "withheld": n < MIN_CELL}
    if n < MIN_CELL:
        return {**cell, "n": None, "reasons": None, "completion_rate": None, "los": None}
    by_reason = Counter[int]()
    by_los = Counter[int]()
    for (r, lc), v in counts.items():
        by_reason[r] += v
        by_los[lc] += v
    reasons = {name: {"n": by_reason[code], "share": by_reason[code] / n} for code, name in REASONS}
    if by_reason[MISSING]:
        reasons["unknown"] = {"n": by_reason[MISSING], "share": by_reason[MISSING] / n}
    los_n = n - by_los[MISSING]
    shares = {str(c): by_los[c] / los_n for c, *_ in LOS_BINS} if los_n else {}
    median, running = None, 0
    for c, *_ in LOS_BINS:  # the bin holding the middle stay (counts, so exact)
        running += by_los[c]
        if los_n and 2 * running >= los_n:
            median = c
            break
    return {
        **cell,
        "reasons": reasons,
        "completion_rate": by_reason[1] / n,
        "los": {"n": los_n, "shares": shares, "median_bin": median},
    }


def _grouped(counts: Counter, state: str | None) -> dict[tuple, Counter]:
    """(year, place, age group) -> the counts of its rest of the key; a discharge counts in the
    nation and its state (only ``state`` when given), in all ages and its age group."""
    grouped: dict[tuple, Counter] = {}
    for (y, s, ag, *rest), v in counts.items():
        for where in (None, s) if s is not None else (None,):
            if where is not None and state is not None and where != state:
                continue
            for group in ("all", ag) if ag else ("all",):
                key = (y, where, group)
                if key not in grouped:
                    grouped[key] = Counter()
                grouped[key][tuple(rest)] += v
    return grouped


def cells_of(
    counts: Counter,
    state: str | None,
    *,
    recovery: Counter | None = None,
    domains: tuple[str, ...] = (),
) -> list[dict[str, Any]]:
    """Every cell: the nation and each state (only ``state`` when given), by age group.

    ``recovery`` holds the paired domains' counts (``recovery.py``); None when the file has no
    discharge twins, and then every cell's ``recovery`` is None."""
    grouped = _grouped(counts, state)
    pairs = _grouped(recovery, state) if recovery is not None else {}
    out = []
    for y, s, group in sorted(grouped, key=lambda k: (k[0], k[1] or "", AGE_GROUPS.index(k[2]))):
        name = "United States" if s is None else STATE_NAMES.get(s, f"FIPS {s}")
        cell = _cell(grouped[(y, s, group)], year=y, state=s, state_name=name, age_group=group)
        ended = sum(grouped[(y, s, group)].values())
        cell["recovery"] = (
            None
            if recovery is None
            else recovery_block(pairs.get((y, s, group), Counter()), ended, domains)
        )
        out.append(cell)
    return out


def latest_cell(
    doc: dict[str, Any], *, state: str | None, age_group: str = "all"
) -> dict[str, Any] | None:
    """The latest year's cell for ``state`` (None = the nation) that is not withheld."""
    cells = [
        c
        for c in doc["cells"]
        if c["state"] == state and c["age_group"] == age_group and not c["withheld"]
    ]
    return max(cells, key=lambda c: c["year"]) if cells else None


def describe(doc: dict[str, Any]) -> str:
    """One line per place (the program's state, then the nation) with its latest figures."""
    lines = []
    for state in (doc.get("program_state"), None) if doc.get("program_state") else (None,):
        c = latest_cell(doc, state=state)
        if c is None:
            lines.append(f"TEDS-D, {STATE_NAMES.get(state or '', 'United States')}: withheld")
            continue
        lines.append(
            f"TEDS-D {c['year']}, {c['state_name']}: {c['n']:,} intensive outpatient "
            f"discharges, {c['completion_rate']:.1%} completed, median stay "
            f"{los_label(c['los']['median_bin'])}"
        )
        lines += [line] if (line := describe_recovery(c)) else []
    if not doc.get("recovery", {}).get("available", True):
        lines.append(f"No recovery figures: {NOT_IN_FILE}.")
    return "\n".join(lines)
