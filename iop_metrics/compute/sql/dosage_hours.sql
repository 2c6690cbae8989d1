-- Distribution of hours per client-week (dosage_weeks.sql, read in as `detail`), in whole-hour
-- bins (20 = 20 or more), by threshold, for the report's histogram.
-- reads: detail=dosage_weeks
select
    threshold_hours,
    cast(least(floor(hours), 20) as integer) as hours_bin,
    count(*) as client_weeks
from detail
group by all
order by threshold_hours, hours_bin
