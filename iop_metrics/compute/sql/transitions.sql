-- Transitions summary over transitions_detail.sql (read in as `detail`).
-- reads: detail=transitions_detail
select
    count(*) filter (where outcome = 'step_down') as step_down,
    count(*) filter (where outcome = 'step_up') as step_up,
    count(*) filter (where outcome = 'lateral') as lateral,
    count(*) filter (where outcome = 'no_next_care') as no_next_care,
    count(*) filter (where outcome = 'pending') as pending,
    count(*) as discharges,
    median(case when outcome = 'step_down' then gap_days end) as median_gap_days_step_down,
    (
        select list({'level': to_level, 'n': n} order by to_level)
        from (select to_level, count(*) as n from detail where to_level is not null group by 1)
    ) as by_next_level
from detail
