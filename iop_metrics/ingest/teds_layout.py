"""The TEDS layout of a state-submission extract: the TEDS columns a ``noms`` table reads and
their codes, as ``[tables.noms.teds]`` in a mapping names them (``import_teds.py`` turns
such rows into ``noms`` rows; ``mapping.py`` and ``draft.py`` only need the column names).
"""

from __future__ import annotations

MISSING = ("-9", "97", "98")
CODES: dict[str, dict[str, str]] = {
    "FREQ1": {"1": "none", "2": "1_3_month", "3": "daily"},
    "EMPLOY": {"1": "full_time", "2": "part_time", "3": "unemployed", "4": ""},
    "DETNLF": {
        "1": "homemaker",
        "2": "student",
        "3": "retired_disabled",
        "4": "institution",
        "5": "other_not_in_labor_force",
    },
    "LIVARAG": {"1": "homeless", "2": "dependent", "3": "independent"},
    "FREQ_ATND_SELF_HELP": {"1": "none", "2": "1_3", "3": "4_7", "4": "8_30", "5": "some"},
}
ITEMS = {  # contract column -> the TEDS column at admission (the discharge one adds _D)
    "use_frequency": "FREQ1",
    "employment": "EMPLOY",
    "living": "LIVARAG",
    "arrests": "ARRESTS",
    "self_help": "FREQ_ATND_SELF_HELP",
}
BASES = (*ITEMS.values(), "DETNLF")
COLUMNS = tuple(c for b in BASES for c in (b, f"{b}_D"))  # the twelve source columns read
DATE_KEYS = ("admission_date", "discharge_date")


def teds_columns(teds: dict[str, str]) -> set[str]:
    """The source columns a TEDS layout reads: the twelve TEDS columns and the two dates."""
    return set(COLUMNS) | {teds[k] for k in DATE_KEYS if k in teds}
