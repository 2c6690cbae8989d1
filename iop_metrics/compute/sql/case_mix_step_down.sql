-- Case-mix outcome, step-down (comparison.md, What is adjusted): the window's discharges of every
-- site with a determined outcome (transitions_detail.sql, read in as `detail`: step_down,
-- step_up, lateral, no_next_care; pending ones are left out); y = 1 for step_down.
-- reads: detail=transitions_detail
with final as (
    select
        'step_down' as measure,
        episode_id,
        case when outcome = 'step_down' then 1 else 0 end as y
    from detail
    where outcome <> 'pending'
)

select * from final
