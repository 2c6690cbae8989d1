-- Transitions (metrics.md, Transitions): one row per in-scope episode discharged in P with its
-- next episode (the next_episode macro, window $window days) and the outcome: step_down, step_up,
-- lateral (by intensity), no_next_care (none and D + W <= as_of) or pending (none yet).
with episodes as (
    select * from scoped_episodes($as_of, $levels, $site, $track)
),

discharged as (
    select * from episodes where discharge_date between $start and $end
),

final as (
    select
        d.episode_id,
        d.client_id,
        d.level_of_care as from_level,
        d.discharge_date,
        n.next_episode_id,
        n.next_level as to_level,
        n.gap_days,
        case
            when n.next_episode_id is null and d.discharge_date + $window <= $as_of
                then 'no_next_care'
            when n.next_episode_id is null then 'pending'
            when n.next_intensity < d.intensity then 'step_down'
            when n.next_intensity > d.intensity then 'step_up'
            else 'lateral'
        end as outcome
    from discharged as d
    left join next_episode($as_of, $window) as n on n.episode_id = d.episode_id
)

select * from final order by discharge_date, episode_id
