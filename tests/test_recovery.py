"""Recovery figures (spec recovery.md) on hand-made datasets: each episode exercises one rule,
and every figure is written out by hand below (admission to discharge in June 2026; follow-up
windows closing in the twelve months ending 2026-06-30)."""

from __future__ import annotations

import datetime as dt

import helpers
import pandas as pd
import pytest
from helpers import client, episode

import iop_metrics as im
from iop_metrics.compute.metrics import document
from iop_metrics.compute.query import Query, Scope
from iop_metrics.periods import Period, month

JUNE = month(2026, 6)


def memory_db(tables):
    return helpers.memory_db(tables)


DOMAINS = ("abstinent", "employed_or_student", "housed", "no_arrests", "self_help")
ITEM = {  # the keys of the short item tuples below
    "u": "use_frequency",
    "e": "employment",
    "l": "living",
    "a": "arrests",
    "s": "self_help",
}


def _row(eid: str, time_point: str, on: str, contact: str | None = None, **items) -> dict:
    return {
        "episode_id": eid,
        "time_point": time_point,
        "collected_on": on,
        "contact": contact,
        **{ITEM[k]: v for k, v in items.items()},
    }


# Admission to discharge: eid -> (admission items, discharge items); None = no such row.
# Every episode is an IOP one admitted 2026-05-01 and discharged 2026-06-10 (completed).
PAIRS: dict[str, tuple[dict | None, dict | None]] = {
    "N01": ({"u": "daily", "l": "homeless"}, {"u": "none", "l": "homeless"}),  # gains abstinence
    "N02": (  # use down one level (daily -> some): reduced, not abstinent
        {"u": "daily", "l": "dependent", "s": "4_7"},
        {"u": "1_2_week", "l": "independent"},  # self_help null at discharge: unpaired
    ),
    "N03": (  # use up one level (none -> some): loses abstinence; homeless -> housed
        {"u": "none", "l": "homeless", "s": "none"},
        {"u": "1_3_month", "l": "independent", "s": "none"},
    ),
    "N04": ({"u": "1_3_month", "a": 0}, {"u": "3_6_week", "a": 0}),  # same level: not reduced
    "N05": (  # use and housing null at discharge (unpaired); loses employment
        {"u": "none", "e": "full_time", "l": "dependent", "a": 1},
        {"e": "unemployed"},
    ),
    "N06": (  # gains every other domain (student counts as employed_or_student)
        {"e": "unemployed", "l": "homeless", "a": 2, "s": "none"},
        {"e": "student", "l": "dependent", "a": 0, "s": "some"},
    ),
    "N07": (  # loses every other domain (retired/disabled is not employed)
        {"e": "part_time", "l": "independent", "a": 0, "s": "1_3"},
        {"e": "retired_disabled", "l": "homeless", "a": 1, "s": "none"},
    ),
    "N08": ({"u": "daily", "a": 0}, None),  # admission row only
    "N14": (  # positive at both time points on every domain
        {"u": "none", "e": "full_time", "l": "independent", "a": 0, "s": "8_30"},
        {"u": "none", "e": "full_time", "l": "independent", "a": 0, "s": "8_30"},
    ),
    "N15": ({"u": "daily", "e": "homemaker"}, {"u": "daily", "e": "part_time"}),  # died
    "N16": ({"u": "1_2_week"}, {"u": "none"}),  # some -> none: gains abstinence, reduced
}
FULL = {"u": "none", "e": "full_time", "l": "independent", "a": 0, "s": "some"}


