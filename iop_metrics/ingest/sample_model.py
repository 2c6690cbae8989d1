"""The sample's simulated treatment, as numpy arrays (no per-client Python loop): each client's
pathway of episodes through the levels of care, the sessions of each episode by its track's
weekly schedule, and the PHQ-9 / GAD-7 scores. Dates are day numbers since ``EPOCH``;
``sample.generate`` turns the arrays into tables and writes them.
"""

from __future__ import annotations

import numpy as np

EPOCH = np.datetime64("1970-01-01", "D")
# Per track: weekday (Mon=0) -> (service_type, minutes)
SCHEDULES = {
    "adult-day": {
        0: ("group", 180),
        1: ("individual", 50),
        2: ("psychoeducation", 180),
        3: ("peer_support", 60),
        4: ("skills", 180),
    },
    "adult-evening": {
        0: ("group", 180),
        1: ("skills", 180),
        2: ("individual", 50),
        3: ("psychoeducation", 180),
        4: ("case_management", 30),
    },
    "adolescent": {
        0: ("group", 120),
        1: ("family", 60),
        2: ("skills", 120),
        3: ("psychoeducation", 120),
    },
    "php": {
        0: ("group", 300),
        1: ("group", 300),
        2: ("psychoeducation", 300),
        3: ("skills", 300),
        4: ("group", 300),
    },
    "op": {1: ("group", 90), 3: ("individual", 50)},
}


STATUS_NAMES = np.array(["attended", "no_show", "cancelled_client", "cancelled_program"])


def _d(x: np.ndarray) -> np.ndarray:
    return x.astype("int64")


class _Episodes:
    """Column arrays of episodes under construction (dates as day numbers)."""

    def __init__(self) -> None:
        self.cols: dict[str, list[np.ndarray]] = {
            k: [] for k in ("client", "level", "admit", "discharge", "reason", "track", "site")
        }

    def add(self, client, level, admit, discharge, reason, track, site) -> None:
        n = len(client)
        for k, v in zip(
            self.cols, (client, level, admit, discharge, reason, track, site), strict=True
        ):
            self.cols[k].append(np.broadcast_to(np.asarray(v), (n,)).copy())

    def arrays(self) -> dict[str, np.ndarray]:
        return {k: np.concatenate(v) for k, v in self.cols.items()}


REASONS = np.array(
    ["completed", "dropped_out", "terminated", "transferred", "incarcerated", "died", "other"]
)


LEVELS = np.array(["3.7-WM", "3.5", "2.5", "2.1", "1.0"])
WM, RES, PHP, IOP, OP = range(5)


def _stay(rng, n, p_reason, los_complete, los_drop_mean, los_other):
    reason = rng.choice(len(REASONS), size=n, p=p_reason)
    los = np.where(
        reason == 0,
        rng.integers(*los_complete, size=n),
        np.where(
            reason <= 2,
            1 + rng.geometric(1 / los_drop_mean, size=n),
            rng.integers(*los_other, size=n),
        ),
    )
    return reason, los


