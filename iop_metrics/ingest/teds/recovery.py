"""TEDS-D's admission/discharge twins -> the five recovery domains, admission to discharge.

From 2015 the public file carries each NOMS item twice, at admission (``FREQ1``) and at
discharge (``FREQ1_D``). Per discharge and domain (spec recovery.md): the domain is known at a
time point when its columns are not -9, and the discharge is *paired* when it is known at both.
Over the paired discharges of a cell: ``at_admission`` and ``at_discharge`` are positive there,
``gained`` positive at discharge only, ``lost`` at admission only, and for abstinence
``reduced`` = FREQ1_D lower than FREQ1 on TEDS's 1/2/3 scale (stopping counts). A domain with
fewer than ``MIN_PAIRED`` paired discharges is withheld. Files before 2015 have no twins: the
document says so and every cell's ``recovery`` is None.

Each row's domain is kept as one small value: the FREQ level 1..3 for abstinence (1 = no use),
1 (positive) or 0 for the others, so "positive" is ``value == 1`` for every domain.

>>> value("abstinent", (2,)), value("employed_or_student", (4, 2)), value("housed", (1,))
(2, 1, 0)
>>> value("no_arrests", (0,)), value("self_help", (-9,)), value("employed_or_student", (4, -9))
(1, None, None)
>>> parse_label("arrests", "Two Or More Times"), parse_label("self_help", "830 Times In The Month")
(2, 4)
>>> parse_label("living", "Dependent Living"), parse_label("living", "Independent Living")
(2, 3)
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

MIN_PAIRED = 30
DOMAINS = ("abstinent", "employed_or_student", "housed", "no_arrests", "self_help")
# domain -> (item of each column, admission columns, discharge columns)
COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "abstinent": (("frequency",), ("FREQ1",), ("FREQ1_D",)),
    "employed_or_student": (
        ("employment", "not_in_labor_force"),
        ("EMPLOY", "DETNLF"),
        ("EMPLOY_D", "DETNLF_D"),
    ),
    "housed": (("living",), ("LIVARAG",), ("LIVARAG_D",)),
    "no_arrests": (("arrests",), ("ARRESTS",), ("ARRESTS_D",)),
    "self_help": (("self_help",), ("FREQ_ATND_SELF_HELP",), ("FREQ_ATND_SELF_HELP_D",)),
}
DEFINITIONS = {
    "abstinent": "FREQ1 = 1, no use of the primary substance in the past month (FREQ1_D = 1)",
    "employed_or_student": "EMPLOY 1 or 2, or EMPLOY 4 with DETNLF 2 (student)",
    "housed": "LIVARAG 2 or 3, dependent or independent living",
    "no_arrests": "ARRESTS = 0 in the past 30 days",
    "self_help": "FREQ_ATND_SELF_HELP 2..5, some self-help attendance in the past month",
}
NOT_IN_FILE = (
    "this file has no discharge twins (FREQ1_D, EMPLOY_D, LIVARAG_D, ARRESTS_D, "
    "FREQ_ATND_SELF_HELP_D): TEDS-D carries them from 2015, so no admission-to-discharge "
    "figures"
)
# The 2021 file's text labels, matched by their letters and digits only (first match wins).
_LABELS: dict[str, tuple[tuple[str, int], ...]] = {
    "frequency": (("nouse", 1), ("someuse", 2), ("daily", 3)),
    "employment": (("full", 1), ("part", 2), ("unemployed", 3), ("notinlabor", 4)),
    "not_in_labor_force": (
        ("homemaker", 1),
        ("student", 2),
        ("retired", 3),
        ("disabled", 3),
        ("institution", 4),
        ("other", 5),
    ),
    "living": (("homeless", 1), ("independent", 3), ("dependent", 2)),
    "arrests": (("none", 0), ("once", 1), ("twoormore", 2), ("2ormore", 2)),
    "self_help": (
        ("noattendance", 1),
        ("13times", 2),
        ("47times", 3),
        ("830times", 4),
        ("someattendance", 5),
    ),
}
_VALID = {
    "frequency": range(1, 4),
    "employment": range(1, 5),
    "not_in_labor_force": range(1, 6),
    "living": range(1, 4),
    "arrests": range(0, 3),
    "self_help": range(1, 6),
}


def parse_label(item: str, text: str) -> int | None:
    """A text label of the 2021 file -> its code (None: missing or not recognised)."""
    t = re.sub(r"[^a-z0-9]", "", text.lower())  # "8-30 Times", "830 Times", "Someuse" alike
    return next((code for words, code in _LABELS[item] if words in t), None)


def _code(item: str, v: Any) -> int | None:
    return v if isinstance(v, int) and v in _VALID[item] else None


def value(domain: str, codes: tuple[Any, ...]) -> int | None:
    """One time point's codes of a domain -> its value (module docstring), None when unknown.

    EMPLOY 4 (not in the labour force) with DETNLF unknown is unknown: a student or not."""
    items = COLUMNS[domain][0]
    first = _code(items[0], codes[0])
    if first is None:
        return None
    if domain == "abstinent":
        return first
    if domain == "employed_or_student":
        if first != 4:
            return int(first in (1, 2))
        detail = _code(items[1], codes[1])
        return None if detail is None else int(detail == 2)
    positive = {"housed": first in (2, 3), "no_arrests": first == 0, "self_help": first >= 2}
    return int(positive[domain])


def domains_in(names: list[str]) -> tuple[str, ...]:
    """The domains whose admission and discharge columns are all in the header."""
    return tuple(d for d in DOMAINS if all(c in names for c in (*COLUMNS[d][1], *COLUMNS[d][2])))


def paired_values(domains: tuple[str, ...], read: Any) -> list[tuple[str, int, int]]:
    """(domain, admission value, discharge value) of one row for each paired domain.

    ``read(column)`` gives the row's code of a column (an int, or None when not recognised)."""
    out = []
    for d in domains:
        _, adm, dis = COLUMNS[d]
        a = value(d, tuple(read(c) for c in adm))
        if a is None:
            continue
        b = value(d, tuple(read(c) for c in dis))
        if b is not None:
            out.append((d, a, b))
    return out