def noms_dataset() -> dict[str, list[dict]]:
    t: dict[str, list[dict]] = {"clients": [], "episodes": [], "noms": []}

    def add(eid: str, level: str, discharge: str, reason: str = "completed") -> None:
        t["clients"].append(client(f"C{eid}"))
        t["episodes"].append(episode(eid, f"C{eid}", level, "2026-05-01", discharge, reason))

    # Rows dated at the contract's limits: N14's discharge row on the as_of date itself; N16,
    # discharged on P.start, has its admission row 30 days before admission and its discharge
    # row 30 days before discharge.
    admitted_on = {"N16": "2026-04-01"}
    discharged = {"N16": "2026-06-01"}
    discharge_on = {"N14": "2026-06-30", "N16": "2026-05-02"}
    for eid, (adm, dis) in PAIRS.items():
        add(eid, "2.1", discharged.get(eid, "2026-06-10"), "died" if eid == "N15" else "completed")
        if adm is not None:
            t["noms"].append(_row(eid, "admission", admitted_on.get(eid, "2026-05-01"), **adm))
        if dis is not None:
            t["noms"].append(_row(eid, "discharge", discharge_on.get(eid, "2026-06-10"), **dis))
    # the discharge row is dated after as_of (06-30): it does not exist yet
    add("N09", "2.1", "2026-06-25")
    t["noms"] += [
        _row("N09", "admission", "2026-05-01", u="daily"),
        _row("N09", "discharge", "2026-07-05", u="none"),
    ]
    add("N13", "2.1", "2026-06-12")  # ended, no noms rows
    # not in the cohort, each with rows that would move every figure: discharged after as_of,
    # out of scope (residential), discharged in May
    for eid, level, discharge in (
        ("N10", "2.1", "2026-07-02"),
        ("N11", "3.5", "2026-06-10"),
        ("N12", "2.1", "2026-05-30"),
    ):
        add(eid, level, discharge)
        t["noms"] += [
            _row(eid, "admission", "2026-05-01", u="daily", e="unemployed", l="homeless", a=3),
            _row(eid, "discharge", discharge, **FULL),
        ]
    return t


def _domain(paired, at_adm, at_dis, gained, lost, ended=13) -> dict:
    return {
        "paired": paired,
        "paired_rate": paired / ended,
        "at_admission": at_adm,
        "at_discharge": at_dis,
        "gained": gained,
        "lost": lost,
        "admission_rate": at_adm / paired,
        "discharge_rate": at_dis / paired,
        "change": at_dis / paired - at_adm / paired,
    }


# By hand: ended = the 11 of PAIRS + N09 + N13; N08, N09 and N13 are paired on nothing.
EXPECTED_NOMS = {
    "ended": 13,
    "with_admission": 12,  # all but N13
    "with_discharge": 10,  # all but N08, N09 (row after as_of), N13
    # N01 F->T, N02 F->F, N03 T->F, N04 F->F, N14 T->T, N15 F->F, N16 F->T
    "abstinent": {
        **_domain(7, 2, 3, 2, 1),
        "using_at_admission": 5,  # N01, N02, N04, N15, N16
        "reduced": 3,  # N01 daily->none, N02 daily->some, N16 some->none
        "reduced_rate": 3 / 5,
    },
    # N05 T->F, N06 F->T, N07 T->F, N14 T->T, N15 F->T
    "employed_or_student": _domain(5, 3, 3, 2, 2),
    # N01 F->F, N02 T->T, N03 F->T, N06 F->T, N07 T->F, N14 T->T
    "housed": _domain(6, 3, 4, 2, 1),
    # N04 T->T, N06 F->T, N07 T->F, N14 T->T
    "no_arrests": _domain(4, 3, 3, 1, 1),
    # N03 F->F, N06 F->T, N07 T->F, N14 T->T
    "self_help": _domain(4, 2, 2, 1, 1),
}


def _close(got, want) -> None:
    if isinstance(want, dict):
        assert set(got) == set(want), set(got) ^ set(want)
        for k in want:
            _close(got[k], want[k])
    elif isinstance(want, float):
        assert got == pytest.approx(want, abs=1e-12), (got, want)
    else:
        assert got == want and type(got) is type(want), (got, want)


def test_admission_to_discharge_figures_by_hand():
    got = im.noms(memory_db(noms_dataset()), Query.of(JUNE))
    _close(got, EXPECTED_NOMS)


def test_the_detail_rows_carry_values_flags_and_levels():
    d = im.noms_detail(memory_db(noms_dataset()), Query.of(JUNE))
    assert len(d) == 13 * 5 and set(d.domain) == set(DOMAINS)
    row = d[(d.episode_id == "N02") & (d.domain == "abstinent")].iloc[0]
    assert (row.admission_value, row.discharge_value) == ("daily", "1_2_week")
    assert (row.admission_level, row.discharge_level) == (2, 1)
    assert row.paired and not row.admission and not row.discharge and row.reduced
    arrests = d[(d.episode_id == "N06") & (d.domain == "no_arrests")].iloc[0]
    assert (arrests.admission_value, arrests.discharge_value, arrests.gained) == ("2", "0", True)
    unpaired = d[(d.episode_id == "N05") & (d.domain == "abstinent")].iloc[0]
    assert not unpaired.paired and unpaired.with_discharge
    assert pd.isna(unpaired.gained) and pd.isna(unpaired.reduced)
    # the figures are the detail rows counted
    assert int(d[d.domain == "housed"].gained.fillna(False).sum()) == 2


