"""An independent, plain-Python implementation of the metrics.md JSON figures.

Written from the spec text alone, row by row, with no SQL and no code shared with
the package, so that the two can be compared on many generated datasets.
Tables are lists of dicts with ``datetime.date`` values.
"""

from __future__ import annotations

import datetime as dt
import statistics
from typing import Any

from reference_outcomes import outcomes as outcome_figures

DAY = dt.timedelta(days=1)
REASONS = ("completed", "dropped_out", "terminated", "transferred", "incarcerated", "died", "other")


def intensity_of(code: str) -> float:
    return 1.0 if code == "OTP" else float(code.split("-")[0])


def setting_of(code: str) -> str:
    i = intensity_of(code)
    return "inpatient" if i >= 4 else "residential" if i >= 3 else "ambulatory"


def _median(xs: list[float]) -> float | None:
    return float(statistics.median(xs)) if xs else None


def _rate(num: int, den: int) -> float | None:
    return num / den if den else None


def visible(episodes: list[dict], as_of: dt.date) -> list[dict]:
    out = []
    for e in episodes:
        if e["admit_date"] > as_of:
            continue
        e = dict(e)
        if e["discharge_date"] is not None and e["discharge_date"] > as_of:
            e["discharge_date"] = None
            e["discharge_reason"] = None
        out.append(e)
    return out


def next_episode(e: dict, eps: list[dict], w: int) -> dict | None:
    d = e["discharge_date"]
    cands = [
        n
        for n in eps
        if n["client_id"] == e["client_id"]
        and n["episode_id"] != e["episode_id"]
        and n["admit_date"] > e["admit_date"]
        and n["admit_date"] <= d + w * DAY
        and (n["discharge_date"] is None or n["discharge_date"] >= d)
    ]
    if not cands:
        return None
    cands.sort(key=lambda n: (n["admit_date"], -intensity_of(n["level_of_care"]), n["episode_id"]))
    return cands[0]


