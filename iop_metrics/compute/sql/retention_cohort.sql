-- Retention cohort (metrics.md, Retention): in-scope episodes admitted in the 12 months ending at
-- P.end. Each has a time t in days and an event flag: a disengaged discharge (dropped_out,
-- terminated) on or before as_of is an event at t = LOS; everything else (open, completed, any
-- other reason) is censored at t = as_of - admit_date + 1, so completers stay at risk.
-- Early engagement (adapted from HEDIS IET): initiation = an attended session on day 0..13; the
-- earliest is the initiating session (date f); engagement = two or more further attended sessions
-- dated f..f+34. Each is judged only once its window has passed by as_of.
with episodes as (
    select * from scoped_episodes($as_of, $levels, $site, $track)
),

cohort as (
    select
        episode_id,
        admit_date,
        discharge_reason in ('dropped_out', 'terminated') as disengaged
    from episodes
    where admit_date between cast($end as date) - 364 and $end
),

engagement as (
    select * from engagement($as_of, cast($end as date) - 364, $end)
),

final as (
    select
        c.episode_id,
        c.admit_date,
        case
            when c.disengaged then date_diff('day', c.admit_date, e.discharge_date) + 1
            else date_diff('day', c.admit_date, cast($as_of as date)) + 1
        end as t,
        case when c.disengaged then 1 else 0 end as event,
        c.admit_date + 13 <= $as_of as initiation_window_passed,
        g.initiated_on is not null as initiated,
        g.initiated_on,
        c.admit_date + 47 <= $as_of as engagement_window_passed,
        coalesce(g.engaged, false) as engaged
    from cohort as c
    inner join episodes as e on e.episode_id = c.episode_id
    left join engagement as g on g.episode_id = c.episode_id
)

select * from final order by admit_date, episode_id
