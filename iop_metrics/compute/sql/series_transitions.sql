-- Monthly series: transitions.sql's outcome counts for each month of `months`, over the
-- discharges of transitions_detail.sql for the 12 months (read in as `detail`), by the month of
-- the discharge.
-- reads: months=?, detail=transitions_detail
with by_month as (
    select
        year(discharge_date) * 100 + month(discharge_date) as month_key,
        count(*) filter (where outcome = 'step_down') as step_down,
        count(*) filter (where outcome = 'step_up') as step_up,
        count(*) filter (where outcome = 'lateral') as lateral,
        count(*) filter (where outcome = 'no_next_care') as no_next_care
    from detail
    group by year(discharge_date) * 100 + month(discharge_date)
)

select
    m.month_key,
    coalesce(b.step_down, 0) as step_down,
    coalesce(b.step_up, 0) as step_up,
    coalesce(b.lateral, 0) as lateral,
    coalesce(b.no_next_care, 0) as no_next_care
from months as m
left join by_month as b on b.month_key = m.month_key
order by m.month_key