def _rate(num: int, den: int) -> float | None:
    return num / den if den else None


def _domain(domain: str, pairs: Counter[tuple[int, int]], ended: int) -> dict[str, Any]:
    paired = sum(pairs.values())
    keys = ["paired", "paired_rate", "at_admission", "at_discharge", "gained", "lost"]
    keys += ["admission_rate", "discharge_rate", "change"]
    extra = ["using_at_admission", "reduced", "reduced_rate"] if domain == "abstinent" else []
    if paired < MIN_PAIRED:
        return {**dict.fromkeys(keys + extra), "withheld": True}
    at_a = sum(v for (a, _), v in pairs.items() if a == 1)
    at_d = sum(v for (_, b), v in pairs.items() if b == 1)
    out: dict[str, Any] = {
        "paired": paired,
        "paired_rate": paired / ended,
        "at_admission": at_a,
        "at_discharge": at_d,
        "gained": sum(v for (a, b), v in pairs.items() if b == 1 and a != 1),
        "lost": sum(v for (a, b), v in pairs.items() if a == 1 and b != 1),
        "admission_rate": at_a / paired,
        "discharge_rate": at_d / paired,
        "change": (at_d - at_a) / paired,
    }
    if extra:
        reduced = sum(v for (a, b), v in pairs.items() if b < a)
        out |= {
            "using_at_admission": paired - at_a,
            "reduced": reduced,
            "reduced_rate": _rate(reduced, paired - at_a),
        }
    return {**out, "withheld": False}


def recovery_block(
    pairs: Counter[tuple[str, int, int]], ended: int, domains: tuple[str, ...]
) -> dict[str, Any]:
    """A cell's ``recovery``: ``ended`` (its discharges; None when the cell is withheld), then
    each domain's figures (None for a domain whose columns the file lacks)."""
    out: dict[str, Any] = {"ended": ended if ended >= MIN_PAIRED else None}
    for d in DOMAINS:
        if d not in domains:
            out[d] = None
            continue
        mine = Counter[tuple[int, int]]()
        for (dom, a, b), v in pairs.items():
            if dom == d:
                mine[(a, b)] += v
        out[d] = _domain(d, mine, ended)
    return out


def document_block(domains: tuple[str, ...]) -> dict[str, Any]:
    """The benchmark document's ``recovery``: what the file carries and how it is read."""
    missing = [d for d in DOMAINS if d not in domains]
    if not domains:
        note = NOT_IN_FILE
    elif missing:
        note = f"this file lacks the columns of {', '.join(missing)}: those domains are null"
    else:
        note = None
    return {
        "available": bool(domains),
        "domains": list(domains),
        "note": note,
        "min_paired": MIN_PAIRED,
        "definitions": DEFINITIONS,
    }


def describe_recovery(cell: dict[str, Any]) -> str | None:
    """One line of a cell's recovery figures (None when the file has none)."""
    rec = cell.get("recovery")
    if rec is None:
        return None
    parts = []
    for d in DOMAINS:
        f = rec.get(d)
        if f is None:
            continue
        name = d.replace("_", " ")
        if f["withheld"]:
            parts.append(f"{name} withheld")
        else:
            parts.append(
                f"{name} {f['admission_rate']:.1%} -> {f['discharge_rate']:.1%} "
                f"({f['paired']:,} paired)"
            )
    return "  admission -> discharge: " + "; ".join(parts)
