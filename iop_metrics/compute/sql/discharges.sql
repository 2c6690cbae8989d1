-- Discharges (metrics.md, Discharges): in-scope episodes discharged in P, by TEDS-D reason,
-- completion rate and median length of stay (LOS = discharge - admit + 1 days).
with episodes as (
    select * from scoped_episodes($as_of, $levels, $site, $track)
),

discharged as (
    select
        discharge_reason,
        date_diff('day', admit_date, discharge_date) + 1 as length_of_stay_days
    from episodes
    where discharge_date between $start and $end
),

final as (
    select
        count(*) as total,
        count(*) filter (where discharge_reason = 'completed') as completed,
        count(*) filter (where discharge_reason = 'dropped_out') as dropped_out,
        count(*) filter (where discharge_reason = 'terminated') as terminated,
        count(*) filter (where discharge_reason = 'transferred') as transferred,
        count(*) filter (where discharge_reason = 'incarcerated') as incarcerated,
        count(*) filter (where discharge_reason = 'died') as died,
        count(*) filter (where discharge_reason = 'other') as other,
        count(*) filter (where discharge_reason = 'completed') / nullif(count(*), 0)
            as completion_rate,
        median(length_of_stay_days) as median_length_of_stay_days
    from discharged
)

select * from final
