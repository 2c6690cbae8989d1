"""TEDS-D codes and text labels -> the codes the benchmark counts (shared/research/teds-d.md).

Codes are SAMHSA's; the 2021 file ships text labels instead, which are matched here by their
words, so small wording changes between years still read.

>>> parse_reason_label("Treatment completed"), parse_reason_label("Left against advice")
(1, 2)
>>> parse_los_label("31 to 45 days"), parse_los_label("More than a year"), parse_los_label("7")
(31, 37, 7)
>>> parse_service_label("Ambulatory, intensive outpatient"), parse_age_label("15-17 years")
(6, 'adolescent')
>>> age_group_of_code(3), age_group_of_code(3, old_layout=True)
('adult', 'adolescent')
"""

from __future__ import annotations

import re

from ...contract import DISCHARGE_REASONS

REASONS = tuple(enumerate(DISCHARGE_REASONS, start=1))  # REASON 1..7, the contract's names
AGE_GROUPS = ("all", "adolescent", "adult")
_RANGES = ((31, 45), (46, 60), (61, 90), (91, 120), (121, 180), (181, 365))
# (code, label, low day, high day or None): 1..30 exact days, then SAMHSA's ranges.
LOS_BINS: tuple[tuple[int, str, int, int | None], ...] = (
    *((d, f"{d} day{'s' if d > 1 else ''}", d, d) for d in range(1, 31)),
    *((31 + i, f"{lo}-{hi} days", lo, hi) for i, (lo, hi) in enumerate(_RANGES)),
    (37, "more than a year", 366, None),
)
STATE_NAMES = {
    "01": "Alabama", "02": "Alaska", "04": "Arizona", "05": "Arkansas", "06": "California",
    "08": "Colorado", "09": "Connecticut", "10": "Delaware", "11": "District of Columbia",
    "12": "Florida", "13": "Georgia", "15": "Hawaii", "16": "Idaho", "17": "Illinois",
    "18": "Indiana", "19": "Iowa", "20": "Kansas", "21": "Kentucky", "22": "Louisiana",
    "23": "Maine", "24": "Maryland", "25": "Massachusetts", "26": "Michigan", "27": "Minnesota",
    "28": "Mississippi", "29": "Missouri", "30": "Montana", "31": "Nebraska", "32": "Nevada",
    "33": "New Hampshire", "34": "New Jersey", "35": "New Mexico", "36": "New York",
    "37": "North Carolina", "38": "North Dakota", "39": "Ohio", "40": "Oklahoma", "41": "Oregon",
    "42": "Pennsylvania", "44": "Rhode Island", "45": "South Carolina", "46": "South Dakota",
    "47": "Tennessee", "48": "Texas", "49": "Utah", "50": "Vermont", "51": "Virginia",
    "53": "Washington", "54": "West Virginia", "55": "Wisconsin", "56": "Wyoming",
    "72": "Puerto Rico",
}  # fmt: skip
_BY_NAME = {name.lower(): fips for fips, name in STATE_NAMES.items()}


def _words(text: str) -> str:
    return re.sub(r"\s+", " ", text.lower()).strip()


def _missing(t: str) -> bool:
    return not t or any(w in t for w in ("missing", "unknown", "invalid", "not collected"))


def is_missing_label(text: str) -> bool:
    """Empty, or SAMHSA's "Missing/unknown/not collected/invalid"."""
    return _missing(_words(text))


def los_code(days: int) -> int:
    """A length of stay in days (admission and discharge day both counted) -> TEDS's LOS code."""
    if days <= 30:
        return max(1, days)
    for i, (_, hi) in enumerate(_RANGES):
        if days <= hi:
            return 31 + i
    return 37


def los_label(code: int | None) -> str:
    """TEDS's label for a LOS code (``31`` -> ``31-45 days``)."""
    return next((lab for c, lab, *_ in LOS_BINS if c == code), "not known")


def age_group_of_code(code: int, *, old_layout: bool = False) -> str | None:
    """``AGE`` code -> adolescent (12-17) or adult; 2006-2014 files start at 2 = 12-14."""
    first_adult = 4 if old_layout else 3
    if code < (2 if old_layout else 1):
        return None
    return "adolescent" if code < first_adult else "adult"


def parse_service_label(text: str) -> int | None:
    t = _words(text)
    if _missing(t):
        return None
    if re.search(r"non[- ]?intensive", t):
        return 7
    return 6 if "intensive" in t and "outpatient" in t else 0


def parse_reason_label(text: str) -> int | None:
    t = _words(text)
    for words, code in (
        (("complet",), 1),
        (("drop", "against"), 2),
        (("terminat",), 3),
        (("transfer",), 4),
        (("incarcerat", "jail", "prison"), 5),
        (("death", "died"), 6),
    ):
        if any(w in t for w in words):
            return code
    if _missing(t):
        return None
    return 7 if "other" in t else None


def parse_los_label(text: str) -> int | None:
    t = _words(text)
    if "year" in t and ("more" in t or "over" in t):
        return 37
    numbers = [int(x) for x in re.findall(r"\d+", t)]
    if not numbers:
        return None
    if len(numbers) == 1 and numbers[0] <= 30:
        return max(1, numbers[0])
    return los_code(numbers[0]) if numbers[0] > 30 else None


def parse_age_label(text: str) -> str | None:
    numbers = [int(x) for x in re.findall(r"\d+", text)]
    if not numbers or _missing(_words(text)):
        return None
    return "adolescent" if numbers[0] < 18 else "adult"


def parse_state_label(text: str) -> str | None:
    return _BY_NAME.get(_words(text))


def parse_mat_label(text: str) -> int | None:
    t = _words(text)
    return 1 if t.startswith("yes") else 2 if t.startswith("no") else None