def _pathways(rng: np.random.Generator, ids: np.ndarray, start: int, end: int, n_sites: int):
    n = len(ids)
    ep = _Episodes()
    site = rng.integers(0, n_sites, size=n)
    adolescent = rng.random(n) < 0.12
    track = np.where(adolescent, 2, np.where(rng.random(n) < 0.6, 0, 1))
    t = rng.integers(start - 120, end + 1, size=n)
    entry = rng.choice(5, size=n, p=[0.14, 0.14, 0.30, 0.22, 0.20])  # wm+res, wm, res, php, direct
    alive = np.ones(n, dtype=bool)
    none_track = np.full(n, -1)

    def stage(mask, level, p_reason, los_c, los_d, los_o, trk=none_track):
        nonlocal t
        idx = np.flatnonzero(mask & alive)
        reason, los = _stay(rng, len(idx), p_reason, los_c, los_d, los_o)
        ep.add(idx, level, t[idx], t[idx] + los - 1, reason, trk[idx], site[idx])
        t = t.copy()
        t[idx] = t[idx] + los - 1
        alive[idx] = reason == 0
        return idx, reason

    stage(
        (entry == 0) | (entry == 1), WM, [0.85, 0.1, 0.0, 0.03, 0.0, 0.0, 0.02], (3, 8), 3, (2, 6)
    )
    gap = rng.geometric(0.5, size=n) - 1
    t = t + np.where(entry <= 2, gap, 0)
    stage(
        (entry == 0) | (entry == 2),
        RES,
        [0.78, 0.12, 0.04, 0.03, 0.01, 0.0, 0.02],
        (21, 36),
        8,
        (7, 30),
    )
    # Hand-off into IOP: most within days, some the day before, some never arrive.
    arrive = rng.random(n) < np.where(entry == 4, 1.0, 0.9)
    handoff = np.where(rng.random(n) < 0.12, -1, rng.geometric(0.3, size=n) - 1)
    t = t + np.where(entry == 4, 0, handoff)
    alive &= arrive
    stage(entry == 3, PHP, [0.8, 0.12, 0.03, 0.03, 0.0, 0.0, 0.02], (10, 21), 6, (5, 15))
    t = t + np.where(entry == 3, rng.geometric(0.4, size=n), 0)
    p_iop = [0.5, 0.25, 0.08, 0.09, 0.02, 0.005, 0.055]
    idx, reason = stage(alive.copy(), IOP, p_iop, (56, 85), 16, (10, 60), track)
    # After IOP: completers step down to outpatient; some others step up.
    after = np.zeros(n, dtype=int)  # 0 nothing, 1 OP, 2 step-up
    after[idx] = np.where(
        reason == 0,
        np.where(rng.random(len(idx)) < 0.75, 1, 0),
        np.where(rng.random(len(idx)) < 0.12, 2, 0),
    )
    alive[:] = after > 0
    t = t + np.where(
        rng.random(n) < 0.85, rng.integers(1, 12, size=n), rng.integers(15, 40, size=n)
    )
    stage(after == 1, OP, [0.7, 0.2, 0.02, 0.04, 0.01, 0.0, 0.03], (30, 120), 20, (10, 60))
    up = after == 2
    lvl_up = np.where(rng.random(n) < 0.6, PHP, RES)
    for lvl in (PHP, RES):
        stage(
            up & (lvl_up == lvl),
            lvl,
            [0.75, 0.15, 0.05, 0.03, 0.0, 0.0, 0.02],
            (12, 30),
            6,
            (5, 20),
        )
    # Readmission to IOP for some, months later.
    alive[:] = rng.random(n) < 0.08
    t = t + rng.integers(60, 200, size=n)
    stage(alive.copy(), IOP, p_iop, (56, 85), 12, (10, 60), track)
    e = ep.arrays()
    keep = e["admit"] <= end
    e = {k: v[keep] for k, v in e.items()}
    order = np.lexsort((e["admit"], e["client"]))
    e = {k: v[order] for k, v in e.items()}
    e["open"] = e["discharge"] > end
    age = np.where(adolescent, rng.integers(14, 18, size=n), rng.integers(18, 71, size=n))
    first_admit = np.full(n, end)
    np.minimum.at(first_admit, e["client"], e["admit"])
    birth_year = (EPOCH + first_admit).astype("datetime64[Y]").astype(int) + 1970 - age
    return e, birth_year, site


