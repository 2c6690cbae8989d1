"""Privacy rules: the identifier guard used at load, and small-cell suppression.

The guard follows the HIPAA Safe Harbor list of direct identifiers that can
appear in free-text columns of an export. Patterns are RE2 (DuckDB's regex
engine) so that the loader can scan tens of millions of values in SQL.
"""

from __future__ import annotations

import copy
import math
from typing import TYPE_CHECKING, Any

from .compute.formats import flatten
from .contract import DISCHARGE_REASONS

if TYPE_CHECKING:  # pandas is imported where a frame is suppressed, not at load
    import pandas as pd

# (label, RE2 pattern, applies to id columns only)
IDENTIFIER_PATTERNS: tuple[tuple[str, str, bool], ...] = (
    (
        "an e-mail address",
        r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}",
        False,
    ),
    ("a social security number", r"(^|[^0-9])[0-9]{3}-[0-9]{2}-[0-9]{4}([^0-9]|$)", False),
    (
        "a phone or fax number",
        r"(^|[^0-9])(\+?1[ .-]?)?(\([0-9]{3}\)\s?|[0-9]{3}[ .-])[0-9]{3}[ .-][0-9]{4}([^0-9]|$)",
        False,
    ),
    ("a URL", r"(?i)(https?://|ftp://|www\.)|\.(com|org|net|edu|gov|io)(/|$)", False),
    ("an IP address", r"(^|[^0-9.])([0-9]{1,3}\.){3}[0-9]{1,3}([^0-9.]|$)", False),
    (
        "a street address",
        r"(?i)(^|\s)[0-9]{1,6}\s+([A-Za-z]+\s+){1,3}(street|st|avenue|ave|road|rd|boulevard|blvd"
        r"|lane|ln|drive|dr|court|ct|way|place|pl|terrace|highway|hwy)\.?(\s|,|$)",
        False,
    ),
    ("a medical record number", r"(?i)(^|[^a-z])mrn([^a-z]|$)", False),
    ("a person's name", r"^[A-Z][a-z]+(,\s*|\s+)([A-Z]\.?\s+)?[A-Z][a-z]+$", True),
)


def is_small(n: int | None, k: int) -> bool:
    """True when a count ``n`` must not be shown under threshold ``k`` (1..k-1).

    >>> is_small(3, 11), is_small(0, 11), is_small(11, 11), is_small(None, 11)
    (True, False, False, False)
    """
    return n is not None and not (isinstance(n, float) and math.isnan(n)) and 0 < n < k


# Figures of the JSON document that are counts, and the sums that tie them together: a group
# (total, parts) means total = sum(parts); a total can be a part of another group.
COUNT_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("census.active_at_end", ("census.active_at_start", "census.admissions", "-census.discharges")),
    (
        "attendance.scheduled",
        (
            "attendance.attended",
            "attendance.no_show",
            "attendance.cancelled_client",
            "attendance.cancelled_program",
        ),
    ),
    (
        "census.discharges",
        tuple(f"discharges.by_reason.{r}" for r in DISCHARGE_REASONS),
    ),
    (
        "census.discharges",
        (
            "transitions.step_down",
            "transitions.step_up",
            "transitions.lateral",
            "transitions.no_next_care",
            "transitions.pending",
        ),
    ),
    (
        "census.admissions",
        (
            "inflow.stepped_down_into",
            "inflow.stepped_up_into",
            "inflow.lateral_into",
            "inflow.direct",
        ),
    ),
    (
        "continuity.residential_discharges",
        ("continuity.followed_up_7d", "continuity.pending_7d", "~7d"),
    ),
    (
        "continuity.residential_discharges",
        ("continuity.followed_up_14d", "continuity.pending_14d", "~14d"),
    ),
    ("dosage.client_weeks", ("dosage.client_weeks_meeting_threshold", "~dosage")),
)
# The same figure shown under two names.
SAME = (("discharges.total", "census.discharges"),)
# Estimates shown only when the group they describe is large enough.
ESTIMATES = {
    "retention.day_30": "retention.cohort_admissions",
    "retention.day_60": "retention.cohort_admissions",
    "retention.day_90": "retention.cohort_admissions",
    "dosage.median_hours_per_client_week": "dosage.client_weeks",
    "discharges.median_length_of_stay_days": "discharges.total",
    "transitions.median_gap_days_step_down": "transitions.step_down",
}


NEXT_LEVEL = "transitions.by_next_level."


def _path(key: str) -> list[str]:
    """A document key's path; level codes (``2.1``) under by_next_level keep their dots."""
    if key.startswith(NEXT_LEVEL):
        return ["transitions", "by_next_level", key[len(NEXT_LEVEL) :]]
    return key.split(".")


def figure_at(doc: dict[str, Any], key: str) -> Any:
    """The value at a dotted key of a metrics document (``census.admissions``)."""
    node: Any = doc
    for part in _path(key):
        node = node[part]
    return node


def _set(doc: dict[str, Any], key: str, value: Any) -> None:
    *path, last = _path(key)
    node = doc
    for part in path:
        node = node[part]
    node[last] = value