def test_no_noms_rows_or_no_table_give_zeros_and_null_rates():
    t = noms_dataset()
    t["noms"] = []
    empty = memory_db(t)
    missing = memory_db(t)
    missing.execute("drop table noms")  # a database loaded before the table existed
    q = Query.of(JUNE)
    for con in (empty, missing):
        got = im.noms(con, q)
        assert (got["ended"], got["with_admission"], got["with_discharge"]) == (13, 0, 0)
        for domain in DOMAINS:
            f = got[domain]
            assert (f["paired"], f["paired_rate"], f["gained"], f["lost"]) == (0, 0.0, 0, 0)
            assert f["admission_rate"] is f["discharge_rate"] is f["change"] is None
        assert got["abstinent"]["using_at_admission"] == 0
        assert got["abstinent"]["reduced_rate"] is None
        assert "reduced" not in got["housed"]
        assert len(im.noms_detail(con, q)) == 13 * 5
        fu = im.follow_up(con, q)
        assert list(fu) == ["1m", "3m", "6m", "12m"]
        assert all(w["response_rate"] is None for w in fu.values())
        assert len(im.follow_up_detail(con, q)) == 0
    # no ended episode at all: every rate null, paired_rate too
    nobody = im.noms(missing, Query.of(month(2027, 3)))
    assert nobody["ended"] == 0 and nobody["self_help"]["paired_rate"] is None


# After discharge. D0 = 2025-06-01 is due in 1m, 3m, 6m (12m closes 2026-08-30); D1 = 2025-04-01
# in 3m, 6m and 12m (closing 2026-06-30 = P.end); D2 = 2025-03-01 in 3m, 6m, 12m.
D0, D1, D2 = dt.date(2025, 6, 1), dt.date(2025, 4, 1), dt.date(2025, 3, 1)
# eid -> (discharge date, level, reason, [(day after discharge, contact, items)])
FOLLOW = {
    "F01": (D0, "2.1", "completed", [(14, "reached", {"u": "none"})]),  # day 14: no window
    "F02": (D0, "2.1", "completed", [(15, "reached", {"u": "none", "e": "full_time"})]),
    "F03": (D0, "2.1", "completed", [(59, "reached", {"u": "daily"})]),  # last day of 1m
    "F04": (D0, "2.1", "completed", [(60, "reached", {"u": "none"})]),  # first day of 3m
    "F05": (
        D0,
        "2.1",
        "completed",
        [(134, "reached", {"e": "full_time", "l": "homeless", "a": 0})],  # use not collected
    ),
    "F06": (D0, "2.1", "completed", [(135, "reached", {"u": "1_3_month"})]),  # 6m opens
    "F07": (D0, "2.1", "completed", [(269, "reached", {"u": "none", "a": 2})]),  # 6m closes
    "F08": (D1, "2.1", "completed", [(270, "reached", {"u": "none"})]),  # 12m opens
    "F09": (D1, "2.1", "completed", [(455, "reached", {"u": "daily", "l": "dependent"})]),
    "F10": (D2, "2.1", "completed", [(456, "reached", {"u": "none"})]),  # after 12m
    "F11": (  # several contacts in one window: the earliest reached one is read
        D0,
        "2.1",
        "completed",
        [
            (20, "not_reached", {}),
            (30, "reached", {"u": "daily", "e": "unemployed"}),
            (40, "reached", {"u": "none", "e": "student"}),
            (70, "not_reached", {}),
        ],
    ),
    "F12": (  # declined, then reached: the refusal stops carrying over
        D0,
        "2.1",
        "completed",
        [(20, "declined", {}), (100, "reached", {"u": "none"}), (150, "not_reached", {})],
    ),
    "F13": (D0, "2.1", "completed", [(40, "deceased", {})]),  # deceased in 1m, before 3m, 6m
    "F15": (D0, "2.1", "died", [(20, "reached", {"u": "none"})]),  # a `died` discharge: not due
    "F16": (D0, "2.1", "completed", [(25, "not_reached", {}), (30, "declined", {})]),
    "F17": (  # deceased over declined and not reached
        D0,
        "2.1",
        "completed",
        [(50, "not_reached", {}), (52, "declined", {}), (55, "deceased", {})],
    ),
    "F18": (D0, "2.1", "completed", [(45, "not_reached", {})]),
    "F21": (D0, "2.1", "completed", []),  # a discharge row on day 20: never a contact
    "F22": (D0, "3.5", "completed", [(20, "reached", {"u": "none"})]),  # out of scope
    # 12m would close 2026-07-01, after P.end: due in 3m and 6m only
    "F23": (dt.date(2025, 4, 2), "2.1", "completed", [(300, "reached", {"u": "none"})]),
    # 1m closes 2025-07-01 (= P.end - 364, the cohort's first day) / 2025-06-30 (before it)
    "F24": (dt.date(2025, 5, 3), "2.1", "completed", [(30, "reached", {"u": "none"})]),
    "F25": (dt.date(2025, 5, 2), "2.1", "completed", [(30, "reached", {"u": "none"})]),
    # 1m still open at as_of (closes 2026-07-18): nothing due
    "F26": (dt.date(2026, 5, 20), "2.1", "completed", [(20, "reached", {"u": "none"})]),
}