def document(
    tables: dict[str, list[dict]],
    *,
    start: dt.date,
    end: dt.date,
    as_of: dt.date,
    levels: tuple[str, ...] = ("2.1",),
    site: str | None = None,
    track: str | None = None,
    window: int = 14,
) -> dict[str, Any]:
    eps = visible(tables["episodes"], as_of)
    by_id = {e["episode_id"]: e for e in eps}
    sessions = [
        s for s in tables["sessions"] if s["session_date"] <= as_of and s["episode_id"] in by_id
    ]
    births = {c["client_id"]: c.get("birth_year") for c in tables["clients"]}

    def in_scope(e: dict) -> bool:
        return (
            e["level_of_care"] in levels
            and (site is None or e["site"] == site)
            and (track is None or e["track"] == track)
        )

    scoped = [e for e in eps if in_scope(e)]
    scoped_ids = {e["episode_id"] for e in scoped}
    dis_in_p = [
        e for e in scoped if e["discharge_date"] is not None and start <= e["discharge_date"] <= end
    ]

    census = {
        "active_at_start": sum(
            1
            for e in scoped
            if e["admit_date"] < start
            and (e["discharge_date"] is None or e["discharge_date"] >= start)
        ),
        "admissions": sum(1 for e in scoped if start <= e["admit_date"] <= end),
        "discharges": len(dis_in_p),
        "active_at_end": sum(
            1
            for e in scoped
            if e["admit_date"] <= end and (e["discharge_date"] is None or e["discharge_date"] > end)
        ),
        "clients_served": len(
            {
                e["client_id"]
                for e in scoped
                if e["admit_date"] <= end
                and (e["discharge_date"] is None or e["discharge_date"] >= start)
            }
        ),
    }

    per = [
        s for s in sessions if s["episode_id"] in scoped_ids and start <= s["session_date"] <= end
    ]
    counts = {
        k: sum(1 for s in per if s["status"] == k)
        for k in ("attended", "no_show", "cancelled_client", "cancelled_program")
    }
    den = counts["attended"] + counts["no_show"] + counts["cancelled_client"]
    attendance = {
        "scheduled": len(per),
        **counts,
        "attendance_rate": _rate(counts["attended"], den),
        "no_show_rate": _rate(counts["no_show"], den),
    }

    hours, meets = [], 0
    day = start
    while day <= end:
        if day.isoweekday() == 7:
            monday = day - 6 * DAY
            for e in scoped:
                if e["admit_date"] <= monday and (
                    e["discharge_date"] is None or e["discharge_date"] >= day
                ):
                    mins = sum(
                        s["attended_minutes"]
                        for s in sessions
                        if s["episode_id"] == e["episode_id"]
                        and s["status"] == "attended"
                        and monday <= s["session_date"] <= day
                    )
                    by = births.get(e["client_id"])
                    threshold = 6 if by is not None and e["admit_date"].year - by < 18 else 9
                    hours.append(mins / 60)
                    meets += mins / 60 >= threshold
        day += DAY
    dosage = {
        "client_weeks": len(hours),
        "client_weeks_meeting_threshold": meets,
        "share_meeting_threshold": _rate(meets, len(hours)),
        "median_hours_per_client_week": _median(hours),
    }

    by_reason = {r: sum(1 for e in dis_in_p if e["discharge_reason"] == r) for r in REASONS}
    discharges = {
        "total": len(dis_in_p),
        "by_reason": by_reason,
        "completion_rate": _rate(by_reason["completed"], len(dis_in_p)),
        "median_length_of_stay_days": _median(
            [(e["discharge_date"] - e["admit_date"]).days + 1 for e in dis_in_p]
        ),
    }

    retention = _retention(scoped, sessions, end=end, as_of=as_of)

    outcomes = dict.fromkeys(("step_down", "step_up", "lateral", "no_next_care", "pending"), 0)
    by_next: dict[str, int] = {}
    gaps = []
    for e in dis_in_p:
        n = next_episode(e, eps, window)
        if n is None:
            key = "no_next_care" if e["discharge_date"] + window * DAY <= as_of else "pending"
        else:
            a, b = intensity_of(e["level_of_care"]), intensity_of(n["level_of_care"])
            key = "step_down" if b < a else "step_up" if b > a else "lateral"
            by_next[n["level_of_care"]] = by_next.get(n["level_of_care"], 0) + 1
            if key == "step_down":
                gaps.append(max(0, (n["admit_date"] - e["discharge_date"]).days))
        outcomes[key] += 1
    transitions = {
        "window_days": window,
        **outcomes,
        "by_next_level": dict(sorted(by_next.items())),
        "median_gap_days_step_down": _median(gaps),
    }

    inflow = dict.fromkeys(("stepped_down_into", "stepped_up_into", "lateral_into", "direct"), 0)
    for a in (e for e in scoped if start <= e["admit_date"] <= end):
        prevs = [
            p
            for p in eps
            if p["discharge_date"] is not None
            and (n := next_episode(p, eps, window)) is not None
            and n["episode_id"] == a["episode_id"]
        ]
        if not prevs:
            inflow["direct"] += 1
            continue
        prevs.sort(
            key=lambda p: (
                -p["discharge_date"].toordinal(),
                -intensity_of(p["level_of_care"]),
                p["episode_id"],
            )
        )
        pi, ai = intensity_of(prevs[0]["level_of_care"]), intensity_of(a["level_of_care"])
        key = "stepped_down_into" if pi > ai else "stepped_up_into" if pi < ai else "lateral_into"
        inflow[key] += 1

    continuity = _continuity(eps, sessions, start=start, end=end, as_of=as_of, site=site)
    outcome = outcome_figures(
        eps,
        sessions,
        tables.get("assessments", []),
        scoped=scoped,
        start=start,
        end=end,
        as_of=as_of,
        instruments=tables.get("instruments"),
    )
    return {
        "census": census,
        "attendance": attendance,
        "dosage": dosage,
        "discharges": discharges,
        "retention": retention,
        "transitions": transitions,
        "inflow": inflow,
        "continuity": continuity,
        "outcomes": outcome,
    }


