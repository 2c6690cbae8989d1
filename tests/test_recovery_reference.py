"""The recovery SQL (noms, follow_up) against the plain-Python reading of recovery.md
(reference_recovery.py) on random data, the long way (from the noms rows) and from the derived
tables load builds (episode_noms, episode_follow_up); row-order invariance and as-of stability.

Few examples (55 in all, ~0.1 s each), each dense: up to ten episodes, and four contact draws
in five on a window's first or last day or the day beside it, so that moving a window boundary
by one day fails in about half the runs (in one in six with sparser data and twice the examples)."""

from __future__ import annotations

import datetime as dt
import random

import pytest
import reference_recovery as ref
from helpers import memory_db
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iop_metrics.compute.query import Query, Scope
from iop_metrics.compute.recovery import follow_up, noms
from iop_metrics.periods import month, quarter

P_END = dt.date(2026, 3, 31)
REASONS = ["completed", "completed", "dropped_out", "transferred", "died", "terminated"]
ITEMS = {
    "use_frequency": ["none", "1_3_month", "1_2_week", "3_6_week", "daily"],
    "employment": ["full_time", "part_time", "unemployed", "student", "homemaker", "institution"],
    "living": ["homeless", "dependent", "independent"],
    "arrests": [0, 0, 1, 2, 96],
    "self_help": ["none", "1_3", "4_7", "8_30", "some"],
}
BOUNDARIES = [14, 15, 59, 60, 134, 135, 269, 270, 455, 456]
CONTACTS = ["reached", "reached", "not_reached", "declined", "deceased"]


def _items(draw) -> dict:
    return {k: draw(st.sampled_from([None, *v])) for k, v in ITEMS.items()}


@st.composite
def datasets(draw) -> dict[str, list[dict]]:
    t: dict[str, list[dict]] = {"clients": [], "episodes": [], "noms": []}
    for k in range(draw(st.integers(2, 10))):
        eid = f"E{k}"
        t["clients"].append({"client_id": f"C{k}", "birth_year": 1980})
        ago = draw(st.one_of(st.integers(-60, 520), st.sampled_from([0, 1, 30, 90, 455, 456])))
        discharged = P_END - dt.timedelta(days=ago)
        los = draw(st.integers(1, 90))
        admitted = discharged - dt.timedelta(days=los)
        open_ = draw(st.integers(0, 5)) == 0
        t["episodes"].append(
            {
                "episode_id": eid,
                "client_id": f"C{k}",
                "site": draw(st.sampled_from(["main", "north"])),
                "level_of_care": draw(st.sampled_from(["2.1", "2.1", "2.5", "3.5"])),
                "track": draw(st.sampled_from([None, "adult-day"])),
                "admit_date": admitted,
                "discharge_date": None if open_ else discharged,
                "discharge_reason": None if open_ else draw(st.sampled_from(REASONS)),
            }
        )
        if draw(st.booleans()):
            on = admitted + dt.timedelta(days=draw(st.integers(-30, 30)))
            t["noms"].append(_row(eid, "admission", on, None, _items(draw)))
        if open_:
            continue
        if draw(st.booleans()):
            on = discharged + dt.timedelta(days=draw(st.integers(-30, 30)))
            t["noms"].append(_row(eid, "discharge", on, None, _items(draw)))
        reached_on: set[dt.date] = set()
        for _ in range(draw(st.integers(0, 6))):
            near = st.sampled_from(BOUNDARIES)  # four draws in five on a boundary
            day = draw(st.one_of(st.integers(1, 480), near, near, near, near))
            on = discharged + dt.timedelta(days=day)
            contact = draw(st.sampled_from(CONTACTS))
            if contact == "reached" and on in reached_on:
                continue  # two reached rows of one episode on one date: a contract error
            if contact == "reached":
                reached_on.add(on)
            items = _items(draw) if contact == "reached" else dict.fromkeys(ITEMS)
            t["noms"].append(_row(eid, "follow_up", on, contact, items))
    return t


def _row(eid: str, time_point: str, on: dt.date, contact: str | None, items: dict) -> dict:
    return {
        "episode_id": eid,
        "time_point": time_point,
        "collected_on": on,
        "contact": contact,
        **items,
    }


