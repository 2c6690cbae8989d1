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
OUTCOME_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    # outcomes (spec outcomes.md): paired = improvement + deterioration + no reliable change;
    # the counts nested in one another and their complements
    (
        "outcomes.paired",
        (
            "outcomes.reliable_improvement",
            "outcomes.reliable_deterioration",
            "outcomes.no_reliable_change",
        ),
    ),
    ("outcomes.ended", ("outcomes.courses", "~not_course")),
    ("outcomes.courses", ("outcomes.paired", "~unpaired")),
    ("outcomes.paired", ("outcomes.at_caseness", "~not_at_caseness")),
    ("outcomes.at_caseness", ("outcomes.recovery", "~not_recovered")),
    ("outcomes.recovery", ("outcomes.reliable_recovery", "~recovered_not_reliably")),
    ("outcomes.intake_eligible", ("outcomes.measured_at_intake", "~intake_unmeasured")),
    ("outcomes.open_30d", ("outcomes.measured_last_30d", "~recent_unmeasured")),
)
OUTCOME_RATES = {
    "outcomes.paired_rate": ("outcomes.paired", "outcomes.courses"),
    "outcomes.reliable_improvement_rate": ("outcomes.reliable_improvement", "outcomes.paired"),
    "outcomes.reliable_deterioration_rate": ("outcomes.reliable_deterioration", "outcomes.paired"),
    "outcomes.recovery_rate": ("outcomes.recovery", "outcomes.at_caseness"),
    "outcomes.reliable_recovery_rate": ("outcomes.reliable_recovery", "outcomes.at_caseness"),
    "outcomes.measured_at_intake_rate": ("outcomes.measured_at_intake", "outcomes.intake_eligible"),
    "outcomes.measured_last_30d_rate": ("outcomes.measured_last_30d", "outcomes.open_30d"),
}
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
BY_INSTRUMENT = "outcomes.by_instrument."


def _path(key: str) -> list[str]:
    """A document key's path; level codes (``2.1``) under by_next_level and instrument codes
    under by_instrument keep their dots."""
    if key.startswith(NEXT_LEVEL):
        return ["transitions", "by_next_level", key[len(NEXT_LEVEL) :]]
    if key.startswith(BY_INSTRUMENT):
        code, _, figure = key[len(BY_INSTRUMENT) :].rpartition(".")
        return ["outcomes", "by_instrument", code, figure]
    return key.split(".")


def _instrument_groups(
    doc: dict[str, Any],
) -> tuple[list[tuple[str, tuple[str, ...]]], dict[str, int], dict[str, tuple[str, str]]]:
    """Per instrument of ``outcomes.by_instrument``: the groups of counts tied by a sum, the
    complements they need and the rates with their parts (figures an instrument does not
    define, None, are left out)."""
    groups: list[tuple[str, tuple[str, ...]]] = []
    derived: dict[str, int] = {}
    rates: dict[str, tuple[str, str]] = {}
    for code, f in doc.get("outcomes", {}).get("by_instrument", {}).items():
        key = f"{BY_INSTRUMENT}{code}."
        if f["reliable_improvement"] is not None:
            derived[f"~{code}.no_change"] = (
                f["paired"] - f["reliable_improvement"] - f["reliable_deterioration"]
            )
            parts = ("reliable_improvement", "reliable_deterioration")
            groups.append((key + "paired", (*(key + p for p in parts), f"~{code}.no_change")))
        if f["case_at_start"] is not None:
            derived[f"~{code}.no_case"] = f["paired"] - f["case_at_start"]
            derived[f"~{code}.still_case"] = f["case_at_start"] - f["not_case_at_end"]
            groups.append((key + "paired", (key + "case_at_start", f"~{code}.no_case")))
            groups.append((key + "case_at_start", (key + "not_case_at_end", f"~{code}.still_case")))
        if f["response"] is not None:
            derived[f"~{code}.no_response"] = f["case_at_start"] - f["response"]
            groups.append((key + "case_at_start", (key + "response", f"~{code}.no_response")))
            rates[key + "response_rate"] = (key + "response", key + "case_at_start")
        if f["remission"] is not None:
            rate = f["remission_rate"]
            # remission's denominator (first score 10 or more) is remission / rate
            base = round(f["remission"] / rate) if rate else f["remission"]
            derived[f"~{code}.remission_base"] = base
            derived[f"~{code}.no_remission"] = base - f["remission"]
            groups.append((f"~{code}.remission_base", (key + "remission", f"~{code}.no_remission")))
            rates[key + "remission_rate"] = (key + "remission", f"~{code}.remission_base")
        groups.append((key + "paired", (key + "paired",)))  # alone: for the primary rule
    return groups, derived, rates


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
    o = doc.get("outcomes")
    outcome = {}
    if o is not None:
        outcome = {
            "~not_course": o["ended"] - o["courses"],
            "~unpaired": o["courses"] - o["paired"],
            "~not_at_caseness": o["paired"] - o["at_caseness"],
            "~not_recovered": o["at_caseness"] - o["recovery"],
            "~recovered_not_reliably": o["recovery"] - o["reliable_recovery"],
            "~intake_unmeasured": o["intake_eligible"] - o["measured_at_intake"],
            "~recent_unmeasured": o["open_30d"] - o["measured_last_30d"],
        }
    return {
        **outcome,
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

    has_outcomes = "outcomes" in doc
    count_groups = (*COUNT_GROUPS, *(OUTCOME_GROUPS if has_outcomes else ()))
    inst_groups, inst_derived, inst_rates = _instrument_groups(doc)
    derived.update(inst_derived)
    rates = {**rates, **(OUTCOME_RATES if has_outcomes else {}), **inst_rates}
    count_groups = (*count_groups, *inst_groups)
    hidden: set[str] = set()
    for total, parts in count_groups:
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
    groups = (*count_groups, ("~moved", next_levels))
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
            others = sorted((c for c in cells if c not in hidden), key=value)
            if len(lone) == 1 and others:  # a group of one cell (no next level) has none
                hidden.add(others[0])
                changed = True
    for rate, (num, den) in rates.items():
        n, d = value(num), value(den)
        if num in hidden or den in hidden or any(is_small(x, k) for x in (n, d, d - n)):
            hidden.add(rate)
    estimates = dict(ESTIMATES)
    for code in doc.get("outcomes", {}).get("by_instrument", {}):
        for mean in ("mean_first", "mean_last"):
            estimates[f"{BY_INSTRUMENT}{code}.{mean}"] = f"{BY_INSTRUMENT}{code}.paired"
    for est, base in estimates.items():
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