def km_pairs(scoped: list[dict], *, end: dt.date, as_of: dt.date) -> list[tuple[int, int]]:
    pairs = []
    for e in scoped:
        if not end - 364 * DAY <= e["admit_date"] <= end:
            continue
        if e["discharge_reason"] in ("dropped_out", "terminated"):
            pairs.append(((e["discharge_date"] - e["admit_date"]).days + 1, 1))
        else:
            pairs.append(((as_of - e["admit_date"]).days + 1, 0))
    return pairs


def km(pairs: list[tuple[int, int]], n_days: int) -> float | None:
    """R(N) = product over event times u < N of (1 - d_u / n_u)."""
    if not pairs:
        return None
    r = 1.0
    for u in sorted({t for t, ev in pairs if ev == 1}):
        if u >= n_days:
            break
        n_u = sum(1 for t, _ in pairs if t >= u)
        d_u = sum(1 for t, ev in pairs if t == u and ev == 1)
        r *= 1 - d_u / n_u
    return r


def _retention(scoped, sessions, *, end, as_of) -> dict[str, Any]:
    cohort = [e for e in scoped if end - 364 * DAY <= e["admit_date"] <= end]
    pairs = km_pairs(scoped, end=end, as_of=as_of)
    init_den = init_num = eng_den = eng_num = 0
    for e in cohort:
        attended = sorted(
            s["session_date"]
            for s in sessions
            if s["episode_id"] == e["episode_id"] and s["status"] == "attended"
        )
        a = e["admit_date"]
        first = next((d for d in attended if a <= d <= a + 13 * DAY), None)
        if a + 13 * DAY <= as_of:
            init_den += 1
            init_num += first is not None
        if a + 47 * DAY <= as_of:
            eng_den += 1
            if first is not None:
                further = sum(1 for d in attended if first <= d <= first + 34 * DAY) - 1
                eng_num += further >= 2
    return {
        "cohort_start": (end - 364 * DAY).isoformat(),
        "cohort_end": end.isoformat(),
        "cohort_admissions": len(cohort),
        "day_30": km(pairs, 30),
        "day_60": km(pairs, 60),
        "day_90": km(pairs, 90),
        "initiated_14d": _rate(init_num, init_den),
        "engaged_34d": _rate(eng_num, eng_den),
    }


def _continuity(eps, sessions, *, start, end, as_of, site) -> dict[str, Any]:
    res = [
        e
        for e in eps
        if setting_of(e["level_of_care"]) in ("residential", "inpatient")
        and e["discharge_date"] is not None
        and start <= e["discharge_date"] <= end
        and e["discharge_reason"] != "died"
        and (site is None or e["site"] == site)
    ]
    client_of = {e["episode_id"]: e["client_id"] for e in eps}
    out = dict.fromkeys(("followed_up_7d", "followed_up_14d", "pending_7d", "pending_14d"), 0)
    for e in res:
        d = e["discharge_date"]
        contacts = [
            o["admit_date"]
            for o in eps
            if o["client_id"] == e["client_id"] and o["episode_id"] != e["episode_id"]
        ]
        contacts += [
            s["session_date"]
            for s in sessions
            if s["status"] == "attended"
            and s["episode_id"] != e["episode_id"]
            and client_of[s["episode_id"]] == e["client_id"]
        ]
        for w in (7, 14):
            if d + w * DAY > as_of:
                out[f"pending_{w}d"] += 1
            elif any(d + DAY <= c <= d + w * DAY for c in contacts):
                out[f"followed_up_{w}d"] += 1
    n = len(res)
    return {
        "residential_discharges": n,
        **out,
        "rate_7d": _rate(out["followed_up_7d"], n - out["pending_7d"]),
        "rate_14d": _rate(out["followed_up_14d"], n - out["pending_14d"]),
    }