def follow_dataset() -> dict[str, list[dict]]:
    t: dict[str, list[dict]] = {"clients": [], "episodes": [], "noms": []}
    for eid, (discharged, level, reason, contacts) in FOLLOW.items():
        admitted = (discharged - dt.timedelta(days=40)).isoformat()
        t["clients"].append(client(f"C{eid}"))
        t["episodes"].append(
            episode(eid, f"C{eid}", level, admitted, discharged.isoformat(), reason)
        )
        for day, contact, items in contacts:
            on = (discharged + dt.timedelta(days=day)).isoformat()
            t["noms"].append(_row(eid, "follow_up", on, contact, **items))
    # F21's discharge row, dated in its 1m window and even marked reached (which the contract
    # refuses), is still no contact
    on = (D0 + dt.timedelta(days=20)).isoformat()
    t["noms"].append(_row("F21", "discharge", on, "reached", u="none"))
    return t


def _window(due, reached, not_reached, declined, deceased, known: dict[str, tuple]) -> dict:
    out = {
        "due": due,
        "reached": reached,
        "not_reached": not_reached,
        "declined": declined,
        "deceased": deceased,
        "not_attempted": due - reached - not_reached - declined - deceased,
        "response_rate": reached / due,
    }
    for d in ("abstinent", "employed_or_student", "housed", "no_arrests"):
        out[d], out[f"{d}_known"] = known.get(d, (0, 0))
    a, a_known = out["abstinent"], out["abstinent_known"]
    out["abstinent_rate_responders"] = a / a_known if a_known else None
    out["abstinent_rate_all"] = a / due
    return out


# By hand (see FOLLOW): due in 1m: the 13 D0 episodes but F15 (died) and F22 (scope), with F24;
# in 3m and 6m those 14 with F08, F09, F10, F23, F24, F25; in 12m F08, F09, F10.
EXPECTED_FOLLOW = {
    # reached F02 F03 F11 F24; deceased F13 F17; declined F12 F16; not reached F18;
    # not attempted F01 F04 F05 F06 F07 F21
    "1m": _window(
        15,
        4,
        1,
        2,
        2,
        {"abstinent": (2, 4), "employed_or_student": (1, 2)},
    ),
    # reached F04 F05 F12; deceased F13 F17; declined F16; not reached F11
    "3m": _window(
        20,
        3,
        1,
        1,
        2,
        {
            "abstinent": (2, 2),
            "employed_or_student": (1, 1),
            "housed": (0, 1),
            "no_arrests": (1, 1),
        },
    ),
    # reached F06 F07; deceased F13 F17; declined F16; not reached F12 (reached after refusing)
    "6m": _window(20, 2, 1, 1, 2, {"abstinent": (1, 2), "no_arrests": (0, 1)}),
    # reached F08 F09; not attempted F10 (day 456)
    "12m": _window(3, 2, 0, 0, 0, {"abstinent": (1, 2), "housed": (1, 1)}),
}


def test_follow_up_figures_by_hand():
    got = im.follow_up(memory_db(follow_dataset()), Query.of(JUNE))
    assert list(got) == ["1m", "3m", "6m", "12m"]
    _close(got, EXPECTED_FOLLOW)


