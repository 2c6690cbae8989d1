"""A synthetic network with a known truth, for the site comparison tests (comparison.md).

Fifteen sites discharge IOP clients in the 12 months to 2026-10-31. Completion follows
logit p = -0.6 + 2.0 court + 0.8 alcohol + 0.3 commercial (+ 1.0 at ``better``, the one site
better for real). ``court`` takes 70% court referrals (the others 10%), so its raw rate is high
for its case mix alone; ``small`` has 15 discharges; payer ``self_pay`` occurs 5 times in the
network (rare) and substance ``sedatives`` 30 times, every one completed (separated).
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
    clients, episodes = [], []
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
    return {"clients": clients, "episodes": episodes, "sessions": []}


def write(folder: Path, seed: int = 7, **kw) -> Path:
    return write_dataset(folder, tables(seed, **kw))
