"""A plain-Python reading of spec outcomes.md, written from the spec without looking at the SQL:
the reference the outcome SQL is checked against on random data."""

from __future__ import annotations

import datetime as dt
from typing import Any

from iop_metrics.contract import BUILTIN_INSTRUMENTS


def _rate(num: int | None, den: int | None) -> float | None:
    return None if num is None or not den else num / den


def instrument_table(extra: list[dict] | None = None) -> dict[str, dict]:
    table = {
        i.code: {
            "lower": i.lower_is_better,
            "caseness": i.caseness,
            "rc": i.reliable_change,
        }
        for i in BUILTIN_INSTRUMENTS
    }
    for r in extra or []:
        table[r["code"]] = {
            "lower": r["lower_is_better"],
            "caseness": r.get("caseness"),
            "rc": r.get("reliable_change"),
        }
    return table


def _is_case(inst: dict, score: float) -> bool | None:
    if inst["caseness"] is None:
        return None
    return score >= inst["caseness"] if inst["lower"] else score <= inst["caseness"]


def course_scores(e: dict, assessments: list[dict]) -> dict[str, list[tuple[dt.date, float]]]:
    """Per instrument, the (date, mean score of that date) pairs of an ended episode, by date."""
    by: dict[str, dict[dt.date, list[float]]] = {}
    for a in assessments:
        if a["episode_id"] == e["episode_id"] and (
            e["admit_date"] <= a["assessed_on"] <= e["discharge_date"]
        ):
            by.setdefault(a["instrument"], {}).setdefault(a["assessed_on"], []).append(a["score"])
    return {k: sorted((d, sum(v) / len(v)) for d, v in days.items()) for k, days in by.items()}


def classify(code: str, inst: dict, first: float, last: float) -> dict[str, Any]:
    worse = last - first if inst["lower"] else first - last
    start_case, end_case = _is_case(inst, first), _is_case(inst, last)
    rc = inst["rc"]
    return {
        "case_at_start": start_case,
        "case_at_end": end_case,
        "ri": None if rc is None else worse <= -rc,
        "rd": None if rc is None else worse >= rc,
        "response": (
            bool(start_case) and last <= 0.5 * first
            if inst["lower"] and inst["caseness"] is not None
            else None
        ),
        "remission": (first >= 10 and last < 5) if code == "PHQ-9" else None,
    }


