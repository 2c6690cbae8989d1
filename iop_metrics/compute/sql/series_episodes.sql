-- Monthly series (reports.md, trends): for each month of `months` (month_key, month_start,
-- month_end), the census and discharge figures of census.sql and discharges.sql for that month,
-- as of $as_of, in one pass over the in-scope episodes.
-- reads: months=?
with episodes as (
    select * from scoped_episodes($as_of, $levels, $site, $track)
),

counted as (
    select
        m.month_key,
        count(e.episode_id) filter (
            where e.admit_date between m.month_start and m.month_end
        ) as admissions,
        count(e.episode_id) filter (
            where e.discharge_date between m.month_start and m.month_end
        ) as discharges,
        count(e.episode_id) filter (
            where e.discharge_date between m.month_start and m.month_end
            and e.discharge_reason = 'completed'
        ) as completed,
        count(e.episode_id) filter (
            where e.admit_date <= m.month_end
            and (e.discharge_date is null or e.discharge_date > m.month_end)
        ) as active_at_end
    from months as m
    left join episodes as e on 1 = 1
    group by m.month_key
)

select
    month_key,
    active_at_end,
    admissions,
    discharges,
    completed,
    completed / nullif(discharges, 0) as completion_rate
from counted
order by month_key
