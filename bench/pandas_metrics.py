"""The JSON figures of metrics.md in vectorized pandas: the baseline the benchmark compares with.

Written from the spec, independently of the SQL; the benchmark also checks that both agree.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

REASONS = ("completed", "dropped_out", "terminated", "transferred", "incarcerated", "died", "other")
DAY = pd.Timedelta(days=1)


def _rate(n: int, d: int) -> float | None:
    return float(n) / d if d else None


def _median(s: pd.Series) -> float | None:
    return float(s.median()) if len(s) else None


def _next(discharged: pd.DataFrame, visible: pd.DataFrame, w: int) -> pd.DataFrame:
    m = discharged[["episode_id", "client_id", "admit_date", "discharge_date", "intensity"]].merge(
        visible[
            [
                "episode_id",
                "client_id",
                "admit_date",
                "discharge_date",
                "intensity",
                "level_of_care",
            ]
        ],
        on="client_id",
        suffixes=("", "_n"),
    )
    m = m[
        (m.episode_id_n != m.episode_id)
        & (m.admit_date_n > m.admit_date)
        & (m.admit_date_n <= m.discharge_date + w * DAY)
        & (m.discharge_date_n.isna() | (m.discharge_date_n >= m.discharge_date))
    ]
    m = m.sort_values(
        ["episode_id", "admit_date_n", "intensity_n", "episode_id_n"],
        ascending=[True, True, False, True],
    )
    return m.drop_duplicates("episode_id")


def document(
    t: dict[str, pd.DataFrame],
    start: dt.date,
    end: dt.date,
    as_of: dt.date,
    levels: tuple[str, ...] = ("2.1",),
    window: int = 14,
) -> dict[str, Any]:
    s0, s1, ao = pd.Timestamp(start), pd.Timestamp(end), pd.Timestamp(as_of)
    ep = t["episodes"][t["episodes"].admit_date <= ao].copy()
    late = ep.discharge_date > ao
    ep["discharge_date"] = ep.discharge_date.mask(late)
    ep["discharge_reason"] = ep.discharge_reason.mask(late)
    lv = t["levels_of_care"].rename(columns={"code": "level_of_care"})
    ep = ep.merge(lv[["level_of_care", "intensity", "setting"]], on="level_of_care")
    ses = t["sessions"][t["sessions"].session_date <= ao]
    sc = ep[ep.level_of_care.isin(levels)]
    dd = sc.discharge_date
    census = {
        "active_at_start": int(((sc.admit_date < s0) & (dd.isna() | (dd >= s0))).sum()),
        "admissions": int(sc.admit_date.between(s0, s1).sum()),
        "discharges": int(dd.between(s0, s1).sum()),
        "active_at_end": int(((sc.admit_date <= s1) & (dd.isna() | (dd > s1))).sum()),
        "clients_served": int(
            sc[(sc.admit_date <= s1) & (dd.isna() | (dd >= s0))].client_id.nunique()
        ),
    }
    per = ses[ses.session_date.between(s0, s1) & ses.episode_id.isin(sc.episode_id)]
    vc = per.status.value_counts()
    counts = {
        k: int(vc.get(k, 0))
        for k in ("attended", "no_show", "cancelled_client", "cancelled_program")
    }
    den = counts["attended"] + counts["no_show"] + counts["cancelled_client"]
    attendance = {
        "scheduled": len(per),
        **counts,
        "attendance_rate": _rate(counts["attended"], den),
        "no_show_rate": _rate(counts["no_show"], den),
    }

    # Dosage
    sundays = [d for d in pd.date_range(s0, s1) if d.isoweekday() == 7]
    births = t["clients"].set_index("client_id").birth_year
    weeks = []
    for sun in sundays:
        mon = sun - 6 * DAY
        e = sc[(sc.admit_date <= mon) & (sc.discharge_date.isna() | (sc.discharge_date >= sun))]
        weeks.append(
            pd.DataFrame(
                {
                    "episode_id": e.episode_id.values,
                    "monday": mon,
                    "client_id": e.client_id.values,
                    "admit_year": e.admit_date.dt.year.values,
                }
            )
        )
    cw = pd.concat(weeks) if weeks else pd.DataFrame(columns=["episode_id", "monday"])
    att = ses[(ses.status == "attended") & ses.episode_id.isin(cw.episode_id)]
    att = att.assign(
        monday=att.session_date - pd.to_timedelta(att.session_date.dt.weekday, unit="D")
    )
    mins = att.groupby(["episode_id", "monday"]).attended_minutes.sum().rename("m").reset_index()
    cw = cw.merge(mins, on=["episode_id", "monday"], how="left")
    hours = cw.m.fillna(0) / 60
    age = cw.admit_year - cw.client_id.map(births)
    threshold = np.where((age < 18).fillna(False).astype(bool), 6, 9)
    meets = int((hours >= threshold).sum())
    dosage = {
        "client_weeks": len(cw),
        "client_weeks_meeting_threshold": meets,
        "share_meeting_threshold": _rate(meets, len(cw)),
        "median_hours_per_client_week": _median(hours),
    }

    dis = sc[dd.between(s0, s1)]
    by_reason = {r: int((dis.discharge_reason == r).sum()) for r in REASONS}
    discharges = {
        "total": len(dis),
        "by_reason": by_reason,
        "completion_rate": _rate(by_reason["completed"], len(dis)),
        "median_length_of_stay_days": _median((dis.discharge_date - dis.admit_date).dt.days + 1),
    }

    # Retention
    co = sc[sc.admit_date.between(s1 - 364 * DAY, s1)]
    ev = co.discharge_reason.isin(["dropped_out", "terminated"])
    tt = np.where(
        ev, (co.discharge_date - co.admit_date).dt.days + 1, (ao - co.admit_date).dt.days + 1
    )
    km = pd.DataFrame({"t": tt, "e": ev.astype(int).values})
    g = km.groupby("t").agg(d=("e", "sum"), n_leave=("e", "size")).sort_index()
    g["n"] = g.n_leave[::-1].cumsum()[::-1]
    g = g[g.d > 0]

    def r_at(n: int) -> float | None:
        if km.empty:
            return None
        x = g[g.index < n]
        return float(np.prod(1 - x.d / x.n)) if len(x) else 1.0

    a = ses[(ses.status == "attended") & ses.episode_id.isin(co.episode_id)].merge(
        co[["episode_id", "admit_date"]], on="episode_id"
    )
    first = (
        a[(a.session_date >= a.admit_date) & (a.session_date <= a.admit_date + 13 * DAY)]
        .groupby("episode_id")
        .session_date.min()
        .rename("f")
    )
    a = a.merge(first, on="episode_id")
    further = (
        a[(a.session_date >= a.f) & (a.session_date <= a.f + 34 * DAY)].groupby("episode_id").size()
        - 1
    )
    init_el = co[co.admit_date + 13 * DAY <= ao]
    eng_el = co[co.admit_date + 47 * DAY <= ao]
    retention = {
        "cohort_start": (end - dt.timedelta(days=364)).isoformat(),
        "cohort_end": end.isoformat(),
        "cohort_admissions": len(co),
        "day_30": r_at(30),
        "day_60": r_at(60),
        "day_90": r_at(90),
        "initiated_14d": _rate(int(init_el.episode_id.isin(first.index).sum()), len(init_el)),
        "engaged_34d": _rate(
            int(eng_el.episode_id.isin(further[further >= 2].index).sum()), len(eng_el)
        ),
    }

    nx = _next(dis, ep, window).set_index("episode_id")
    out = dis.set_index("episode_id").join(
        nx[["intensity_n", "level_of_care", "admit_date_n"]], rsuffix="_to"
    )
    has = out.intensity_n.notna()
    passed = out.discharge_date + window * DAY <= ao
    outcome = np.select(
        [~has & passed, ~has, out.intensity_n < out.intensity, out.intensity_n > out.intensity],
        ["no_next_care", "pending", "step_down", "step_up"],
        "lateral",
    )
    gaps = ((out.admit_date_n - out.discharge_date).dt.days.clip(lower=0))[outcome == "step_down"]
    transitions = {
        "window_days": window,
        **{
            k: int((outcome == k).sum())
            for k in ("step_down", "step_up", "lateral", "no_next_care", "pending")
        },
        "by_next_level": {
            k: int(v) for k, v in out.level_of_care_to.value_counts().sort_index().items()
        },
        "median_gap_days_step_down": _median(gaps),
    }

    allnext = _next(ep[ep.discharge_date.notna()], ep, window)
    adm = sc[sc.admit_date.between(s0, s1)]
    prev = (
        allnext[allnext.episode_id_n.isin(adm.episode_id)]
        .sort_values(
            ["episode_id_n", "discharge_date", "intensity", "episode_id"],
            ascending=[True, False, False, True],
        )
        .drop_duplicates("episode_id_n")
    )
    pi = adm.episode_id.map(prev.set_index("episode_id_n").intensity)
    inflow = {
        "stepped_down_into": int((pi > adm.intensity).sum()),
        "stepped_up_into": int((pi < adm.intensity).sum()),
        "lateral_into": int((pi == adm.intensity).sum()),
        "direct": int(pi.isna().sum()),
    }

    res = ep[
        ep.setting.isin(["residential", "inpatient"])
        & ep.discharge_date.between(s0, s1)
        & (ep.discharge_reason != "died")
    ]
    contacts = pd.concat(
        [
            ep[["client_id", "episode_id", "admit_date"]].rename(columns={"admit_date": "c"}),
            ses[ses.status == "attended"]
            .merge(ep[["episode_id", "client_id"]], on="episode_id")[
                ["client_id", "episode_id", "session_date"]
            ]
            .rename(columns={"session_date": "c"}),
        ]
    )
    m = res[["episode_id", "client_id", "discharge_date"]].merge(
        contacts, on="client_id", suffixes=("", "_o")
    )
    m = m[(m.episode_id_o != m.episode_id) & (m.c > m.discharge_date)]
    first_c = (
        m.groupby("episode_id").c.min() - m.groupby("episode_id").discharge_date.first()
    ).dt.days
    gap = res.episode_id.map(first_c)
    cont: dict[str, Any] = {"residential_discharges": len(res)}
    for w in (7, 14):
        pend = res.discharge_date + w * DAY > ao
        cont[f"followed_up_{w}d"] = int(((gap <= w) & ~pend).sum())
        cont[f"pending_{w}d"] = int(pend.sum())
    cont["followed_up_7d"], cont["followed_up_14d"] = (
        cont.pop("followed_up_7d"),
        cont.pop("followed_up_14d"),
    )
    order = [
        "residential_discharges",
        "followed_up_7d",
        "followed_up_14d",
        "pending_7d",
        "pending_14d",
    ]
    cont = {k: cont[k] for k in order}
    cont["rate_7d"] = _rate(cont["followed_up_7d"], len(res) - cont["pending_7d"])
    cont["rate_14d"] = _rate(cont["followed_up_14d"], len(res) - cont["pending_14d"])
    return {
        "census": census,
        "attendance": attendance,
        "dosage": dosage,
        "discharges": discharges,
        "retention": retention,
        "transitions": transitions,
        "inflow": inflow,
        "continuity": cont,
    }
