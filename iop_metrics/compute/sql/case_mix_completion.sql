-- Case-mix outcome, completion (comparison.md, What is adjusted): every in-scope episode of every
-- site discharged in the comparison window [$start, $end] (as of $as_of); y = 1 when its
-- discharge reason is completed. Read by case_mix_patterns.sql as `outcome`
-- (its rows named by the measure).
with episodes as (
    select * from scoped_episodes($as_of, $levels, $site, $track)
),

final as (
    select
        'completion' as measure,
        episode_id,
        case when discharge_reason = 'completed' then 1 else 0 end as y
    from episodes
    where discharge_date between $start and $end
)

select * from final
