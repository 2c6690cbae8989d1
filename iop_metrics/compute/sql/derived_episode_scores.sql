-- Derived table episode_scores, built at load from the canonical tables (issue #14's benchmark):
-- for every discharged episode and instrument scored in it, dated admit_date .. discharge_date
-- (a date's several scores count once, at their mean): the number of dates and of scores, the
-- first and last date and the score of each. Exact for every as_of A: the outcome cohort as of
-- A holds only episodes discharged on or before A, whose discharge_date as of A is the recorded
-- one, and their scores dated up to it are all on or before A (course_scores in
-- _macros.sql). Sorted by discharge date, so that a period's rows are a few of the
-- table's row groups.
with daily as (
    select
        a.episode_id,
        e.discharge_date,
        a.instrument,
        a.assessed_on,
        avg(a.score) as score,
        count(*) as scores
    from main.assessments as a
    inner join main.episodes as e on e.episode_id = a.episode_id
    where e.discharge_date is not null
        and a.assessed_on between e.admit_date and e.discharge_date
    group by a.episode_id, e.discharge_date, a.instrument, a.assessed_on
),

spans as (
    select
        episode_id,
        discharge_date,
        instrument,
        count(*) as dates,
        cast(sum(scores) as bigint) as scores,
        min(assessed_on) as first_on,
        max(assessed_on) as last_on
    from daily
    group by episode_id, discharge_date, instrument
)

select
    s.episode_id,
    s.discharge_date,
    s.instrument,
    s.dates,
    s.scores,
    s.first_on,
    s.last_on,
    f.score as first_score,
    l.score as last_score
from spans as s
inner join daily as f
    on f.episode_id = s.episode_id and f.instrument = s.instrument
    and f.assessed_on = s.first_on
inner join daily as l
    on l.episode_id = s.episode_id and l.instrument = s.instrument
    and l.assessed_on = s.last_on
order by s.discharge_date, s.episode_id, s.instrument