def _complements(doc: dict[str, Any]) -> dict[str, int]:
    """Counts a reader can work out from the figures shown (total minus the parts)."""
    c, d = doc["continuity"], doc["dosage"]
    return {
        "~7d": c["residential_discharges"] - c["followed_up_7d"] - c["pending_7d"],
        "~14d": c["residential_discharges"] - c["followed_up_14d"] - c["pending_14d"],
        "~dosage": d["client_weeks"] - d["client_weeks_meeting_threshold"],
    }


def suppress_document(
    doc: dict[str, Any],
    k: int,
    *,
    rates: dict[str, tuple[str, str]],
    derived: dict[str, int],
) -> tuple[dict[str, Any], set[str]]:
    """Apply small-cell suppression to a metrics document.

    Returns a copy whose hidden figures are ``None`` and the set of hidden keys.
    Primary: counts of 1..k-1, and rates whose numerator, its complement or
    denominator is 1..k-1. Secondary: in every group of counts tied by a sum,
    a lone hidden cell takes the smallest other cell with it, until no hidden
    cell can be recovered. ``extra`` gives derived counts (``~initiated`` ...).
    """
    shown = copy.deepcopy(doc)
    if k <= 1:
        return shown, set()
    derived = {**derived, **_complements(doc)}

    def value(key: str) -> int:
        key = key.lstrip("-")
        return derived[key] if key.startswith("~") else figure_at(doc, key)

    hidden: set[str] = set()
    for total, parts in COUNT_GROUPS:
        for key in (total, *parts):
            if is_small(value(key), k):
                hidden.add(key.lstrip("-"))
    next_levels = tuple(NEXT_LEVEL + code for code in doc["transitions"]["by_next_level"])
    for key in next_levels:
        if is_small(figure_at(doc, key), k):
            hidden.add(key)
    if is_small(doc["census"]["clients_served"], k):
        hidden.add("census.clients_served")
    # Moves to a next level = step_down + step_up + lateral = the by_next_level counts.
    moved_parts = ("transitions.step_down", "transitions.step_up", "transitions.lateral")
    derived["~moved"] = sum(figure_at(doc, p) for p in moved_parts)
    groups = (*COUNT_GROUPS, ("~moved", next_levels))
    changed = True
    while changed:
        changed = False
        if "~moved" not in hidden and any(p in hidden for p in moved_parts):
            hidden.add("~moved")
        for a, b in SAME:
            if (a in hidden) != (b in hidden):
                hidden |= {a, b}
                changed = True
        for total, parts in groups:
            cells = [total, *(p.lstrip("-") for p in parts)]
            lone = [c for c in cells if c in hidden]
            if len(lone) == 1:
                others = sorted((c for c in cells if c not in hidden), key=value)
                hidden.add(others[0])
                changed = True
    for rate, (num, den) in rates.items():
        n, d = value(num), value(den)
        if num in hidden or den in hidden or any(is_small(x, k) for x in (n, d, d - n)):
            hidden.add(rate)
    for est, base in ESTIMATES.items():
        if base in hidden or is_small(value(base), k):
            hidden.add(est)
    # Hidden rates the document does not carry (step_down_rate) stay in the hidden set only.
    for key in sorted(hidden & {k for k, _ in flatten(doc)}):
        _set(shown, key, None)
    return shown, {h for h in hidden if not h.startswith("~")}


def suppress_frame(
    df: pd.DataFrame,
    k: int,
    *,
    counts: tuple[str, ...],
    rates: dict[str, tuple[str, str]] | None = None,
    across_rows: bool = True,
) -> pd.DataFrame:
    """Hide small counts (and rates built on them) in a table or chart's data.

    Each count column is a group whose total may be shown elsewhere, so a lone
    hidden cell in a column takes the smallest other nonzero cell with it
    (``across_rows``). Rates map to (numerator, denominator) columns. Hidden
    cells become missing values, so a chart does not draw them.

    >>> import pandas as pd
    >>> df = pd.DataFrame({"n": [30, 4, 25, 40]})
    >>> suppress_frame(df, 11, counts=("n",))["n"].tolist()
    [30.0, nan, nan, 40.0]
    """
    import pandas as pd

    out = df.copy()
    if k <= 1:
        return out
    hide = pd.DataFrame(False, index=df.index, columns=list(counts))
    for c in counts:
        hide[c] = df[c].map(lambda v: is_small(None if pd.isna(v) else int(v), k))
        if across_rows and hide[c].sum() == 1:
            rest = df.loc[~hide[c] & (df[c] > 0), c]
            if len(rest):
                hide.loc[rest.idxmin(), c] = True
    for r, (num, den) in (rates or {}).items():
        n, d = df[num], df[den]
        small = (
            n.map(lambda v: is_small(int(v), k))
            | d.map(lambda v: is_small(int(v), k))
            | (d - n).map(lambda v: is_small(int(v), k))
        )
        bad = small.copy()
        for col in (num, den):
            if col in hide:
                bad |= hide[col]
        out[r] = out[r].astype("float64").mask(bad)
    for c in counts:
        out[c] = out[c].astype("float64").mask(hide[c])
    return out
