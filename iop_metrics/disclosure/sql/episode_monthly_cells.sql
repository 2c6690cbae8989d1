-- Which counts of the monthly trends each in-scope episode is counted in (issue 30): one row
-- (episode_id, cell) per episode and per month of `months` (label, month_start, month_end)
-- whose admissions, discharges, completed, active_at_end (as series_episodes.sql), cohort (the
-- 12 months' admissions ending with the month, as series_cohort.sql), step_down and determined
-- (as series_transitions.sql over transitions_detail, `moves`, run over the months' span)
-- count it. Cells are named `monthly[<label>].<column>`, as the published trends' rows.
-- reads: months=?, moves=transitions_detail
with episodes as (
    select * from scoped_episodes($as_of, $levels, $site, $track)
),

final as (
    select e.episode_id, 'monthly[' || m.label || '].admissions' as cell
    from episodes as e
    inner join months as m on e.admit_date between m.month_start and m.month_end
    union all
    select e.episode_id, 'monthly[' || m.label || '].discharges' as cell
    from episodes as e
    inner join months as m on e.discharge_date between m.month_start and m.month_end
    union all
    select e.episode_id, 'monthly[' || m.label || '].completed' as cell
    from episodes as e
    inner join months as m on e.discharge_date between m.month_start and m.month_end
    where e.discharge_reason = 'completed'
    union all
    select e.episode_id, 'monthly[' || m.label || '].active_at_end' as cell
    from episodes as e
    inner join months as m
        on e.admit_date <= m.month_end
        and (e.discharge_date is null or e.discharge_date > m.month_end)
    union all
    select e.episode_id, 'monthly[' || m.label || '].cohort' as cell
    from episodes as e
    inner join months as m on e.admit_date between m.month_end - 364 and m.month_end
    union all
    select d.episode_id, 'monthly[' || m.label || '].step_down' as cell
    from moves as d
    inner join months as m on d.discharge_date between m.month_start and m.month_end
    where d.outcome = 'step_down'
    union all
    select d.episode_id, 'monthly[' || m.label || '].determined' as cell
    from moves as d
    inner join months as m on d.discharge_date between m.month_start and m.month_end
    where d.outcome <> 'pending'
)

select episode_id, cell from final
