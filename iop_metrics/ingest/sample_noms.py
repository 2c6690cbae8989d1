"""The sample's NOMS items (spec/recovery.md, contract table ``noms``), as numpy arrays.

Drawn from their own random stream (``sample.generate`` seeds it from the sample's seed and the
chunk), after every other table of the chunk is made: the clients, episodes, sessions and
scores stay byte for byte what they were without it. Only intensive outpatient episodes have
rows, as only they have scores:

- admission items for about 9 in 10, collected around the admission day;
- discharge items, for an episode with admission items only (a TEDS discharge record completes
  its admission record), for about 9 in 10 completers, half of those who dropped out or were
  terminated, fewer after an incarceration, none after a death; collected around the discharge
  day (a few days later for a drop-out, whose form is closed after they stop coming);
- follow-up attempts in the 1, 3, 6 and 12 month windows (days 15..59, 60..134, 135..269,
  270..455 after discharge), up to a few a window, never after the sample's last day: fewer
  answer as the months pass, a refusal stops later attempts, and a few contacts learn of a
  death, after which no one calls again.

Substance use follows one latent state per episode: not using at admission for a quarter
(more after a residential or detox stay), not using at discharge for about 7 in 10
completers and 3 in 10 who dropped out (more with better attendance), then month by month a
relapse or a return to no use, so no use falls after discharge; those not using answer the
follow-up a little more often (responders differ). Employment, housing, arrests and
self-help move a little with completion. Items are sometimes empty, more at discharge.
Dates are day numbers since ``EPOCH``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..contract import EMPLOYMENTS, LIVING, SELF_HELP, USE_FREQUENCIES
from .sample_model import IOP

# Follow-up windows: (name, first day, last day after discharge), spec recovery.md.
WINDOWS = (("1m", 15, 59), ("3m", 60, 134), ("6m", 135, 269), ("12m", 270, 455))
# Per window: chance anyone tries; chance one attempt reaches a completer / anyone else.
ATTEMPT = (0.96, 0.93, 0.9, 0.87)
REACH_COMPLETER = (0.62, 0.5, 0.44, 0.4)
REACH_OTHER = (0.42, 0.32, 0.27, 0.24)
DECLINE, DEATH = 0.03, 0.003  # per attempt
RELAPSE = (0.05, 0.18, 0.18, 0.18)  # per window: no use -> use (discharge to 1m, then each)
RETURN = 0.06  # per window: use -> no use
ANSWERS = (1.25, 0.75)  # the chance of being reached, times this when not using / using
# Reason index (sample_model.REASONS) -> chance of a discharge row and of no use at discharge.
DISCHARGE_ROW = np.array([0.96, 0.47, 0.58, 0.8, 0.32, 0.0, 0.55])
NO_USE_AT_DISCHARGE = np.array([0.66, 0.22, 0.25, 0.45, 0.3, 0.0, 0.35])
# Empty items: admission, discharge (completer), discharge (anyone else), follow-up.
EMPTY = (0.03, 0.07, 0.22, 0.05)
USING = np.array([0.2, 0.2, 0.22, 0.38])  # 1_3_month, 1_2_week, 3_6_week, daily when using
EMPLOYMENT_P = np.array([0.24, 0.1, 0.38, 0.03, 0.05, 0.12, 0.01, 0.07])  # EMPLOYMENTS order
ADOLESCENT_TRACK = 2


def _pick(rng: np.random.Generator, p: np.ndarray, n: int) -> np.ndarray:
    return rng.choice(len(p), size=n, p=p / p.sum())


def _use(rng: np.random.Generator, abstinent: np.ndarray) -> np.ndarray:
    """Index into USE_FREQUENCIES: 0 (none) when abstinent, else a level of some or daily use."""
    return np.where(abstinent, 0, 1 + _pick(rng, USING, len(abstinent)))


def _items(rng, abstinent, employment, living, arrests, self_help, empty: np.ndarray):
    """The five items of one time point, each empty with chance ``empty`` (per row)."""
    n = len(abstinent)
    return {
        "use": np.where(rng.random(n) < empty, -1, _use(rng, abstinent)),
        "employment": np.where(rng.random(n) < empty, -1, employment),
        "living": np.where(rng.random(n) < empty, -1, living),
        "arrests": np.where(rng.random(n) < empty, -1, arrests),
        "self_help": np.where(rng.random(n) < empty, -1, self_help),
    }


def _move(rng, value: np.ndarray, good: np.ndarray, p_up: Any, p_down: Any, to) -> np.ndarray:
    """Each value turns good (``to[0]``) with chance p_up when not, bad (``to[1]``) with p_down."""
    u = rng.random(len(value))
    return np.where(~good & (u < p_up), to[0], np.where(good & (u < p_down), to[1], value))


def _baseline(rng, n: int, adolescent: np.ndarray, stepped_down: np.ndarray):
    employment = _pick(rng, EMPLOYMENT_P, n)
    employment = np.where(adolescent & (rng.random(n) < 0.85), 4, employment)  # students
    return {
        "abstinent": rng.random(n) < np.where(stepped_down, 0.38, 0.14),
        "employment": employment,
        "living": np.where(adolescent, 1, _pick(rng, np.array([0.13, 0.34, 0.53]), n)),
        "arrests": np.where(rng.random(n) < 0.87, 0, rng.integers(1, 4, size=n)),
        "self_help": np.where(rng.random(n) < 0.68, 0, 1 + _pick(rng, np.ones(4), n)),
    }


def _at_discharge(rng, base, completer: np.ndarray, attend: np.ndarray, reason: np.ndarray):
    n = len(completer)
    p = NO_USE_AT_DISCHARGE[reason] * (0.7 + 0.4 * attend)
    working = np.isin(base["employment"], (0, 1, 4))
    housed = base["living"] > 0
    return {
        "abstinent": (rng.random(n) < p) | (base["abstinent"] & (rng.random(n) < 0.5)),
        "employment": _move(
            rng, base["employment"], working, np.where(completer, 0.22, 0.08), 0.04, (1, 2)
        ),
        "living": _move(
            rng,
            base["living"],
            housed,
            np.where(completer, 0.4, 0.15),
            np.where(completer, 0.01, 0.04),
            (1, 0),
        ),
        "arrests": np.where(
            reason == 4, 1, np.where(rng.random(n) < np.where(completer, 0.97, 0.9), 0, 1)
        ),
        "self_help": np.where(
            rng.random(n) < np.where(completer, 0.62, 0.3), 1 + _pick(rng, np.ones(4), n), 0
        ),
    }


def _contacts(rng, discharge: np.ndarray, completer: np.ndarray, abstinent, end: int):
    """Follow-up attempts of every window: (owner, day, contact code, window, abstinent)."""
    n = len(discharge)
    declined = np.zeros(n, dtype=bool)
    dead = np.zeros(n, dtype=bool)
    state = abstinent.copy()
    out: dict[str, list[np.ndarray]] = {k: [] for k in ("owner", "day", "contact", "window")}
    out["abstinent"] = []
    for w, (_, lo, hi) in enumerate(WINDOWS):
        u = rng.random(n)
        state = np.where(state, u >= RELAPSE[w], u < RETURN)
        tried = ~declined & ~dead & (rng.random(n) < ATTEMPT[w])
        reach = np.where(completer, REACH_COMPLETER[w], REACH_OTHER[w]) * np.where(state, *ANSWERS)
        tries = rng.integers(1, 4, size=n)  # attempts a window at most
        first = discharge + lo + rng.integers(0, 15, size=n)
        outcome = np.full(n, -1)  # -1 none yet, 0 reached, 1 not reached, 2 declined, 3 deceased
        day = first.copy()
        for k in range(3):
            go = tried & (k < tries) & ((outcome == -1) | (outcome == 1)) & (day <= discharge + hi)
            v = rng.random(n)
            this = np.where(
                v < DEATH, 3, np.where(v < DEATH + DECLINE, 2, np.where(v < reach + 0.04, 0, 1))
            )
            keep = go & (day <= end)
            for key, val in (("owner", np.flatnonzero(keep)), ("day", day[keep])):
                out[key].append(val)
            out["contact"].append(this[keep])
            out["window"].append(np.full(int(keep.sum()), w))
            out["abstinent"].append(state[keep])
            outcome = np.where(keep, this, outcome)
            day = day + rng.integers(3, 15, size=n)
        declined |= outcome == 2
        dead |= outcome == 3
    return {k: np.concatenate(v) for k, v in out.items()}


def _noms(rng: np.random.Generator, e, attend: np.ndarray, end: int):
    """Rows of ``noms`` for the chunk's episodes ``e`` (sample_model._pathways) as arrays:
    episode index, time point, day, contact and the items as indexes into the contract's codes
    (-1 empty; arrests is the count itself). ``rng`` is the table's own stream."""
    idx = np.flatnonzero(e["level"] == IOP)
    n = len(idx)
    client = e["client"][idx]
    prev = np.maximum(idx - 1, 0)
    stepped_down = (
        (idx > 0)
        & (e["client"][prev] == client)
        & (e["discharge"][prev] >= e["admit"][idx] - 14)
        & (e["level"][prev] != IOP)
    )
    adolescent = e["track"][idx] == ADOLESCENT_TRACK
    reason = e["reason"][idx]
    closed = ~e["open"][idx]
    completer = closed & (reason == 0)
    base = _baseline(rng, n, adolescent, stepped_down)
    dis = _at_discharge(rng, base, completer, attend[client], reason)
    parts = []
    # admission: 9 in 10, on the day or within a few days either side, never after the end
    admitted = rng.random(n) < 0.92
    has = admitted
    day = np.minimum(e["admit"][idx] + rng.choice([-2, -1, 0, 0, 0, 0, 1, 2, 3], size=n), end)
    items = _items(rng, base["abstinent"], **_rest(base), empty=np.full(n, EMPTY[0]))
    parts.append(_rows(np.flatnonzero(has), 0, day, -1, items))
    # discharge: by reason, and only with an admission record (as in a TEDS submission, whose
    # discharge record completes the admission's); drop-outs' forms a few days later
    has = admitted & closed & (rng.random(n) < DISCHARGE_ROW[reason])
    late = np.where(np.isin(reason, (1, 2)), rng.integers(0, 10, size=n), rng.integers(-2, 1, n))
    day = np.minimum(e["discharge"][idx] + late, end)
    empty = np.where(completer, EMPTY[1], EMPTY[2])
    items = _items(rng, dis["abstinent"], **_rest(dis), empty=empty)
    parts.append(_rows(np.flatnonzero(has), 1, day, -1, items))
    # follow-up: every closed episode that did not end in death
    due = np.flatnonzero(closed & (reason != 5))
    c = _contacts(rng, e["discharge"][idx][due], completer[due], dis["abstinent"][due], end)
    owner = due[c["owner"]]
    later = {k: v[owner] for k, v in _rest(dis).items()}
    m = len(owner)
    later["employment"] = _move(
        rng, later["employment"], np.isin(later["employment"], (0, 1, 4)), 0.1, 0.05, (0, 2)
    )
    later["arrests"] = np.where(rng.random(m) < 0.93, 0, 1)
    later["self_help"] = np.where(rng.random(m) < 0.4, 1 + _pick(rng, np.ones(4), m), 0)
    empty = np.where(c["contact"] == 0, EMPTY[3], 1.0)  # no item unless reached
    items = _items(rng, c["abstinent"], **later, empty=empty)
    parts.append(_rows(owner, 2, c["day"], c["contact"], items))
    rows = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    rows["episode"] = idx[rows["episode"]]
    order = np.lexsort((rows["contact"], rows["day"], rows["time_point"], rows["episode"]))
    return {k: v[order] for k, v in rows.items()}


def _rest(x: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {k: x[k] for k in ("employment", "living", "arrests", "self_help")}


def _rows(owner: np.ndarray, time_point: int, day, contact, items) -> dict[str, np.ndarray]:
    """Rows of one time point: ``owner`` (episode positions), and the per-episode ``day`` and
    ``items`` at those positions (admission, discharge), or already one per row (follow-up)."""
    n = len(owner)
    at = owner if time_point < 2 else np.arange(n)
    return {
        "episode": owner,
        "time_point": np.full(n, time_point),
        "day": day[at],
        "contact": np.broadcast_to(np.asarray(contact), (n,)).copy(),
        **{k: v[at] for k, v in items.items()},
    }


CODES = {
    "time_point": np.array(["admission", "discharge", "follow_up"]),
    "contact": np.array(["reached", "not_reached", "declined", "deceased"]),
    "use": np.array(USE_FREQUENCIES),
    "employment": np.array(EMPLOYMENTS),
    "living": np.array(LIVING),
    "self_help": np.array(SELF_HELP),
}
