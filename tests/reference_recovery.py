"""A plain-Python reading of spec recovery.md (the document's ``noms`` and ``follow_up`` keys),
written from the spec, episode by episode: the reference the recovery SQL is checked against on
random data."""

from __future__ import annotations

import datetime as dt
from typing import Any

# Five domains: the item each reads and the values that make it positive (recovery.md).
POSITIVE: dict[str, tuple[str, Any]] = {
    "abstinent": ("use_frequency", {"none"}),
    "employed_or_student": ("employment", {"full_time", "part_time", "student"}),
    "housed": ("living", {"dependent", "independent"}),
    "no_arrests": ("arrests", {0}),
    "self_help": ("self_help", {"1_3", "4_7", "8_30", "some"}),
}
LEVEL = {"none": 0, "1_3_month": 1, "1_2_week": 1, "3_6_week": 1, "daily": 2}
WINDOWS = {"1m": (15, 59), "3m": (60, 134), "6m": (135, 269), "12m": (270, 455)}


def _rate(num: int, den: int) -> float | None:
    return num / den if den else None


def positive(domain: str, row: dict | None) -> bool | None:
    """The domain's yes/no on one row; None when there is no row or its item is empty."""
    if row is None:
        return None
    item, yes = POSITIVE[domain]
    value = row.get(item)
    return None if value is None else value in yes


def _scoped(tables: dict, as_of: dt.date, levels, site, track) -> list[dict]:
    out = []
    for e in tables["episodes"]:
        if e["admit_date"] > as_of:
            continue
        if levels is not None and e["level_of_care"] not in levels:
            continue
        if (site is not None and e.get("site") != site) or (
            track is not None and e.get("track") != track
        ):
            continue
        if e["discharge_date"] is not None and e["discharge_date"] > as_of:
            e = {**e, "discharge_date": None, "discharge_reason": None}
        out.append(e)
    return out


def noms(tables: dict, *, start, end, as_of, levels, site, track) -> dict[str, Any]:
    ended = [
        e
        for e in _scoped(tables, as_of, levels, site, track)
        if e["discharge_date"] is not None and start <= e["discharge_date"] <= end
    ]
    rows = [r for r in tables.get("noms", []) if r["collected_on"] <= as_of]

    def one(eid: str, time_point: str) -> dict | None:
        found = [r for r in rows if r["episode_id"] == eid and r["time_point"] == time_point]
        return found[0] if found else None

    pairs = [(one(e["episode_id"], "admission"), one(e["episode_id"], "discharge")) for e in ended]
    out: dict[str, Any] = {
        "ended": len(ended),
        "with_admission": sum(a is not None for a, _ in pairs),
        "with_discharge": sum(d is not None for _, d in pairs),
    }
    for domain in POSITIVE:
        both = [
            (positive(domain, a), positive(domain, d), a, d)
            for a, d in pairs
            if positive(domain, a) is not None and positive(domain, d) is not None
        ]
        n = len(both)
        at_a = sum(x for x, _, _, _ in both)
        at_d = sum(y for _, y, _, _ in both)
        f: dict[str, Any] = {
            "paired": n,
            "paired_rate": _rate(n, len(ended)),
            "at_admission": at_a,
            "at_discharge": at_d,
            "gained": sum(y and not x for x, y, _, _ in both),
            "lost": sum(x and not y for x, y, _, _ in both),
            "admission_rate": _rate(at_a, n),
            "discharge_rate": _rate(at_d, n),
            "change": None if not n else at_d / n - at_a / n,
        }
        if domain == "abstinent":
            reduced = sum(
                LEVEL[d["use_frequency"]] < LEVEL[a["use_frequency"]] for _, _, a, d in both
            )
            f |= {
                "using_at_admission": n - at_a,
                "reduced": reduced,
                "reduced_rate": _rate(reduced, n - at_a),
            }
        out[domain] = f
    return out


def category(contacts: list[dict], discharged: dt.date, first: int, last: int) -> tuple:
    """(category, the earliest reached row in the window or None) of one due episode."""

    def day(r: dict) -> int:
        return (r["collected_on"] - discharged).days

    in_window = [r for r in contacts if first <= day(r) <= last]
    so_far = [r for r in contacts if day(r) <= last]
    reached = sorted((r for r in in_window if r["contact"] == "reached"), key=day)
    if reached:
        return "reached", reached[0]
    if any(r["contact"] == "deceased" for r in so_far):
        return "deceased", None
    refusals = [day(r) for r in so_far if r["contact"] == "declined"]
    answers = [day(r) for r in so_far if r["contact"] == "reached"]
    if refusals and not any(a >= max(refusals) for a in answers):
        return "declined", None
    if any(r["contact"] == "not_reached" for r in in_window):
        return "not_reached", None
    return "not_attempted", None


def follow_up(tables: dict, *, start, end, as_of, levels, site, track) -> dict[str, Any]:
    first_close = min(start, end - dt.timedelta(days=364))
    rows = [
        r
        for r in tables.get("noms", [])
        if r["collected_on"] <= as_of and r["time_point"] == "follow_up"
    ]
    out: dict[str, Any] = {}
    for name, (first, last) in WINDOWS.items():
        counts = dict.fromkeys(
            ("due", "reached", "not_reached", "declined", "deceased", "not_attempted"), 0
        )
        known = {d: [0, 0] for d in ("abstinent", "employed_or_student", "housed", "no_arrests")}
        for e in _scoped(tables, as_of, levels, site, track):
            d0 = e["discharge_date"]
            if d0 is None or e["discharge_reason"] == "died":
                continue
            closes = d0 + dt.timedelta(days=last)
            if not (first_close <= closes <= end and closes <= as_of):
                continue
            mine = [r for r in rows if r["episode_id"] == e["episode_id"]]
            cat, answer = category(mine, d0, first, last)
            counts["due"] += 1
            counts[cat] += 1
            for d, kn in known.items():
                p = positive(d, answer)
                if p is not None:
                    kn[0] += p
                    kn[1] += 1
        f: dict[str, Any] = {**counts, "response_rate": _rate(counts["reached"], counts["due"])}
        for d, (yes, k) in known.items():
            f[d], f[f"{d}_known"] = yes, k
        f["abstinent_rate_responders"] = _rate(f["abstinent"], f["abstinent_known"])
        f["abstinent_rate_all"] = _rate(f["abstinent"], counts["due"])
        out[name] = f
    return out