def _close(a, b, path="") -> None:
    if isinstance(b, dict):
        assert set(a) == set(b), path
        for k in b:
            _close(a[k], b[k], f"{path}.{k}")
    elif isinstance(b, float):
        assert a == pytest.approx(b, rel=1e-12, abs=1e-12), path
    else:
        assert a == b and type(a) is type(b), f"{path}: {a!r} != {b!r}"


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    tables=datasets(),
    as_of_extra=st.sampled_from([0, 0, 1, 5, 30, 60]),
    levels=st.sampled_from([("2.1",), ("2.1", "2.5"), None]),
    site=st.sampled_from([None, None, "main"]),
    track=st.sampled_from([None, None, "adult-day"]),
    kind=st.sampled_from(["month", "month", "quarter"]),
)
def test_sql_matches_the_plain_python_reference(tables, as_of_extra, levels, site, track, kind):
    period = month(2026, 3) if kind == "month" else quarter(2026, 1)
    as_of = period.end + dt.timedelta(days=as_of_extra)
    q = Query(period, as_of, Scope(levels, site, track), 14)
    con = memory_db(tables, reuse=True)  # with the derived tables, as load builds them
    args = {
        "start": period.start,
        "end": period.end,
        "as_of": as_of,
        "levels": levels,
        "site": site,
        "track": track,
    }
    ours_n, ours_f = noms(con, q), follow_up(con, q)
    _close(ours_n, ref.noms(tables, **args), "noms")
    _close(ours_f, ref.follow_up(tables, **args), "follow_up")
    # the identities of the spec, and rates in [0, 1]
    for d in ref.POSITIVE:
        f = ours_n[d]
        assert f["at_discharge"] == f["at_admission"] + f["gained"] - f["lost"]
    for w in ours_f.values():
        parts = ("reached", "not_reached", "declined", "deceased", "not_attempted")
        assert sum(w[p] for p in parts) == w["due"]
        assert all(w[f"{d}_known"] <= w["reached"] for d in ("abstinent", "housed"))
    rates = [
        v
        for f in (*ours_n.values(), *ours_f.values())
        if isinstance(f, dict)
        for k, v in f.items()
        if k.endswith("rate") or k.startswith("abstinent_rate")
    ]
    assert all(r is None or 0.0 <= r <= 1.0 for r in rates)


def _both(con, q) -> tuple:
    return noms(con, q), follow_up(con, q)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables=datasets(), seed=st.integers(0, 2**32 - 1))
def test_shuffling_input_rows_changes_nothing(tables, seed):
    """Shuffled rows, read from the derived tables, give the figures of the rows in order."""
    q = Query(month(2026, 3), dt.date(2026, 4, 20), Scope(None), 14)
    before = _both(memory_db(tables, reuse=True), q)
    rng = random.Random(seed)
    shuffled = {k: rng.sample(v, len(v)) for k, v in tables.items()}
    assert _both(memory_db(shuffled, reuse=True), q) == before


def _truncate(tables: dict[str, list[dict]], as_of: dt.date) -> dict[str, list[dict]]:
    """The data as it would have been extracted at the end of ``as_of``."""
    episodes = []
    for e in tables["episodes"]:
        if e["admit_date"] > as_of:
            continue
        if e["discharge_date"] is not None and e["discharge_date"] > as_of:
            e = {**e, "discharge_date": None, "discharge_reason": None}
        episodes.append(e)
    kept = {e["episode_id"] for e in episodes}
    rows = [r for r in tables["noms"] if r["collected_on"] <= as_of and r["episode_id"] in kept]
    return {"clients": tables["clients"], "episodes": episodes, "noms": rows}


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables=datasets(), extra=st.sampled_from([0, 3, 20]))
def test_as_of_stability_a_past_period_does_not_change_when_later_data_arrives(tables, extra):
    """The data extracted at as_of gives what every later row gives: the derived tables hold
    rows dated after as_of, which the query must not read."""
    period = month(2026, 3)
    as_of = period.end + dt.timedelta(days=extra)
    q = Query(period, as_of, Scope(None), 14)
    assert _both(memory_db(tables, reuse=True), q) == _both(
        memory_db(_truncate(tables, as_of), reuse=True), q
    )
