-- Measurement-based care cadence (spec outcomes.md; Joint Commission CTS.03.01.09 asks that
-- each person be monitored with a standardized instrument, the cadence is the program's own).
-- measured_at_intake: of in-scope admissions in P with admit_date + 13 <= as_of
-- (intake_eligible), those with a score of any instrument on day 0..13 of the episode (our
-- reading: and within the episode, so on or before a discharge in those days).
-- measured_last_30d: of in-scope episodes open at the end of P that began on or before
-- end - 29 (open_30d), those with a score of any instrument dated end - 29 .. end (and on or
-- before as_of).
with episodes as (
    select * from scoped_episodes($as_of, $levels, $site, $track)
),

eligible as (
    select episode_id, admit_date, discharge_date
    from episodes
    where admit_date between $start and $end
        and admit_date + 13 <= $as_of
),

intake_scored as (
    select distinct e.episode_id
    from eligible as e
    inner join main.assessments as a on a.episode_id = e.episode_id
    where a.assessed_on between e.admit_date and e.admit_date + 13
        and (e.discharge_date is null or a.assessed_on <= e.discharge_date)
),

open_30d as (
    select episode_id
    from episodes
    where admit_date <= cast($end as date) - 29
        and (discharge_date is null or discharge_date > $end)
),

recent_scored as (
    select distinct o.episode_id
    from open_30d as o
    inner join main.assessments as a on a.episode_id = o.episode_id
    where a.assessed_on between cast($end as date) - 29 and $end
        and a.assessed_on <= $as_of
),

counts as (
    select
        (select count(*) from intake_scored) as measured_at_intake,
        (select count(*) from eligible) as intake_eligible,
        (select count(*) from recent_scored) as measured_last_30d,
        (select count(*) from open_30d) as open_30d
),

final as (
    select
        measured_at_intake,
        intake_eligible,
        cast(measured_at_intake as double) / nullif(intake_eligible, 0)
            as measured_at_intake_rate,
        measured_last_30d,
        open_30d,
        cast(measured_last_30d as double) / nullif(open_30d, 0) as measured_last_30d_rate
    from counts
)

select * from final
