"""A synthetic network with a known truth, for the site comparison tests (comparison.md).

Fifteen sites discharge IOP clients in the 12 months to 2026-10-31. Completion follows
logit p = -0.6 + 2.0 court + 0.8 alcohol + 0.3 commercial (+ 1.0 at ``better``, the one site
better for real). ``court`` takes 70% court referrals (the others 10%), so its raw rate is high
for its case mix alone; ``small`` has 15 discharges; payer ``self_pay`` occurs 5 times in the
network (rare) and substance ``sedatives`` 30 times, every one completed (separated).

Outcomes (outcomes.md): each episode has two attended group sessions (a course of treatment;
every 13th has one, so it is no course) and a PHQ-9 at admission and at discharge (every 10th
only at admission: not paired). Reliable improvement follows logit p = -0.3 + 1.6 court + 0.6
alcohol (+ 1.3 at ``better``) over every paired course; 80% of courses are a case at start, and
of those recovery follows logit p = -0.6 + 1.6 court (+ 1.2 at ``better``). The scores are
picked to give exactly the drawn flags (PHQ-9: case at 10, reliable change 6). The outcome draws
have their own random stream, so completion is the same with or without them.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
from helpers import write_dataset

SIZES = {"better": 300, "court": 300, "small": 15} | {f"s{i:02d}": 300 for i in range(1, 13)}
END = dt.date(2026, 10, 31)


def tables(seed: int = 7, *, sizes: dict[str, int] | None = None, site_sd: float = 0.0) -> dict:
    """Contract rows of the network (``site_sd`` > 0 adds random site effects, for tau2)."""
    rng = np.random.default_rng(seed)
    sizes = sizes or SIZES
    out_rng = np.random.default_rng([seed, 14])
    clients, episodes, sessions, assessments = [], [], [], []
    sedatives_left, self_pay_left = 30, 5
    k = 0
    for site in sorted(sizes):
        effect = 1.0 if site == "better" else rng.normal(0, site_sd) if site_sd else 0.0
        court_share = 0.7 if site == "court" else 0.1
        for _ in range(sizes[site]):
            k += 1
            court = rng.random() < court_share
            referral = "court" if court else str(rng.choice(["self", "provider", "family"]))
            substance = str(rng.choice(["alcohol", "opioids", "stimulants"]))
            payer = str(rng.choice(["medicaid", "commercial"]))
            if sedatives_left and k % 7 == 3:
                substance, sedatives_left = "sedatives", sedatives_left - 1
            if self_pay_left and k % 11 == 5:
                payer, self_pay_left = "self_pay", self_pay_left - 1
            eta = -0.6 + 2.0 * court + 0.8 * (substance == "alcohol")
            eta += 0.3 * (payer == "commercial") + effect
            done = substance == "sedatives" or rng.random() < 1 / (1 + math.exp(-eta))
            discharge = END - dt.timedelta(days=int(rng.integers(0, 360)))
            admit = discharge - dt.timedelta(days=int(rng.integers(20, 80)))
            cid = f"c{k:05d}"
            clients.append(
                {
                    "client_id": cid,
                    "birth_year": int(rng.integers(1950, 2005)),
                    "sex": str(rng.choice(["F", "M"])),
                    "primary_substance": substance,
                    "payer": payer,
                    "referral_source": referral,
                }
            )
            episodes.append(
                {
                    "episode_id": f"e{k:05d}",
                    "client_id": cid,
                    "site": site,
                    "level_of_care": "2.1",
                    "admit_date": admit.isoformat(),
                    "discharge_date": discharge.isoformat(),
                    "discharge_reason": "completed" if done else "dropped_out",
                }
            )
            sessions += outcome_sessions(k, admit)
            good = {"court": court, "alcohol": substance == "alcohol", "better": site == "better"}
            assessments += outcome_scores(out_rng, k, admit, discharge, **good)
    return {
        "clients": clients,
        "episodes": episodes,
        "sessions": sessions,
        "assessments": assessments,
    }


def expit(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def outcome_sessions(k: int, admit: dt.date) -> list[dict]:
    """Two attended group sessions on days 1 and 8 (one only for every 13th episode)."""
    days = (1,) if k % 13 == 0 else (1, 8)
    return [
        {
            "session_id": f"s{k:05d}-{d}",
            "episode_id": f"e{k:05d}",
            "session_date": (admit + dt.timedelta(days=d)).isoformat(),
            "service_type": "group",
            "scheduled_minutes": 180,
            "status": "attended",
        }
        for d in days
    ]


# (first, last) PHQ-9 per (case at start, reliably improved, recovered)
SCORES = {
    (True, True, True): (16, 6),
    (True, True, False): (20, 12),
    (True, False, True): (11, 8),
    (True, False, False): (14, 13),
    (False, True, False): (7, 0),
    (False, False, False): (7, 5),
}


def outcome_scores(
    rng, k: int, admit: dt.date, discharge: dt.date, *, court: bool, alcohol: bool, better: bool
) -> list[dict]:
    """PHQ-9 at admission and at discharge whose change gives the planted flags."""
    case = bool(rng.random() < 0.8)
    improved = bool(rng.random() < expit(-0.3 + 1.6 * court + 0.6 * alcohol + 1.3 * better))
    recovered = case and bool(rng.random() < expit(-0.6 + 1.6 * court + 1.2 * better))
    first, last = SCORES[(case, improved, recovered)]
    rows = [(admit, first)] if k % 10 == 0 else [(admit, first), (discharge, last)]
    return [
        {"episode_id": f"e{k:05d}", "assessed_on": d.isoformat(), "instrument": "PHQ-9",
         "score": s}
        for d, s in rows
    ]  # fmt: skip


def write(folder: Path, seed: int = 7, **kw) -> Path:
    return write_dataset(folder, tables(seed, **kw))