def _expand(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each [start, end] day range: (owner index, day) for every day in it."""
    lens = np.maximum(ends - starts + 1, 0)
    owner = np.repeat(np.arange(len(starts)), lens)
    offs = np.arange(lens.sum()) - np.repeat(np.cumsum(lens) - lens, lens)
    return owner, starts[owner] + offs


def _schedule_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    services = np.array(
        sorted({s for sch in SCHEDULES.values() for s, _ in sch.values()} | {"assessment"})
    )
    svc = np.full((len(SCHEDULES), 7), -1)
    mins = np.zeros((len(SCHEDULES), 7), dtype=np.int64)
    for i, sch in enumerate(SCHEDULES.values()):
        for wd, (s, m) in sch.items():
            svc[i, wd] = int(np.searchsorted(services, s))
            mins[i, wd] = m
    return services, svc, mins


def _sessions(rng, e, client_attend, end: int, holidays: np.ndarray, storm: np.ndarray):
    services, svc_tab, min_tab = _schedule_tables()
    level = e["level"]
    key = np.where(
        level == IOP, e["track"], np.where(level == PHP, 3, np.where(level == OP, 4, -1))
    )
    has = np.flatnonzero(key >= 0)
    last = np.minimum(e["discharge"][has], end)
    owner, day = _expand(e["admit"][has], last)
    owner = has[owner]
    wd = (day + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
    svc = svc_tab[key[owner], wd]
    minutes = min_tab[key[owner], wd]
    intake = day == e["admit"][owner]
    open_day = ~np.isin(day, holidays)
    keep = (svc >= 0) & open_day
    # An intake assessment on the day of admission, beside the day's scheduled service.
    i_owner, i_day = owner[intake & open_day], day[intake & open_day]
    assess = int(np.searchsorted(services, "assessment"))
    owner = np.concatenate([i_owner, owner[keep]])
    day = np.concatenate([i_day, day[keep]])
    svc = np.concatenate([np.full(len(i_owner), assess), svc[keep]])
    minutes = np.concatenate([np.full(len(i_owner), 60), minutes[keep]])
    order = np.lexsort((svc, day, owner))
    owner, day, svc, minutes = owner[order], day[order], svc[order], minutes[order]
    n = len(owner)
    p = client_attend[e["client"][owner]]
    leaving = np.isin(e["reason"][owner], (1, 2)) & ~e["open"][owner]
    to_end = e["discharge"][owner] - day
    p = np.where(leaving, p * np.clip(0.3 + 0.7 * to_end / 21, 0.3, 1.0), p)
    p = np.where(svc == assess, 0.97, p)
    u = rng.random(n)
    status = np.where(u < p, 0, np.where(rng.random(n) < 0.7, 1, 2))
    status = np.where(rng.random(n) < 0.015, 3, status)
    late = (status == 0) & (rng.random(n) < 0.08)
    attended = np.where(late, np.maximum(minutes - rng.integers(10, 61, size=n), 1), -1)
    attended = np.where((status > 0) & (rng.random(n) < 0.3), 0, attended)
    week = (day + 3) // 7
    site = e["site"][owner]
    tele = np.isin(site * 100_000 + week, storm) | (
        np.isin(services[svc], ("individual", "family")) & (rng.random(n) < 0.2)
    )
    return {
        "episode": owner,
        "session_date": day,
        "service_type": services[svc],
        "scheduled_minutes": minutes,
        "status": np.array(["attended", "no_show", "cancelled_client", "cancelled_program"])[
            status
        ],
        "attended_minutes": attended,
        "telehealth": tele,
    }


# Outcome scores (spec outcomes.md): baseline mean and SD, the fall per 30 days for a client who
# attends every session, and the top of the range.
SCORE_MODEL = (("PHQ-9", 13.5, 4.5, 7.0, 27), ("GAD-7", 11.5, 4.0, 5.5, 21))


def _assessments(rng, e, attend: np.ndarray, end: int):
    """PHQ-9 and GAD-7 (and BAM-use for a third) for most IOP admissions: at intake (day 0..3),
    then every 14..28 days (some follow-ups missed), and at discharge for most who complete.
    Scores fall faster with attendance and over a longer stay; about 1 in 20 gets worse and
    1 in 4 barely moves.
    ``rng`` is the assessments' own stream: the other tables do not depend on it."""
    idx = np.flatnonzero(e["level"] == IOP)
    idx = idx[rng.random(len(idx)) < 0.9]  # measured at intake
    last = np.minimum(e["discharge"][idx], end)
    step = rng.integers(14, 29, size=len(idx))
    start = e["admit"][idx] + rng.integers(0, 4, size=len(idx))
    start = np.minimum(start, last)
    count = (last - start) // step + 1
    local = np.repeat(np.arange(len(idx)), count)
    k = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    day = start[local] + step[local] * k
    keep = (k == 0) | (rng.random(len(local)) < 0.8)  # some follow-ups are missed
    completer = (e["reason"][idx] == 0) & ~e["open"][idx]
    at_end = np.flatnonzero(completer & (rng.random(len(idx)) < 0.75) & (last > start))
    local = np.concatenate([local[keep], at_end])
    day = np.concatenate([day[keep], last[at_end]])
    elapsed = (day - start[local]) / 30.0
    p = attend[e["client"][idx]]
    # About 1 in 20 gets worse (u < 0.05) and 1 in 4 barely moves (0.10 <= u < 0.35: a tenth of
    # the pace); the rest improve with attendance, completers faster. Reliable improvement is
    # then 56-71% in every quarter of the sample (NHS Talking Therapies: 67%).
    u = rng.random(len(idx))
    gain = (p**2) * np.where(completer, 1.0, 0.6)
    pace = np.where(u < 0.05, -0.35, np.where((u >= 0.10) & (u < 0.35), 0.1, gain))
    out: dict[str, list[np.ndarray]] = {"episode": [], "assessed_on": [], "instrument": []}
    out["score"] = []
    models = [*SCORE_MODEL, ("BAM-use", 18.0, 9.0, 7.0, 90)]
    bam = rng.random(len(idx)) < 0.35
    for name, mean, sd, drop, top in models:
        base = rng.normal(mean, sd, size=len(idx))
        rows = np.flatnonzero(bam[local]) if name == "BAM-use" else np.arange(len(local))
        owner = local[rows]
        score = base[owner] - elapsed[rows] * drop * pace[owner]
        score = score + rng.normal(0, 1.5, size=len(rows))
        out["episode"].append(idx[owner])
        out["assessed_on"].append(day[rows])
        out["instrument"].append(np.full(len(rows), name))
        out["score"].append(np.clip(np.rint(score), 0, top).astype(np.int64))
    return {k: np.concatenate(v) for k, v in out.items()}
