-- Case-mix outcome, retained 90 days (comparison.md, What is adjusted): every in-scope episode of
-- every site admitted in the comparison window [$start, $end] whose 90 days have passed by $as_of
-- (admit_date + 89 <= as_of); y = 1 unless it ended disengaged (dropped_out, terminated) with a
-- length of stay under 90 days (LOS = discharge - admit + 1). Such a discharge is dated on or
-- before admit_date + 88, so it is visible as of $as_of. Read by case_mix_patterns.sql.
with episodes as (
    select * from scoped_episodes($as_of, $levels, $site, $track)
),

final as (
    select
        'retained_90d' as measure,
        episode_id,
        case
            when discharge_reason in ('dropped_out', 'terminated')
                and date_diff('day', admit_date, discharge_date) + 1 < 90
                then 0
            else 1
        end as y
    from episodes
    where admit_date between $start and $end
        and admit_date + 89 <= $as_of
)

select * from final