def outcomes(
    episodes: list[dict],
    sessions: list[dict],
    assessments: list[dict],
    *,
    scoped: list[dict],
    start: dt.date,
    end: dt.date,
    as_of: dt.date,
    instruments: list[dict] | None = None,
) -> dict[str, Any]:
    """``episodes``/``scoped``: visible as of ``as_of`` (a later discharge is None); sessions and
    assessments: those on or before ``as_of``."""
    table = instrument_table(instruments)
    assessments = [a for a in assessments if a["assessed_on"] <= as_of]
    ended = [e for e in scoped if e["discharge_date"] and start <= e["discharge_date"] <= end]
    courses = []
    for e in ended:
        n = sum(
            1
            for s in sessions
            if s["episode_id"] == e["episode_id"]
            and s["status"] == "attended"
            and s["service_type"] != "assessment"
            and e["admit_date"] <= s["session_date"] <= e["discharge_date"]
        )
        if n >= 2:
            courses.append(e)
    combined = {
        k: 0 for k in ("paired", "at_caseness", "ri", "rd", "recovery", "reliable_recovery")
    }
    per: dict[str, list[dict]] = {}
    for e in courses:
        paired = {}
        for code, pairs in course_scores(e, assessments).items():
            if len(pairs) < 2:
                continue
            first, last = pairs[0][1], pairs[-1][1]
            flags = classify(code, table[code], first, last)
            per.setdefault(code, []).append({"first": first, "last": last, **flags})
            paired[code] = flags
        two = [paired[c] for c in ("PHQ-9", "GAD-7") if c in paired]
        if not two:
            continue
        at_case = any(f["case_at_start"] for f in two)
        ri = any(f["ri"] for f in two) and not any(f["rd"] for f in two)
        rd = any(f["rd"] for f in two) and not any(f["ri"] for f in two)
        recovery = at_case and not any(f["case_at_end"] for f in two)
        combined["paired"] += 1
        combined["at_caseness"] += at_case
        combined["ri"] += ri
        combined["rd"] += rd
        combined["recovery"] += recovery
        combined["reliable_recovery"] += recovery and ri
    c = combined
    by_instrument = {}
    for code, rows in sorted(per.items()):
        inst = table[code]
        has_case, has_rc = inst["caseness"] is not None, inst["rc"] is not None
        has_response = has_case and inst["lower"]
        case_start = sum(1 for r in rows if r["case_at_start"]) if has_case else None
        response = sum(1 for r in rows if r["response"]) if has_response else None
        remission = sum(1 for r in rows if r["remission"]) if code == "PHQ-9" else None
        base = sum(1 for r in rows if r["first"] >= 10)
        by_instrument[code] = {
            "paired": len(rows),
            "case_at_start": case_start,
            "mean_first": sum(r["first"] for r in rows) / len(rows),
            "mean_last": sum(r["last"] for r in rows) / len(rows),
            "reliable_improvement": sum(1 for r in rows if r["ri"]) if has_rc else None,
            "reliable_deterioration": sum(1 for r in rows if r["rd"]) if has_rc else None,
            "not_case_at_end": (
                sum(1 for r in rows if r["case_at_start"] and not r["case_at_end"])
                if has_case
                else None
            ),
            "response": response,
            "response_rate": _rate(response, case_start),
            "remission": remission,
            "remission_rate": _rate(remission, base) if code == "PHQ-9" else None,
        }
    cadence = _cadence(scoped, assessments, start=start, end=end, as_of=as_of)
    return {
        "ended": len(ended),
        "courses": len(courses),
        "paired": c["paired"],
        "paired_rate": _rate(c["paired"], len(courses)),
        "at_caseness": c["at_caseness"],
        "reliable_improvement": c["ri"],
        "reliable_improvement_rate": _rate(c["ri"], c["paired"]),
        "reliable_deterioration": c["rd"],
        "reliable_deterioration_rate": _rate(c["rd"], c["paired"]),
        "no_reliable_change": c["paired"] - c["ri"] - c["rd"],
        "recovery": c["recovery"],
        "recovery_rate": _rate(c["recovery"], c["at_caseness"]),
        "reliable_recovery": c["reliable_recovery"],
        "reliable_recovery_rate": _rate(c["reliable_recovery"], c["at_caseness"]),
        "by_instrument": by_instrument,
        **cadence,
    }


def _cadence(
    scoped: list[dict], assessments: list[dict], *, start: dt.date, end: dt.date, as_of: dt.date
) -> dict[str, Any]:
    day = dt.timedelta(days=1)
    eligible = [
        e for e in scoped if start <= e["admit_date"] <= end and e["admit_date"] + 13 * day <= as_of
    ]
    measured = [
        e
        for e in eligible
        if any(
            a["episode_id"] == e["episode_id"]
            and e["admit_date"] <= a["assessed_on"] <= e["admit_date"] + 13 * day
            and (e["discharge_date"] is None or a["assessed_on"] <= e["discharge_date"])
            for a in assessments
        )
    ]
    open_30d = [
        e
        for e in scoped
        if e["admit_date"] <= end - 29 * day
        and (e["discharge_date"] is None or e["discharge_date"] > end)
    ]
    recent = [
        e
        for e in open_30d
        if any(
            a["episode_id"] == e["episode_id"] and end - 29 * day <= a["assessed_on"] <= end
            for a in assessments
        )
    ]
    return {
        "measured_at_intake": len(measured),
        "intake_eligible": len(eligible),
        "measured_at_intake_rate": _rate(len(measured), len(eligible)),
        "measured_last_30d": len(recent),
        "open_30d": len(open_30d),
        "measured_last_30d_rate": _rate(len(recent), len(open_30d)),
    }
