"""The sample's noms rows tell the story of spec/recovery.md within the research note's ranges
(shared/research/recovery.md: response 55-70% at 1 month falling to 25-40% at 12; no use among
those reached 60-75% falling to 40-55%; no use at admission 15-35%, at discharge 40-65%,
completers above drop-outs), and drawing them changes no other table of the sample.

The figures are counted here in plain SQL over the loaded sample, independently of the
package's noms queries: windows in days after discharge, both ends inclusive, over IOP
episodes discharged (not by death) whose window closed by the sample's last day.
"""

from __future__ import annotations

import pytest
from conftest import SAMPLE

from iop_metrics.ingest.sample import generate

WINDOWS = {"1m": (15, 59), "3m": (60, 134), "6m": (135, 269), "12m": (270, 455)}
LAST_DAY = "date '2026-10-31'"


def test_make_sample_rewrites_every_file_byte_for_byte(tmp_path) -> None:
    """The committed sample is what the generator writes: clients, episodes, sessions and
    assessments as before noms existed (their files are unchanged in the commit that added
    noms.csv), and noms.csv from its own stream."""
    out = generate(tmp_path / "s").out_dir
    names = sorted(p.name for p in SAMPLE.glob("*.csv"))
    assert names == ["assessments.csv", "clients.csv", "episodes.csv", "noms.csv", "sessions.csv"]
    for name in names:
        assert (out / name).read_bytes() == (SAMPLE / name).read_bytes(), name


def _one(con, sql: str) -> tuple:
    return con.execute(sql).fetchone()


def _window(con, lo: int, hi: int) -> tuple[int, float, float, int]:
    """(due, response rate, no use among those reached, deaths found by the window's end)."""
    return _one(
        con,
        f"""
        with due as (
            select episode_id, discharge_date from episodes
            where level_of_care = '2.1' and discharge_reason <> 'died'
              and discharge_date + {hi} <= {LAST_DAY}),
        contacts as (
            select n.*, n.collected_on - d.discharge_date as day
            from noms n join due d using (episode_id) where n.time_point = 'follow_up'),
        reached as (
            select episode_id, arg_min(use_frequency, collected_on) as use_frequency
            from contacts where contact = 'reached' and day between {lo} and {hi}
            group by episode_id)
        select
            (select count(*) from due),
            (select count(*) from reached) / (select count(*) from due),
            (select avg(case when use_frequency = 'none' then 1 else 0 end) from reached
             where use_frequency is not null),
            (select count(distinct episode_id) from contacts
             where contact = 'deceased' and day <= {hi})
        """,
    )


def test_follow_up_response_and_no_use_fall_within_the_ranges(sample_con) -> None:
    figures = {w: _window(sample_con, lo, hi) for w, (lo, hi) in WINDOWS.items()}
    due = [f[0] for f in figures.values()]
    response = [f[1] for f in figures.values()]
    no_use = [f[2] for f in figures.values()]
    assert min(due) >= 150  # enough episodes for a window's figures to mean something
    assert 0.55 <= response[0] <= 0.70 and 0.25 <= response[3] <= 0.40
    assert response == sorted(response, reverse=True)  # fewer answer as the months pass
    assert 0.60 <= no_use[0] <= 0.75 and 0.40 <= no_use[3] <= 0.55
    assert no_use == sorted(no_use, reverse=True)  # no use declines after discharge
    assert 1 <= figures["12m"][3] <= 15  # a few deaths found at follow-up
    declined = _one(sample_con, "select count(*) from noms where contact = 'declined'")[0]
    assert declined >= 10


def test_admission_and_discharge_items_tell_the_story(sample_con) -> None:
    with_admission, with_discharge_completed, with_discharge_dropped = _one(
        sample_con,
        """
        select
            avg(case when a.episode_id is not null then 1 else 0 end),
            avg(case when e.discharge_reason = 'completed'
                then (d.episode_id is not null)::int end),
            avg(case when e.discharge_reason = 'dropped_out'
                then (d.episode_id is not null)::int end)
        from episodes e
        left join noms a on a.episode_id = e.episode_id and a.time_point = 'admission'
        left join noms d on d.episode_id = e.episode_id and d.time_point = 'discharge'
        where e.level_of_care = '2.1'
        """,
    )
    assert 0.8 <= with_admission <= 0.95
    assert with_discharge_completed >= 0.85 and 0.3 <= with_discharge_dropped <= 0.6
    no_use = dict(
        sample_con.execute(
            """
            select n.time_point || case when n.time_point = 'discharge'
                   then '/' || e.discharge_reason else '' end,
                   avg(case when use_frequency = 'none' then 1 else 0 end)
            from noms n join episodes e using (episode_id)
            where n.time_point <> 'follow_up' and use_frequency is not null
            group by 1
            union all
            select 'discharge', avg(case when use_frequency = 'none' then 1 else 0 end)
            from noms where time_point = 'discharge' and use_frequency is not null
            """
        ).fetchall()
    )
    assert 0.15 <= no_use["admission"] <= 0.35
    assert 0.40 <= no_use["discharge"] <= 0.65
    assert no_use["discharge/completed"] >= no_use["discharge/dropped_out"] + 0.15


def test_every_discharge_record_completes_an_admission_record(sample_con) -> None:
    """As in a TEDS submission, so the EHR example's state extract (one row per episode) carries
    every admission and discharge row of the sample."""
    orphans = _one(
        sample_con,
        "select count(*) from noms d where d.time_point = 'discharge' and not exists "
        "(select 1 from noms a where a.episode_id = d.episode_id and a.time_point = 'admission')",
    )[0]
    assert orphans == 0


@pytest.mark.parametrize(
    "item, positive",
    [
        ("employment", "employment in ('full_time', 'part_time', 'student')"),
        ("living", "living in ('dependent', 'independent')"),
        ("arrests", "arrests = 0"),
        ("self_help", "self_help <> 'none'"),
    ],
)
def test_life_domains_improve_a_little_from_admission_to_discharge(
    sample_con, item, positive
) -> None:
    paired, at_admission, at_discharge = _one(
        sample_con,
        f"""
        select count(*), sum(a.positive), sum(d.positive) from
            (select episode_id, ({positive})::int as positive from noms
             where time_point = 'admission' and {item} is not null) a
        join (select episode_id, ({positive})::int as positive from noms
              where time_point = 'discharge' and {item} is not null) d using (episode_id)
        """,
    )
    assert paired >= 200
    assert 0 < at_discharge - at_admission <= 0.3 * paired


def test_items_are_sometimes_empty_and_more_often_at_discharge(sample_con) -> None:
    empty = dict(
        sample_con.execute(
            """
            select time_point, avg(case when use_frequency is null then 1 else 0 end)
            from noms where time_point <> 'follow_up' or contact = 'reached' group by 1
            """
        ).fetchall()
    )
    assert 0 < empty["admission"] < empty["discharge"] <= 0.25
    assert 0 < empty["follow_up"] <= 0.15