def test_follow_up_detail_categories_by_hand():
    d = im.follow_up_detail(memory_db(follow_dataset()), Query.of(JUNE))
    cat = {(r.episode_id, r.window_name): r.category for r in d.itertuples()}
    assert cat[("F12", "1m")] == "declined" and cat[("F12", "3m")] == "reached"
    assert cat[("F12", "6m")] == "not_reached"
    assert cat[("F13", "6m")] == cat[("F17", "1m")] == "deceased"
    assert cat[("F16", "6m")] == "declined"
    assert ("F15", "1m") not in cat and ("F23", "12m") not in cat and ("F25", "1m") not in cat
    f11 = d[(d.episode_id == "F11") & (d.window_name == "1m")].iloc[0]
    assert (f11.reached_on.date(), f11.use_frequency, f11.employment) == (
        D0 + dt.timedelta(days=30),
        "daily",
        "unemployed",
    )
    assert f11.closes_on.date() == D0 + dt.timedelta(days=59)


def test_the_document_holds_both_keys():
    con = memory_db({**noms_dataset(), "noms": noms_dataset()["noms"] + follow_dataset()["noms"]})
    doc = document(con, Query.of(JUNE))
    assert doc["noms"]["abstinent"]["reduced"] == 3
    assert set(doc["follow_up"]) == {"1m", "3m", "6m", "12m"}


def test_a_longer_period_takes_its_own_start_for_the_cohort():
    # 2025-01-01 .. 2026-06-30 (18 months): 1m windows closing from 2025-01-01 are due, so
    # F25's (closing 2025-06-30) is, reached; and F08, F09, F10, F23's, not attempted
    p = Period("2025-01..2026-06", dt.date(2025, 1, 1), dt.date(2026, 6, 30), "custom")
    got = im.follow_up(memory_db(follow_dataset()), Query.of(p))
    assert (got["1m"]["due"], got["1m"]["reached"], got["1m"]["not_attempted"]) == (20, 5, 10)


def test_scope_site_and_track():
    t = follow_dataset()
    for e in t["episodes"]:
        e["site"] = "north" if e["episode_id"] in ("F02", "F03") else "main"
        e["track"] = "evening" if e["episode_id"] == "F03" else None
    con = memory_db(t)
    north = im.follow_up(con, Query.of(JUNE, scope=Scope(site="north")))
    assert (north["1m"]["due"], north["1m"]["reached"], north["1m"]["abstinent"]) == (2, 2, 1)
    evening = im.follow_up(con, Query.of(JUNE, scope=Scope(track="evening")))
    assert (evening["1m"]["due"], evening["1m"]["abstinent_known"]) == (1, 1)
    every_level = im.follow_up(con, Query.of(JUNE, scope=Scope(levels=None)))
    assert every_level["1m"]["due"] == 16  # F22 (residential) joins


def test_a_later_as_of_does_not_make_windows_closing_after_p_due():
    # as of 2026-07-31, F23's 12m window (closing 2026-07-01) has closed, but after P.end
    later = Query.of(JUNE, as_of=dt.date(2026, 7, 31))
    got = im.follow_up(memory_db(follow_dataset()), later)
    assert (got["12m"]["due"], got["1m"]["due"]) == (3, 15)


def test_admission_and_discharge_rows_dated_after_as_of_do_not_exist_yet():
    # N1 admitted 06-20 and discharged 06-25: its admission row is dated 07-05 (admit + 15, a
    # contract date), its discharge row 06-25; N2's rows are dated 06-20 and 06-25
    t = {
        "clients": [client("C1"), client("C2")],
        "episodes": [
            episode("N1", "C1", "2.1", "2026-06-20", "2026-06-25"),
            episode("N2", "C2", "2.1", "2026-06-20", "2026-06-25"),
        ],
        "noms": [
            _row("N1", "admission", "2026-07-05", u="daily", l="homeless"),
            _row("N1", "discharge", "2026-06-25", u="none", l="independent"),
            _row("N2", "admission", "2026-06-20", u="daily", l="homeless"),
            _row("N2", "discharge", "2026-06-25", u="daily", l="homeless"),
        ],
    }
    con = memory_db(t)
    june = im.noms(con, Query.of(JUNE))
    assert (june["ended"], june["with_admission"], june["with_discharge"]) == (2, 1, 2)
    assert (june["abstinent"]["paired"], june["housed"]["gained"]) == (1, 0)
    july = im.noms(con, Query.of(JUNE, as_of=dt.date(2026, 7, 5)))
    assert (july["with_admission"], july["with_discharge"]) == (2, 2)
    assert (july["abstinent"]["paired"], july["abstinent"]["reduced"]) == (2, 1)
    assert (july["housed"]["gained"], july["housed"]["at_discharge"]) == (1, 1)
